//! Commune data: the household register with its dated digital and environmental attributes,
//! imports from the spreadsheets offices already keep, and the commune map's layers (A2, A7,
//! C1, C2, D1; indicators 4.1–5.2, 8.1, 9.1, 15.1, 16.1, 16.2).

pub mod actions;
pub mod api;
pub mod api_changes;
pub mod api_columns;
pub mod api_infra;
pub mod api_survey;
pub mod columns;
pub mod demo;
pub mod demo_survey;
pub mod entity;
pub mod error;
pub mod figures;
pub mod layers;
pub mod migration;
pub mod migration_columns;
pub mod migration_infra;
pub mod migration_survey;
pub mod model;
pub mod mqtt;
pub mod olc;
pub mod sensors;
pub mod sheet;
pub mod store;
pub mod store_sensors;
pub mod survey_model;
mod web;

use axum::Router;
use kernel::jobs::JobRunnerBuilder;
use kernel::room::{BoxFuture, DemoCast, Group, Nav, OfficeLink, Room, Texts};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");
pub const I18N_SURVEY_VI: &str = include_str!("../i18n/survey_vi.txt");
pub const I18N_SURVEY_EN: &str = include_str!("../i18n/survey_en.txt");

/// The register room.
#[derive(Default)]
pub struct RegistryRoom {
    /// `[rooms.registry]`: the MQTT broker the sensors publish to.
    config: std::sync::Mutex<mqtt::MqttConfig>,
}

/// The job that flags sensors that stopped reporting.
pub const SILENT_JOB: &str = "registry.silent_sensors";

/// The job that drops the files of uploads left unwritten for a week (personal data).
pub const STALE_UPLOADS_JOB: &str = "registry.stale_uploads";

impl Room for RegistryRoom {
    fn key(&self) -> &'static str {
        "registry"
    }

    fn texts(&self) -> Vec<Texts> {
        vec![
            Texts {
                vi: I18N_VI,
                en: I18N_EN,
            },
            Texts {
                vi: I18N_SURVEY_VI,
                en: I18N_SURVEY_EN,
            },
        ]
    }

    fn nav(&self) -> Nav {
        Nav {
            tiles: vec![kernel::room::Tile {
                name: "rg.mine",
                desc: "rg.mine.desc",
                path: "my-household",
                icon: "house",
            }],
            office: vec![
                OfficeLink {
                    label: "rg.households",
                    path: "households",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "house",
                },
                OfficeLink {
                    label: "rg.changes",
                    path: "households/changes",
                    roles: actions::access::DECIDERS,
                    group: Group::Data,
                    icon: "clipboard-check",
                },
                OfficeLink {
                    label: "rg.map",
                    path: "map",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "map",
                },
                OfficeLink {
                    label: "rg.sensors",
                    path: "sensors",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "radio",
                },
                OfficeLink {
                    label: "rg.infra",
                    path: "infrastructure",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "globe",
                },
                OfficeLink {
                    label: "rg.surveys",
                    path: "surveys",
                    roles: actions::access::VIEWERS,
                    group: Group::Data,
                    icon: "clipboard-list",
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

    fn configure(&self, section: Option<&toml::Value>) -> anyhow::Result<()> {
        let parsed: mqtt::MqttConfig = match section {
            None => mqtt::MqttConfig::default(),
            Some(v) => v
                .clone()
                .try_into()
                .map_err(|e| anyhow::anyhow!("[rooms.registry]: {e}"))?,
        };
        parsed.address()?;
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = parsed;
        Ok(())
    }

    fn workers(
        &self,
        state: &AppState,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let conf = self
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if conf.mqtt.is_none() {
            return vec![];
        }
        vec![tokio::spawn(mqtt::run(state.db.clone(), conf, stop))]
    }

    fn messages(&self) -> Vec<&'static str> {
        vec![
            "rg.note.sensor_alert",
            "rg.note.change_accepted",
            "rg.note.change_refused",
        ]
    }

    fn tables(&self) -> Vec<kernel::placement::Table> {
        use kernel::placement::Placement;
        vec![
            ("household", Placement::Commune),
            ("household_member", Placement::Commune),
            ("household_observation", Placement::Commune),
            ("household_import", Placement::Commune),
            ("infra_point", Placement::Commune),
            ("village_coverage", Placement::Commune),
            ("sensor", Placement::Commune),
            ("sensor_reading", Placement::Commune),
            ("sensor_rollup", Placement::Commune),
            ("sensor_alert", Placement::Commune),
            ("household_pair", Placement::Commune),
            ("household_change", Placement::Commune),
            ("survey_campaign", Placement::Commune),
            ("survey_response", Placement::Commune),
            ("official_readiness", Placement::Commune),
            ("household_column", Placement::Commune),
        ]
    }

    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(migration::Migration),
            Box::new(migration_infra::Migration),
            Box::new(migration_survey::Migration),
            Box::new(migration_columns::Migration),
        ]
    }

    fn router(&self) -> Router<AppState> {
        web::router()
            .merge(api::router())
            .merge(api_infra::router())
            .merge(api_changes::router())
            .merge(api_survey::router())
            .merge(api_columns::router())
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        let mut doc = api::RegistryApi::openapi();
        doc.merge(api_infra::InfraApi::openapi());
        doc.merge(api_changes::ChangesApi::openapi());
        doc.merge(api_survey::SurveyApi::openapi());
        doc.merge(api_columns::ColumnsApi::openapi());
        Some(doc)
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
        .handler(SILENT_JOB, |db, _| async move {
            actions::sensors::flag_silent(&db)
                .await
                .map(|_| ())
                .map_err(|e| kernel::error::AppError::from(e).to_string())
        })
        .every(SILENT_JOB, std::time::Duration::from_secs(300))
        .handler(STALE_UPLOADS_JOB, |db, _| async move {
            actions::imports::forget_stale(&db)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every(STALE_UPLOADS_JOB, std::time::Duration::from_secs(3600))
    }

    fn demo<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            demo::seed(db, &cast.commune)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            demo_survey::seed(db, cast).await
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
        let missing = kernel::i18n::missing_keys(super::I18N_SURVEY_VI, super::I18N_SURVEY_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
