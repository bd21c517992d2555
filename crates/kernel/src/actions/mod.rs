//! The kernel's own use cases: one function each that owns its permission rule, transaction,
//! audit entry and cache invalidation, called by a page handler and an API handler alike (which
//! only parse, call and render). They sit above the kernel services they combine (`time`,
//! `audit`, `accounts`, `tenancy`, `otp`, `notify`), so those services never reach up to each
//! other, and below `web`, so they know nothing of HTTP: refusals are [`ActionError`]s.

pub mod citizens;
pub mod communes;
pub mod error;
pub mod holidays;
pub mod password;
pub mod staff;
pub mod villages;

use sea_orm::DatabaseConnection;

pub use error::{ActionError, ActionResult, Failure, Refusal, RefusalCode};

/// What the kernel's use cases need from the running platform, borrowed from the web state
/// (`AppState::kernel`) so the use cases do not depend on the web shell.
#[derive(Clone, Copy)]
pub struct Kernel<'a> {
    pub db: &'a DatabaseConnection,
    /// The server secret (one-time codes are stored as HMACs under it).
    pub secret: &'a [u8],
    pub communes: &'a crate::tenancy::CommuneCache,
    pub auth_cache: &'a crate::accounts::cache::AuthCache,
    pub dispatcher: &'a crate::notify::Dispatcher,
    pub files: &'a crate::files::FileStore,
    /// Working days, for deadlines.
    pub calendar: &'a crate::time::WorkingDays,
}
