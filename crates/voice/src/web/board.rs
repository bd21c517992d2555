//! The public board: answered reports anyone may read, a page at a time (cached until the
//! commune's feedback changes), and their pins as GeoJSON for the map.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::map;
use kernel::web::shell::{Shell, render};
use serde::Deserialize;

use super::{MapConf, Row, cat_of, excerpt, map_conf, row, status_label};
use crate::entity::{category, feedback};
use crate::store;

#[derive(Template)]
#[template(path = "fb_board.html")]
struct BoardPage {
    shell: Shell,
    code: String,
    rows: Vec<Row>,
    page: u64,
    more: bool,
    map: MapConf,
    /// What the visitor searched for ("" for none).
    q: String,
    /// `q=…&` for the pager's links, URL-encoded ("" for none).
    q_param: String,
}

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    #[serde(default)]
    page: Option<u64>,
    /// Words to find in the reports' text and address (`kernel::search`).
    #[serde(default)]
    q: Option<String>,
}

/// What the board shows of one page, the same for every visitor until the commune's
/// feedback changes: the reports, whether more follow, the categories and the map area.
#[derive(Clone)]
pub(super) struct BoardData {
    list: Arc<Vec<feedback::Model>>,
    more: bool,
    cats: Arc<Vec<category::Model>>,
    bounds: String,
}

pub(super) type BoardCache = kernel::cache::GenerationCache<BoardData>;

async fn board_data(
    state: &AppState,
    cache: &BoardCache,
    commune: &str,
    page: u64,
) -> AppResult<BoardData> {
    let generation = store::generation(commune);
    let key = format!("{commune}|{page}");
    if let Some(d) = cache.get(&key, generation) {
        return Ok(d);
    }
    let _flight = cache.flight(&key).await;
    if let Some(d) = cache.get(&key, generation) {
        return Ok(d);
    }
    let cats = store::categories(&state.db, commune, true).await?;
    let (list, more) = store::board(&state.db, commune, &cats, &Default::default(), page).await?;
    let d = BoardData {
        list: Arc::new(list),
        more,
        cats: Arc::new(cats),
        bounds: map_conf(state, commune).await?.bounds,
    };
    cache.put(key, generation, d.clone());
    Ok(d)
}

pub(super) async fn board(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<BoardCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let page = kernel::paging::page(q.page);
    let words = q.q.as_deref().unwrap_or_default().trim().to_owned();
    let search = kernel::search::Query::parse(&words)?;
    // A search is read fresh; the plain board (what nearly every visit asks) comes from the cache.
    let d = if search.is_empty() {
        board_data(&state, &cache, &c.code, page).await?
    } else {
        let cats = store::categories(&state.db, &c.code, true).await?;
        let (list, more) = store::board(&state.db, &c.code, &cats, &search, page).await?;
        BoardData {
            list: Arc::new(list),
            more,
            cats: Arc::new(cats),
            bounds: map_conf(&state, &c.code).await?.bounds,
        }
    };
    let q_param = if search.is_empty() {
        String::new()
    } else {
        serde_urlencoded::to_string([("q", &words)]).unwrap_or_default() + "&"
    };
    let rows = d
        .list
        .iter()
        .map(|f| row(&ctx, f, cat_of(&d.cats, f.category_id), false))
        .collect();
    let map = MapConf::new(&state.config, d.bounds).with_area(&c.code);
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.board")).await;
    Ok(render(&BoardPage {
        shell,
        code: c.code.clone(),
        rows,
        page,
        more: d.more,
        map,
        q: if search.is_empty() {
            String::new()
        } else {
            words
        },
        q_param,
    }))
}

/// Answered reports with a pin, for the board's map (GeoJSON, newest 500).
pub(super) async fn board_geojson(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let mut features = vec![];
    for page in 1..=10 {
        let (list, more) =
            store::board(&state.db, &c.code, &cats, &Default::default(), page).await?;
        let done = !more;
        for f in list {
            if let (Some(lat), Some(lon)) = (f.lat, f.lon) {
                features.push(map::point(
                    lat,
                    lon,
                    serde_json::json!({
                        "title": excerpt(&f.text, 80),
                        "url": format!("/c/{}/feedback/{}", c.code, f.receipt_code),
                        "status_label": status_label(&ctx, &f.status),
                        "category": cat_of(&cats, f.category_id).map(|x| x.name.clone()),
                    }),
                ));
            }
        }
        if done {
            break;
        }
    }
    Ok(map::geojson(features))
}
