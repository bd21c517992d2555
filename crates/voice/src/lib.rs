//! Citizens' voice: feedback answered online and on a public board, the Open311 GeoReport v2
//! interface to it (requirements B5, B6, H2; indicators 3.x, 16.3, 18.2).

pub mod api;
pub mod demo;
pub mod entity;
pub mod migration;
pub mod model;
pub mod open311;
pub mod store;
mod web;

use axum::Router;
use kernel::web::AppState;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// Adds the room's texts and its entries on the home page and in the back office.
pub fn register() {
    kernel::i18n::extend(I18N_VI, I18N_EN);
    kernel::web::shell::register_room(kernel::web::shell::RoomLink {
        room: "room.feedback",
        public_path: "feedback",
        office: &[
            ("room.link.feedback", "feedback"),
            ("room.link.feedback_settings", "feedback-settings"),
        ],
        admin: &[],
    });
}

/// The room's pages, API and Open311 endpoints.
pub fn router() -> Router<AppState> {
    web::router().merge(api::router()).merge(open311::router())
}

pub fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::VoiceApi::openapi()
}

pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    vec![Box::new(migration::Migration)]
}
