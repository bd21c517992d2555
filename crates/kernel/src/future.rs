//! The boxed future of async hooks in traits used as `dyn` (`Room`, figure sources). A module
//! of its own so the modules that use it need not depend on each other for it.

use std::future::Future;
use std::pin::Pin;

/// A boxed future, for the trait's async hooks (the trait is used as `dyn Room`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
