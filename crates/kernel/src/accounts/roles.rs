//! Roles, granted on a unit, and what each lets its holder do.

use serde::{Deserialize, Serialize};

/// A role is always held *on a unit*: a commune (5-digit code), a district (3), a province (2)
/// or the whole deployment (`VN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    VillageHead,
    Official,
    Leader,
    CommuneAdmin,
    Reviewer,
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Citizen,
        Role::VillageHead,
        Role::Official,
        Role::Leader,
        Role::CommuneAdmin,
        Role::Reviewer,
        Role::SystemAdmin,
    ];

    /// Roles a commune admin may grant inside their commune.
    pub const COMMUNE_STAFF: [Role; 4] = [
        Role::VillageHead,
        Role::Official,
        Role::Leader,
        Role::CommuneAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::VillageHead => "village_head",
            Role::Official => "official",
            Role::Leader => "leader",
            Role::CommuneAdmin => "commune_admin",
            Role::Reviewer => "reviewer",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// i18n key of the role's name.
    pub fn label_key(self) -> String {
        format!("role.{}", self.as_str())
    }

    /// Officials' back office: everyone who works for the commune, not citizens.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Citizen)
    }
}

/// One grant as loaded for the current user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub role: Role,
    pub unit_code: String,
    pub village_id: Option<i64>,
    pub department: Option<String>,
}

impl Grant {
    /// Does this grant's unit contain the commune `commune_code` (of province `province_code`,
    /// district `district_code` when the deployment has districts)?
    pub fn covers(
        &self,
        commune_code: &str,
        province_code: &str,
        district_code: Option<&str>,
    ) -> bool {
        if self.unit_code == "VN" {
            return true;
        }
        match self.unit_code.len() {
            5 => self.unit_code == commune_code,
            3 => district_code == Some(self.unit_code.as_str()),
            2 => self.unit_code == province_code,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(role: Role, unit: &str) -> Grant {
        Grant {
            role,
            unit_code: unit.into(),
            village_id: None,
            department: None,
        }
    }

    #[test]
    fn roundtrip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("king"), None);
    }

    #[test]
    fn coverage_by_unit_level() {
        assert!(g(Role::Official, "17071").covers("17071", "40", None));
        assert!(!g(Role::Official, "17071").covers("02269", "08", None));
        assert!(g(Role::Reviewer, "40").covers("17071", "40", None));
        assert!(!g(Role::Reviewer, "40").covers("02269", "08", None));
        assert!(g(Role::Reviewer, "412").covers("17071", "40", Some("412")));
        assert!(!g(Role::Reviewer, "412").covers("17071", "40", None));
        assert!(g(Role::SystemAdmin, "VN").covers("02269", "08", None));
    }
}
