//! The system administrator's page: which communes this deployment serves, and districts
//! where the province keeps three levels.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form_error;
use crate::accounts::{CurrentUser, Role};
use crate::audit::{self, Entry};
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

fn national<'a>(
    u: &'a CurrentUser,
    unit_code: &'a str,
    action: &'a str,
    object_type: &'a str,
    object_id: String,
    summary: String,
) -> Entry<'a> {
    Entry {
        actor: u,
        role: Role::SystemAdmin,
        unit_code,
        action,
        object_type,
        object_id,
        summary,
    }
}

async fn finish(state: &AppState, ctx: &Ctx, res: AppResult<()>) -> AppResult<Response> {
    match res {
        Ok(()) => {
            state.communes.reload(&state.db).await?;
            Ok(Redirect::to("/admin").into_response())
        }
        Err(e) if e.status.is_client_error() => admin_page(state, ctx, Some(&e)).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Activates a commune, recorded in the new tenant's own audit log.
pub async fn activate_commune(
    state: &AppState,
    u: &CurrentUser,
    code: &str,
) -> AppResult<tenancy::commune::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let m = tenancy::activate_commune(&txn, code).await?;
    audit::record(
        &txn,
        national(
            u,
            &m.code,
            "commune.activate",
            "commune",
            m.code.clone(),
            m.name.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    state.communes.reload(&state.db).await?;
    Ok(m)
}

pub async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> AppResult<Response> {
    let u = ctx.system_admin()?;
    let res = activate_commune(&state, u, &f.code).await.map(|_| ());
    finish(&state, &ctx, res).await
}

pub async fn deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let u = ctx.system_admin()?;
    let res = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let m = tenancy::deactivate_commune(&txn, &code).await?;
        audit::record(
            &txn,
            national(
                u,
                &m.code,
                "commune.deactivate",
                "commune",
                m.code.clone(),
                m.name.clone(),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    finish(&state, &ctx, res).await
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
    ctx.system_admin()?;
    let res = tenancy::create_district(&state.db, &f.code, &f.province_code, &f.name)
        .await
        .map(|_| ());
    finish(&state, &ctx, res).await
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
    let u = ctx.system_admin()?;
    let res = async {
        let dc = Some(f.district_code.trim()).filter(|d| !d.is_empty());
        let txn = crate::db::begin_write(&state.db).await?;
        let m = tenancy::assign_district(&txn, &code, dc).await?;
        audit::record(
            &txn,
            national(
                u,
                &m.code,
                "commune.district",
                "commune",
                m.code.clone(),
                dc.unwrap_or("—").to_owned(),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    finish(&state, &ctx, res).await
}
