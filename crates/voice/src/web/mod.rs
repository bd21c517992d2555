//! The voice room's pages, by topic: the public board and its map, sending a report,
//! following one (and rating it), the officials' triage inbox and desk, and the settings.
//! Handlers parse, call a use case of `crate::actions` (or a query), and render.

mod board;
mod desk;
mod follow;
mod settings;
mod submit;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::Utc;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
pub use kernel::web::map::MapConf;
use kernel::web::pages::vn_time;

use crate::entity::{category, feedback};
use crate::model::Status;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/feedback", get(board::board))
        .route(
            "/c/{code}/feedback/board.geojson",
            get(board::board_geojson),
        )
        .route(
            "/c/{code}/feedback/new",
            get(submit::new_form).post(submit::submit),
        )
        .route("/c/{code}/feedback/mine", get(follow::mine))
        .route("/c/{code}/feedback/{receipt}", get(follow::follow))
        .route("/c/{code}/feedback/{receipt}/rate", post(follow::rate))
        .route(
            "/c/{code}/feedback/{receipt}/photos/{att}",
            get(follow::photo),
        )
        .route("/c/{code}/office/feedback", get(desk::triage))
        .route("/c/{code}/office/feedback/{id}", get(desk::desk_view))
        .route("/c/{code}/office/feedback/{id}/step", post(desk::desk_step))
        .route(
            "/c/{code}/office/feedback-settings",
            get(settings::settings),
        )
        .route(
            "/c/{code}/office/feedback-settings/category",
            post(settings::save_category),
        )
        .route(
            "/c/{code}/office/feedback-settings/area",
            post(settings::save_area),
        )
        .route(
            "/c/{code}/office/feedback-settings/keys",
            post(settings::create_key),
        )
        .route(
            "/c/{code}/office/feedback-settings/keys/{id}/revoke",
            post(settings::revoke_key),
        )
        .layer(Extension(Arc::new(board::BoardCache::default())))
}

/// The map widget's settings for a page of commune `commune`: the feedback area as its bounds.
pub(super) async fn map_conf(state: &AppState, commune: &str) -> AppResult<MapConf> {
    let bounds = store::area(&state.db, commune)
        .await?
        .map(|b| b.to_csv())
        .unwrap_or_default();
    Ok(MapConf::new(&state.config, bounds).with_area(commune))
}

pub(super) fn status_label(ctx: &Ctx, s: &str) -> String {
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

pub(super) fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut e: String = s.chars().take(n).collect();
    e.push('…');
    e
}

pub(super) fn row(
    ctx: &Ctx,
    f: &feedback::Model,
    cat: Option<&category::Model>,
    show_reporter: bool,
) -> Row {
    let now = Utc::now();
    let open = Status::parse(&f.status).is_some_and(Status::is_open);
    let place = match (&f.address, f.lat, f.lon) {
        (Some(a), _, _) => a.clone(),
        // Never raw coordinates on a page: the map shows the pin.
        (None, Some(_), Some(_)) => ctx.tr().get("fb.place_pinned").to_owned(),
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

pub(super) fn cat_of(cats: &[category::Model], id: i64) -> Option<&category::Model> {
    cats.iter().find(|c| c.id == id)
}

pub struct EventRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub status: String,
    pub note: String,
}

pub(super) async fn event_rows(
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
