//! The kernel's own use cases: one function each that owns its permission rule, transaction
//! and audit entry, called by a page handler and an API handler alike. They sit above the kernel
//! services they combine (`time`, `audit`, `accounts`), so those services never reach up to
//! each other.

pub mod holidays;
