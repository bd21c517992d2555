//! The commune's delivery desk (`/c/{code}/office/delivery`): status counts per channel, the
//! dead-letter list with retry, and the commune's own SMTP server and SMS/Zalo gateways.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::settings::{
    self, ChannelSettings, DeliverySettings, GatewaySettings, SmtpSecurity, SmtpSettings, mask,
};
use kernel::accounts::access::ADMINS;
use kernel::accounts::{CurrentUser, phone::display_phone};
use kernel::audit::{self, Entry};
use kernel::error::{AppError, AppResult, ErrorBody};
use kernel::notify::{self, ChannelCounts, EMAIL, Recipient, SMS, ZALO};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::api::ApiJson;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::pages::{form_error, vn_time};
use kernel::web::shell::{Shell, render_for};

/// Who sees the delivery desk and may retry dead letters.
pub use kernel::accounts::access::OVERSEERS as VIEWERS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/delivery", get(desk_page))
        .route(
            "/c/{code}/office/delivery/settings",
            post(desk_save_settings),
        )
        .route("/c/{code}/office/delivery/retry-all", post(desk_retry_all))
        .route("/c/{code}/office/delivery/{id}/retry", post(desk_retry_one))
        .route("/api/v1/communes/{code}/delivery", get(delivery_overview))
        .route(
            "/api/v1/communes/{code}/delivery/dead-letters/retry",
            post(delivery_retry_all),
        )
        .route(
            "/api/v1/communes/{code}/delivery/dead-letters/{id}/retry",
            post(delivery_retry_one),
        )
        .route(
            "/api/v1/communes/{code}/delivery/settings",
            get(delivery_settings_get).put(delivery_settings_put),
        )
}

// ---- the commune's delivery desk ----

/// A dead-lettered message as officials see it.
#[derive(Serialize, ToSchema)]
pub struct DeadLetter {
    id: i64,
    channel: String,
    user_id: i64,
    /// The person's name and the address used on this channel.
    recipient: String,
    title: String,
    attempts: i32,
    last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it was given up on.
    #[schema(value_type = String, format = DateTime)]
    failed_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOverview {
    channels: Vec<ChannelCounts>,
    dead_letters: Vec<DeadLetter>,
}

fn address(channel: &str, r: &Recipient) -> Option<String> {
    match channel {
        SMS => r.phone.as_deref().map(display_phone),
        EMAIL => r.email.clone(),
        ZALO => r.zalo_user_id.clone(),
        _ => None,
    }
}

async fn overview(state: &AppState, c: &CommuneInfo) -> AppResult<DeliveryOverview> {
    let channels = notify::channel_counts(&state.db, &c.code).await?;
    let dead = notify::dead_letters(&state.db, &c.code).await?;
    let mut ids: Vec<i64> = dead.iter().map(|m| m.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people = Recipient::load_many(&state.db, &ids).await?;
    let dead_letters = dead
        .into_iter()
        .map(|m| {
            let recipient = match people.get(&m.user_id) {
                Some(r) => match address(&m.channel, r) {
                    Some(a) => format!("{} · {a}", r.full_name),
                    None => r.full_name.clone(),
                },
                None => format!("#{}", m.user_id),
            };
            DeadLetter {
                id: m.id,
                channel: m.channel,
                user_id: m.user_id,
                recipient,
                title: m.title,
                attempts: m.attempts,
                last_error: m.last_error,
                created_at: m.created_at,
                failed_at: m.next_attempt_at,
            }
        })
        .collect();
    Ok(DeliveryOverview {
        channels,
        dead_letters,
    })
}

/// One outside channel's settings as the form shows them (secrets masked).
pub struct SettingsView {
    key: &'static str,
    label_key: &'static str,
    /// The deployment has settings for this channel.
    default_set: bool,
    own: bool,
    rate: String,
    fields: Vec<FieldView>,
}

pub struct FieldView {
    name: String,
    label_key: String,
    value: String,
    /// Secret: the input stays empty, the masked value is its placeholder.
    secret: bool,
    multiline: bool,
    choices: Vec<&'static str>,
}

impl FieldView {
    fn is(&self, v: &str) -> bool {
        self.value == v
    }
}

fn field(ch: &str, name: &str, value: String) -> FieldView {
    FieldView {
        name: format!("{ch}_{name}"),
        label_key: format!("dl.f.{name}"),
        value,
        secret: false,
        multiline: false,
        choices: vec![],
    }
}

fn smtp_view(s: Option<&SmtpSettings>) -> Vec<FieldView> {
    let d = SmtpSettings {
        host: String::new(),
        port: 587,
        security: SmtpSecurity::Starttls,
        username: String::new(),
        password: String::new(),
        from: String::new(),
    };
    let s = s.unwrap_or(&d);
    vec![
        field("smtp", "host", s.host.clone()),
        field("smtp", "port", s.port.to_string()),
        FieldView {
            choices: vec!["starttls", "tls", "none"],
            ..field("smtp", "security", s.security.as_str().into())
        },
        field("smtp", "username", s.username.clone()),
        FieldView {
            secret: true,
            ..field("smtp", "password", mask(&s.password))
        },
        field("smtp", "from", s.from.clone()),
    ]
}

fn gateway_view(ch: &str, g: Option<&GatewaySettings>) -> Vec<FieldView> {
    let d = GatewaySettings {
        url: String::new(),
        auth_header: "Authorization".into(),
        auth_value: String::new(),
        content_type: "application/json".into(),
        body: r#"{"to":"{phone}","text":"{title}: {text} {link}"}"#.into(),
    };
    let g = g.unwrap_or(&d);
    vec![
        field(ch, "url", g.url.clone()),
        field(ch, "auth_header", g.auth_header.clone()),
        FieldView {
            secret: true,
            ..field(ch, "auth_value", mask(&g.auth_value))
        },
        field(ch, "content_type", g.content_type.clone()),
        FieldView {
            multiline: true,
            ..field(ch, "body", g.body.clone())
        },
    ]
}

fn rate_text(state: &AppState, ch: &str) -> String {
    match state.dispatcher.rate(ch) {
        Some(r) => format!("{r}"),
        None => "∞".into(),
    }
}

fn settings_views(
    state: &AppState,
    ds: &DeliverySettings,
    own: &ChannelSettings,
) -> Vec<SettingsView> {
    let defaults = ds.defaults();
    vec![
        SettingsView {
            key: "smtp",
            label_key: "dl.ch.email",
            default_set: defaults.smtp.is_some(),
            own: own.smtp.is_some(),
            rate: rate_text(state, EMAIL),
            fields: smtp_view(own.smtp.as_ref()),
        },
        SettingsView {
            key: "sms",
            label_key: "dl.ch.sms",
            default_set: defaults.sms.is_some(),
            own: own.sms.is_some(),
            rate: rate_text(state, SMS),
            fields: gateway_view("sms", own.sms.as_ref()),
        },
        SettingsView {
            key: "zalo",
            label_key: "dl.ch.zalo",
            default_set: defaults.zalo.is_some(),
            own: own.zalo.is_some(),
            rate: rate_text(state, ZALO),
            fields: gateway_view("zalo", own.zalo.as_ref()),
        },
    ]
}

pub struct DeadRow {
    id: i64,
    channel_key: String,
    recipient: String,
    title: String,
    attempts: i32,
    error: String,
    when: String,
}

pub struct CountRow {
    channel_key: String,
    pending: i64,
    sending: i64,
    sent: i64,
    dead: i64,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct DeskPage {
    shell: Shell,
    active: &'static str,
    counts: Vec<CountRow>,
    waiting_any: bool,
    dead: Vec<DeadRow>,
    can_configure: bool,
    settings: Vec<SettingsView>,
    notice: Option<String>,
    error: Option<String>,
}

fn channel_key(ch: &str) -> String {
    format!("dl.ch.{ch}")
}

async fn render_desk(
    state: &AppState,
    ds: &DeliverySettings,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    notice: Option<&str>,
    err: Option<&AppError>,
    draft: Option<&ChannelSettings>,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, VIEWERS)?;
    let o = overview(state, &c).await?;
    let counts: Vec<CountRow> = o
        .channels
        .iter()
        .map(|n| CountRow {
            channel_key: channel_key(&n.channel),
            pending: n.pending,
            sending: n.sending,
            sent: n.sent,
            dead: n.dead,
            waiting: n.waiting_for_configuration,
        })
        .collect();
    let dead = o
        .dead_letters
        .into_iter()
        .map(|d| DeadRow {
            id: d.id,
            channel_key: channel_key(&d.channel),
            recipient: d.recipient,
            title: d.title,
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
            when: vn_time(d.failed_at),
        })
        .collect();
    let own = match draft {
        Some(d) => d.clone(),
        None => settings::commune_overrides(&state.db, &c.code).await?,
    };
    let page = DeskPage {
        waiting_any: counts.iter().any(|r| r.waiting > 0),
        counts,
        dead,
        can_configure: u.has_role_in(&c, ADMINS),
        settings: settings_views(state, ds, &own),
        active: "delivery",
        notice: notice.map(|k| ctx.tr().get(k).to_owned()),
        error: err.map(|e| form_error(ctx, e)),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("dl.title")).await,
    };
    Ok(render_for(err, &page))
}

async fn desk_page(
    State(state): State<AppState>,
    Extension(ds): Extension<Arc<DeliverySettings>>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    render_desk(&state, &ds, &ctx, c, None, None, None).await
}

/// Puts dead letters back in the queue, audited, and wakes the dispatcher.
async fn retry(
    state: &AppState,
    u: &CurrentUser,
    c: &CommuneInfo,
    id: Option<i64>,
) -> AppResult<u64> {
    let txn = kernel::db::begin_write(&state.db).await?;
    let n = notify::retry_dead(&txn, &c.code, id).await?;
    if n == 0 {
        return Err(AppError::not_found());
    }
    let entry = match id {
        Some(id) => Entry::in_commune(u, c, "delivery.retry", "outbox", id, String::new()),
        None => Entry::in_commune(
            u,
            c,
            "delivery.retry_all",
            "commune",
            &c.code,
            format!("{n}"),
        ),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    state.dispatcher.wake();
    Ok(n)
}

async fn desk_retry_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, VIEWERS)?;
    retry(&state, u, &c, Some(id)).await?;
    Ok(Redirect::to(&format!("/c/{}/office/delivery", c.code)).into_response())
}

async fn desk_retry_all(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, VIEWERS)?;
    match retry(&state, u, &c, None).await {
        Ok(_)
        | Err(AppError {
            code: "not_found", ..
        }) => Ok(Redirect::to(&format!("/c/{}/office/delivery", c.code)).into_response()),
        Err(e) => Err(e),
    }
}

/// The form's fields, by name.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub struct SettingsForm(std::collections::HashMap<String, String>);

impl SettingsForm {
    fn get(&self, k: &str) -> String {
        self.0.get(k).cloned().unwrap_or_default()
    }
}

/// A secret left empty keeps the one already stored.
fn keep_secret(typed: String, stored: Option<&str>) -> String {
    if typed.is_empty() {
        stored.unwrap_or_default().to_owned()
    } else {
        typed
    }
}

fn gateway_from_form(
    f: &SettingsForm,
    ch: &str,
    stored: Option<&GatewaySettings>,
) -> Option<GatewaySettings> {
    (f.get(&format!("{ch}_own")) == "1").then(|| GatewaySettings {
        url: f.get(&format!("{ch}_url")).trim().to_owned(),
        auth_header: f.get(&format!("{ch}_auth_header")).trim().to_owned(),
        auth_value: keep_secret(
            f.get(&format!("{ch}_auth_value")),
            stored.map(|s| s.auth_value.as_str()),
        ),
        content_type: f.get(&format!("{ch}_content_type")).trim().to_owned(),
        body: f.get(&format!("{ch}_body")).replace("\r\n", "\n"),
    })
}

fn settings_from_form(f: &SettingsForm, stored: &ChannelSettings) -> AppResult<ChannelSettings> {
    let smtp = if f.get("smtp_own") == "1" {
        let port = f
            .get("smtp_port")
            .trim()
            .parse::<u16>()
            .map_err(|_| AppError::invalid("smtp_port_invalid", "smtp_port"))?;
        let security = SmtpSecurity::parse(&f.get("smtp_security"))
            .ok_or_else(|| AppError::invalid("smtp_security_invalid", "smtp_security"))?;
        Some(SmtpSettings {
            host: f.get("smtp_host").trim().to_owned(),
            port,
            security,
            username: f.get("smtp_username").trim().to_owned(),
            password: keep_secret(
                f.get("smtp_password"),
                stored.smtp.as_ref().map(|s| s.password.as_str()),
            ),
            from: f.get("smtp_from").trim().to_owned(),
        })
    } else {
        None
    };
    Ok(ChannelSettings {
        smtp,
        sms: gateway_from_form(f, "sms", stored.sms.as_ref()),
        zalo: gateway_from_form(f, "zalo", stored.zalo.as_ref()),
    })
}

/// What the audit log says of a commune's settings (never a secret).
fn settings_summary(s: &ChannelSettings) -> String {
    let host = |u: &str| {
        reqwest::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let smtp = match &s.smtp {
        Some(m) => format!("smtp {}:{}", m.host, m.port),
        None => "smtp —".into(),
    };
    let sms = match &s.sms {
        Some(g) => format!("sms {}", host(&g.url)),
        None => "sms —".into(),
    };
    let zalo = match &s.zalo {
        Some(g) => format!("zalo {}", host(&g.url)),
        None => "zalo —".into(),
    };
    format!("{smtp}; {sms}; {zalo}")
}

/// Validates, stores and audits a commune's settings; nothing is written when refused.
async fn save_settings(
    state: &AppState,
    ds: &DeliverySettings,
    u: &CurrentUser,
    c: &CommuneInfo,
    s: &ChannelSettings,
) -> AppResult<()> {
    s.validate()?;
    s.check_commune_hosts(ds.private_ok())?;
    let txn = kernel::db::begin_write(&state.db).await?;
    settings::save_commune_overrides(&txn, &c.code, s).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "delivery.settings",
            "commune",
            &c.code,
            settings_summary(s),
        ),
    )
    .await?;
    txn.commit().await?;
    ds.invalidate(&c.code);
    // Messages waiting for a channel to be configured may go now.
    state.dispatcher.wake();
    Ok(())
}

async fn desk_save_settings(
    State(state): State<AppState>,
    Extension(ds): Extension<Arc<DeliverySettings>>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let stored = settings::commune_overrides(&state.db, &c.code).await?;
    let res = match settings_from_form(&f, &stored) {
        Ok(s) => save_settings(&state, &ds, u, &c, &s)
            .await
            .map_err(|e| (e, Some(s))),
        Err(e) => Err((e, None)),
    };
    match res {
        Ok(()) => render_desk(&state, &ds, &ctx, c, Some("dl.saved"), None, None).await,
        Err((e, draft)) if e.status.is_client_error() => {
            render_desk(&state, &ds, &ctx, c, None, Some(&e), draft.as_ref()).await
        }
        Err((e, _)) => Err(e),
    }
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/delivery", tag = "delivery", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = DeliveryOverview), (status = 403, body = ErrorBody)))]
async fn delivery_overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Json<DeliveryOverview>> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, VIEWERS)?;
    Ok(Json(overview(&state, &c).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Retried {
    retried: u64,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/delivery/dead-letters/{id}/retry", tag = "delivery", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Outbox message id")),
    responses((status = 200, body = Retried), (status = 403, body = ErrorBody), (status = 404, description = "No dead letter with this id in this commune", body = ErrorBody)))]
async fn delivery_retry_one(
    State(state): State<AppState>,
    ctx: Ctx,
    kernel::web::api::ApiPath((code, id)): kernel::web::api::ApiPath<(String, i64)>,
) -> AppResult<Json<Retried>> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, VIEWERS)?;
    let retried = retry(&state, u, &c, Some(id)).await?;
    Ok(Json(Retried { retried }))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/delivery/dead-letters/retry", tag = "delivery", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = Retried), (status = 403, body = ErrorBody)))]
async fn delivery_retry_all(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Json<Retried>> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, VIEWERS)?;
    let retried = match retry(&state, u, &c, None).await {
        Ok(n) => n,
        Err(AppError {
            code: "not_found", ..
        }) => 0,
        Err(e) => return Err(e),
    };
    Ok(Json(Retried { retried }))
}

/// SMTP settings through the API; `password` shown masked, and left out (or `""`) on update
/// to keep the stored one.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpApi {
    host: String,
    #[serde(default = "port_587")]
    port: u16,
    #[serde(default)]
    security: SmtpSecurity,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    from: String,
}

fn port_587() -> u16 {
    587
}

/// A gateway through the API; `auth_value` shown masked, and left out (or `""`) on update to
/// keep the stored one. Placeholders: `{phone}` `{title}` `{text}` `{link}` `{zalo_user_id}`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayApi {
    url: String,
    #[serde(default)]
    auth_header: String,
    #[serde(default)]
    auth_value: String,
    #[serde(default = "json_type")]
    content_type: String,
    body: String,
}

fn json_type() -> String {
    "application/json".into()
}

/// A commune's own settings; `null` means the deployment's.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettingsDoc {
    #[serde(default)]
    smtp: Option<SmtpApi>,
    #[serde(default)]
    sms: Option<GatewayApi>,
    #[serde(default)]
    zalo: Option<GatewayApi>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliverySettingsView {
    /// The commune's own settings (secrets masked).
    own: DeliverySettingsDoc,
    /// Channels the deployment has settings for, used where the commune has none.
    deployment_configured: Vec<String>,
}

fn masked_doc(s: &ChannelSettings) -> DeliverySettingsDoc {
    let gw = |g: &GatewaySettings| GatewayApi {
        url: g.url.clone(),
        auth_header: g.auth_header.clone(),
        auth_value: mask(&g.auth_value),
        content_type: g.content_type.clone(),
        body: g.body.clone(),
    };
    DeliverySettingsDoc {
        smtp: s.smtp.as_ref().map(|m| SmtpApi {
            host: m.host.clone(),
            port: m.port,
            security: m.security,
            username: m.username.clone(),
            password: mask(&m.password),
            from: m.from.clone(),
        }),
        sms: s.sms.as_ref().map(gw),
        zalo: s.zalo.as_ref().map(gw),
    }
}

async fn settings_view(
    state: &AppState,
    ds: &DeliverySettings,
    c: &CommuneInfo,
) -> AppResult<DeliverySettingsView> {
    let own = settings::commune_overrides(&state.db, &c.code).await?;
    let d = ds.defaults();
    let deployment_configured = [
        ("smtp", d.smtp.is_some()),
        ("sms", d.sms.is_some()),
        ("zalo", d.zalo.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| k.to_owned())
    .collect();
    Ok(DeliverySettingsView {
        own: masked_doc(&own),
        deployment_configured,
    })
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/delivery/settings", tag = "delivery", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = DeliverySettingsView), (status = 403, body = ErrorBody)))]
async fn delivery_settings_get(
    State(state): State<AppState>,
    Extension(ds): Extension<Arc<DeliverySettings>>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Json<DeliverySettingsView>> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, VIEWERS)?;
    Ok(Json(settings_view(&state, &ds, &c).await?))
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/delivery/settings", tag = "delivery", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = DeliverySettingsDoc,
    responses((status = 200, body = DeliverySettingsView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delivery_settings_put(
    State(state): State<AppState>,
    Extension(ds): Extension<Arc<DeliverySettings>>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<DeliverySettingsDoc>,
) -> AppResult<Json<DeliverySettingsView>> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let stored = settings::commune_overrides(&state.db, &c.code).await?;
    let gw = |g: GatewayApi, old: Option<&GatewaySettings>| GatewaySettings {
        url: g.url.trim().to_owned(),
        auth_header: g.auth_header.trim().to_owned(),
        auth_value: keep_secret(g.auth_value, old.map(|o| o.auth_value.as_str())),
        content_type: g.content_type.trim().to_owned(),
        body: g.body,
    };
    let s = ChannelSettings {
        smtp: b.smtp.map(|m| SmtpSettings {
            host: m.host.trim().to_owned(),
            port: m.port,
            security: m.security,
            username: m.username.trim().to_owned(),
            password: keep_secret(
                m.password,
                stored.smtp.as_ref().map(|o| o.password.as_str()),
            ),
            from: m.from.trim().to_owned(),
        }),
        sms: b.sms.map(|g| gw(g, stored.sms.as_ref())),
        zalo: b.zalo.map(|g| gw(g, stored.zalo.as_ref())),
    };
    save_settings(&state, &ds, u, &c, &s).await?;
    Ok(Json(settings_view(&state, &ds, &c).await?))
}

#[derive(OpenApi)]
#[openapi(
    paths(delivery_overview, delivery_retry_one, delivery_retry_all, delivery_settings_get, delivery_settings_put),
    components(schemas(ChannelCounts, SmtpSecurity)),
    tags((name = "delivery", description = "Outbox delivery per commune: counts per channel, dead letters and retry, the commune's SMTP server and SMS/Zalo gateways"))
)]
pub struct DeliveryApi;
