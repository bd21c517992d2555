//! The room's settings page for the commune's admins: categories, the map area and Open311
//! keys (a new key's secret shown once).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::accounts::access::ADMINS;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render_for};
use serde::Deserialize;

use super::{MapConf, map_conf};
use crate::actions;
use crate::entity::category;
use crate::model::Bounds;
use crate::store;

#[derive(Template)]
#[template(path = "fb_settings.html")]
struct SettingsPage {
    shell: Shell,
    active: &'static str,
    code: String,
    categories: Vec<category::Model>,
    area: String,
    keys: Vec<(i64, String, String, String, bool)>,
    new_key: Option<String>,
    error: Option<String>,
    map: MapConf,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    new_key: Option<String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.with_role(&c, ADMINS)?;
    let categories = store::categories(&state.db, &c.code, true).await?;
    let keys = store::keys(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|k| {
            (
                k.id,
                k.name,
                format!("{}…", k.key_prefix),
                vn_time(k.created_at),
                k.revoked_at.is_none(),
            )
        })
        .collect();
    let map = map_conf(state, &c.code).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.settings")).await;
    Ok(render_for(
        err,
        &SettingsPage {
            shell,
            active: "feedback-settings",
            code: c.code.clone(),
            categories,
            area: map.bounds.clone(),
            keys,
            new_key,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            map,
        },
    ))
}

pub(super) async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    settings_page(&state, &ctx, c, None, None).await
}

#[derive(Deserialize)]
pub(super) struct CategoryForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    deadline_days: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    restricted: Option<String>,
    #[serde(default)]
    active: Option<String>,
}

/// Settings changes: audited, and on a client error the page again with the message.
async fn settings_result(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    res: AppResult<()>,
) -> AppResult<Response> {
    match res {
        Ok(()) => {
            Ok(Redirect::to(&format!("/c/{}/office/feedback-settings", c.code)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            settings_page(state, ctx, c, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn save_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<CategoryForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let res = async {
        let input = store::CategoryInput {
            code: f.code.clone(),
            name: f.name.clone(),
            description: f.description.clone(),
            deadline_days: f
                .deadline_days
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("deadline_invalid", "deadline_days"))?,
            department: f.department.clone(),
            restricted: f.restricted.is_some(),
            active: f.active.is_some(),
        };
        actions::settings::save_category(state.kernel(), ctx.actor(), &c, &input).await?;
        Ok(())
    }
    .await;
    settings_result(&state, &ctx, c, res).await
}

#[derive(Deserialize)]
pub(super) struct AreaForm {
    #[serde(default)]
    area: String,
}

pub(super) async fn save_area(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<AreaForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let res = async {
        let area = match f.area.trim() {
            "" => None,
            s => Some(Bounds::parse(s).ok_or_else(|| AppError::invalid("area_invalid", "area"))?),
        };
        actions::settings::set_area(state.kernel(), ctx.actor(), &c, area).await?;
        Ok(())
    }
    .await;
    settings_result(&state, &ctx, c, res).await
}

#[derive(Deserialize)]
pub(super) struct KeyForm {
    #[serde(default)]
    name: String,
}

pub(super) async fn create_key(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<KeyForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    match actions::settings::create_key(&state.db, ctx.actor(), &c, &f.name).await {
        Ok((_, secret)) => settings_page(&state, &ctx, c, Some(secret), None).await,
        Err(e) => settings_result(&state, &ctx, c, Err(e.into())).await,
    }
}

pub(super) async fn revoke_key(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let res = actions::settings::revoke_key(state.kernel(), ctx.actor(), &c, id)
        .await
        .map_err(AppError::from);
    settings_result(&state, &ctx, c, res).await
}
