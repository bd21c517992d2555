//! The register's use cases: one function each that owns its permission rule, transaction,
//! audit entry and progress; the pages, the API and the command line call the same ones.

pub mod access;
pub mod changes;
pub mod duplicates;
pub mod export;
pub mod households;
pub mod import;
pub mod imports;
pub mod infra;
pub mod mapping;
pub mod sensors;
pub mod surveys;

pub use crate::error::{ActionError, ActionResult, Refusal};
