//! The infrastructure page: wifi points, cameras and waste-water sources with their status
//! (changed in place), the form that adds one with a pin on the map, and each village's
//! mobile coverage and fibre.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::flash::{self, Flash};
use kernel::web::map::MapConf;
use kernel::web::shell::{Shell, render_for};
use serde::Deserialize;

use crate::actions::access::EDITORS;
use crate::actions::infra::{self, KINDS, MOBILE, NewPoint, STATUSES};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/infrastructure", get(page).post(add))
        .route("/c/{code}/office/infrastructure/{id}/status", post(status))
        .route(
            "/c/{code}/office/infrastructure/coverage/{village}",
            post(coverage),
        )
}

pub struct PointRow {
    pub id: i64,
    pub name: String,
    pub note: String,
    pub status: String,
    pub status_label: &'static str,
    pub tone: &'static str,
}

pub struct KindBlock {
    pub label: &'static str,
    pub rows: Vec<PointRow>,
}

pub struct CoverageRow {
    pub village_id: i64,
    pub name: String,
    pub mobile: String,
    pub fibre: bool,
}

#[derive(Template)]
#[template(path = "rg_infra.html")]
struct InfraPage {
    shell: Shell,
    active: &'static str,
    code: String,
    blocks: Vec<KindBlock>,
    coverage: Vec<CoverageRow>,
    may_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    mobile: Vec<(&'static str, &'static str)>,
    map: MapConf,
    error: Option<String>,
    f: HashMap<String, String>,
}

impl InfraPage {
    fn field(&self, k: &str) -> &str {
        self.f.get(k).map(String::as_str).unwrap_or_default()
    }
}

fn tone(status: &str) -> &'static str {
    match status {
        "working" => "ok",
        "broken" => "bad",
        _ => "info",
    }
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: HashMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    let tr = ctx.tr();
    let mut blocks = vec![];
    for (kind, _) in KINDS {
        let rows = infra::points(state.kernel(), ctx.actor(), &c, kind).await?;
        blocks.push(KindBlock {
            label: tr.get(&format!("rg.infra.kind.{kind}")),
            rows: rows
                .into_iter()
                .map(|p| PointRow {
                    id: p.id,
                    status_label: tr.get(&format!("rg.infra.status.{}", p.status)),
                    tone: tone(&p.status),
                    name: p.name,
                    note: p.note,
                    status: p.status,
                })
                .collect(),
        });
    }
    let recorded = infra::coverage(state.kernel(), &c).await?;
    let coverage = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| {
            let r = recorded.iter().find(|r| r.village_id == v.id);
            CoverageRow {
                village_id: v.id,
                name: v.name,
                mobile: r.map(|r| r.mobile.clone()).unwrap_or_default(),
                fibre: r.is_some_and(|r| r.fibre),
            }
        })
        .collect();
    let area = kernel::tenancy::area::area(&state.db, &c.code).await?;
    let bounds = area
        .boundary
        .as_deref()
        .and_then(kernel::tenancy::area::bounds)
        .unwrap_or_default();
    let shell = Shell::new(state, ctx, Some(c.clone()), tr.get("rg.infra")).await;
    Ok(render_for(
        err,
        &InfraPage {
            shell,
            active: "infrastructure",
            code: c.code.clone(),
            blocks,
            coverage,
            may_edit: ctx.with_role(&c, EDITORS).is_ok(),
            kinds: KINDS
                .iter()
                .map(|(k, _)| (*k, tr.get(&format!("rg.infra.kind.{k}"))))
                .collect(),
            statuses: STATUSES
                .iter()
                .map(|s| (*s, tr.get(&format!("rg.infra.status.{s}"))))
                .collect(),
            mobile: MOBILE
                .iter()
                .map(|m| (*m, tr.get(&format!("rg.infra.mobile.{m}"))))
                .collect(),
            map: MapConf::new(&state.config, bounds).with_area(&c.code),
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            f,
        },
    ))
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    view(&state, &ctx, &code, HashMap::new(), None).await
}

#[derive(Deserialize)]
struct Fields {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

fn back(state: &AppState, code: &str) -> Response {
    flash::redirect(
        &format!("/c/{code}/office/infrastructure"),
        Flash::key("flash.rg.infra.saved"),
        state.config.cookies_secure(),
    )
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(r): Form<Fields>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &r.csrf)?;
    let c = state.communes.active(&code)?;
    let f = r.fields;
    let get = |k: &str| super::field(&f, k);
    let (lat, lon) = match super::pin(&f) {
        Ok(p) => p,
        Err(e) => return view(&state, &ctx, &code, f, Some(&e)).await,
    };
    let p = NewPoint {
        kind: get("kind"),
        name: get("name"),
        lat,
        lon,
        status: get("status"),
        note: get("note"),
    };
    match infra::add_point(state.kernel(), ctx.actor(), &c, p).await {
        Ok(_) => Ok(back(&state, &c.code)),
        Err(e) => view(&state, &ctx, &code, f.clone(), Some(&AppError::from(e))).await,
    }
}

async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Form(r): Form<Fields>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &r.csrf)?;
    let c = state.communes.active(&code)?;
    let s = r.fields.get("status").cloned().unwrap_or_default();
    infra::set_status(state.kernel(), ctx.actor(), &c, id, &s).await?;
    Ok(back(&state, &c.code))
}

async fn coverage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, village)): Path<(String, i64)>,
    Form(r): Form<Fields>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &r.csrf)?;
    let c = state.communes.active(&code)?;
    let mobile = r.fields.get("mobile").cloned().unwrap_or_default();
    let fibre = r.fields.contains_key("fibre");
    infra::set_coverage(state.kernel(), ctx.actor(), &c, village, &mobile, fibre).await?;
    Ok(back(&state, &c.code))
}
