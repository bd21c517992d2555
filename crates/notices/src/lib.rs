//! Notices on every phone: announcements with an audience, scheduled publication, the public
//! board, emergency alerts people acknowledge, reach by village and channel, topics to follow,
//! the events calendar (iCalendar) and loudspeaker bulletins (B3, D2, G3, I1; 1.3, 6.2, 17).

pub mod access;
pub mod api;
pub mod benchdata;
pub mod bulletin;
mod bulletin_web;
pub mod demo;
pub mod entity;
pub mod ical;
pub mod markdown;
pub mod migration;
pub mod model;
mod office;
pub mod store;
mod web;

use axum::Router;
use kernel::web::AppState;

pub use office::PUBLISHERS;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The job that publishes scheduled notices when they fall due.
pub const PUBLISH_JOB: &str = "notices.publish_due";

/// Adds the room's texts and its entries on the home page and in the back office.
pub fn register() {
    kernel::i18n::extend(I18N_VI, I18N_EN);
    kernel::web::shell::register_room(kernel::web::shell::RoomLink {
        room: "room.notices",
        public_path: "notices",
        office: &[
            ("room.link.notices", "notices"),
            ("room.link.bulletin", "bulletin"),
        ],
        admin: &[],
    });
}

/// The room's pages and API.
pub fn router() -> Router<AppState> {
    web::router()
        .merge(office::router())
        .merge(bulletin_web::router())
        .merge(api::router())
}

pub fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::NoticesApi::openapi()
}

pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    vec![Box::new(migration::Migration)]
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = kernel::i18n::missing_keys(super::I18N_VI, super::I18N_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
