//! The shell's navigation: each room's home-page tile and back-office links with the roles that
//! may open them. Web-level types, so the shell needs nothing from `room`; `room` re-exports
//! them for the rooms that declare their navigation.

use crate::accounts::{CurrentUser, Role};
use crate::tenancy::CommuneInfo;

/// A room's entry on the commune's home page (a tile, or a big quick action).
#[derive(Debug, Clone, Copy)]
pub struct Tile {
    /// Text keys of its name and one-line description.
    pub name: &'static str,
    pub desc: &'static str,
    /// Citizens' entry, relative to `/c/{code}/`.
    pub path: &'static str,
    /// An icon of the sprite (`static/lucide/make-sprite.py`).
    pub icon: &'static str,
}

/// The back office's sections, by the task an official comes to do, in the sidebar's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// The one-stop desk: dossiers, procedures, payments, statistics.
    Desk,
    /// Citizens' voice: feedback, polls, forum, directory.
    Voice,
    /// Notices, emergencies, loudspeaker bulletins, delivery.
    Notices,
    /// The commune's own data: villages, households, map.
    Data,
    /// Setup: branding, staff, audit, gateways.
    Settings,
}

impl Group {
    pub const ALL: [Group; 5] = [
        Group::Desk,
        Group::Voice,
        Group::Notices,
        Group::Data,
        Group::Settings,
    ];

    /// Text key of its heading.
    pub fn label(self) -> &'static str {
        match self {
            Group::Desk => "nav.group.desk",
            Group::Voice => "nav.group.voice",
            Group::Notices => "nav.group.notices",
            Group::Data => "nav.group.data",
            Group::Settings => "nav.group.settings",
        }
    }
}

/// A back-office entry, shown only to the roles that may open it: `roles` is the same list the
/// page behind it checks; empty means every staff member of the commune.
#[derive(Debug, Clone, Copy)]
pub struct OfficeLink {
    pub label: &'static str,
    /// Relative to `/c/{code}/office/`.
    pub path: &'static str,
    pub roles: &'static [Role],
    pub group: Group,
    pub icon: &'static str,
}

impl OfficeLink {
    /// Whether someone holding `held` in the commune may open it.
    pub fn open_to(&self, held: &[Role]) -> bool {
        self.roles.is_empty() || held.iter().any(|r| self.roles.contains(r))
    }
}

/// Where a room appears in the shell.
#[derive(Clone, Default)]
pub struct Nav {
    /// Its tiles on the commune's home page (a room with several public parts has several).
    pub tiles: Vec<Tile>,
    /// The big buttons at the top of the home page: the things people come to do.
    pub quick: Vec<Tile>,
    pub office: Vec<OfficeLink>,
    /// System-admin pages: (label key, absolute path).
    pub admin: Vec<(&'static str, &'static str)>,
    /// What it shows on the front door and the "today" board.
    pub front: Option<std::sync::Arc<dyn super::front::FrontDoor>>,
}

/// The roles `u` holds in commune `c`, for filtering what a page offers them.
pub fn roles_of(u: Option<&CurrentUser>, c: &CommuneInfo) -> Vec<Role> {
    u.map(|u| u.roles_in(c).collect()).unwrap_or_default()
}
