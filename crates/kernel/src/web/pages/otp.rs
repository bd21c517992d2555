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
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::vn_time;
use crate::accounts::phone::display_phone;
use crate::accounts::{self, CurrentUser, entity::user};
use crate::actions::password;
use crate::error::{AppError, ErrorBody, ErrorDetail};
use crate::otp::{self, OtpError, OtpResult};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, SESSION_COOKIE, set_cookie, urlencode};
use crate::web::extract::ApiJson;
use crate::web::ops::client_ip;
use crate::web::shell::{Shell, render, render_status};

// ---- what pages and API share: the use cases are `actions::password` ----

/// Codes asked from one address per hour (each may cost an SMS).
async fn throttle_codes(state: &AppState, ext: &Extensions) -> OtpResult<()> {
    if state.otp_limiter.allow(&state.db, client_ip(ext)).await? {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "otp_throttled").into())
    }
}

/// Guesses at a code from one address count against its sign-in allowance.
async fn throttle_guesses(state: &AppState, ext: &Extensions) -> OtpResult<()> {
    if state.login_limiter.allow(&state.db, client_ip(ext)).await? {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "login_throttled").into())
    }
}

async fn send_reset_code(state: &AppState, ext: &Extensions, raw_phone: &str) -> OtpResult<String> {
    throttle_codes(state, ext).await?;
    password::request_reset_code(state.kernel(), raw_phone).await
}

async fn reset_with_code(
    state: &AppState,
    ext: &Extensions,
    raw_phone: &str,
    raw_code: &str,
    new_password: &str,
) -> OtpResult<i64> {
    throttle_guesses(state, ext).await?;
    password::reset_with_code(state.kernel(), raw_phone, raw_code, new_password).await
}

async fn send_verify_code(state: &AppState, ext: &Extensions, u: &CurrentUser) -> OtpResult<()> {
    throttle_codes(state, ext).await?;
    password::request_phone_code(state.kernel(), Some(u)).await
}

async fn confirm_phone(
    state: &AppState,
    ext: &Extensions,
    u: &CurrentUser,
    raw_code: &str,
) -> OtpResult<DateTime<Utc>> {
    throttle_guesses(state, ext).await?;
    password::confirm_phone(state.kernel(), Some(u), raw_code).await
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
        Ok(_) => crate::web::flash::redirect(
            "/me",
            crate::web::flash::Flash::key("flash.phone_verified"),
            state.config.cookies_secure(),
        ),
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
