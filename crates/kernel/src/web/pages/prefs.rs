//! A person's notification preferences (`/me/notifications` and its API): which channels they
//! take messages on, quiet hours, their Zalo id, and which channels can reach them now.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::notify::prefs::{self, Prefs, Reach, fmt_hhmm};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::extract::ApiJson;
use crate::web::pages::form_error;
use crate::web::shell::{Shell, render_for};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/notifications", get(prefs_page).post(prefs_save))
        .route(
            "/api/v1/me/notification-preferences",
            get(notification_prefs_get).put(notification_prefs_put),
        )
}

#[derive(Template)]
#[template(path = "notification_prefs.html")]
struct PrefsPage {
    shell: Shell,
    prefs: Prefs,
    reach: Reach,
    quiet_from: String,
    quiet_to: String,
    zalo_user_id: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn render_prefs(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<&str>,
    err: Option<&AppError>,
    typed: Option<&PrefsForm>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    let (prefs, reach) = prefs::load_with_reach(&state.db, u.id).await?;
    let (quiet_from, quiet_to, zalo_user_id) = match typed {
        Some(f) => (
            f.quiet_from.clone(),
            f.quiet_to.clone(),
            f.zalo_user_id.clone(),
        ),
        None => (
            prefs
                .quiet
                .map(|q| fmt_hhmm(q.from_minutes()))
                .unwrap_or_default(),
            prefs
                .quiet
                .map(|q| fmt_hhmm(q.to_minutes()))
                .unwrap_or_default(),
            prefs.zalo_user_id.clone().unwrap_or_default(),
        ),
    };
    let page = PrefsPage {
        shell: Shell::new(state, ctx, None, ctx.tr().get("np.title")).await,
        prefs,
        reach,
        quiet_from,
        quiet_to,
        zalo_user_id,
        notice: notice.map(|k| ctx.tr().get(k).to_owned()),
        error: err.map(|e| form_error(ctx, e)),
    };
    Ok(render_for(err, &page))
}

async fn prefs_page(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    render_prefs(&state, &ctx, None, None, None).await
}

#[derive(Deserialize)]
pub struct PrefsForm {
    push: Option<String>,
    email: Option<String>,
    sms: Option<String>,
    zalo: Option<String>,
    #[serde(default)]
    zalo_user_id: String,
    #[serde(default)]
    quiet_from: String,
    #[serde(default)]
    quiet_to: String,
}

/// Validates and writes a person's change; nothing is written when it is refused.
async fn change_prefs(state: &AppState, user_id: i64, c: &prefs::Change) -> AppResult<Prefs> {
    let current = prefs::load(&state.db, user_id).await?;
    let next = prefs::apply(&current, c)?;
    prefs::save(&state.db, user_id, &next).await?;
    Ok(next)
}

async fn prefs_save(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<PrefsForm>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    // An unticked box is absent from the form: off.
    let change = prefs::Change {
        push: Some(f.push.is_some()),
        email: Some(f.email.is_some()),
        sms: Some(f.sms.is_some()),
        zalo: Some(f.zalo.is_some()),
        zalo_user_id: Some(f.zalo_user_id.clone()),
        quiet: Some((f.quiet_from.clone(), f.quiet_to.clone())),
    };
    match change_prefs(&state, u.id, &change).await {
        Ok(_) => render_prefs(&state, &ctx, Some("np.saved"), None, None).await,
        Err(e) if e.status.is_client_error() => {
            render_prefs(&state, &ctx, None, Some(&e), Some(&f)).await
        }
        Err(e) => Err(e),
    }
}

/// Whether a channel can reach the person at all.
#[derive(Serialize, ToSchema)]
pub struct Reachable {
    /// A browser or phone has turned on push notifications.
    push: bool,
    /// The profile has an email address.
    email: bool,
    /// The account has a mobile number.
    sms: bool,
    /// A Zalo user id is set.
    zalo: bool,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPreferences {
    push: bool,
    email: bool,
    sms: bool,
    zalo: bool,
    zalo_user_id: Option<String>,
    /// Start of quiet hours, `HH:MM` Vietnam time; push, SMS and Zalo wait until their end
    /// (emergencies do not).
    quiet_from: Option<String>,
    quiet_to: Option<String>,
    reachable: Reachable,
}

impl NotificationPreferences {
    fn new(p: Prefs, r: Reach) -> Self {
        NotificationPreferences {
            push: p.push,
            email: p.email,
            sms: p.sms,
            zalo: p.zalo,
            zalo_user_id: p.zalo_user_id,
            quiet_from: p.quiet.map(|q| fmt_hhmm(q.from_minutes())),
            quiet_to: p.quiet.map(|q| fmt_hhmm(q.to_minutes())),
            reachable: Reachable {
                push: r.push,
                email: r.email,
                sms: r.sms,
                zalo: r.zalo,
            },
        }
    }
}

/// Fields left out keep their value. Quiet hours: both `HH:MM`, or both `""` for none.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesUpdate {
    push: Option<bool>,
    email: Option<bool>,
    sms: Option<bool>,
    zalo: Option<bool>,
    /// `""` removes it.
    zalo_user_id: Option<String>,
    quiet_from: Option<String>,
    quiet_to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody)))]
pub(crate) async fn notification_prefs_get(
    State(state): State<AppState>,
    ctx: Ctx,
) -> AppResult<Json<NotificationPreferences>> {
    let u = ctx.user()?;
    let (p, r) = prefs::load_with_reach(&state.db, u.id).await?;
    Ok(Json(NotificationPreferences::new(p, r)))
}

#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "accounts", security(("bearer" = [])),
    request_body = NotificationPreferencesUpdate,
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn notification_prefs_put(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NotificationPreferencesUpdate>,
) -> AppResult<Json<NotificationPreferences>> {
    let u = ctx.user()?;
    let quiet = match (b.quiet_from, b.quiet_to) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or_default(), t.unwrap_or_default())),
    };
    let change = prefs::Change {
        push: b.push,
        email: b.email,
        sms: b.sms,
        zalo: b.zalo,
        zalo_user_id: b.zalo_user_id,
        quiet,
    };
    change_prefs(&state, u.id, &change).await?;
    let (p, r) = prefs::load_with_reach(&state.db, u.id).await?;
    Ok(Json(NotificationPreferences::new(p, r)))
}
