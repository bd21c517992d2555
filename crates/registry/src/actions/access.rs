//! Who may see and change the register. Personal data (Vietnam's personal-data protection
//! decree applies): only the commune's officials, leaders and administrators see households,
//! a village head only their own village's; imports and corrections are officials' and
//! administrators' work.

use kernel::accounts::{CurrentUser, Role, access};
use kernel::error::AppResult;
use kernel::tenancy::CommuneInfo;

/// Who may read the whole register of a commune.
pub const READERS: &[Role] = &[
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];

/// Who may change it (imports, corrections).
pub const EDITORS: &[Role] = &[Role::Official, Role::CommuneAdmin, Role::SystemAdmin];

/// Who decides residents' correction requests: the village head (their village), officials
/// and administrators.
pub const DECIDERS: &[Role] = &[
    Role::VillageHead,
    Role::Official,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];

/// Readers and village heads: the back-office link's roles.
pub const VIEWERS: &[Role] = &[
    Role::VillageHead,
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];

/// What part of the register a person may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Commune,
    /// A village head's own village.
    Village(i64),
}

impl Scope {
    pub fn allows(self, village: Option<i64>) -> bool {
        match self {
            Scope::Commune => true,
            Scope::Village(v) => village == Some(v),
        }
    }
}

/// THE rule of who reads households: the commune's readers see all of them, a village head
/// the households of the village their grant names.
pub fn reader<'a>(
    actor: Option<&'a CurrentUser>,
    c: &CommuneInfo,
) -> AppResult<(&'a CurrentUser, Scope)> {
    let u = access::with_role(actor, c, VIEWERS)?;
    if u.has_role_in(c, READERS) {
        return Ok((u, Scope::Commune));
    }
    let village = u
        .grants
        .iter()
        .find(|g| g.role == Role::VillageHead && g.unit_code == c.code)
        .and_then(|g| g.village_id);
    match village {
        Some(v) => Ok((u, Scope::Village(v))),
        None => Err(kernel::error::AppError::forbidden()),
    }
}

pub fn editor<'a>(actor: Option<&'a CurrentUser>, c: &CommuneInfo) -> AppResult<&'a CurrentUser> {
    access::with_role(actor, c, EDITORS)
}
