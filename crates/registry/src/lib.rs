//! Commune data: the household register with its dated digital and environmental attributes,
//! imports from the spreadsheets offices already keep, and the commune map's layers (A2, A7,
//! C1, C2, D1; indicators 4.1–5.2, 8.1, 9.1, 15.1, 16.1, 16.2).

pub mod actions;
pub mod api;
pub mod columns;
pub mod demo;
pub mod entity;
pub mod error;
pub mod figures;
pub mod layers;
pub mod migration;
pub mod model;
pub mod olc;
pub mod sheet;
pub mod store;
mod web;

use axum::Router;
use kernel::jobs::JobRunnerBuilder;
use kernel::room::{BoxFuture, DemoCast, Group, Nav, OfficeLink, Room, Texts};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The register room.
#[derive(Default)]
pub struct RegistryRoom;

impl Room for RegistryRoom {
    fn key(&self) -> &'static str {
        "registry"
    }

    fn texts(&self) -> Vec<Texts> {
        vec![Texts {
            vi: I18N_VI,
            en: I18N_EN,
        }]
    }

    fn nav(&self) -> Nav {
        Nav {
            office: vec![
                OfficeLink {
                    label: "rg.households",
                    path: "households",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "house",
                },
                OfficeLink {
                    label: "rg.map",
                    path: "map",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "map",
                },
                OfficeLink {
                    label: "rg.import",
                    path: "households/import",
                    roles: actions::access::EDITORS,
                    group: Group::Data,
                    icon: "upload",
                },
            ],
            ..Nav::default()
        }
    }

    fn tables(&self) -> Vec<kernel::placement::Table> {
        use kernel::placement::Placement;
        vec![
            ("household", Placement::Commune),
            ("household_member", Placement::Commune),
            ("household_observation", Placement::Commune),
            ("household_import", Placement::Commune),
        ]
    }

    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![Box::new(migration::Migration)]
    }

    fn router(&self) -> Router<AppState> {
        web::router().merge(api::router())
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        Some(api::RegistryApi::openapi())
    }

    fn jobs(&self, jobs: JobRunnerBuilder, state: &AppState) -> JobRunnerBuilder {
        let secret = state.secret.clone();
        jobs.handler(actions::imports::JOB, move |db, payload| {
            let secret = secret.clone();
            async move {
                let commune = payload["commune"]
                    .as_str()
                    .ok_or("commune missing")?
                    .to_owned();
                let id = payload["import"].as_i64().ok_or("import missing")?;
                let apply = payload["apply"].as_bool().unwrap_or(false);
                actions::imports::work(db, secret, &commune, id, apply).await
            }
        })
    }

    fn demo<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            demo::seed(db, &cast.commune)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    }

    fn figures(&self) -> Vec<kernel::figures::FigureSource> {
        figures::sources()
    }

    fn error_codes(&self) -> Vec<&'static str> {
        error::Refusal::CODES.to_vec()
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
