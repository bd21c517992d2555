//! The shell's navigation: each room's home-page tile and back-office links with the roles that
//! may open them. Web-level types, so the shell needs nothing from `room`; `room` re-exports
//! them for the rooms that declare their navigation.

use crate::accounts::{CurrentUser, Role};
use crate::tenancy::CommuneInfo;

/// Rooms still to come, as (name key, description key): shown so officials see the whole
/// programme; each is removed here when its room lands with a tile of its own.
pub const UPCOMING: [(&str, &str); 3] = [
    ("room.households", "room.households.desc"),
    ("room.indicators", "room.indicators.desc"),
    ("room.commerce", "room.commerce.desc"),
];

/// The room's tile on the commune's home page and back-office dashboard.
#[derive(Debug, Clone, Copy)]
pub struct Tile {
    /// Text keys of its name and one-line description.
    pub name: &'static str,
    pub desc: &'static str,
    /// Citizens' entry, relative to `/c/{code}/`.
    pub path: &'static str,
}

/// A back-office entry, shown only to the roles that may open it: `roles` is the same list the
/// page behind it checks; empty means every staff member of the commune.
#[derive(Debug, Clone, Copy)]
pub struct OfficeLink {
    pub label: &'static str,
    /// Relative to `/c/{code}/office/`.
    pub path: &'static str,
    pub roles: &'static [Role],
}

impl OfficeLink {
    /// Whether someone holding `held` in the commune may open it.
    pub fn open_to(&self, held: &[Role]) -> bool {
        self.roles.is_empty() || held.iter().any(|r| self.roles.contains(r))
    }
}

/// Where a room appears in the shell.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub tile: Option<Tile>,
    pub office: Vec<OfficeLink>,
    /// System-admin pages: (label key, absolute path).
    pub admin: Vec<(&'static str, &'static str)>,
}

/// The roles `u` holds in commune `c`, for filtering what a page offers them.
pub fn roles_of(u: Option<&CurrentUser>, c: &CommuneInfo) -> Vec<Role> {
    u.map(|u| u.roles_in(c).collect()).unwrap_or_default()
}
