//! Online public services: the commune's procedure catalogue, citizens' dossiers and the
//! electronic one-stop desk that runs them (requirements B1, B2; Appendix I indicators 1.1, 1.2).

pub mod api;
pub mod benchdata;
pub mod calendar;
pub mod demo;
pub mod entity;
pub mod holidays;
pub mod migration;
pub mod model;
pub mod reminders;
pub mod stats;
pub mod store;
pub mod vietqr;
mod web;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::{Extension, Router};
use kernel::web::AppState;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::calendar::WorkCalendar;
use crate::entity::procedure;

/// A commune's procedures by id, as the desk's lists need them.
pub type ProcedureMap = Arc<BTreeMap<i64, procedure::Model>>;
/// How long this process trusts its copy of a catalogue; edits here forget it at once, edits
/// made through another process of the deployment show after at most this long.
const CATALOGUE_TTL: Duration = Duration::from_secs(30);

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The room's shared state: the working-day calendar with the deployment's own overrides.
#[derive(Clone)]
pub struct Services {
    calendar: Arc<RwLock<Arc<WorkCalendar>>>,
    /// Failed tracking look-ups per address: guessing receipt codes and phones gets slow.
    pub track_failures: Arc<kernel::web::ops::IpLimiter>,
    /// Each commune's catalogue (active and withdrawn procedures), read on every desk list.
    catalogues: Arc<Mutex<HashMap<String, (Instant, ProcedureMap)>>>,
    /// Desk inbox pages, the same for every official of the commune until a dossier changes.
    pub inbox_pages: Arc<kernel::cache::GenerationCache<Arc<Vec<entity::dossier::Model>>>>,
}

impl Services {
    pub async fn load(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let s = Services {
            calendar: Arc::new(RwLock::new(Arc::new(WorkCalendar::vietnam()))),
            track_failures: Arc::new(kernel::web::ops::IpLimiter::new(
                60,
                std::time::Duration::from_secs(300),
            )),
            catalogues: Default::default(),
            inbox_pages: Default::default(),
        };
        s.reload_calendar(db).await?;
        Ok(s)
    }

    /// Rebuilds the calendar after an official changed the days off of a year.
    pub async fn reload_calendar(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        let mut cal = WorkCalendar::vietnam();
        for o in entity::holiday_override::Entity::find().all(db).await? {
            if o.day_off {
                cal.add_day_off(o.day, &o.name);
            } else {
                cal.add_working_day(o.day);
            }
        }
        *self.calendar.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cal);
        Ok(())
    }

    /// The commune's whole catalogue, from memory when this process read it recently.
    pub async fn catalogue(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        commune: &str,
    ) -> kernel::error::AppResult<ProcedureMap> {
        let lock = || self.catalogues.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, map)) = lock().get(commune)
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
        lock().insert(commune.to_owned(), (Instant::now(), map.clone()));
        Ok(map)
    }

    /// Call after a commune's catalogue changed (and the change committed).
    pub fn forget_catalogue(&self, commune: &str) {
        self.catalogues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(commune);
    }

    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Adds the room's texts and its entries on the home page and in the back office.
pub fn register() {
    kernel::i18n::extend(I18N_VI, I18N_EN);
    kernel::web::shell::register_room(kernel::web::shell::RoomLink {
        room: "room.services",
        public_path: "services",
        office: &[
            ("room.link.services", "dossiers"),
            ("room.link.procedures", "procedures"),
            ("room.link.stats", "services-stats"),
        ],
        admin: &[("svc.holidays", "/admin/holidays")],
    });
}

/// The room's pages and API, with its state attached.
pub fn router(svc: Services) -> Router<AppState> {
    web::router().merge(api::router()).layer(Extension(svc))
}

pub fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::ServicesApi::openapi()
}

pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    vec![
        Box::new(migration::Migration),
        Box::new(migration::InboxIndex),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = kernel::i18n::missing_keys(super::I18N_VI, super::I18N_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
