//! The notices room's use cases: one function each that owns its permission rule, transaction,
//! audit entry, cache invalidation and fan-out, called by the page and the API handler alike
//! (which only parse, call and render): `notices` (write, schedule, publish, pin, withdraw,
//! read), `emergencies` (acknowledge, who has not), `reach`, `topics`, `bulletins`; who may do
//! what is `access`. Refusals are the room's [`Refusal`]s, mapped once to `AppError`.

pub mod access;
pub mod bulletins;
pub mod emergencies;
pub mod error;
pub mod notices;
pub mod reach;
pub mod topics;

pub use error::{ActionError, ActionResult, Refusal};
pub use kernel::actions::Kernel;
