//! Citizens' voice: feedback answered online and on a public board, the Open311 GeoReport v2
//! interface to it (requirements B5, B6, H2; indicators 3.x, 16.3, 18.2).

pub mod api;
pub mod benchdata;
pub mod community;
pub mod demo;
pub mod entity;
pub mod migration;
pub mod model;
pub mod open311;
pub mod polls;
pub mod receipt;
pub mod store;
mod web;

use axum::Router;
use kernel::web::AppState;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");
const POLLS_VI: &str = include_str!("../i18n/polls.vi.txt");
const POLLS_EN: &str = include_str!("../i18n/polls.en.txt");

/// Adds the room's texts and its entries on the home page and in the back office.
pub fn register() {
    kernel::i18n::extend(I18N_VI, I18N_EN);
    kernel::i18n::extend(POLLS_VI, POLLS_EN);
    community::register_texts();
    kernel::web::shell::register_room(kernel::web::shell::RoomLink {
        room: "room.feedback",
        public_path: "feedback",
        office: &[
            ("room.link.feedback", "feedback"),
            ("room.link.feedback_settings", "feedback-settings"),
            ("room.link.polls", "polls"),
            ("room.link.directory", "directory"),
            ("room.link.community_team", "community-team"),
            ("room.link.forum_moderation", "forum-moderation"),
        ],
        admin: &[],
    });
}

/// The room's pages, API and Open311 endpoints.
pub fn router() -> Router<AppState> {
    // One throttle of failed receipt look-ups for the page, the API and Open311 alike.
    web::router()
        .merge(api::router())
        .merge(open311::router())
        .layer(axum::Extension(receipt::Guard::default()))
        .merge(polls::router())
        .merge(community::router())
}

pub fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = api::VoiceApi::openapi();
    doc.merge(polls::PollsApi::openapi());
    doc.merge(community::api_doc());
    doc
}

pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    vec![
        Box::new(migration::Migration),
        Box::new(polls::migration::Migration),
        Box::new(community::migration::Migration),
        Box::new(community::migration_province::Migration),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        for (vi, en) in [
            (super::I18N_VI, super::I18N_EN),
            (super::POLLS_VI, super::POLLS_EN),
        ] {
            let missing = kernel::i18n::missing_keys(vi, en);
            assert!(missing.is_empty(), "{missing:?}");
        }
    }
}
