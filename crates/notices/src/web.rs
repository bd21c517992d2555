//! Public pages: the notice board with search, a notice (read receipts, acknowledgement of
//! emergencies, attachments), following topics, and the events calendar feed.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::Utc;
use kernel::error::AppResult;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render};
use serde::Deserialize;

use crate::actions::{emergencies, notices, topics};
use crate::entity::notice;
use crate::model::Category;
use crate::{ical, markdown, store};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/notices", get(board))
        .route("/c/{code}/notices/{id}", get(show))
        .route("/c/{code}/notices/{id}/ack", post(ack))
        .route("/c/{code}/notices/{id}/files/{aid}", get(file))
        .route("/c/{code}/notices/topics/{tid}", post(follow))
        .route("/c/{code}/events.ics", get(calendar))
}

pub struct Card {
    pub id: i64,
    pub title: String,
    pub category: &'static str,
    pub category_label: &'static str,
    pub excerpt: String,
    pub when: String,
    pub pinned: bool,
    pub emergency: bool,
    pub event: String,
}

pub fn card(ctx: &Ctx, n: &notice::Model) -> Card {
    let cat = Category::parse(&n.category).unwrap_or(Category::Notice);
    Card {
        id: n.id,
        title: n.title.clone(),
        category: cat.as_str(),
        category_label: ctx.tr().get(&cat.label_key()),
        excerpt: markdown::excerpt(&n.body_md, 220),
        when: vn_time(n.published_at.unwrap_or(n.publish_at)),
        pinned: n.pinned,
        emergency: cat == Category::Emergency,
        event: crate::model::event_when(n),
    }
}

#[derive(Template)]
#[template(path = "nt_board.html")]
struct BoardPage {
    shell: Shell,
    code: String,
    cards: Vec<Card>,
    q: String,
    q_url: String,
    category: String,
    categories: Vec<(&'static str, &'static str)>,
    page: u64,
    more: bool,
    /// (id, name, followed) for signed-in people.
    topics: Vec<(i64, String, bool)>,
    signed_in: bool,
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    page: Option<u64>,
}

async fn board(
    State(state): State<AppState>,
    Extension(cache): Extension<std::sync::Arc<store::BoardCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<BoardQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let page = kernel::paging::page(q.page);
    let category = Category::parse(&q.category);
    let board = store::board_page(&state.db, &cache, &c.code, &q.q, category, page).await?;
    let (rows, more) = (&board.0, board.1);
    let topics = match &ctx.user {
        Some(_) => topics::list(state.kernel(), ctx.actor(), &c)
            .await?
            .into_iter()
            .map(|(t, following)| (t.id, t.name, following))
            .collect(),
        None => Vec::new(),
    };
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("nt.board")).await;
    Ok(render(&BoardPage {
        shell,
        code: c.code.clone(),
        cards: rows.iter().map(|n| card(&ctx, n)).collect(),
        q_url: kernel::web::ctx::urlencode(q.q.trim()),
        q: q.q.trim().to_owned(),
        category: category.map(|c| c.as_str()).unwrap_or_default().to_owned(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), ctx.tr().get(&c.label_key())))
            .collect(),
        page,
        more,
        topics,
        signed_in: ctx.user.is_some(),
    }))
}

#[derive(Template)]
#[template(path = "nt_notice.html")]
struct NoticePage {
    shell: Shell,
    code: String,
    c: Card,
    body_html: String,
    author: String,
    files: Vec<(i64, String)>,
    /// Emergencies: the reader is in the audience and has (not) acknowledged.
    can_ack: bool,
    acked: Option<String>,
    is_staff: bool,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let r = notices::read(state.kernel(), ctx.actor(), &c, id).await?;
    let n = r.notice;
    let mut can_ack = false;
    let mut acked = None;
    if let Some(rec) = &r.recipient
        && n.category == Category::Emergency.as_str()
    {
        can_ack = rec.ack_at.is_none();
        acked = rec.ack_at.map(vn_time);
    }
    let files = r
        .attachments
        .into_iter()
        .map(|a| (a.attachment_id, a.name))
        .collect();
    // The reach page is the publishers' (the same rule that lets them read drafts).
    let is_staff = r.publisher;
    let shell = Shell::new(&state, &ctx, Some(c.clone()), &n.title).await;
    Ok(render(&NoticePage {
        shell,
        code: c.code.clone(),
        c: card(&ctx, &n),
        body_html: n.body_html.clone(),
        author: n.author_name.clone(),
        files,
        can_ack,
        acked,
        is_staff,
    }))
}

#[derive(Deserialize)]
struct Empty {}

async fn ack(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (n, _) = emergencies::acknowledge(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Redirect::to(&store::link(&c.code, n.id)).into_response())
}

async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id, aid)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let d = notices::file(state.kernel(), ctx.actor(), &c, id, aid).await?;
    let disposition = format!(
        "inline; filename*=UTF-8''{}",
        kernel::web::ctx::urlencode(&d.name)
    );
    let bytes = d.bytes;
    Ok((
        [
            (header::CONTENT_TYPE, d.mime),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "public, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct FollowForm {
    #[serde(default)]
    follow: String,
}

async fn follow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, tid)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<FollowForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    topics::follow(state.kernel(), ctx.actor(), &c, tid, f.follow == "1").await?;
    Ok(Redirect::to(&format!("/c/{}/notices#topics", c.code)).into_response())
}

async fn calendar(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let c: Arc<CommuneInfo> = state.communes.active(&code)?;
    let since = Utc::now() - chrono::Duration::days(90);
    let events = store::events(&state.db, &c.code, since).await?;
    let host = state
        .config
        .public_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let body = ical::feed(
        &c,
        &events,
        if host.is_empty() { "xaso.local" } else { &host },
        &state.config.public_url,
        Utc::now(),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}
