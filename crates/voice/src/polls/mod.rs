//! Polls and surveys: officials ask, registered residents answer once, results are counted
//! live with charts, by village, and exported to XLSX (requirement B7; indicator 1.2 and the
//! new-rural satisfaction survey of seed 001 (iv)).

pub mod actions;
pub mod chart;
pub mod entity;
pub mod export;
pub mod migration;
pub mod model;
pub mod store;
mod web;
pub use model::BUILDERS;

pub use web::PollsApi;

pub fn router() -> axum::Router<kernel::web::AppState> {
    web::router()
}
