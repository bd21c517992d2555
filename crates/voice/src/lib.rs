//! Citizens' voice: feedback answered online and on a public board, the Open311 GeoReport v2
//! interface to it (requirements B5, B6, H2; indicators 3.x, 16.3, 18.2).

pub mod actions;
pub mod api;
pub mod benchdata;
pub mod community;
pub mod demo;
pub mod entity;
pub mod error;
pub mod figures;
mod front;
pub mod migration;
pub mod migration_keys;
pub mod migration_search;
pub mod model;
pub mod open311;
pub mod polls;
pub mod receipt;
pub mod store;
mod web;

use axum::Router;
use kernel::accounts::access::ADMINS;
use kernel::room::{BoxFuture, DemoCast, Group, Nav, OfficeLink, Room, Texts, Tile};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");
const POLLS_VI: &str = include_str!("../i18n/polls.vi.txt");
const POLLS_EN: &str = include_str!("../i18n/polls.en.txt");

/// The citizens' voice room: feedback, Open311, polls, the directory, the team, the forum.
#[derive(Default)]
pub struct VoiceRoom;

impl Room for VoiceRoom {
    fn key(&self) -> &'static str {
        "voice"
    }

    fn messages(&self) -> Vec<&'static str> {
        vec!["fb.note.received", "fb.note.status"]
    }

    fn error_codes(&self) -> Vec<&'static str> {
        error::Refusal::CODES.to_vec()
    }

    fn texts(&self) -> Vec<Texts> {
        vec![
            Texts {
                vi: I18N_VI,
                en: I18N_EN,
            },
            Texts {
                vi: POLLS_VI,
                en: POLLS_EN,
            },
            community::texts(),
        ]
    }

    fn nav(&self) -> Nav {
        Nav {
            tiles: vec![
                Tile {
                    name: "room.feedback",
                    desc: "room.feedback.desc",
                    path: "feedback",
                    icon: "message-square-warning",
                },
                Tile {
                    name: "room.polls",
                    desc: "room.polls.desc",
                    path: "polls",
                    icon: "vote",
                },
                Tile {
                    name: "room.forum",
                    desc: "room.forum.desc",
                    path: "forum",
                    icon: "message-circle",
                },
                Tile {
                    name: "room.directory",
                    desc: "room.directory.desc",
                    path: "directory",
                    icon: "book-open",
                },
            ],
            quick: vec![
                Tile {
                    name: "quick.report",
                    desc: "quick.report.desc",
                    path: "feedback/new",
                    icon: "message-square-warning",
                },
                Tile {
                    name: "quick.poll",
                    desc: "quick.poll.desc",
                    path: "polls",
                    icon: "vote",
                },
            ],
            office: vec![
                OfficeLink {
                    label: "room.link.feedback",
                    path: "feedback",
                    roles: model::HANDLERS,
                    group: Group::Voice,
                    icon: "message-square-warning",
                },
                OfficeLink {
                    label: "room.link.feedback_settings",
                    path: "feedback-settings",
                    roles: ADMINS,
                    group: Group::Settings,
                    icon: "settings",
                },
                OfficeLink {
                    label: "room.link.polls",
                    path: "polls",
                    roles: polls::BUILDERS,
                    group: Group::Voice,
                    icon: "vote",
                },
                OfficeLink {
                    label: "room.link.directory",
                    path: "directory",
                    roles: community::rules::DIRECTORY_EDITORS,
                    group: Group::Voice,
                    icon: "book-open",
                },
                OfficeLink {
                    label: "room.link.community_team",
                    path: "community-team",
                    roles: ADMINS,
                    group: Group::Settings,
                    icon: "users",
                },
                OfficeLink {
                    label: "room.link.forum_moderation",
                    path: "forum-moderation",
                    roles: community::rules::MODERATORS,
                    group: Group::Voice,
                    icon: "message-circle",
                },
            ],
            admin: vec![],
            front: Some(std::sync::Arc::new(front::VoiceDoor)),
        }
    }

    fn tables(&self) -> Vec<kernel::placement::Table> {
        use kernel::placement::Placement;
        vec![
            ("feedback_category", Placement::Commune),
            ("feedback", Placement::Commune),
            ("feedback_event", Placement::Commune),
            ("feedback_photo", Placement::Commune),
            ("official_profile", Placement::Commune),
            ("community_member", Placement::Commune),
            ("community_member_village", Placement::Commune),
            ("forum_topic", Placement::Commune),
            ("forum_post", Placement::Commune),
            ("forum_report", Placement::Commune),
            ("poll", Placement::Commune),
            ("poll_question", Placement::Commune),
            ("poll_response", Placement::Commune),
            ("poll_answer", Placement::Commune),
            ("open311_key", Placement::Coordinator),
        ]
    }

    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(migration::Migration),
            Box::new(polls::migration::Migration),
            Box::new(community::migration::Migration),
            Box::new(community::migration_province::Migration),
            Box::new(migration_search::Migration),
            Box::new(community::migration_search::Migration),
            Box::new(migration_keys::Migration),
        ]
    }

    fn router(&self) -> Router<AppState> {
        // One throttle of failed receipt look-ups for the page, the API and Open311 alike.
        web::router()
            .merge(api::router())
            .merge(open311::router())
            .layer(axum::Extension(receipt::Guard::default()))
            .merge(polls::router())
            .merge(community::router())
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        // Two schemas of one name would document one part with the other's type: a bug in the
        // code, found by every test that builds the platform.
        Some(
            kernel::web::apidoc::merge_parts(vec![
                ("voice", api::VoiceApi::openapi()),
                ("voice/polls", polls::PollsApi::openapi()),
                ("voice/community", community::api_doc()),
            ])
            .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    fn demo<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let roles = demo::Cast {
                citizen: cast.citizen,
                official: cast.official,
                admin: cast.admin,
            };
            demo::seed(db, &cast.commune, roles)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    }

    fn figures(&self) -> Vec<kernel::figures::FigureSource> {
        figures::sources()
    }
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
