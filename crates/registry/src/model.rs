//! The register's rules: what a household record may hold, how a spreadsheet's words are read
//! (Vietnamese or the template's), and how personal numbers are kept: pure functions,
//! unit-tested without a database.

use hmac::{Hmac, Mac};
use kernel::text::fold_vi;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

/// How the household reaches the internet (indicator 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Internet {
    Fibre,
    Mobile,
    None,
}

impl Internet {
    pub fn as_str(self) -> &'static str {
        match self {
            Internet::Fibre => "fibre",
            Internet::Mobile => "mobile",
            Internet::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Internet> {
        match fold_vi(s).as_str() {
            "fibre" | "fiber" | "cap quang" | "ftth" | "internet cap quang" => {
                Some(Internet::Fibre)
            }
            "mobile" | "di dong" | "3g" | "4g" | "5g" | "internet di dong" => {
                Some(Internet::Mobile)
            }
            "none" | "khong" | "chua co" | "0" => Some(Internet::None),
            _ => None,
        }
    }
}

/// The household's standing in the poverty review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Poverty {
    #[default]
    None,
    NearPoor,
    Poor,
}

impl Poverty {
    pub const ALL: [Poverty; 3] = [Poverty::None, Poverty::NearPoor, Poverty::Poor];
    pub fn as_str(self) -> &'static str {
        match self {
            Poverty::None => "none",
            Poverty::NearPoor => "near_poor",
            Poverty::Poor => "poor",
        }
    }
    pub fn parse(s: &str) -> Option<Poverty> {
        match fold_vi(s).as_str() {
            "" | "none" | "khong" | "binh thuong" => Some(Poverty::None),
            "near poor" | "near_poor" | "can ngheo" | "ho can ngheo" => Some(Poverty::NearPoor),
            "poor" | "ngheo" | "ho ngheo" => Some(Poverty::Poor),
            _ => None,
        }
    }
}

/// `m` or `f`, as the register writes it.
pub fn parse_sex(s: &str) -> Option<&'static str> {
    match fold_vi(s).as_str() {
        "m" | "nam" | "male" => Some("m"),
        "f" | "nu" | "female" => Some("f"),
        _ => None,
    }
}

/// A yes or no as people type it in a spreadsheet.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    match fold_vi(s).as_str() {
        "1" | "x" | "co" | "yes" | "true" | "y" | "dung" => Some(true),
        "0" | "khong" | "no" | "false" | "n" | "chua" => Some(false),
        _ => None,
    }
}

/// The dated attributes of a household (each `None`: not observed). They feed indicators 4.1,
/// 5.1, 8.1, 9.1, 15.1, 16.1 and 16.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = HouseholdFacts)]
pub struct Facts {
    pub internet: Option<Internet>,
    pub smartphones: Option<i32>,
    pub computer: Option<bool>,
    pub online_payment: Option<bool>,
    /// Has an account on an e-commerce platform.
    pub ecommerce: Option<bool>,
    pub health_app: Option<bool>,
    /// Uses renewable or bio energy.
    pub clean_energy: Option<bool>,
    pub waste_sorting: Option<bool>,
    pub wastewater_treated: Option<bool>,
}

/// The yes/no attributes, by column name, for readers and writers that walk them.
pub const YES_NO: [&str; 7] = [
    "computer",
    "online_payment",
    "ecommerce",
    "health_app",
    "clean_energy",
    "waste_sorting",
    "wastewater_treated",
];

impl Facts {
    pub fn is_empty(&self) -> bool {
        *self == Facts::default()
    }

    pub fn yes_no(&self, name: &str) -> Option<bool> {
        match name {
            "computer" => self.computer,
            "online_payment" => self.online_payment,
            "ecommerce" => self.ecommerce,
            "health_app" => self.health_app,
            "clean_energy" => self.clean_energy,
            "waste_sorting" => self.waste_sorting,
            "wastewater_treated" => self.wastewater_treated,
            _ => None,
        }
    }

    /// Sets one yes/no attribute by column name (unknown names change nothing).
    pub fn set_yes_no(&mut self, name: &str, v: bool) {
        if let Some(slot) = self.yes_no_mut(name) {
            *slot = Some(v);
        }
    }

    fn yes_no_mut(&mut self, name: &str) -> Option<&mut Option<bool>> {
        Some(match name {
            "computer" => &mut self.computer,
            "online_payment" => &mut self.online_payment,
            "ecommerce" => &mut self.ecommerce,
            "health_app" => &mut self.health_app,
            "clean_energy" => &mut self.clean_energy,
            "waste_sorting" => &mut self.waste_sorting,
            "wastewater_treated" => &mut self.wastewater_treated,
            _ => return None,
        })
    }

    /// `self` observed after `current`: each attribute observed now replaces the old value
    /// (latest wins), the others stay.
    pub fn over(&self, current: &Facts) -> Facts {
        let mut out = current.clone();
        if self.internet.is_some() {
            out.internet = self.internet;
        }
        if self.smartphones.is_some() {
            out.smartphones = self.smartphones;
        }
        for name in YES_NO {
            if let Some(v) = self.yes_no(name) {
                *out.yes_no_mut(name).expect("known attribute") = Some(v);
            }
        }
        out
    }
}

/// A household as checked, ready to write: names trimmed, numbers in range, the national ID
/// already turned into its keyed hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub code: String,
    pub village_id: Option<i64>,
    pub head_name: String,
    pub head_birth_year: Option<i32>,
    pub head_sex: Option<&'static str>,
    pub head_id: Option<NationalId>,
    pub members: i32,
    pub address: String,
    pub phone: Option<String>,
    pub ethnicity: Option<String>,
    pub poverty: Poverty,
    pub location: Option<(f64, f64)>,
    pub facts: Facts,
}

impl Household {
    /// The digital address code of its pin.
    pub fn plus_code(&self) -> Option<String> {
        self.location
            .and_then(|(lat, lon)| crate::olc::encode(lat, lon))
    }

    /// What a search without accents looks through: code, head's name, address, phone.
    pub fn search_folded(&self) -> String {
        fold_vi(&format!(
            "{} {} {} {}",
            self.code,
            self.head_name,
            self.address,
            self.phone.as_deref().unwrap_or_default()
        ))
    }
}

/// A national ID number (CCCD, 12 digits) as it is kept: a keyed hash to find the same person
/// again, and the last four digits to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId {
    pub hash: String,
    pub last4: String,
}

impl NationalId {
    /// `None` unless the text is 12 digits (spaces and dots ignored).
    pub fn keep(secret: &[u8], text: &str) -> Option<NationalId> {
        let digits: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(b"registry.national_id:");
        mac.update(digits.as_bytes());
        Some(NationalId {
            hash: hex::encode(mac.finalize().into_bytes()),
            last4: digits[8..].to_owned(),
        })
    }
}

/// How a member is related to the head of the household.
pub const RELATIONS: [&str; 7] = [
    "spouse",
    "child",
    "parent",
    "grandchild",
    "sibling",
    "in_law",
    "other",
];

/// A member of a household other than its head.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub birth_year: Option<i32>,
    pub sex: Option<&'static str>,
    /// One of [`RELATIONS`].
    pub relation: &'static str,
    pub id: Option<NationalId>,
}

/// A household code: 1–40 letters, digits, `-`, `_`, `.` or `/`.
pub fn code_ok(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

/// A Vietnamese phone number as the register keeps it (`0912345678`), from the ways people
/// write one (`+84 912 345 678`, `0912.345.678`).
pub fn phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let local = if s.trim_start().starts_with('+') || digits.starts_with("84") && digits.len() == 11
    {
        format!("0{}", digits.strip_prefix("84")?)
    } else {
        digits
    };
    (local.len() == 10 && local.starts_with('0')).then_some(local)
}

/// Whether a birth year can be true this year: from 1900 to `this_year`.
pub fn birth_year_ok(year: i32, this_year: i32) -> bool {
    (1900..=this_year).contains(&year)
}

/// People in a household: at least the head, at most 50.
pub const MEMBERS: std::ops::RangeInclusive<i32> = 1..=50;
/// Smartphones in a household.
pub const SMARTPHONES: std::ops::RangeInclusive<i32> = 0..=50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_people_type_are_read() {
        assert_eq!(Internet::parse("Cáp quang"), Some(Internet::Fibre));
        assert_eq!(Internet::parse("4G"), Some(Internet::Mobile));
        assert_eq!(Internet::parse("không"), Some(Internet::None));
        assert_eq!(Internet::parse("adsl?"), None);
        assert_eq!(Poverty::parse("Hộ cận nghèo"), Some(Poverty::NearPoor));
        assert_eq!(Poverty::parse(""), Some(Poverty::None));
        assert_eq!(parse_sex("Nữ"), Some("f"));
        assert_eq!(parse_yes_no("Có"), Some(true));
        assert_eq!(parse_yes_no("x"), Some(true));
        assert_eq!(parse_yes_no("maybe"), None);
        assert_eq!(phone("+84 912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(phone("0912.345.678").as_deref(), Some("0912345678"));
        assert_eq!(phone("12345"), None);
        assert!(code_ok("MH-0001") && !code_ok("") && !code_ok("a b"));
        assert!(birth_year_ok(1950, 2026) && !birth_year_ok(2030, 2026));
    }

    #[test]
    fn national_ids_are_never_kept_in_clear() {
        let id = NationalId::keep(b"secret", "040 123 456 789").unwrap();
        assert_eq!(id.last4, "6789");
        assert_eq!(id.hash.len(), 64);
        assert!(!id.hash.contains("040123456789"));
        assert_eq!(
            NationalId::keep(b"secret", "040123456789"),
            Some(id.clone())
        );
        assert_ne!(NationalId::keep(b"other", "040123456789"), Some(id));
        assert_eq!(NationalId::keep(b"secret", "12345"), None);
    }

    #[test]
    fn the_latest_observation_wins_attribute_by_attribute() {
        let old = Facts {
            internet: Some(Internet::Mobile),
            smartphones: Some(1),
            computer: Some(false),
            ..Facts::default()
        };
        let new = Facts {
            internet: Some(Internet::Fibre),
            health_app: Some(true),
            ..Facts::default()
        };
        let now = new.over(&old);
        assert_eq!(now.internet, Some(Internet::Fibre));
        assert_eq!(now.smartphones, Some(1));
        assert_eq!(now.computer, Some(false));
        assert_eq!(now.health_app, Some(true));
    }
}
