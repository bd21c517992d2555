//! The voice room's pages: the public board and map, sending and following feedback, the
//! officials' triage inbox and steps, and the room's settings (categories, map area, keys).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use kernel::accounts::{CurrentUser, Role};
use kernel::error::{AppError, AppResult};
use kernel::files;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, Parts, check_csrf, read_multipart};
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use crate::entity::{category, feedback};
use crate::model::{self, Action, Bounds, Sight, Status};
use crate::receipt;
use crate::store::{self, NewFeedback, Step, TriageFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/feedback", get(board))
        .route("/c/{code}/feedback/board.geojson", get(board_geojson))
        .route("/c/{code}/feedback/new", get(new_form).post(submit))
        .route("/c/{code}/feedback/mine", get(mine))
        .route("/c/{code}/feedback/{receipt}", get(follow))
        .route("/c/{code}/feedback/{receipt}/rate", post(rate))
        .route("/c/{code}/feedback/{receipt}/photos/{att}", get(photo))
        .route("/c/{code}/office/feedback", get(triage))
        .route("/c/{code}/office/feedback/{id}", get(desk_view))
        .route("/c/{code}/office/feedback/{id}/step", post(desk_step))
        .route("/c/{code}/office/feedback-settings", get(settings))
        .route(
            "/c/{code}/office/feedback-settings/category",
            post(save_category),
        )
        .route("/c/{code}/office/feedback-settings/area", post(save_area))
        .route("/c/{code}/office/feedback-settings/keys", post(create_key))
        .route(
            "/c/{code}/office/feedback-settings/keys/{id}/revoke",
            post(revoke_key),
        )
        .layer(Extension(Arc::new(BoardCache::default())))
}

use kernel::accounts::access::ADMINS;

/// What a page needs to draw a map: tiles (empty for none, e.g. offline) and the area.
pub struct MapConf {
    pub tiles: String,
    pub attribution: String,
    pub bounds: String,
}

async fn map_conf(state: &AppState, commune: &str) -> AppResult<MapConf> {
    Ok(MapConf {
        tiles: state.config.map_tiles.clone(),
        attribution: state.config.map_attribution.clone(),
        bounds: store::area(&state.db, commune)
            .await?
            .map(|b| b.to_csv())
            .unwrap_or_default(),
    })
}

fn status_label(ctx: &Ctx, s: &str) -> String {
    ctx.tr().get(&format!("fb.status.{s}")).to_owned()
}

/// A report as lists and pages show it; the reporter's identity only where allowed.
pub struct Row {
    pub id: i64,
    pub receipt: String,
    pub category: String,
    pub text: String,
    pub excerpt: String,
    pub status: String,
    pub status_code: String,
    pub created: String,
    pub due: String,
    pub overdue: bool,
    pub place: String,
    pub reporter: String,
    pub answer: String,
    pub answered: String,
    pub rating: Option<i32>,
    pub version: i32,
    pub restricted: bool,
}

fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut e: String = s.chars().take(n).collect();
    e.push('…');
    e
}

fn row(ctx: &Ctx, f: &feedback::Model, cat: Option<&category::Model>, show_reporter: bool) -> Row {
    let now = Utc::now();
    let open = Status::parse(&f.status).is_some_and(Status::is_open);
    let place = match (&f.address, f.lat, f.lon) {
        (Some(a), _, _) => a.clone(),
        (None, Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
        _ => String::new(),
    };
    let reporter = if !show_reporter {
        String::new()
    } else if f.anonymous {
        ctx.tr().get("fb.anonymous").to_owned()
    } else {
        [
            f.reporter_name.clone().unwrap_or_default(),
            f.reporter_phone
                .as_deref()
                .map(kernel::accounts::phone::display_phone)
                .unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    };
    Row {
        id: f.id,
        receipt: f.receipt_code.clone(),
        category: cat.map(|c| c.name.clone()).unwrap_or_default(),
        text: f.text.clone(),
        excerpt: excerpt(&f.text, 160),
        status: status_label(ctx, &f.status),
        status_code: f.status.clone(),
        created: vn_time(f.created_at),
        due: vn_time(f.due_at),
        overdue: open && f.due_at < now,
        place,
        reporter,
        answer: f.answer.clone().unwrap_or_default(),
        answered: f.answered_at.map(vn_time).unwrap_or_default(),
        rating: f.rating,
        version: f.version,
        restricted: cat.is_some_and(|c| c.restricted),
    }
}

fn cat_of(cats: &[category::Model], id: i64) -> Option<&category::Model> {
    cats.iter().find(|c| c.id == id)
}

// ---- the public board ----

#[derive(Template)]
#[template(path = "fb_board.html")]
struct BoardPage {
    shell: Shell,
    code: String,
    rows: Vec<Row>,
    page: u64,
    more: bool,
    map: MapConf,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: Option<u64>,
}

/// What the board shows of one page, the same for every visitor until the commune's
/// feedback changes: the reports, whether more follow, the categories and the map area.
#[derive(Clone)]
struct BoardData {
    list: Arc<Vec<feedback::Model>>,
    more: bool,
    cats: Arc<Vec<category::Model>>,
    bounds: String,
}

type BoardCache = kernel::cache::GenerationCache<BoardData>;

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

async fn board(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<BoardCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let page = kernel::paging::page(q.page);
    let d = board_data(&state, &cache, &c.code, page).await?;
    let rows = d
        .list
        .iter()
        .map(|f| row(&ctx, f, cat_of(&d.cats, f.category_id), false))
        .collect();
    let map = MapConf {
        tiles: state.config.map_tiles.clone(),
        attribution: state.config.map_attribution.clone(),
        bounds: d.bounds,
    };
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.board")).await;
    Ok(render(&BoardPage {
        shell,
        code: c.code.clone(),
        rows,
        page,
        more: d.more,
        map,
    }))
}

/// Answered reports with a pin, for the board's map (GeoJSON, newest 500).
async fn board_geojson(
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
                features.push(serde_json::json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {
                        "title": excerpt(&f.text, 80),
                        "url": format!("/c/{}/feedback/{}", c.code, f.receipt_code),
                        "status_label": status_label(&ctx, &f.status),
                        "category": cat_of(&cats, f.category_id).map(|x| x.name.clone()),
                    }
                }));
            }
        }
        if done {
            break;
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(serde_json::json!({"type": "FeatureCollection", "features": features})),
    )
        .into_response())
}

// ---- sending ----

#[derive(Template)]
#[template(path = "fb_new.html")]
struct NewPage {
    shell: Shell,
    code: String,
    categories: Vec<(String, String, String)>,
    villages: Vec<(i64, String)>,
    values: std::collections::BTreeMap<String, String>,
    error: Option<String>,
    error_field: String,
    map: MapConf,
    photos_max: usize,
    /// Largest upload, so the offline draft box keeps no more photos than could be sent.
    max_upload_bytes: u64,
}

impl NewPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    values: std::collections::BTreeMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.user()?;
    let categories = store::categories(&state.db, &c.code, false)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name, c.description))
        .collect();
    let villages = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let map = map_conf(state, &c.code).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.new")).await;
    Ok(render_for(
        err,
        &NewPage {
            shell,
            code: c.code.clone(),
            categories,
            villages,
            values,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
            map,
            photos_max: model::PHOTOS_MAX,
            max_upload_bytes: state.config.max_upload_bytes as u64,
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    new_page(&state, &ctx, c, Default::default(), None).await
}

/// Checks the photos before any is stored: all of them must be images, and not too many.
pub fn check_photos(files_in: &[(String, String, Vec<u8>)]) -> AppResult<()> {
    if files_in.len() > model::PHOTOS_MAX {
        return Err(AppError::invalid("photos_too_many", "photos"));
    }
    for (_, _, bytes) in files_in {
        if !files::sniff(bytes).is_some_and(files::Kind::is_image) {
            return Err(AppError::invalid("photo_invalid", "photos"));
        }
    }
    Ok(())
}

pub async fn store_photos(
    state: &AppState,
    c: &CommuneInfo,
    u: Option<&CurrentUser>,
    files_in: Vec<(String, String, Vec<u8>)>,
) -> AppResult<Vec<i64>> {
    let mut ids = vec![];
    for (_, name, bytes) in files_in {
        let a = state
            .files
            .store(
                &state.db,
                &c.code,
                u.map(|u| u.id),
                &name,
                bytes,
                files::IMAGES,
            )
            .await?;
        ids.push(a.id);
    }
    Ok(ids)
}

fn new_from_parts(parts: &Parts, u: &CurrentUser) -> AppResult<NewFeedback> {
    let field = |k: &str| parts.fields.get(k).cloned().unwrap_or_default();
    let invalid = |(code, f): model::Invalid| AppError::invalid(code, f);
    let village_id = match field("village_id").trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| AppError::invalid("village_unknown", "village_id"))?,
        ),
    };
    Ok(NewFeedback {
        category_code: field("category"),
        text: field("text"),
        anonymous: field("anonymous") == "on" || field("anonymous") == "true",
        reporter: Some(u.id),
        reporter_name: Some(u.full_name.clone()),
        reporter_phone: u.phone.clone(),
        reporter_email: u.email.clone(),
        lat: model::parse_coordinate(&field("lat")).map_err(invalid)?,
        lon: model::parse_coordinate(&field("lon")).map_err(invalid)?,
        village_id,
        address: field("address"),
        source: "web",
    })
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let parts = read_multipart(mp).await?;
    let res = async {
        let nf = new_from_parts(&parts, u)?;
        let checked = store::check_new(&state.db, &c.code, &nf).await?;
        let photos: Vec<_> = parts
            .files
            .iter()
            .filter(|(f, _, _)| f == "photos")
            .cloned()
            .collect();
        check_photos(&photos)?;
        let ids = store_photos(&state, &c, Some(u), photos).await?;
        store::submit(&state.db, &c, nf, checked, &ids).await
    }
    .await;
    match res {
        Ok(f) => {
            state.dispatcher.wake();
            Ok(Redirect::to(&format!("/c/{}/feedback/{}", c.code, f.receipt_code)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            new_page(&state, &ctx, c, parts.fields, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---- following ----

pub struct EventRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub status: String,
    pub note: String,
}

async fn event_rows(
    state: &AppState,
    ctx: &Ctx,
    f: &feedback::Model,
    staff_view: bool,
) -> AppResult<Vec<EventRow>> {
    Ok(store::events(&state.db, f.id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: vn_time(e.at),
            who: if staff_view {
                e.actor_name
            } else {
                String::new()
            },
            action: ctx.tr().get(&format!("fb.action.{}", e.action)).to_owned(),
            status: status_label(ctx, &e.status),
            // Assignment notes are internal; answers and reasons are for the reporter.
            note: if staff_view || e.action != "assign" {
                e.note.unwrap_or_default()
            } else {
                String::new()
            },
        })
        .collect())
}

/// May this visitor open the report's page? Restricted reports: the reporter and the
/// officials the rules allow; others: anyone holding the receipt code.
#[derive(Template)]
#[template(path = "fb_follow.html")]
struct FollowPage {
    shell: Shell,
    code: String,
    f: Row,
    /// The text and place are the reporter's and the officials' only (see `model::sight`).
    withheld: bool,
    photos: Vec<i64>,
    events: Vec<EventRow>,
    may_rate: bool,
    merged_into: Option<String>,
    error: Option<String>,
}

/// The follow page shows what [`crate::model::sight`] allows this reader, found through the
/// throttled [`receipt::look_up`] every door shares.
async fn follow_page(
    state: &AppState,
    ctx: &Ctx,
    guard: &receipt::Guard,
    ip: std::net::IpAddr,
    c: Arc<CommuneInfo>,
    receipt: &str,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let found = receipt::look_up(&state.db, guard, ip, &c, receipt, ctx.user.as_deref()).await?;
    let sight = found.sight;
    let cat = found.category().cloned().ok_or_else(AppError::not_found)?;
    let f = receipt::redacted(found.report, sight);
    let is_reporter = ctx
        .user
        .as_ref()
        .is_some_and(|u| f.reporter_user_id == Some(u.id));
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    let may_rate = ctx
        .user
        .as_ref()
        .is_some_and(|u| model::may_rate(f.reporter_user_id, u.id, status, f.rating.is_some()));
    let merged_into = match f.merged_into_id {
        Some(id) => Some(store::by_id(&state.db, &c.code, id).await?.receipt_code),
        None => None,
    };
    let photos = if sight >= Sight::Public {
        store::photos(&state.db, f.id).await?
    } else {
        vec![]
    };
    let events = event_rows(state, ctx, &f, false).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.follow")).await;
    Ok(render_for(
        err,
        &FollowPage {
            shell,
            code: c.code.clone(),
            f: row(ctx, &f, Some(&cat), is_reporter),
            withheld: sight < Sight::Public,
            photos,
            events,
            may_rate,
            merged_into,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

#[derive(Deserialize)]
struct FollowQuery {
    #[serde(default)]
    receipt: Option<String>,
}

async fn follow(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<FollowQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    // The board's "follow a report" box submits ?receipt=… to /feedback/find.
    if receipt == "find" {
        let r = q.receipt.unwrap_or_default();
        return Ok(Redirect::to(&format!(
            "/c/{}/feedback/{}",
            c.code,
            kernel::web::ctx::urlencode(r.trim())
        ))
        .into_response());
    }
    let ip = kernel::web::ops::client_ip(&ext);
    follow_page(&state, &ctx, &guard, ip, c, &receipt, None).await
}

#[derive(Deserialize)]
struct RateForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let stars = f.rating.trim().parse::<i32>().unwrap_or(0);
    match store::rate(&state.db, &c, &receipt, u.id, stars, &f.comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/feedback/{receipt}", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let ip = kernel::web::ops::client_ip(&ext);
            follow_page(&state, &ctx, &guard, ip, c, &receipt, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

/// A report's photo, for whoever may read the report's text ([`Sight::Public`] and above).
async fn photo(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt, att)): Path<(String, String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let ip = kernel::web::ops::client_ip(&ext);
    let found = receipt::look_up(&state.db, &guard, ip, &c, &receipt, ctx.user.as_deref()).await?;
    if found.sight < Sight::Public
        || !store::photos(&state.db, found.report.id)
            .await?
            .contains(&att)
    {
        return Err(AppError::not_found());
    }
    let a = state.files.find(&state.db, &c.code, att).await?;
    let bytes = state.files.read(&a).await?;
    Ok((
        [
            (header::CONTENT_TYPE, a.mime),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "fb_mine.html")]
struct MinePage {
    shell: Shell,
    code: String,
    rows: Vec<Row>,
}

async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let rows = store::mine(&state.db, &c.code, u.id)
        .await?
        .iter()
        .map(|f| row(&ctx, f, cat_of(&cats, f.category_id), false))
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.mine")).await;
    Ok(render(&MinePage {
        shell,
        code: c.code.clone(),
        rows,
    }))
}

// ---- the officials' side ----

#[derive(Template)]
#[template(path = "fb_triage.html")]
struct TriagePage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<Row>,
    total: u64,
    statuses: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    f: TriageFilter,
    figures: store::Figures,
}

async fn triage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<TriageFilter>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let a = store::actor(u, &c);
    let now = Utc::now();
    let (list, total) = store::triage(&state.db, &c.code, &a, &cats, &f, now).await?;
    let rows = list
        .iter()
        .map(|x| row(&ctx, x, cat_of(&cats, x.category_id), true))
        .collect();
    let figures = store::figures(&state.db, &c.code, now).await?;
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.triage")).await;
    Ok(render(&TriagePage {
        shell,
        active: "feedback",
        code: c.code.clone(),
        rows,
        total,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), ctx.tr().get(&s.label_key()).to_owned()))
            .collect(),
        categories: cats.into_iter().map(|c| (c.code, c.name)).collect(),
        f,
        figures,
    }))
}

#[derive(Template)]
#[template(path = "fb_desk.html")]
struct DeskPage {
    shell: Shell,
    active: &'static str,
    code: String,
    f: Row,
    photos: Vec<i64>,
    events: Vec<EventRow>,
    actions: Vec<(&'static str, String, bool)>,
    handlers: Vec<(i64, String)>,
    department: String,
    merged_into: Option<String>,
    error: Option<String>,
    map: MapConf,
    lat: String,
    lon: String,
}

async fn desk_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let f = store::by_id(&state.db, &c.code, id).await?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let cat = cat_of(&cats, f.category_id).ok_or_else(AppError::not_found)?;
    let a = store::actor(u, &c);
    if !model::may_see(&a, &store::report(&f, cat)) {
        return Err(AppError::forbidden());
    }
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    let actions = Action::ALL
        .into_iter()
        .filter(|x| model::check(&a, &store::report(&f, cat), *x, status).is_ok())
        .map(|x| {
            (
                x.as_str(),
                ctx.tr().get(&x.label_key()).to_owned(),
                x.needs_note(),
            )
        })
        .collect();
    let handlers = kernel::accounts::staff_of(&state.db, &c.code)
        .await?
        .into_iter()
        .filter(|(g, _)| Role::parse(&g.role).is_some_and(|r| model::HANDLERS.contains(&r)))
        .map(|(g, s)| {
            let dept = g.department.map(|d| format!(" · {d}")).unwrap_or_default();
            (s.id, format!("{}{dept}", s.full_name))
        })
        .fold(Vec::<(i64, String)>::new(), |mut acc, h| {
            if !acc.iter().any(|x| x.0 == h.0) {
                acc.push(h);
            }
            acc
        });
    let merged_into = match f.merged_into_id {
        Some(mid) => Some(store::by_id(&state.db, &c.code, mid).await?.receipt_code),
        None => None,
    };
    let photos = store::photos(&state.db, f.id).await?;
    let events = event_rows(state, ctx, &f, true).await?;
    let map = map_conf(state, &c.code).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.triage")).await;
    Ok(render_for(
        err,
        &DeskPage {
            shell,
            active: "feedback",
            code: c.code.clone(),
            department: f.department.clone().unwrap_or_default(),
            lat: f.lat.map(|x| x.to_string()).unwrap_or_default(),
            lon: f.lon.map(|x| x.to_string()).unwrap_or_default(),
            f: row(ctx, &f, Some(cat), true),
            photos,
            events,
            actions,
            handlers,
            merged_into,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            map,
        },
    ))
}

async fn desk_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    desk_page(&state, &ctx, c, id, None).await
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub assignee_id: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub merge_into: String,
}

impl StepForm {
    pub fn step(&self) -> AppResult<Step<'_>> {
        let action = Action::parse(&self.action)
            .ok_or_else(|| AppError::invalid("action_unknown", "action"))?;
        let assignee_id = match self.assignee_id.trim() {
            "" => None,
            v => Some(
                v.parse()
                    .map_err(|_| AppError::invalid("assignee_invalid", "assignee_id"))?,
            ),
        };
        Ok(Step {
            action,
            version: self.version,
            note: Some(self.note.as_str()),
            assignee_id,
            department: Some(self.department.as_str()),
            merge_into: Some(self.merge_into.as_str()),
        })
    }
}

async fn desk_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let res = match form.step() {
        Ok(step) => store::act(&state.db, &c, id, u, step).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(_) => {
            state.dispatcher.wake();
            Ok(Redirect::to(&format!("/c/{}/office/feedback/{id}", c.code)).into_response())
        }
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::NOT_FOUND
                && e.status != StatusCode::FORBIDDEN =>
        {
            desk_page(&state, &ctx, c, id, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---- settings: categories, the map area, Open311 keys ----

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

async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    settings_page(&state, &ctx, c, None, None).await
}

#[derive(Deserialize)]
struct CategoryForm {
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

async fn save_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<CategoryForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
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
        let txn = kernel::db::begin_write(&state.db).await?;
        let cat = store::save_category(&txn, &c.code, &input).await?;
        kernel::audit::record(
            &txn,
            kernel::audit::Entry::in_commune(
                u,
                &c,
                "feedback.category",
                "feedback_category",
                cat.id,
                format!("{} · {}", cat.code, cat.name),
            ),
        )
        .await?;
        txn.commit().await?;
        store::changed(&c.code);
        Ok(())
    }
    .await;
    settings_result(&state, &ctx, c, res).await
}

#[derive(Deserialize)]
struct AreaForm {
    #[serde(default)]
    area: String,
}

async fn save_area(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<AreaForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = async {
        let area = match f.area.trim() {
            "" => None,
            s => Some(Bounds::parse(s).ok_or_else(|| AppError::invalid("area_invalid", "area"))?),
        };
        let txn = kernel::db::begin_write(&state.db).await?;
        store::set_area(&txn, &c.code, area).await?;
        kernel::audit::record(
            &txn,
            kernel::audit::Entry::in_commune(
                u,
                &c,
                "feedback.area",
                "commune",
                &c.code,
                area.map(|a| a.to_csv()).unwrap_or_default(),
            ),
        )
        .await?;
        txn.commit().await?;
        store::changed(&c.code);
        Ok(())
    }
    .await;
    settings_result(&state, &ctx, c, res).await
}

#[derive(Deserialize)]
struct KeyForm {
    #[serde(default)]
    name: String,
}

async fn create_key(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<KeyForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    match store::create_key(&state.db, &c, u, &f.name).await {
        Ok((_, secret)) => settings_page(&state, &ctx, c, Some(secret), None).await,
        Err(e) => settings_result(&state, &ctx, c, Err(e)).await,
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = store::revoke_key(&state.db, &c, u, id).await;
    settings_result(&state, &ctx, c, res).await
}
