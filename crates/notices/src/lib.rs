//! Notices on every phone: announcements with an audience, scheduled publication, the public
//! board, emergency alerts people acknowledge, reach by village and channel, topics to follow,
//! the events calendar (iCalendar) and loudspeaker bulletins (B3, D2, G3, I1; 1.3, 6.2, 17).

pub mod actions;
pub mod api;
pub mod benchdata;
pub mod bulletin;
mod bulletin_web;
pub mod demo;
pub mod entity;
pub mod figures;
mod front;
pub mod ical;
pub mod markdown;
pub mod migration;
pub mod migration_keys;
pub mod migration_search;
pub mod model;
mod office;
pub mod store;
mod web;

use std::time::Duration;

use axum::Router;
use kernel::jobs::JobRunnerBuilder;
use kernel::room::{BoxFuture, DemoCast, Group, Nav, OfficeLink, Room, Texts, Tile};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;

pub use model::PUBLISHERS;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The job that publishes scheduled notices when they fall due.
pub const PUBLISH_JOB: &str = "notices.publish_due";

/// The notices room.
#[derive(Default)]
pub struct NoticesRoom {
    /// The public board's pages, shared by the board page, its API and the home page.
    board: std::sync::Arc<store::BoardCache>,
}

impl Room for NoticesRoom {
    fn key(&self) -> &'static str {
        "notices"
    }

    fn texts(&self) -> Vec<Texts> {
        vec![Texts {
            vi: I18N_VI,
            en: I18N_EN,
        }]
    }

    fn messages(&self) -> Vec<&'static str> {
        vec![store::EMERGENCY_MESSAGE]
    }

    fn nav(&self) -> Nav {
        Nav {
            tiles: vec![Tile {
                name: "room.notices",
                desc: "room.notices.desc",
                path: "notices",
                icon: "megaphone",
            }],
            office: vec![
                OfficeLink {
                    label: "room.link.notices",
                    path: "notices",
                    roles: PUBLISHERS,
                    group: Group::Notices,
                    icon: "megaphone",
                },
                OfficeLink {
                    label: "room.link.bulletin",
                    path: "bulletin",
                    roles: PUBLISHERS,
                    group: Group::Notices,
                    icon: "radio",
                },
            ],
            admin: vec![],
            front: Some(std::sync::Arc::new(front::NoticesDoor {
                board: self.board.clone(),
            })),
            ..Nav::default()
        }
    }

    fn tables(&self) -> Vec<kernel::placement::Table> {
        use kernel::placement::Placement;
        vec![
            ("notice", Placement::Commune),
            ("notice_topic", Placement::Commune),
            ("notice_bulletin", Placement::Commune),
            ("notice_attachment", Placement::Commune),
            ("notice_recipient", Placement::Commune),
            ("notice_subscription", Placement::Commune),
        ]
    }

    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(migration::Migration),
            Box::new(migration_search::MIGRATION),
            Box::new(migration_keys::Migration),
        ]
    }

    fn router(&self) -> Router<AppState> {
        web::router()
            .merge(api::router())
            .layer(axum::Extension(self.board.clone()))
            .merge(office::router())
            .merge(bulletin_web::router())
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        Some(api::NoticesApi::openapi())
    }

    fn jobs(&self, jobs: JobRunnerBuilder, state: &AppState) -> JobRunnerBuilder {
        let data_dir = state.config.data_dir.clone();
        jobs.handler(PUBLISH_JOB, |db, _| async move {
            actions::notices::publish_due(&db, chrono::Utc::now())
                .await
                .map(|_| ())
                .map_err(|e| kernel::error::AppError::from(e).to_string())
        })
        .every(PUBLISH_JOB, Duration::from_secs(60))
        .handler(bulletin::AUDIO_JOB, move |db, payload| {
            let data_dir = data_dir.clone();
            async move {
                let id = payload["bulletin_id"]
                    .as_i64()
                    .ok_or("bulletin_id missing")?;
                // Jobs queued before the shard keys carry no commune.
                let commune = payload["commune"].as_str();
                bulletin::render_audio(&db, &data_dir, commune, id).await
            }
        })
    }

    fn demo<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            demo::seed(db, &cast.commune, cast.official)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    }

    fn figures(&self) -> Vec<kernel::figures::FigureSource> {
        figures::sources()
    }

    fn error_codes(&self) -> Vec<&'static str> {
        actions::Refusal::CODES.to_vec()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = kernel::i18n::missing_keys(super::I18N_VI, super::I18N_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
