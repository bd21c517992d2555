//! How a feature room plugs into the platform: the [`Room`] trait. The binary keeps one list of
//! rooms; everything a room brings (texts, navigation, tables, routes, API description, jobs,
//! demo data, figures, configuration) is asked of it here, so adding a room is one line there.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use crate::accounts::{CurrentUser, Role};
use crate::config::Config;
use crate::figures::FigureSource;
use crate::jobs::JobRunnerBuilder;
use crate::notify::Channel;
use crate::tenancy::CommuneInfo;
use crate::web::AppState;

/// A boxed future, for the trait's async hooks (the trait is used as `dyn Room`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One pair of text catalogues (Vietnamese, English) in the `key = text` format of `i18n/`.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub vi: &'static str,
    pub en: &'static str,
}

/// The room's tile on the commune's home page and back-office dashboard.
#[derive(Debug, Clone, Copy)]
pub struct Tile {
    /// Text keys of its name and one-line description.
    pub name: &'static str,
    pub desc: &'static str,
    /// Citizens' entry, relative to `/c/{code}/`.
    pub path: &'static str,
}

/// A back-office entry, shown only to the roles that may open it: `roles` is the same list the
/// page behind it checks; empty means every staff member of the commune.
#[derive(Debug, Clone, Copy)]
pub struct OfficeLink {
    pub label: &'static str,
    /// Relative to `/c/{code}/office/`.
    pub path: &'static str,
    pub roles: &'static [Role],
}

impl OfficeLink {
    /// Whether someone holding `held` in the commune may open it.
    pub fn open_to(&self, held: &[Role]) -> bool {
        self.roles.is_empty() || held.iter().any(|r| self.roles.contains(r))
    }
}

/// Where a room appears in the shell.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub tile: Option<Tile>,
    pub office: Vec<OfficeLink>,
    /// System-admin pages: (label key, absolute path).
    pub admin: Vec<(&'static str, &'static str)>,
}

/// The people of the demo commune each room's demo data is made by and for.
pub struct DemoCast {
    pub commune: Arc<CommuneInfo>,
    pub village_ids: Vec<i64>,
    pub citizen: i64,
    pub official: i64,
    pub leader: i64,
    pub admin: i64,
}

/// A feature of the platform with its own data, rules, pages and API.
pub trait Room: std::any::Any + Send + Sync {
    /// Stable short name (`services`, `voice`, …): config section, logs, docs.
    fn key(&self) -> &'static str;

    /// The room's text catalogues, added to the kernel's at start-up.
    fn texts(&self) -> Vec<Texts> {
        vec![]
    }

    /// Its tile and links in the shell.
    fn nav(&self) -> Nav {
        Nav::default()
    }

    /// Its tables, after the kernel's (and after the rooms listed before it).
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }

    /// Checks the room's section of the configuration file (`[rooms.<key>]`), if any. Called
    /// before anything starts, so a typo stops the process with a clear message.
    fn configure(&self, section: Option<&toml::Value>) -> anyhow::Result<()> {
        match section {
            None => Ok(()),
            Some(_) => anyhow::bail!("room `{}` takes no configuration", self.key()),
        }
    }

    /// Its pages and API routes.
    fn router(&self) -> Router<AppState>;

    /// Its part of the OpenAPI document.
    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        None
    }

    /// Registers its background jobs and schedules.
    fn jobs(&self, jobs: JobRunnerBuilder, _state: &AppState) -> JobRunnerBuilder {
        jobs
    }

    /// Adds its demo data to the freshly seeded demo commune.
    fn demo<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _cast: &'a DemoCast,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Outside delivery channels it gives the dispatcher (email, SMS, Zalo, Web Push).
    fn channels<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _config: &'a Config,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Box<dyn Channel>>>> {
        Box::pin(async { Ok(vec![]) })
    }

    /// The figures it can measure per commune and period, for the indicators.
    fn figures(&self) -> Vec<FigureSource> {
        vec![]
    }
}

/// The rooms of a running platform, as the kernel's shell sees them.
#[derive(Clone, Default)]
pub struct Rooms(Arc<Vec<Arc<dyn Room>>>);

impl Rooms {
    pub fn new(rooms: Vec<Arc<dyn Room>>) -> Self {
        Rooms(Arc::new(rooms))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Room>> {
        self.0.iter()
    }

    /// The room of type `T`, for code that needs its state (tests, the command line).
    pub fn get<T: Room>(&self) -> Option<&T> {
        self.0
            .iter()
            .find_map(|r| (r.as_ref() as &dyn std::any::Any).downcast_ref::<T>())
    }

    /// Every room's migrations, in the order the rooms are listed.
    pub fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        self.0.iter().flat_map(|r| r.migrations()).collect()
    }

    /// Adds every room's texts to the catalogues (idempotent).
    pub fn register_texts(&self) {
        for r in self.iter() {
            for t in r.texts() {
                crate::i18n::extend(t.vi, t.en);
            }
        }
    }

    /// Checks each room's configuration section, and that no section names an unknown room.
    pub fn configure(&self, config: &Config) -> anyhow::Result<()> {
        for key in config.rooms.keys() {
            if !self.iter().any(|r| r.key() == key) {
                anyhow::bail!("[rooms.{key}]: no such room");
            }
        }
        for r in self.iter() {
            r.configure(config.rooms.get(r.key()))?;
        }
        Ok(())
    }

    /// The shell's navigation, built once from the rooms.
    pub fn nav(&self) -> Vec<Nav> {
        self.iter().map(|r| r.nav()).collect()
    }

    pub fn figures(&self) -> Vec<FigureSource> {
        self.iter().flat_map(|r| r.figures()).collect()
    }
}

/// The roles `u` holds in commune `c`, for filtering what a page offers them.
pub fn roles_of(u: Option<&CurrentUser>, c: &CommuneInfo) -> Vec<Role> {
    u.map(|u| u.roles_in(c).collect()).unwrap_or_default()
}
