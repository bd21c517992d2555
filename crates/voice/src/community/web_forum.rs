//! Pages of the commune forum: the topic list with search, a topic with its replies, posting,
//! abuse reports, moderation, and the moderators' queue of reported posts.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use kernel::accounts::Role;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::actions::{self, NewTopic};
use super::entity::{post as post_e, topic as topic_e};
use super::forum;
use super::rules::{self, MODERATORS, POSTS_PAGE, PostAction, Scope, TOPICS_PAGE, TopicAction};
use crate::error::{ActionError, Refusal};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/forum", get(list).post(create_topic))
        .layer(Extension(Arc::new(TopicsCache::default())))
        .route("/c/{code}/forum/{id}", get(show))
        .route("/c/{code}/forum/{id}/reply", post(reply))
        .route("/c/{code}/forum/{id}/moderate", post(moderate_topic))
        .route("/c/{code}/forum/{id}/posts/{pid}/report", post(report))
        .route(
            "/c/{code}/forum/{id}/posts/{pid}/moderate",
            post(moderate_post),
        )
        .route("/c/{code}/office/forum-moderation", get(queue))
}

fn is_moderator(ctx: &Ctx, c: &CommuneInfo) -> bool {
    ctx.user.as_ref().is_some_and(|u| rules::is_moderator(u, c))
}

/// "Tỉnh Nghệ An" as it reads mid-sentence: "tỉnh Nghệ An".
fn in_sentence(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Does the reader moderate commune `code`'s forum?
fn moderates(state: &AppState, ctx: &Ctx, code: &str) -> bool {
    state
        .communes
        .get(code)
        .is_some_and(|c| is_moderator(ctx, &c))
}

fn role_badge(ctx: &Ctx, role: &str) -> String {
    match Role::parse(role) {
        Some(r) if r.is_staff() => ctx.tr().get(&r.label_key()).to_owned(),
        _ => String::new(),
    }
}

pub struct TopicRow {
    pub id: i64,
    /// The commune the topic belongs to, whose officials moderate it.
    pub commune_code: String,
    /// That commune's name when it is not the forum being read.
    pub commune_name: String,
    /// Shared with the whole province.
    pub shared: bool,
    pub title: String,
    pub author: String,
    pub badge: String,
    pub created: String,
    pub last: String,
    pub replies: i32,
    pub pinned: bool,
    pub locked: bool,
    pub hidden: bool,
    /// The title is shown (not hidden, or the reader moderates).
    pub shown: bool,
}

/// A topic as commune `here`'s forum lists it; `moderator` is about the topic's own commune.
fn topic_row(
    state: &AppState,
    ctx: &Ctx,
    here: &str,
    t: &topic_e::Model,
    moderator: bool,
) -> TopicRow {
    let shown = !t.hidden || moderator;
    TopicRow {
        id: t.id,
        commune_code: t.commune_code.clone(),
        commune_name: if t.commune_code == here {
            String::new()
        } else {
            state
                .communes
                .get(&t.commune_code)
                .map(|c| c.name.clone())
                .unwrap_or_default()
        },
        shared: t.province_code.is_some(),
        title: if shown {
            t.title.clone()
        } else {
            ctx.tr().get("cm.forum.hidden").to_owned()
        },
        author: if shown {
            t.author_name.clone()
        } else {
            String::new()
        },
        badge: role_badge(ctx, &t.author_role),
        created: vn_time(t.created_at),
        last: vn_time(t.last_post_at),
        replies: t.reply_count,
        pinned: t.pinned,
        locked: t.locked,
        hidden: t.hidden,
        shown,
    }
}

pub struct PostRow {
    pub id: i64,
    pub author: String,
    pub badge: String,
    pub created: String,
    /// Empty when the post is hidden from this reader.
    pub body: String,
    pub hidden: bool,
    pub shown: bool,
    pub reason: String,
    pub reports: i32,
}

fn post_row(ctx: &Ctx, p: &post_e::Model, moderator: bool) -> PostRow {
    let shown = !p.hidden || moderator;
    PostRow {
        id: p.id,
        author: if shown {
            p.author_name.clone()
        } else {
            String::new()
        },
        badge: if shown {
            role_badge(ctx, &p.author_role)
        } else {
            String::new()
        },
        created: vn_time(p.created_at),
        body: if shown { p.body.clone() } else { String::new() },
        hidden: p.hidden,
        shown,
        reason: if moderator {
            p.hidden_reason.clone().unwrap_or_default()
        } else {
            String::new()
        },
        reports: if moderator { p.report_count } else { 0 },
    }
}

// ---- the topic list ----

#[derive(Template)]
#[template(path = "cm_forum.html")]
struct ForumPage {
    shell: Shell,
    code: String,
    rows: Vec<TopicRow>,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    q_url: String,
    /// The province-wide forum is enabled: the scope tabs and the share box show.
    province_wide: bool,
    province_name: String,
    scope: &'static str,
    signed_in: bool,
    can_post: bool,
    title: String,
    body: String,
    share: bool,
    error: Option<String>,
    error_field: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    page: Option<u64>,
}

/// A page of a commune's topic list without a search, kept in memory until a topic or post
/// of its province changes (5 s at most for another process's writes): everyone opening the
/// forum reads the same first page.
type TopicsCache = kernel::cache::GenerationCache<Arc<(Vec<topic_e::Model>, u64)>>;

async fn topics_page(
    state: &AppState,
    cache: &TopicsCache,
    c: &CommuneInfo,
    scope: Scope,
    search: &kernel::search::Query,
    page: u64,
    moderator: bool,
) -> AppResult<Arc<(Vec<topic_e::Model>, u64)>> {
    let province_wide = state.config.forum_province_wide;
    let query = || forum::topics(&state.db, c, province_wide, scope, search, page, moderator);
    if !search.is_empty() {
        return Ok(Arc::new(query().await?));
    }
    // Without a search the rows do not depend on who reads them (hidden titles are masked
    // when shown), so one entry serves moderators and visitors alike.
    let key = format!("{}|{}|{page}", c.code, scope.as_str());
    let generation = kernel::cache::generation(forum::FORUM, &c.province_code);
    if let Some(hit) = cache.get(&key, generation) {
        return Ok(hit);
    }
    let _flight = cache.flight(&key).await;
    if let Some(hit) = cache.get(&key, generation) {
        return Ok(hit);
    }
    let fresh = Arc::new(query().await?);
    cache.put(key, generation, fresh.clone());
    Ok(fresh)
}

async fn list_page(
    state: &AppState,
    cache: &TopicsCache,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    q: ListQuery,
    draft: (String, String, bool),
    err: Option<&AppError>,
) -> AppResult<Response> {
    let moderator = is_moderator(ctx, &c);
    let page = kernel::paging::page(q.page);
    let province_wide = state.config.forum_province_wide;
    let scope = Scope::parse(&q.scope);
    let search = kernel::search::Query::parse(&q.q)?;
    let listed = topics_page(state, cache, &c, scope, &search, page, moderator).await?;
    let (topics, total) = (&listed.0, listed.1);
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("cm.forum.title")).await;
    Ok(render_for(
        err,
        &ForumPage {
            shell,
            code: c.code.clone(),
            rows: topics
                .iter()
                .map(|t| {
                    let m = if t.commune_code == c.code {
                        moderator
                    } else {
                        moderates(state, ctx, &t.commune_code)
                    };
                    topic_row(state, ctx, &c.code, t, m)
                })
                .collect(),
            total,
            page,
            pages: rules::pages(total, TOPICS_PAGE),
            q_url: kernel::web::ctx::urlencode(q.q.trim()),
            q: q.q.trim().to_owned(),
            province_wide,
            province_name: in_sentence(&c.province_name),
            scope: scope.as_str(),
            signed_in: ctx.user.is_some(),
            can_post: ctx.user.as_ref().is_some_and(|u| rules::is_member(u, &c)),
            title: draft.0,
            body: draft.1,
            share: draft.2,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<TopicsCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    list_page(&state, &cache, &ctx, c, q, Default::default(), None).await
}

#[derive(Deserialize)]
struct TopicForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// The "share with the whole province" box.
    #[serde(default)]
    province_wide: Option<String>,
}

async fn create_topic(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<TopicsCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<TopicForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let share = f.province_wide.is_some();
    let province_wide = state.config.forum_province_wide;
    let topic = NewTopic {
        title: &f.title,
        body: &f.body,
        share,
    };
    let res = actions::create_topic(state.kernel(), Some(u), &c, topic, province_wide)
        .await
        .map_err(AppError::from);
    match res {
        Ok(t) => Ok(Redirect::to(&format!("/c/{}/forum/{}", c.code, t.id)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            list_page(
                &state,
                &cache,
                &ctx,
                c,
                ListQuery::default(),
                (f.title, f.body, share),
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---- a topic ----

#[derive(Template)]
#[template(path = "cm_topic.html")]
struct TopicPage {
    shell: Shell,
    code: String,
    province_name: String,
    t: TopicRow,
    posts: Vec<PostRow>,
    page: u64,
    pages: u64,
    signed_in: bool,
    can_reply: bool,
    moderator: bool,
    body: String,
    error: Option<String>,
    error_field: String,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct TopicQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    reported: Option<String>,
}

async fn topic_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    q: TopicQuery,
    body: String,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let t = forum::topic(&state.db, &c.code, id).await?;
    let moderator = is_moderator(ctx, &c);
    let (first, total) = forum::posts(&state.db, &t.commune_code, t.id, 1).await?;
    let pages = rules::pages(total, POSTS_PAGE);
    // Without a page, a failed reply shows the last page, where the form is.
    let page = q
        .page
        .unwrap_or(if err.is_some() { pages } else { 1 })
        .clamp(1, pages);
    let posts = if page == 1 {
        first
    } else {
        forum::posts(&state.db, &t.commune_code, t.id, page)
            .await?
            .0
    };
    let row = topic_row(state, ctx, &c.code, &t, moderator);
    let communes = super::province_wide(state);
    let may_post = ctx
        .user
        .as_ref()
        .is_some_and(|u| rules::may_post(u, &c, t.province_code.as_deref(), communes.as_deref()));
    let shell = Shell::new(state, ctx, Some(c.clone()), &row.title).await;
    Ok(render_for(
        err,
        &TopicPage {
            shell,
            code: c.code.clone(),
            province_name: in_sentence(&c.province_name),
            posts: posts.iter().map(|p| post_row(ctx, p, moderator)).collect(),
            page,
            pages,
            signed_in: ctx.user.is_some(),
            can_reply: !t.locked && may_post,
            moderator,
            t: row,
            body,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
            notice: q
                .reported
                .map(|_| ctx.tr().get("cm.forum.reported_thanks").to_owned()),
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<TopicQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    topic_page(&state, &ctx, c, id, q, String::new(), None).await
}

/// Client errors other than "not found" and "not allowed" show the topic again with the
/// message; those two show the error page.
fn shows_on_topic(e: &AppError) -> bool {
    e.status.is_client_error()
        && e.status != StatusCode::NOT_FOUND
        && e.status != StatusCode::FORBIDDEN
        && e.status != StatusCode::UNAUTHORIZED
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    body: String,
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ReplyForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let communes = super::province_wide(&state);
    let res = actions::reply(
        state.kernel(),
        Some(u),
        &c,
        id,
        &f.body,
        communes.as_deref(),
    )
    .await
    .map_err(AppError::from);
    match res {
        Ok(p) => {
            let (_, total) = forum::posts(&state.db, &c.code, id, 1).await?;
            let last = rules::pages(total, POSTS_PAGE);
            Ok(
                Redirect::to(&format!("/c/{}/forum/{id}?page={last}#p{}", c.code, p.id))
                    .into_response(),
            )
        }
        Err(e) if shows_on_topic(&e) => {
            topic_page(&state, &ctx, c, id, TopicQuery::default(), f.body, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    page: Option<u64>,
}

async fn moderate_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, MODERATORS)?;
    let action = TopicAction::parse(&f.action)
        .ok_or_else(|| AppError::invalid("forum_action_unknown", "action"))?;
    actions::moderate_topic(state.kernel(), Some(u), &c, id, action).await?;
    Ok(Redirect::to(&format!("/c/{}/forum/{id}", c.code)).into_response())
}

/// The post, checked to belong to the topic in the address.
async fn post_in(state: &AppState, c: &CommuneInfo, id: i64, pid: i64) -> AppResult<()> {
    let p = forum::post(&state.db, &c.code, pid).await?;
    if p.topic_id != id {
        return Err(ActionError::from(Refusal::ForumPostUnknown).into());
    }
    Ok(())
}

fn back_to(c: &CommuneInfo, id: i64, page: Option<u64>, pid: i64, extra: &str) -> Response {
    let page = kernel::paging::page(page);
    Redirect::to(&format!(
        "/c/{}/forum/{id}?page={page}{extra}#p{pid}",
        c.code
    ))
    .into_response()
}

async fn moderate_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id, pid)): Path<(String, i64, i64)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, MODERATORS)?;
    post_in(&state, &c, id, pid).await?;
    let res = match PostAction::parse(&f.action) {
        Some(a) => actions::moderate_post(state.kernel(), Some(u), &c, pid, a, &f.reason)
            .await
            .map_err(AppError::from),
        None => Err(AppError::invalid("forum_action_unknown", "action")),
    };
    match res {
        Ok(_) => Ok(back_to(&c, id, f.page, pid, "")),
        Err(e) if shows_on_topic(&e) => {
            let q = TopicQuery {
                page: f.page,
                reported: None,
            };
            topic_page(&state, &ctx, c, id, q, String::new(), Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id, pid)): Path<(String, i64, i64)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    post_in(&state, &c, id, pid).await?;
    let res = actions::report(state.kernel(), Some(u), &c, pid, &f.reason)
        .await
        .map_err(AppError::from);
    match res {
        Ok(_) => Ok(back_to(&c, id, f.page, pid, "&reported=1")),
        Err(e) if shows_on_topic(&e) => {
            let q = TopicQuery {
                page: f.page,
                reported: None,
            };
            topic_page(&state, &ctx, c, id, q, String::new(), Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---- the moderators' queue ----

pub struct ReportedRow {
    pub topic_id: i64,
    pub topic: String,
    pub excerpt: String,
    pub post: PostRow,
}

#[derive(Template)]
#[template(path = "cm_moderation.html")]
struct QueuePage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<ReportedRow>,
    total: u64,
    page: u64,
    pages: u64,
}

async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, MODERATORS)?;
    let page = kernel::paging::page(q.page);
    let (list, total) = forum::reported(&state.db, &c.code, page).await?;
    let rows = list
        .iter()
        .map(|(p, title)| ReportedRow {
            topic_id: p.topic_id,
            topic: title.clone(),
            excerpt: forum::excerpt(&p.body, 200),
            post: post_row(&ctx, p, true),
        })
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("cm.mod.title")).await;
    Ok(render(&QueuePage {
        shell,
        active: "forum-moderation",
        code: c.code.clone(),
        rows,
        total,
        page,
        pages: rules::pages(total, TOPICS_PAGE),
    }))
}
