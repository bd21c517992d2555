//! The web shell: state, middleware stack, layout, errors, static assets, the kernel's own
//! pages and API, and the OpenAPI assembly. Feature rooms add their routers on top.

pub mod api;
pub mod apidoc;
pub mod assets;
pub mod cookies;
pub mod csp;
pub mod csrf;
pub mod ctx;
pub mod ctx_layer;
pub mod error_page;
pub mod extract;
pub mod figures_api;
pub mod flash;
pub mod front;
pub mod htmx;
pub mod map;
pub mod multipart;
pub mod nav;
pub mod ops;
pub mod pages;
pub mod pwa;
pub mod shell;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::error::AppError;
use crate::files::FileStore;
use crate::notify::Dispatcher;
use crate::tenancy::CommuneCache;

pub struct Inner {
    pub db: DatabaseConnection,
    pub config: Config,
    /// Server secret for CSRF tokens; kept in the database so every process agrees.
    pub secret: Arc<[u8]>,
    pub communes: CommuneCache,
    pub home_facts: pages::FactsCache,
    pub files: FileStore,
    pub metrics: ops::Metrics,
    pub dispatcher: Dispatcher,
    pub login_limiter: crate::limits::Limiter,
    /// One-time codes requested from one address per hour (each may cost an SMS).
    pub otp_limiter: crate::limits::Limiter,
    /// Who is behind a credential, remembered for a few seconds; clear it on account changes.
    pub auth_cache: crate::accounts::cache::AuthCache,
    pub unread: crate::notify::unread::UnreadCounts,
    /// The deployment's working-day calendar (statute plus the recorded overrides).
    pub calendar: crate::time::WorkingDays,
    /// The shell's navigation: every room's, then the kernel's own office pages.
    pub nav: Arc<Vec<nav::Nav>>,
    /// Every room's figure sources.
    pub figures: crate::figures::Figures,
    /// The rooms' hooks for payments confirmed paid, by `ref_kind`.
    pub settlers: crate::payments::Settlers,
    /// Emergencies in force per commune, for the banner on every page.
    pub alerts: front::AlertCache,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// `nav` and `figures` are the rooms' (`Rooms::nav`, `Rooms::figures`): the shell takes
    /// them as values so it does not depend on `room`, which depends on it.
    pub async fn new(
        db: DatabaseConnection,
        config: Config,
        dispatcher: Dispatcher,
        nav: Vec<nav::Nav>,
        figures: Vec<crate::figures::FigureSource>,
        settlers: crate::payments::Settlers,
    ) -> anyhow::Result<Self> {
        let secret = load_or_create_secret(&db).await?;
        // Compute the decoy hash now, off the async threads, rather than on the first failed login.
        tokio::task::spawn_blocking(|| crate::accounts::password::dummy_hash().len()).await?;
        let communes = CommuneCache::default();
        communes
            .reload(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let files = FileStore::new(
            &config.data_dir,
            config.max_upload_bytes,
            config.max_image_side,
        );
        let calendar = crate::time::WorkingDays::load(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let login_limiter =
            crate::limits::Limiter::new("login", config.login_ip_limit, Duration::from_secs(300));
        let otp_limiter =
            crate::limits::Limiter::new("otp", config.login_ip_limit, Duration::from_secs(3600));
        Ok(AppState(Arc::new(Inner {
            db,
            config,
            secret,
            communes,
            home_facts: Default::default(),
            files,
            metrics: ops::Metrics::default(),
            dispatcher,
            login_limiter,
            otp_limiter,
            auth_cache: Default::default(),
            unread: Default::default(),
            calendar,
            nav: Arc::new(nav.into_iter().chain([pages::office::nav()]).collect()),
            figures: crate::figures::Figures::new(figures),
            settlers,
            alerts: Default::default(),
        })))
    }

    /// Every room's front door (`Nav::front`), in the rooms' order.
    pub fn front_doors(&self) -> Vec<Arc<dyn front::FrontDoor>> {
        self.nav.iter().filter_map(|n| n.front.clone()).collect()
    }

    /// What the kernel's use cases (`crate::actions`) borrow from the running platform.
    pub fn kernel(&self) -> crate::actions::Kernel<'_> {
        crate::actions::Kernel {
            db: &self.db,
            secret: &self.secret,
            communes: &self.communes,
            auth_cache: &self.auth_cache,
            dispatcher: &self.dispatcher,
            files: &self.files,
            calendar: &self.calendar,
        }
    }

    /// The commune a request on this host is about, for province deployments where each
    /// commune has its own host name, or the only commune of a single-commune deployment.
    pub fn commune_for_host(&self, host: Option<&str>) -> Option<Arc<crate::tenancy::CommuneInfo>> {
        if let Some(code) = host.and_then(|h| self.config.hosts.get(h)) {
            return self.communes.active(code).ok();
        }
        let all = self.communes.all_active();
        (all.len() == 1).then(|| all[0].clone())
    }
}

/// The server secret (CSRF tokens, one-time codes, keyed hashes of personal numbers), made on
/// first start and kept in the database so every process shares it.
pub async fn load_or_create_secret(db: &DatabaseConnection) -> anyhow::Result<Arc<[u8]>> {
    use crate::tenancy::entity::setting;
    const KEY: &str = "secret.csrf";
    if let Some(s) = setting::Entity::find_by_id(KEY.to_owned()).one(db).await? {
        return Ok(hex::decode(s.value)?.into());
    }
    let fresh = crate::accounts::random_token(32);
    let res = setting::ActiveModel {
        key: Set(KEY.into()),
        value: Set(fresh.clone()),
    }
    .insert(db)
    .await;
    if res.is_err() {
        // Another process created it first; use theirs.
        let s = setting::Entity::find_by_id(KEY.to_owned())
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("secret missing"))?;
        return Ok(hex::decode(s.value)?.into());
    }
    Ok(hex::decode(fresh)?.into())
}

pub fn map_body_rejection(r: BytesRejection) -> AppError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    } else {
        AppError {
            detail: Some(r.body_text()),
            ..AppError::bad_request("form_invalid")
        }
    }
}

async fn carry_changes(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    crate::cache::bus::carrying(next.run(req)).await
}

/// What this process reloads when another process of the deployment changed it (the cache
/// entries themselves are forgotten by the bus). Requests reload as they come (`ctx_layer`);
/// this reloads in the background for the workers that make no request.
impl crate::cache::bus::Hear for AppState {
    fn heard(&self, kind: &str, _commune: &str) {
        let everything = kind == crate::cache::bus::EVERYTHING;
        let communes = everything || kind == crate::tenancy::COMMUNES;
        let calendar = everything || kind == crate::time::CALENDAR;
        if !(communes || calendar) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            if communes && let Err(e) = state.communes.fresh(&state.db).await {
                tracing::warn!(error = %e, "communes not reloaded after another process's change");
            }
            if calendar && let Err(e) = state.calendar.fresh(&state.db).await {
                tracing::warn!(error = %e, "calendar not reloaded after another process's change");
            }
        });
    }
}

/// The kernel's routes merged with the features' routes, under the full middleware stack.
pub fn app(state: AppState, features: Router<AppState>) -> Router {
    let body_limit = state.config.max_body_bytes;
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let csp = HeaderValue::from_str(&csp::policy(&state.config))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(figures_api::router())
        .merge(ops::router())
        .merge(assets::router())
        .merge(pwa::router())
        .merge(features)
        .fallback(|| async { AppError::not_found() })
        // A request that changed something answers once the other processes are told.
        .layer(middleware::from_fn(carry_changes))
        // A bug in one handler answers with the Vietnamese 500 page, never a dropped connection.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(AppError::internal("handler panicked"))
            },
        ))
        .layer(middleware::from_fn(htmx::boosted_files))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outside the limits and the timeout so their bare responses get our error pages.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx_layer::context_layer,
        ))
        .layer(CompressionLayer::new())
        // No framing (clickjacking of forms), no MIME sniffing of uploads, no leaking of paths.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp::for_html(csp),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), ops::observe))
        .with_state(state)
}
