//! The services room's use cases: one function each that owns its permission rule,
//! transaction, audit entry, catalogue-cache invalidation and notifications, called alike by
//! the pages (`web`) and the JSON API (`api`), which only parse, call and render. They know
//! nothing of HTTP: refusals are the room's [`Refusal`]s; the queries are the store's.

pub mod dossiers;
pub mod error;
pub mod payments;
pub mod procedures;
pub mod reminders;
pub mod stats;
pub mod steps;
pub mod track;

pub use error::{ActionError, ActionResult, Refusal};
pub use kernel::actions::Kernel;
