//! Wiring of the Xã Số binary: the kernel, every feature room, background workers, demo data.

pub mod demo;

use std::time::Duration;

use axum::Router;
use kernel::config::Config;
use kernel::jobs::JobRunner;
use kernel::notify::Dispatcher;
use kernel::web::{self, AppState};
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Everything a running platform consists of.
pub struct Platform {
    pub state: AppState,
    pub router: Router,
    pub jobs: JobRunner,
    pub dispatcher: Dispatcher,
    pub rooms: Rooms,
}

/// Every migration: the kernel's, then each room's.
pub struct Migrations;

impl MigratorTrait for Migrations {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = kernel::migration::Migrator::migrations();
        all.extend(services::migrations());
        all.extend(voice::migrations());
        all.extend(notices::migrations());
        all
    }
}

/// The feature rooms that make up the platform, in one place.
pub struct Rooms {
    pub services: services::Services,
}

impl Rooms {
    async fn load(db: &DatabaseConnection) -> anyhow::Result<Self> {
        services::register();
        voice::register();
        notices::register();
        Ok(Rooms {
            services: services::Services::load(db).await?,
        })
    }

    /// Feature rooms' routers.
    fn routes(&self) -> Router<AppState> {
        Router::new()
            .merge(services::router(self.services.clone()))
            .merge(voice::router())
            .merge(notices::router())
    }
}

/// Feature rooms' OpenAPI documents, by room, merged into `/api/openapi.json`.
pub fn room_api_docs() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    vec![
        ("services", services::api_doc()),
        ("voice", voice::api_doc()),
        ("notices", notices::api_doc()),
    ]
}

/// The whole OpenAPI document; an error when two rooms define one schema name differently.
pub fn openapi() -> Result<utoipa::openapi::OpenApi, String> {
    web::api::openapi(room_api_docs())
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

/// Connects, migrates and assembles the platform (without starting the workers).
pub async fn build(config: Config) -> anyhow::Result<Platform> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = kernel::db::connect(&config.effective_database_url()).await?;
    kernel::db::migrate_with::<Migrations>(&db).await?;
    build_on(db, config).await
}

pub async fn build_on(db: DatabaseConnection, config: Config) -> anyhow::Result<Platform> {
    // Inbox, email, SMS and Zalo from the config and the communes' settings; then Web Push.
    let dispatcher = Dispatcher::standard(db.clone(), &config).with_channel(Box::new(
        kernel::notify::webpush::WebPushChannel::load(&db, &config).await?,
    ));
    let rooms = Rooms::load(&db).await?;
    let svc = rooms.services.clone();
    let data_dir = config.data_dir.clone();
    let jobs = JobRunner::builder(db.clone())
        .handler(services::reminders::JOB, move |db, _| {
            let svc = svc.clone();
            async move {
                services::reminders::send(&db, &svc.calendar())
                    .await
                    .map(|_| ())
            }
        })
        .every(services::reminders::JOB, Duration::from_secs(86_400))
        .handler("sessions.cleanup", |db, _| async move {
            kernel::accounts::delete_expired_sessions(&db)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every("sessions.cleanup", Duration::from_secs(3600))
        .handler(notices::PUBLISH_JOB, |db, _| async move {
            notices::store::publish_due(&db, chrono::Utc::now())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every(notices::PUBLISH_JOB, Duration::from_secs(60))
        .handler(notices::bulletin::AUDIO_JOB, move |db, payload| {
            let data_dir = data_dir.clone();
            async move {
                let id = payload["bulletin_id"]
                    .as_i64()
                    .ok_or("bulletin_id missing")?;
                notices::bulletin::render_audio(&db, &data_dir, id).await
            }
        })
        .build();
    let state = AppState::new(db, config, dispatcher.clone()).await?;
    let doc = openapi().map_err(anyhow::Error::msg)?;
    let routes = rooms.routes().merge(web::api::docs_router(doc));
    let router = web::app(state.clone(), routes);
    Ok(Platform {
        state,
        router,
        jobs,
        dispatcher,
        rooms,
    })
}
