//! How a feature room plugs into the platform: the [`Room`] trait. The binary keeps one list of
//! rooms; everything a room brings (texts, navigation, tables, routes, API description, jobs,
//! demo data, figures, configuration) is asked of it here, so adding a room is one line there.

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use crate::config::Config;
use crate::figures::FigureSource;
pub use crate::future::BoxFuture;
pub use crate::i18n::Texts;
use crate::jobs::JobRunnerBuilder;
use crate::notify::Channel;
use crate::payments::Settle;
use crate::tenancy::CommuneInfo;
use crate::web::AppState;
pub use crate::web::front::{Alert, FrontDoor, HomeItem, SetupStep, TodayItem, Tone};
pub use crate::web::nav::{Group, Nav, OfficeLink, Tile, roles_of};

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

    /// Where each of its tables lives on a Citus cluster ([`crate::placement`]); every table
    /// its migrations create must be here, and commune-owned ones follow the key rules.
    fn tables(&self) -> Vec<crate::placement::Table> {
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

    /// The keys of the messages it sends ([`crate::notify::Text::key`]): each needs
    /// `<key>.title` and `<key>.body` in both languages, checked by [`Rooms::missing_texts`].
    fn messages(&self) -> Vec<&'static str> {
        vec![]
    }

    /// The error codes its use cases answer with: each needs `error.<code>` in both languages.
    fn error_codes(&self) -> Vec<&'static str> {
        vec![]
    }

    /// What it does when one of its payments is confirmed paid, one hook per `ref_kind`.
    fn payment_refs(&self) -> Vec<Arc<dyn Settle>> {
        vec![]
    }

    /// Long-running tasks of a serving process (a broker subscription, say), stopped when
    /// `stop` turns true; started by `xaso serve` beside the job runner and the dispatcher.
    fn workers(
        &self,
        _state: &AppState,
        _stop: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
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

    /// Every table's placement: the kernel's, then each room's.
    pub fn tables(&self) -> Vec<crate::placement::Table> {
        let mut all = crate::placement::KERNEL.to_vec();
        all.extend(self.0.iter().flat_map(|r| r.tables()));
        all
    }

    /// Adds every room's texts to the catalogues (idempotent).
    pub fn register_texts(&self) {
        for r in self.iter() {
            for t in r.texts() {
                crate::i18n::extend(t.vi, t.en);
            }
        }
    }

    /// Every message key and error code of the kernel and the rooms that lacks a Vietnamese or
    /// an English text, or whose two texts have different placeholders. Texts are looked up in
    /// all catalogues together: a room may answer with a kernel error such as `forbidden`.
    pub fn missing_texts(&self) -> Vec<String> {
        let mut texts = vec![crate::i18n::KERNEL_TEXTS];
        texts.extend(self.iter().flat_map(|r| r.texts()));
        let vi: String = texts.iter().map(|t| format!("{}\n", t.vi)).collect();
        let en: String = texts.iter().map(|t| format!("{}\n", t.en)).collect();
        let mut keys: Vec<String> = Vec::new();
        let messages = crate::notify::MESSAGES
            .iter()
            .copied()
            .chain(self.iter().flat_map(|r| r.messages()));
        for m in messages {
            keys.push(format!("{m}.title"));
            keys.push(format!("{m}.body"));
        }
        let codes = crate::error::CODES
            .iter()
            .copied()
            .chain(crate::actions::Refusal::CODES.iter().copied())
            .chain(self.iter().flat_map(|r| r.error_codes()));
        keys.extend(codes.map(|c| format!("error.{c}")));
        // What the shell shows of each room: tiles, quick actions, office links and groups.
        for nav in self.nav().iter().chain([&crate::web::pages::office_nav()]) {
            for t in nav.tiles.iter().chain(&nav.quick) {
                keys.extend([t.name.to_owned(), t.desc.to_owned()]);
            }
            for l in &nav.office {
                keys.extend([l.label.to_owned(), l.group.label().to_owned()]);
            }
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        crate::i18n::check_keys(&vi, &en, &keys)
    }

    /// Every icon the rooms' navigation names that the sprite lacks (it would draw nothing).
    pub fn missing_icons(&self) -> Vec<String> {
        let sprite = include_str!("../static/icons.svg");
        let mut missing = vec![];
        for nav in self.nav().iter().chain([&crate::web::pages::office_nav()]) {
            let icons = nav.tiles.iter().chain(&nav.quick).map(|t| t.icon);
            for icon in icons.chain(nav.office.iter().map(|l| l.icon)) {
                if !sprite.contains(&format!("<symbol id=\"{icon}\"")) {
                    missing.push(icon.to_owned());
                }
            }
        }
        missing
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

    pub fn settlers(&self) -> crate::payments::Settlers {
        crate::payments::Settlers::new(self.iter().flat_map(|r| r.payment_refs()).collect())
    }

    pub fn figures(&self) -> Vec<FigureSource> {
        self.iter().flat_map(|r| r.figures()).collect()
    }

    /// Every room's long-running tasks ([`Room::workers`]).
    pub fn workers(
        &self,
        state: &AppState,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        self.iter()
            .flat_map(|r| r.workers(state, stop.clone()))
            .collect()
    }
}
