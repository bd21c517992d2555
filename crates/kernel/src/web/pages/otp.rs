//! Pages and API for one-time codes by SMS (`kernel::otp`): "forgot password" → code → new
//! password (signs out every other session), and verifying the signed-in person's phone.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{Extensions, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::vn_time;
use crate::accounts::phone::display_phone;
use crate::accounts::{self, CurrentUser, Role, entity::api_token, entity::session, entity::user};
use crate::audit;
use crate::error::{AppError, ErrorBody, ErrorDetail};
use crate::i18n::Locale;
use crate::otp::{self, OtpError, OtpResult, Purpose, Recipient};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, SESSION_COOKIE, set_cookie, urlencode};
use crate::web::extract::ApiJson;
use crate::web::ops::client_ip;
use crate::web::shell::{Shell, render, render_status};

// ---- what pages and API share ----

fn recipient(u: &user::Model) -> Recipient<'_> {
    Recipient {
        user_id: u.id,
        commune_code: u.commune_code.as_deref(),
        locale: Locale::parse(&u.locale).unwrap_or_default(),
    }
}

async fn account_by_phone(state: &AppState, phone: &str) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Phone.eq(phone))
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled))
}

/// Sends a reset code if the phone has an account; answers the same either way.
async fn send_reset_code(state: &AppState, ext: &Extensions, raw_phone: &str) -> OtpResult<String> {
    let phone = accounts::parse_phone(raw_phone)?;
    if !state.otp_limiter.allow(client_ip(ext)) {
        return Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "otp_throttled").into());
    }
    let account = account_by_phone(state, &phone).await?;
    otp::request_code(
        &state.db,
        &state.secret,
        Purpose::ResetPassword,
        &phone,
        account.as_ref().map(recipient),
    )
    .await?;
    state.dispatcher.wake();
    Ok(phone)
}

/// The strongest role a person holds anywhere, and where, for the audit log.
fn audit_entry<'a>(u: &'a CurrentUser, action: &'a str, summary: String) -> audit::Entry<'a> {
    let strongest = u.grants.iter().max_by_key(|g| g.role as u8);
    audit::Entry {
        actor: u,
        role: strongest.map_or(Role::Citizen, |g| g.role),
        unit_code: u
            .commune_code
            .as_deref()
            .or(strongest.map(|g| g.unit_code.as_str()))
            .unwrap_or(""),
        action,
        object_type: "user",
        object_id: u.id.to_string(),
        summary,
    }
}

/// Checks the code and sets the new password; every session of the account ends and its
/// personal API tokens are revoked: whoever made the reset necessary may have minted one.
async fn reset_with_code(
    state: &AppState,
    ext: &Extensions,
    raw_phone: &str,
    raw_code: &str,
    new_password: &str,
) -> OtpResult<i64> {
    if !state.login_limiter.allow(client_ip(ext)) {
        return Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "login_throttled").into());
    }
    let phone = accounts::parse_phone(raw_phone)?;
    // Malformed input is refused before it can use up a guess.
    otp::parse_code(raw_code)?;
    accounts::check_password(new_password, Some(&phone))?;
    otp::check_code(
        &state.db,
        &state.secret,
        Purpose::ResetPassword,
        &phone,
        raw_code,
    )
    .await?;
    // Only an account's phone ever receives a code, so this is there; be safe all the same.
    let u = account_by_phone(state, &phone)
        .await?
        .ok_or_else(|| AppError::invalid("otp_expired", "code"))?;
    let hash = accounts::password::hash(new_password)
        .await
        .map_err(AppError::from)?;
    let txn = crate::db::begin_write(&state.db)
        .await
        .map_err(AppError::from)?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::FailedLogins, Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(user::Column::Id.eq(u.id))
        .exec(&txn)
        .await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(api_token::Column::UserId.eq(u.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let actor = accounts::load_user(&txn, u.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    audit::record(
        &txn,
        audit_entry(
            &actor,
            "account.password_reset",
            format!(
                "{} · {ended} sessions · {revoked} API tokens revoked",
                display_phone(&phone)
            ),
        ),
    )
    .await?;
    txn.commit().await.map_err(AppError::from)?;
    state.auth_cache.clear();
    Ok(u.id)
}

async fn send_verify_code(state: &AppState, ext: &Extensions, u: &CurrentUser) -> OtpResult<()> {
    let phone = u
        .phone
        .clone()
        .ok_or_else(|| AppError::invalid("phone_missing", "phone"))?;
    if !state.otp_limiter.allow(client_ip(ext)) {
        return Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "otp_throttled").into());
    }
    otp::request_code(
        &state.db,
        &state.secret,
        Purpose::VerifyPhone,
        &phone,
        Some(Recipient {
            user_id: u.id,
            commune_code: u.commune_code.as_deref(),
            locale: Locale::parse(&u.locale).unwrap_or_default(),
        }),
    )
    .await?;
    state.dispatcher.wake();
    Ok(())
}

async fn confirm_phone(
    state: &AppState,
    ext: &Extensions,
    u: &CurrentUser,
    raw_code: &str,
) -> OtpResult<DateTime<Utc>> {
    if !state.login_limiter.allow(client_ip(ext)) {
        return Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "login_throttled").into());
    }
    let phone = u
        .phone
        .clone()
        .ok_or_else(|| AppError::invalid("phone_missing", "phone"))?;
    otp::parse_code(raw_code)?;
    otp::check_code(
        &state.db,
        &state.secret,
        Purpose::VerifyPhone,
        &phone,
        raw_code,
    )
    .await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db)
        .await
        .map_err(AppError::from)?;
    // Only if the number is still the one the code went to.
    let done = user::Entity::update_many()
        .col_expr(user::Column::PhoneVerifiedAt, Expr::value(Some(now)))
        .filter(user::Column::Id.eq(u.id))
        .filter(user::Column::Phone.eq(&phone))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::invalid("otp_expired", "code").into());
    }
    audit::record(
        &txn,
        audit_entry(u, "account.phone_verify", display_phone(&phone)),
    )
    .await?;
    txn.commit().await.map_err(AppError::from)?;
    state.auth_cache.clear();
    Ok(now)
}

/// When the signed-in person's phone was verified, if it was.
pub async fn phone_verified_at(
    state: &AppState,
    user_id: i64,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .and_then(|u| u.phone_verified_at))
}

/// An API refusal: the usual error body with the wait filled in, and `Retry-After`.
fn api_error(ctx: &Ctx, e: OtpError) -> Response {
    if e.error.status.is_server_error() {
        return e.error.into_response();
    }
    let body = ErrorBody {
        error: ErrorDetail {
            code: e.error.code.to_owned(),
            message: e.message(ctx.locale),
            field: e.error.field.map(str::to_owned),
        },
    };
    let mut res = (e.error.status, Json(body)).into_response();
    if let Some(s) = e
        .wait_secs
        .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
    {
        res.headers_mut().insert(RETRY_AFTER, s);
    }
    res
}

// ---- pages: forgotten password ----

#[derive(Template)]
#[template(path = "otp_forgot.html")]
struct ForgotPage {
    shell: Shell,
    phone: String,
    error: Option<String>,
}

async fn forgot_page(
    state: &AppState,
    ctx: &Ctx,
    phone: String,
    err: Option<&OtpError>,
) -> Response {
    let shell = Shell::new(
        state,
        ctx,
        state.commune_for_host(ctx.host.as_deref()),
        ctx.tr().get("forgot.title"),
    )
    .await;
    let page = ForgotPage {
        shell,
        phone,
        error: err.map(|e| e.message(ctx.locale)),
    };
    render_status(err.map_or(StatusCode::OK, |e| e.error.status), &page)
}

async fn forgot_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    forgot_page(&state, &ctx, String::new(), None).await
}

#[derive(Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    phone: String,
}

async fn forgot_send(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> Response {
    match send_reset_code(&state, &ext, &f.phone).await {
        Ok(phone) => {
            Redirect::to(&format!("/password/reset?phone={}", urlencode(&phone))).into_response()
        }
        Err(e) if e.error.status.is_client_error() => {
            forgot_page(&state, &ctx, f.phone, Some(&e)).await
        }
        Err(e) => e.error.into_response(),
    }
}

#[derive(Template)]
#[template(path = "otp_reset.html")]
struct ResetPage {
    shell: Shell,
    phone: String,
    phone_display: String,
    error: Option<String>,
    field: String,
}

async fn reset_page(state: &AppState, ctx: &Ctx, phone: &str, err: Option<&OtpError>) -> Response {
    let Ok(phone) = accounts::parse_phone(phone) else {
        return Redirect::to("/password/forgot").into_response();
    };
    let shell = Shell::new(
        state,
        ctx,
        state.commune_for_host(ctx.host.as_deref()),
        ctx.tr().get("reset.title"),
    )
    .await;
    let page = ResetPage {
        shell,
        phone_display: display_phone(&phone),
        phone,
        error: err.map(|e| e.message(ctx.locale)),
        field: err
            .and_then(|e| e.error.field)
            .unwrap_or_default()
            .to_owned(),
    };
    render_status(err.map_or(StatusCode::OK, |e| e.error.status), &page)
}

#[derive(Deserialize)]
pub struct PhoneQuery {
    #[serde(default)]
    phone: String,
}

async fn reset_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PhoneQuery>,
) -> Response {
    reset_page(&state, &ctx, &q.phone, None).await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new_password: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(f): CsrfForm<ResetForm>,
) -> Response {
    match reset_with_code(&state, &ext, &f.phone, &f.code, &f.new_password).await {
        Ok(user_id) => {
            let token =
                match accounts::create_session(&state.db, user_id, state.config.session_days).await
                {
                    Ok(t) => t,
                    Err(e) => return e.into_response(),
                };
            let mut res = Redirect::to("/password/done").into_response();
            res.headers_mut().append(
                SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    state.config.session_days * 86_400,
                    true,
                    state.config.cookies_secure(),
                ),
            );
            res
        }
        Err(e) if e.error.status.is_client_error() => {
            reset_page(&state, &ctx, &f.phone, Some(&e)).await
        }
        Err(e) => e.error.into_response(),
    }
}

#[derive(Template)]
#[template(path = "otp_done.html")]
struct DonePage {
    shell: Shell,
}

async fn reset_done(State(state): State<AppState>, ctx: Ctx) -> Response {
    let shell = Shell::new(&state, &ctx, None, ctx.tr().get("reset.done_title")).await;
    render(&DonePage { shell })
}

// ---- pages: verifying the signed-in person's phone ----

#[derive(Template)]
#[template(path = "otp_phone.html")]
struct PhonePage {
    shell: Shell,
    phone_display: String,
    verified_at: Option<String>,
    sent: bool,
    error: Option<String>,
}

async fn phone_page(state: &AppState, ctx: &Ctx, sent: bool, err: Option<&OtpError>) -> Response {
    let u = match ctx.user() {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let verified_at = match phone_verified_at(state, u.id).await {
        Ok(v) => v.map(vn_time),
        Err(e) => return e.into_response(),
    };
    let page = PhonePage {
        shell: Shell::new(state, ctx, None, ctx.tr().get("verify.title")).await,
        phone_display: u.phone.as_deref().map(display_phone).unwrap_or_default(),
        verified_at,
        sent,
        error: err.map(|e| e.message(ctx.locale)),
    };
    render_status(err.map_or(StatusCode::OK, |e| e.error.status), &page)
}

#[derive(Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
}

async fn phone_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SentQuery>,
) -> Response {
    phone_page(&state, &ctx, q.sent.is_some(), None).await
}

async fn phone_send(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let u = match ctx.user() {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    match send_verify_code(&state, &ext, u).await {
        Ok(()) => Redirect::to("/me/phone?sent=1").into_response(),
        Err(e) if e.error.status.is_client_error() => {
            phone_page(&state, &ctx, false, Some(&e)).await
        }
        Err(e) => e.error.into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn phone_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Response {
    let u = match ctx.user() {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    match confirm_phone(&state, &ext, u, &f.code).await {
        Ok(_) => Redirect::to("/me").into_response(),
        Err(e) if e.error.status.is_client_error() => {
            phone_page(&state, &ctx, true, Some(&e)).await
        }
        Err(e) => e.error.into_response(),
    }
}

// ---- API ----

#[derive(Deserialize, ToSchema)]
pub struct ResetCodeRequest {
    /// Vietnamese mobile number in any usual spelling.
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// How long the code stays valid.
    expires_in_seconds: i64,
    /// How soon another code may be asked for the same phone.
    resend_after_seconds: i64,
}

fn code_sent() -> Response {
    (
        StatusCode::ACCEPTED,
        Json(CodeSent {
            expires_in_seconds: otp::CODE_TTL.num_seconds(),
            resend_after_seconds: otp::RESEND_GAP.num_seconds(),
        }),
    )
        .into_response()
}

/// Sends a password-reset code by SMS. The answer is the same whether or not the phone has
/// an account (only an account's phone receives the SMS).
#[utoipa::path(post, path = "/api/v1/auth/password-reset/request", tag = "accounts", operation_id = "otp_password_reset_request",
    request_body = ResetCodeRequest,
    responses((status = 202, body = CodeSent), (status = 422, body = ErrorBody),
        (status = 429, description = "Too soon or too many codes (`otp_wait`, `otp_hourly`, `otp_throttled`) or locked out after wrong codes (`otp_locked`); see `Retry-After`", body = ErrorBody)))]
async fn api_reset_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    ApiJson(r): ApiJson<ResetCodeRequest>,
) -> Response {
    match send_reset_code(&state, &ext, &r.phone).await {
        Ok(_) => code_sent(),
        Err(e) => api_error(&ctx, e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirm {
    phone: String,
    /// The six digits from the SMS.
    code: String,
    /// Same rules as at registration.
    new_password: String,
}

/// Sets a new password with the code from the SMS; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "accounts", operation_id = "otp_password_reset_confirm",
    request_body = ResetConfirm,
    responses((status = 204, description = "Password changed, all sessions signed out"),
        (status = 422, description = "Bad phone, malformed, wrong (`otp_code_wrong`, with the attempts left in the message) or expired code, weak password", body = ErrorBody),
        (status = 429, description = "Locked out after 5 wrong codes (`otp_locked`), or too many attempts from this address", body = ErrorBody)))]
async fn api_reset_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    ApiJson(r): ApiJson<ResetConfirm>,
) -> Response {
    match reset_with_code(&state, &ext, &r.phone, &r.code, &r.new_password).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => api_error(&ctx, e),
    }
}

/// Sends a code by SMS to the signed-in person's phone.
#[utoipa::path(post, path = "/api/v1/auth/phone-verification/request", tag = "accounts", operation_id = "otp_phone_verification_request",
    security(("bearer" = [])),
    responses((status = 202, body = CodeSent), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn api_verify_request(State(state): State<AppState>, ctx: Ctx, ext: Extensions) -> Response {
    let u = match ctx.user() {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    match send_verify_code(&state, &ext, u).await {
        Ok(()) => code_sent(),
        Err(e) => api_error(&ctx, e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyConfirm {
    /// The six digits from the SMS.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct PhoneVerified {
    /// Canonical E.164 form.
    phone: String,
    #[schema(value_type = String, format = DateTime)]
    phone_verified_at: DateTime<Utc>,
}

/// Confirms the signed-in person's phone with the code from the SMS.
#[utoipa::path(post, path = "/api/v1/auth/phone-verification/confirm", tag = "accounts", operation_id = "otp_phone_verification_confirm",
    security(("bearer" = [])), request_body = VerifyConfirm,
    responses((status = 200, body = PhoneVerified), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn api_verify_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    ApiJson(r): ApiJson<VerifyConfirm>,
) -> Response {
    let u = match ctx.user() {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    match confirm_phone(&state, &ext, u, &r.code).await {
        Ok(at) => Json(PhoneVerified {
            phone: u.phone.clone().unwrap_or_default(),
            phone_verified_at: at,
        })
        .into_response(),
        Err(e) => api_error(&ctx, e),
    }
}

#[derive(OpenApi)]
#[openapi(paths(
    api_reset_request,
    api_reset_confirm,
    api_verify_request,
    api_verify_confirm
))]
pub struct OtpApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_form).post(forgot_send))
        .route("/password/reset", get(reset_form).post(reset_submit))
        .route("/password/done", get(reset_done))
        .route("/me/phone", get(phone_form))
        .route("/me/phone/send", post(phone_send))
        .route("/me/phone/confirm", post(phone_confirm))
        .route(
            "/api/v1/auth/password-reset/request",
            post(api_reset_request),
        )
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(api_reset_confirm),
        )
        .route(
            "/api/v1/auth/phone-verification/request",
            post(api_verify_request),
        )
        .route(
            "/api/v1/auth/phone-verification/confirm",
            post(api_verify_confirm),
        )
}
