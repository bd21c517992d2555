//! Every query of feedback, by topic: categories and the map area, reports with their photos
//! and history, the triage inbox, the public board and its figures, and Open311 API keys.
//! Queries only: the use cases that combine them are in [`crate::actions`].

mod categories;
mod keys;
mod lists;
mod reports;

pub use categories::*;
pub use keys::*;
pub use lists::*;
pub use reports::*;

/// The commune's feedback generation; read it before a query whose result is cached.
pub fn generation(commune: &str) -> u64 {
    kernel::cache::generation("feedback", commune)
}

/// Call after a committed change to the commune's feedback, categories or area.
pub fn changed(commune: &str) {
    kernel::cache::changed("feedback", commune)
}
