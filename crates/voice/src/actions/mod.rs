//! Feedback's use cases: one function each that owns its permission rule, transaction, audit
//! entry, cache invalidation and notifications, called alike by the pages, the JSON API and
//! Open311 (which only parse, call and render). Below them the rules (`model`) and the
//! queries (`store`); refusals are the room's [`Refusal`](crate::error::Refusal)s, never HTTP
//! statuses. Polls and the community keep their use cases beside their own stores
//! (`polls::actions`, `community::actions`), so the module graph stays without circles.

pub mod feedback;
pub mod settings;

pub use crate::error::{ActionError, ActionResult, Refusal, invalid};
pub use kernel::actions::Kernel;
