//! Online public services: the commune's procedure catalogue, citizens' dossiers and the
//! electronic one-stop desk that runs them (requirements B1, B2; Appendix I indicators 1.1, 1.2).

pub mod actions;
pub mod api;
pub mod benchdata;
pub mod demo;
pub mod entity;
pub mod figures;
mod front;
pub mod migration;
pub mod migration_history;
pub mod migration_search;
pub mod model;
pub mod payments;
pub mod standard;
pub mod stats;
pub mod store;

/// The daily reminder job, kept under its old path.
pub use actions::reminders;
mod web;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{Extension, Router};
use kernel::jobs::JobRunnerBuilder;
use kernel::room::{BoxFuture, DemoCast, Group, Nav, OfficeLink, Room, Texts, Tile};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;

use crate::entity::procedure;

/// A commune's procedures by id, as the desk's lists need them.
pub type ProcedureMap = Arc<BTreeMap<i64, procedure::Model>>;
/// How long this process trusts its copy of a catalogue; edits here forget it at once, edits
/// made through another process of the deployment show after at most this long.
const CATALOGUE_TTL: Duration = Duration::from_secs(30);
/// Each commune's catalogue, with the generation and time it was read at.
type Catalogues = HashMap<String, (u64, Instant, ProcedureMap)>;

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The room's shared state: caches and throttles of the one-stop desk.
#[derive(Clone)]
pub struct Services {
    /// Failed tracking look-ups per address: guessing receipt codes and phones gets slow.
    pub track_failures: Arc<kernel::limits::Limiter>,
    /// Each commune's catalogue (active and withdrawn procedures), read on every desk list.
    catalogues: Arc<Mutex<Catalogues>>,
    /// Desk inbox pages, the same for every official of the commune until a dossier changes.
    pub inbox_pages: Arc<kernel::cache::GenerationCache<Arc<Vec<entity::dossier::Model>>>>,
    /// The public catalogue's answers (its fields, the procedures found) by commune, search
    /// words and field, the same for everyone until a procedure changes.
    pub catalogue_pages: Arc<kernel::cache::GenerationCache<CataloguePage>>,
}

/// What the public catalogue shows for one search: the fields to filter by and the procedures.
pub type CataloguePage = Arc<(Vec<String>, Vec<procedure::Model>)>;

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

impl Services {
    pub fn new() -> Self {
        Services {
            track_failures: Arc::new(kernel::limits::Limiter::new(
                "track",
                60,
                std::time::Duration::from_secs(300),
            )),
            catalogues: Default::default(),
            inbox_pages: Default::default(),
            catalogue_pages: Default::default(),
        }
    }

    /// The commune's whole catalogue, from memory when this process read it recently.
    pub async fn catalogue(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        commune: &str,
    ) -> kernel::error::AppResult<ProcedureMap> {
        let lock = || self.catalogues.lock().unwrap_or_else(|e| e.into_inner());
        let generation = kernel::cache::generation(store::PROCEDURES, commune);
        if let Some((g, at, map)) = lock().get(commune)
            && *g == generation
            && at.elapsed() < CATALOGUE_TTL
        {
            return Ok(map.clone());
        }
        let map: ProcedureMap = Arc::new(
            store::procedures(db, commune, "", "", true)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect(),
        );
        lock().insert(
            commune.to_owned(),
            (generation, Instant::now(), map.clone()),
        );
        Ok(map)
    }

    /// The public catalogue for search words `q` in `field`, from memory until a procedure of
    /// the commune changes (single flight: one query after a change, however many ask).
    pub async fn catalogue_page(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        commune: &str,
        q: &str,
        field: &str,
    ) -> kernel::error::AppResult<CataloguePage> {
        let generation = kernel::cache::generation(store::PROCEDURES, commune);
        let key = format!("{commune}|{}|{}", q.trim(), field.trim());
        if let Some(p) = self.catalogue_pages.get(&key, generation) {
            return Ok(p);
        }
        let _flight = self.catalogue_pages.flight(&key).await;
        if let Some(p) = self.catalogue_pages.get(&key, generation) {
            return Ok(p);
        }
        let mut fields: Vec<String> = store::procedures(db, commune, "", "", false)
            .await?
            .into_iter()
            .map(|p| p.field)
            .collect();
        fields.dedup();
        let rows = store::procedures(db, commune, q, field, false).await?;
        let page: CataloguePage = Arc::new((fields, rows));
        self.catalogue_pages.put(key, generation, page.clone());
        Ok(page)
    }

    /// Call after a commune's catalogue changed (and the change committed): every process
    /// forgets it.
    pub fn forget_catalogue(&self, commune: &str) {
        kernel::cache::changed(store::PROCEDURES, commune);
    }
}

/// The online public services room.
#[derive(Default)]
pub struct ServicesRoom {
    pub svc: Services,
}

impl Room for ServicesRoom {
    fn key(&self) -> &'static str {
        "services"
    }

    fn messages(&self) -> Vec<&'static str> {
        vec![
            "sv.note.received",
            "sv.note.assigned",
            "sv.note.status",
            "sv.note.status_noted",
            "sv.note.reminder",
            "sv.note.reminder_late",
        ]
    }

    fn error_codes(&self) -> Vec<&'static str> {
        actions::Refusal::CODES.to_vec()
    }

    fn texts(&self) -> Vec<Texts> {
        vec![Texts {
            vi: I18N_VI,
            en: I18N_EN,
        }]
    }

    fn nav(&self) -> Nav {
        Nav {
            tiles: vec![Tile {
                name: "room.services",
                desc: "room.services.desc",
                path: "services",
                icon: "file-text",
            }],
            quick: vec![
                Tile {
                    name: "quick.submit",
                    desc: "quick.submit.desc",
                    path: "services",
                    icon: "file-text",
                },
                Tile {
                    name: "quick.track",
                    desc: "quick.track.desc",
                    path: "track",
                    icon: "search",
                },
            ],
            office: vec![
                OfficeLink {
                    label: "room.link.services",
                    path: "dossiers",
                    roles: model::DESK,
                    group: Group::Desk,
                    icon: "inbox",
                },
                OfficeLink {
                    label: "room.link.procedures",
                    path: "procedures",
                    roles: model::DESK,
                    group: Group::Desk,
                    icon: "clipboard-list",
                },
                OfficeLink {
                    label: "room.link.stats",
                    path: "services-stats",
                    roles: stats::READERS,
                    group: Group::Desk,
                    icon: "chart-column",
                },
            ],
            admin: vec![],
            front: Some(std::sync::Arc::new(front::ServicesDoor)),
        }
    }

    fn tables(&self) -> Vec<kernel::placement::Table> {
        use kernel::placement::Placement;
        vec![
            ("procedure", Placement::Commune),
            ("dossier", Placement::Commune),
            ("dossier_document", Placement::Commune),
            ("dossier_event", Placement::Commune),
        ]
    }

    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(migration::Migration),
            Box::new(migration::InboxIndex),
            Box::new(migration::PaymentRecords),
            Box::new(migration_search::MIGRATION),
            Box::new(migration::ShardKeys),
            Box::new(migration_history::DossierHistory),
        ]
    }

    fn router(&self) -> Router<AppState> {
        web::router()
            .merge(api::router())
            .layer(Extension(self.svc.clone()))
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        Some(api::ServicesApi::openapi())
    }

    fn jobs(&self, jobs: JobRunnerBuilder, state: &AppState) -> JobRunnerBuilder {
        let calendar = state.calendar.clone();
        jobs.handler(reminders::JOB, move |db, _| {
            let calendar = calendar.clone();
            async move { reminders::send(&db, &calendar.get()).await.map(|_| ()) }
        })
        .every(reminders::JOB, Duration::from_secs(86_400))
    }

    fn demo<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            demo::seed(db, &cast.commune.code)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(())
        })
    }

    fn figures(&self) -> Vec<kernel::figures::FigureSource> {
        figures::sources()
    }

    fn payment_refs(&self) -> Vec<Arc<dyn kernel::payments::Settle>> {
        payments::hooks()
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
