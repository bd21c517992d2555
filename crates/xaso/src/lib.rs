//! Wiring of the Xã Số binary: the kernel and the list of feature rooms, background workers,
//! demo data.

pub mod demo;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use kernel::config::Config;
use kernel::jobs::JobRunner;
use kernel::notify::Dispatcher;
use kernel::room::Rooms;
use kernel::web::{self, AppState};
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// The platform's rooms, in the order their tables are created and their tiles shown. Adding a
/// room is one line here (and the crate in `Cargo.toml`).
pub fn rooms() -> Rooms {
    Rooms::new(vec![
        Arc::new(services::ServicesRoom::default()),
        Arc::new(voice::VoiceRoom),
        Arc::new(notices::NoticesRoom::default()),
        Arc::new(delivery::DeliveryRoom::default()),
        Arc::new(registry::RegistryRoom::default()),
    ])
}

/// Everything a running platform consists of.
pub struct Platform {
    pub state: AppState,
    pub router: Router,
    pub jobs: JobRunner,
    pub dispatcher: Dispatcher,
    pub rooms: Rooms,
}

/// Every migration, the kernel's and each room's, in name order (`kernel::migration`): a
/// migration that changes a key other rooms point at runs after the tables that point at it.
pub struct Migrations;

impl MigratorTrait for Migrations {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = kernel::migration::Migrator::migrations();
        all.extend(rooms().migrations());
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}

/// The whole OpenAPI document: the kernel's and every room's; an error when two rooms define
/// one schema name differently.
pub fn openapi() -> Result<utoipa::openapi::OpenApi, String> {
    openapi_of(&rooms())
}

fn openapi_of(rooms: &Rooms) -> Result<utoipa::openapi::OpenApi, String> {
    web::api::openapi(
        rooms
            .iter()
            .filter_map(|r| r.api_doc().map(|d| (r.key(), d)))
            .collect(),
    )
}

/// The OpenAPI document as `xaso openapi` prints it and `docs/openapi.json` keeps it: pretty,
/// keys sorted (serde_json's map is ordered), so that its diffs can be reviewed.
pub fn openapi_json() -> Result<String, String> {
    let doc = openapi()?;
    let value = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
    let mut out = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

/// Applies every pending migration; on a Citus coordinator, then places every table as its
/// room declared it (sharded by commune, reference or coordinator), which needs no hand-run SQL.
pub async fn migrate(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    kernel::db::migrate_with::<Migrations>(db).await?;
    if let Some(done) = kernel::citus::distribute(db, &rooms().tables()).await?
        && !(done.sharded.is_empty() && done.reference.is_empty())
    {
        tracing::info!(
            sharded = ?done.sharded,
            reference = ?done.reference,
            dropped_keys = ?done.dropped_keys,
            "citus: tables placed"
        );
    }
    Ok(())
}

/// Connects, migrates and assembles the platform (without starting the workers).
pub async fn build(config: Config) -> anyhow::Result<Platform> {
    std::fs::create_dir_all(&config.data_dir)?;
    let url = config.effective_database_url();
    let migrating = kernel::db::connect_for_migrations(&url).await?;
    migrate(&migrating).await?;
    migrating.close().await?;
    build_on(kernel::db::connect(&url).await?, config).await
}

pub async fn build_on(db: DatabaseConnection, config: Config) -> anyhow::Result<Platform> {
    let rooms = rooms();
    rooms.configure(&config)?;
    rooms.register_texts();
    // The inbox, and the outside channels the rooms bring (email, SMS, Zalo, Web Push).
    let mut outside = vec![];
    for room in rooms.iter() {
        outside.extend(room.channels(&db, &config).await?);
    }
    let dispatcher = Dispatcher::with_channels(db.clone(), &config, outside);
    let state = AppState::new(
        db.clone(),
        config,
        dispatcher.clone(),
        rooms.nav(),
        rooms.figures(),
        rooms.settlers(),
    )
    .await?;
    let kernel_jobs = JobRunner::builder(db)
        .handler("sessions.cleanup", |db, _| async move {
            kernel::accounts::delete_expired_sessions(&db)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every("sessions.cleanup", Duration::from_secs(3600))
        .handler("limits.cleanup", |db, _| async move {
            kernel::limits::delete_stale(&db)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every("limits.cleanup", Duration::from_secs(3600));
    let jobs = rooms
        .iter()
        .fold(kernel_jobs, |jobs, room| room.jobs(jobs, &state))
        .build();
    let doc = openapi_of(&rooms).map_err(anyhow::Error::msg)?;
    let routes = rooms
        .iter()
        .fold(Router::new(), |r, room| r.merge(room.router()))
        .merge(web::api::docs_router(doc));
    let router = web::app(state.clone(), routes);
    Ok(Platform {
        state,
        router,
        jobs,
        dispatcher,
        rooms,
    })
}

#[cfg(test)]
mod texts_check;
