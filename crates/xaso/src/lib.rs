//! Wiring of the Xã Số binary: the kernel, every feature room, background workers, demo data.

pub mod demo;

use std::time::Duration;

use axum::Router;
use kernel::config::Config;
use kernel::jobs::JobRunner;
use kernel::notify::{Dispatcher, InboxChannel};
use kernel::web::{self, AppState};
use sea_orm::DatabaseConnection;

/// Everything a running platform consists of.
pub struct Platform {
    pub state: AppState,
    pub router: Router,
    pub jobs: JobRunner,
    pub dispatcher: Dispatcher,
}

/// Feature rooms' routers; each new room adds itself here.
fn feature_routes() -> Router<AppState> {
    Router::new()
}

/// Feature rooms' OpenAPI documents, merged into `/api/openapi.json`.
fn feature_api_docs() -> Vec<utoipa::openapi::OpenApi> {
    vec![]
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    web::api::openapi(feature_api_docs())
}

/// Connects, migrates and assembles the platform (without starting the workers).
pub async fn build(config: Config) -> anyhow::Result<Platform> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = kernel::db::connect(&config.effective_database_url()).await?;
    kernel::db::migrate(&db).await?;
    build_on(db, config).await
}

pub async fn build_on(db: DatabaseConnection, config: Config) -> anyhow::Result<Platform> {
    let dispatcher = Dispatcher::new(db.clone(), vec![Box::new(InboxChannel)]);
    let jobs = JobRunner::builder(db.clone())
        .handler("sessions.cleanup", |db, _| async move {
            kernel::accounts::delete_expired_sessions(&db)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .every("sessions.cleanup", Duration::from_secs(3600))
        .build();
    let state = AppState::new(db, config, dispatcher.clone()).await?;
    let routes = feature_routes().merge(web::api::docs_router(openapi()));
    let router = web::app(state.clone(), routes);
    Ok(Platform {
        state,
        router,
        jobs,
        dispatcher,
    })
}
