//! The system administrator's page: which communes this deployment serves, and districts
//! where the province keeps three levels.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form_error;
use crate::actions::{ActionResult, communes};
use crate::config::Hierarchy;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, CommuneInfo};
use crate::units::catalogue;
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render_for};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    shell: Shell,
    communes: Vec<Arc<CommuneInfo>>,
    districts: Vec<tenancy::district::Model>,
    provinces: Vec<(String, String)>,
    three_level: bool,
    error: Option<String>,
}

async fn admin_page(state: &AppState, ctx: &Ctx, err: Option<&AppError>) -> AppResult<Response> {
    ctx.system_admin()?;
    let page = AdminPage {
        communes: state.communes.all_active(),
        districts: tenancy::districts(&state.db).await?,
        provinces: catalogue()
            .provinces
            .iter()
            .map(|p| (p.code.clone(), p.display_name()))
            .collect(),
        three_level: state.config.hierarchy == Hierarchy::ProvinceDistrictCommune,
        error: err.map(|e| form_error(ctx, e)),
        shell: Shell::new(state, ctx, None, ctx.tr().get("admin.title")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    admin_page(&state, &ctx, None).await
}

/// After a use case: back to the page, or the page again with the message for client errors.
async fn finish(state: &AppState, ctx: &Ctx, res: ActionResult<()>) -> AppResult<Response> {
    match res.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to("/admin").into_response()),
        Err(e) if e.status.is_client_error() => admin_page(state, ctx, Some(&e)).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> AppResult<Response> {
    let res = communes::activate(state.kernel(), ctx.actor(), &f.code).await;
    finish(&state, &ctx, res.map(|_| ())).await
}

pub async fn deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let res = communes::deactivate(state.kernel(), ctx.actor(), &code).await;
    finish(&state, &ctx, res.map(|_| ())).await
}

#[derive(Deserialize)]
pub struct DistrictForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    province_code: String,
    #[serde(default)]
    name: String,
}

pub async fn add_district(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<DistrictForm>,
) -> AppResult<Response> {
    let res = communes::add_district(
        state.kernel(),
        ctx.actor(),
        &f.code,
        &f.province_code,
        &f.name,
    )
    .await;
    finish(&state, &ctx, res.map(|_| ())).await
}

#[derive(Deserialize)]
pub struct SetDistrictForm {
    #[serde(default)]
    district_code: String,
}

pub async fn set_district(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<SetDistrictForm>,
) -> AppResult<Response> {
    let res = communes::set_district(state.kernel(), ctx.actor(), &code, &f.district_code).await;
    finish(&state, &ctx, res.map(|_| ())).await
}
