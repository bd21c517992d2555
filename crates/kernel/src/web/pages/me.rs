//! The signed-in person's own pages: profile, password, API tokens, inbox.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Redirect, Response};
use serde::Deserialize;

use super::{form_error, vn_time};
use crate::accounts::{self, phone::display_phone};
use crate::error::{AppError, AppResult};
use crate::notify;
use crate::tenancy;
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render, render_for};

pub struct TokenRow {
    id: i64,
    name: String,
    prefix: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    shell: Shell,
    phone: String,
    /// When the phone was confirmed by an SMS code (local time), if it was.
    phone_verified: Option<String>,
    roles: String,
    full_name: String,
    email: String,
    locale: String,
    villages: Vec<(i64, String, bool)>,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn me_page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<&str>,
    err: Option<&AppError>,
    new_secret: Option<String>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    let villages = match &u.commune_code {
        Some(c) => tenancy::villages(&state.db, c)
            .await?
            .into_iter()
            .map(|v| (v.id, v.name, Some(v.id) == u.village_id))
            .collect(),
        None => vec![],
    };
    let tokens = accounts::api_tokens(&state.db, u.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            last_used: t.last_used_at.map(vn_time).unwrap_or_else(|| "—".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let roles = u
        .grants
        .iter()
        .filter(|g| g.role != accounts::Role::Citizen)
        .map(|g| format!("{} ({})", ctx.tr().get(&g.role.label_key()), g.unit_code))
        .collect::<Vec<_>>()
        .join(", ");
    let page = MePage {
        shell: Shell::new(state, ctx, None, ctx.tr().get("me.title")).await,
        phone: u.phone.as_deref().map(display_phone).unwrap_or_default(),
        phone_verified: super::otp::phone_verified_at(state, u.id)
            .await?
            .map(vn_time),
        roles,
        full_name: u.full_name.clone(),
        email: u.email.clone().unwrap_or_default(),
        locale: u.locale.clone(),
        villages,
        tokens,
        new_secret,
        notice: notice.map(|k| ctx.tr().get(k).to_owned()),
        error: err.map(|e| form_error(ctx, e)),
    };
    Ok(render_for(err, &page))
}

pub async fn profile(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    me_page(&state, &ctx, None, None, None).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    village_id: String,
}

pub async fn update_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    let village_id = match f.village_id.trim() {
        "" => Ok(None),
        v => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid("village_unknown", "village_id")),
    };
    let res = match village_id {
        Ok(v) => {
            accounts::update_profile(&state.db, u.id, &f.full_name, Some(&f.email), &f.locale, v)
                .await
                .map(|_| state.auth_cache.clear())
        }
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => me_page(&state, &ctx, Some("me.saved"), None, None).await,
        Err(e) if e.status.is_client_error() => me_page(&state, &ctx, None, Some(&e), None).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    let this_device = ctx.session_token.as_deref();
    let changed = accounts::change_password(
        &state.db,
        u.id,
        &f.current_password,
        &f.new_password,
        this_device,
    )
    .await;
    match changed {
        Ok(_) => {
            state.auth_cache.clear();
            me_page(&state, &ctx, Some("me.password_changed"), None, None).await
        }
        Err(e) if e.status.is_client_error() => me_page(&state, &ctx, None, Some(&e), None).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    match accounts::create_api_token(&state.db, u.id, &f.name).await {
        Ok((_, secret)) => me_page(&state, &ctx, None, None, Some(secret)).await,
        Err(e) if e.status.is_client_error() => me_page(&state, &ctx, None, Some(&e), None).await,
        Err(e) => Err(e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    accounts::revoke_api_token(&state.db, u.id, id).await?;
    state.auth_cache.clear();
    me_page(&state, &ctx, Some("me.token_revoked_notice"), None, None).await
}

pub struct InboxRow {
    id: i64,
    title: String,
    body: String,
    link: Option<String>,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    shell: Shell,
    items: Vec<InboxRow>,
}

pub async fn inbox(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let u = ctx.user()?;
    let items = notify::inbox(&state.db, u.id, 100, ctx.tr().0)
        .await?
        .into_iter()
        .map(|i| InboxRow {
            id: i.id,
            title: i.title,
            body: i.body,
            link: i.link,
            when: vn_time(i.created_at),
            unread: i.read_at.is_none(),
        })
        .collect();
    let shell = Shell::new(&state, &ctx, None, ctx.tr().get("inbox.title")).await;
    Ok(render(&InboxPage { shell, items }))
}

pub async fn read_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Redirect> {
    notify::mark_read(&state.db, ctx.user()?.id, id).await?;
    Ok(Redirect::to("/inbox"))
}

pub async fn read_all(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Redirect> {
    notify::mark_all_read(&state.db, ctx.user()?.id).await?;
    Ok(Redirect::to("/inbox"))
}
