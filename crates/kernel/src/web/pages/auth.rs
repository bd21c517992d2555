//! Sign-up, sign-in and sign-out pages.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{form_error, safe_next};
use crate::accounts;
use crate::actions::citizens::{self, Registration};
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, CommuneInfo};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, SESSION_COOKIE, set_cookie};
use crate::web::ops::client_ip;
use crate::web::shell::{Shell, render, render_for, render_status};

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    shell: Shell,
    communes: Vec<Arc<CommuneInfo>>,
    commune_code: String,
    villages: Vec<(i64, String)>,
    full_name: String,
    phone: String,
    error: Option<String>,
    field: String,
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    commune_code: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    village_id: String,
}

impl RegisterForm {
    fn input(&self) -> Registration<'_> {
        Registration {
            commune_code: &self.commune_code,
            full_name: &self.full_name,
            phone: &self.phone,
            password: &self.password,
            village_id: &self.village_id,
        }
    }
}

/// Sign-ups (each an Argon2 hash) count against the address's sign-in allowance.
pub async fn throttle_sign_ups(state: &AppState, ext: &Extensions) -> AppResult<()> {
    if state.login_limiter.allow(&state.db, client_ip(ext)).await? {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
        ))
    }
}

async fn register_page(
    state: &AppState,
    ctx: &Ctx,
    f: &RegisterForm,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let communes = state.communes.all_active();
    let default = state
        .commune_for_host(ctx.host.as_deref())
        .map(|c| c.code.clone())
        .or_else(|| communes.first().map(|c| c.code.clone()));
    // The commune the person came from (the link or the form sent back), when it is active.
    let commune_code = if communes.iter().any(|c| c.code == f.commune_code) {
        f.commune_code.clone()
    } else {
        default.unwrap_or_default()
    };
    let villages = tenancy::villages(&state.db, &commune_code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let commune = state.communes.active(&commune_code).ok();
    let page = RegisterPage {
        shell: Shell::new(state, ctx, commune, ctx.tr().get("register.title")).await,
        communes,
        commune_code,
        villages,
        full_name: f.full_name.clone(),
        phone: f.phone.clone(),
        error: err.map(|e| form_error(ctx, e)),
        field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
    };
    Ok(render_for(err, &page))
}

#[derive(Deserialize, Default)]
pub struct RegisterQuery {
    /// The commune whose page the person came from: registration stays in it.
    #[serde(default)]
    commune: String,
}

pub async fn register_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RegisterQuery>,
) -> AppResult<Response> {
    let f = RegisterForm {
        commune_code: q.commune,
        ..RegisterForm::default()
    };
    register_page(&state, &ctx, &f, None).await
}

fn session_cookie(state: &AppState, token: &str) -> axum::http::HeaderValue {
    set_cookie(
        SESSION_COOKIE,
        token,
        state.config.session_days * 86_400,
        true,
        state.config.cookies_secure(),
    )
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> AppResult<Response> {
    let res = match throttle_sign_ups(&state, &ext).await {
        Ok(()) => citizens::register(state.kernel(), f.input())
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match res {
        Ok(user) => {
            let token =
                accounts::create_session(&state.db, user.id, state.config.session_days).await?;
            let code = user.commune_code.unwrap_or_default();
            let name = state
                .communes
                .get(&code)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let mut res = crate::web::flash::redirect(
                &format!("/c/{code}"),
                crate::web::flash::Flash::key("flash.registered").arg("commune", name),
                state.config.cookies_secure(),
            );
            res.headers_mut()
                .append(SET_COOKIE, session_cookie(&state, &token));
            Ok(res)
        }
        Err(e) if e.status.is_client_error() => register_page(&state, &ctx, &f, Some(&e)).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    next: String,
    phone: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let shell = Shell::new(
        &state,
        &ctx,
        state.commune_for_host(ctx.host.as_deref()),
        ctx.tr().get("login.title"),
    )
    .await;
    Ok(render(&LoginPage {
        shell,
        next: safe_next(q.next.as_deref()),
        phone: String::new(),
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ext: Extensions,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    let outcome = if state
        .login_limiter
        .allow(&state.db, client_ip(&ext))
        .await?
    {
        accounts::authenticate(
            &state.db,
            &f.phone,
            &f.password,
            state.config.login_max_failures,
            state.config.login_lockout_minutes,
        )
        .await
    } else {
        Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
        ))
    };
    match outcome {
        Ok(user) => {
            let token =
                accounts::create_session(&state.db, user.id, state.config.session_days).await?;
            // A refused `next` falls back to the person's commune like an absent one.
            let next = match safe_next(f.next.as_deref()) {
                n if n != "/" => n,
                _ => user
                    .commune_code
                    .map(|c| format!("/c/{c}"))
                    .unwrap_or_else(|| "/".into()),
            };
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut()
                .append(SET_COOKIE, session_cookie(&state, &token));
            Ok(res)
        }
        Err(e) if e.status.is_client_error() => {
            let shell = Shell::new(
                &state,
                &ctx,
                state.commune_for_host(ctx.host.as_deref()),
                ctx.tr().get("login.title"),
            )
            .await;
            let page = LoginPage {
                shell,
                next: safe_next(f.next.as_deref()),
                phone: f.phone,
                error: Some(form_error(&ctx, &e)),
            };
            Ok(render_status(e.status, &page))
        }
        Err(e) => Err(e),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    if let Some(tok) = &ctx.session_token {
        accounts::delete_session(&state.db, tok).await?;
        state.auth_cache.clear();
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, state.config.cookies_secure()),
    );
    Ok(res)
}
