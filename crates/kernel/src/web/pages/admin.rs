//! The system administrator's page: which communes this deployment serves (activating one
//! leads straight on to creating its first admin; taking one offline asks first), and
//! districts where the province keeps three levels. The page wears the platform's colours,
//! not those of the admin's own commune.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form_error;
use crate::actions::{ActionResult, communes, staff};
use crate::config::Hierarchy;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, CommuneInfo};
use crate::units::catalogue;
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render, render_for};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    shell: Shell,
    communes: Vec<Arc<CommuneInfo>>,
    districts: Vec<tenancy::district::Model>,
    provinces: Vec<(String, String)>,
    three_level: bool,
    error: Option<String>,
    /// Just activated (or still without an admin): the commune whose first admin to create.
    new_commune: Option<Arc<CommuneInfo>>,
    /// The first admin was created for this commune.
    admin_made: Option<Arc<CommuneInfo>>,
    /// The field at fault in the new admin's form.
    field: &'static str,
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    /// The commune just activated.
    #[serde(default)]
    activated: String,
    /// The commune whose first admin was just created.
    #[serde(default)]
    admin_made: String,
}

/// The platform's own look for the system admin's pages.
async fn national_shell(state: &AppState, ctx: &Ctx, title: &str) -> Shell {
    let mut shell = Shell::new(state, ctx, None, title).await;
    shell.national();
    shell
}

async fn admin_page(
    state: &AppState,
    ctx: &Ctx,
    err: Option<&AppError>,
    q: &AdminQuery,
) -> AppResult<Response> {
    ctx.system_admin()?;
    let page = AdminPage {
        new_commune: state.communes.active(&q.activated).ok(),
        admin_made: state.communes.active(&q.admin_made).ok(),
        field: err.and_then(|e| e.field).unwrap_or_default(),
        communes: state.communes.all_active(),
        districts: tenancy::districts(&state.db).await?,
        provinces: catalogue()
            .provinces
            .iter()
            .map(|p| (p.code.clone(), p.display_name()))
            .collect(),
        three_level: state.config.hierarchy == Hierarchy::ProvinceDistrictCommune,
        error: err.map(|e| form_error(ctx, e)),
        shell: national_shell(state, ctx, ctx.tr().get("admin.title")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AdminQuery>,
) -> AppResult<Response> {
    admin_page(&state, &ctx, None, &q).await
}

/// After a use case: on to `next`, or the page again with the message for client errors.
async fn finish(
    state: &AppState,
    ctx: &Ctx,
    res: ActionResult<()>,
    next: &str,
    again: AdminQuery,
) -> AppResult<Response> {
    match res.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to(next).into_response()),
        Err(e) if e.status.is_client_error() => admin_page(state, ctx, Some(&e), &again).await,
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
    let next = match &res {
        Ok(m) => format!("/admin?activated={}", m.code),
        Err(_) => "/admin".into(),
    };
    finish(&state, &ctx, res.map(|_| ()), &next, AdminQuery::default()).await
}

#[derive(Deserialize)]
pub struct NewAdminForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
}

/// The step after activation: the commune's first admin, who then sets the commune up.
pub async fn add_admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<NewAdminForm>,
) -> AppResult<Response> {
    ctx.system_admin()?;
    let c = state.communes.active(&code)?;
    let res = staff::add(
        state.kernel(),
        ctx.actor(),
        &c,
        staff::NewStaff {
            full_name: &f.full_name,
            phone: &f.phone,
            email: "",
            role: "commune_admin",
            department: "",
            password: &f.password,
        },
    )
    .await;
    let again = AdminQuery {
        activated: c.code.clone(),
        ..Default::default()
    };
    let next = format!("/admin?admin_made={}", c.code);
    finish(&state, &ctx, res.map(|_| ()), &next, again).await
}

#[derive(Template)]
#[template(path = "admin_deactivate.html")]
struct DeactivatePage {
    shell: Shell,
    commune: Arc<CommuneInfo>,
}

/// Taking a commune offline asks first: its residents and officials lose its pages at once.
pub async fn confirm_deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    ctx.system_admin()?;
    let commune = state.communes.active(&code)?;
    let shell = national_shell(&state, &ctx, ctx.tr().get("admin.deactivate_title")).await;
    Ok(render(&DeactivatePage { shell, commune }))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

pub async fn deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ConfirmForm>,
) -> AppResult<Response> {
    // Without the confirmation (an old form, a stray click) nothing changes: ask first.
    if f.confirm != "yes" {
        ctx.system_admin()?;
        return Ok(Redirect::to(&format!("/admin/communes/{code}/deactivate")).into_response());
    }
    let res = communes::deactivate(state.kernel(), ctx.actor(), &code).await;
    finish(
        &state,
        &ctx,
        res.map(|_| ()),
        "/admin",
        AdminQuery::default(),
    )
    .await
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
    finish(
        &state,
        &ctx,
        res.map(|_| ()),
        "/admin",
        AdminQuery::default(),
    )
    .await
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
    finish(
        &state,
        &ctx,
        res.map(|_| ()),
        "/admin",
        AdminQuery::default(),
    )
    .await
}
