//! The commune map for the back office: village shapes, households (clustered) and, as the
//! register grows, its other layers, each from `GET /api/v1/communes/{code}/map/{layer}.geojson`;
//! beside it how many households each village has and how many carry a digital address code.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::map::MapConf;
use kernel::web::shell::{Shell, render};
use serde_json::json;

use crate::actions::households;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{code}/office/map", get(page))
}

/// A village's line beside the map.
pub struct VillageRow {
    pub name: String,
    pub households: i64,
}

#[derive(Template)]
#[template(path = "rg_map.html")]
struct MapPage {
    shell: Shell,
    active: &'static str,
    map: MapConf,
    /// The layers for `data-layers` (JSON).
    layers: String,
    total: i64,
    pinned: i64,
    pinned_share: String,
    villages: Vec<VillageRow>,
    most: i64,
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let summary = households::map_summary(state.kernel(), ctx.actor(), &c).await?;
    let tr = ctx.tr();
    let area = kernel::tenancy::area::area(&state.db, &c.code).await?;
    let bounds = area
        .boundary
        .as_deref()
        .and_then(kernel::tenancy::area::bounds)
        .unwrap_or_default();
    let base = format!("/api/v1/communes/{}/map", c.code);
    let layers = json!([
        {"name": tr.get("rg.layer.villages"), "url": format!("{base}/villages.geojson"), "color": "#0b6e4f"},
        {"name": tr.get("rg.layer.households"), "url": format!("{base}/households.geojson"), "color": "#1d4ed8", "cluster": true},
        {"name": tr.get("rg.layer.coverage"), "url": format!("{base}/coverage.geojson"), "color": "#7c3aed", "on": false},
        {"name": tr.get("rg.layer.wifi"), "url": format!("{base}/wifi.geojson"), "color": "#0891b2"},
        {"name": tr.get("rg.layer.cameras"), "url": format!("{base}/cameras.geojson"), "color": "#374151", "on": false},
        {"name": tr.get("rg.layer.wastewater"), "url": format!("{base}/wastewater.geojson"), "color": "#a16207", "on": false},
        {"name": tr.get("rg.layer.sensors"), "url": format!("{base}/sensors.geojson"), "color": "#b42318"},
    ])
    .to_string();
    let most = summary
        .villages
        .iter()
        .map(|v| v.1)
        .max()
        .unwrap_or(0)
        .max(1);
    let shell = Shell::new(&state, &ctx, Some(c.clone()), tr.get("rg.map")).await;
    Ok(render(&MapPage {
        shell,
        active: "map",
        map: MapConf::new(&state.config, bounds).with_area(&c.code),
        layers,
        total: summary.total,
        pinned: summary.pinned,
        pinned_share: kernel::numbers::percent(
            summary.pinned as f64 * 100.0 / summary.total.max(1) as f64,
        ),
        villages: summary
            .villages
            .into_iter()
            .map(|(name, households)| VillageRow { name, households })
            .collect(),
        most,
    }))
}
