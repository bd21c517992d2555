//! The community JSON API: the officials directory and the community team (public reads,
//! edits by officials and the commune admin), and the forum with moderation and reports.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::actions::{self, NewTopic};
use super::directory::{self, Official, ProfileInput};
use super::entity::{post as post_e, topic as topic_e};
use super::forum;
use super::rules::{self, MODERATORS, PostAction, TopicAction};
use super::team::{self, Member, MemberInput, VillageHelpers};

#[derive(Serialize, ToSchema)]
pub struct DirectoryDepartment {
    /// Empty for officials without a department.
    name: String,
    officials: Vec<Official>,
}

/// The public directory: officials by department (indicator 3.1) and the community team with
/// the villages it helps (3.2).
#[derive(Serialize, ToSchema)]
pub struct CommunityDirectory {
    departments: Vec<DirectoryDepartment>,
    /// Officials listed.
    officials_total: usize,
    /// Of those, how many published a phone or an email.
    officials_with_contact: usize,
    team: Vec<Member>,
    villages: Vec<VillageHelpers>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/directory", tag = "community",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = CommunityDirectory), (status = 404, body = ErrorBody)))]
async fn directory_get(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<CommunityDirectory>> {
    let c = state.communes.active(&code)?;
    let list: Vec<Official> = directory::officials(&state.db, &c.code)
        .await?
        .into_iter()
        .filter(|o| o.visible)
        .collect();
    let officials_total = list.len();
    let officials_with_contact = list
        .iter()
        .filter(|o| o.phone.is_some() || o.email.is_some())
        .count();
    let team = team::members(&state.db, &c.code).await?;
    let villages = team::by_village(&state.db, &c.code, &team).await?;
    Ok(Json(CommunityDirectory {
        departments: directory::by_department(list)
            .into_iter()
            .map(|(name, officials)| DirectoryDepartment { name, officials })
            .collect(),
        officials_total,
        officials_with_contact,
        team,
        villages,
    }))
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/directory/{user_id}", tag = "community", request_body = ProfileInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("user_id" = i64, Path, description = "The official's user id")),
    responses((status = 200, body = Official), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn directory_save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, user_id)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<ProfileInput>,
) -> AppResult<Json<Official>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        actions::save_profile(state.kernel(), ctx.actor(), &c, user_id, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/community-team", tag = "community",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [Member]), (status = 404, body = ErrorBody)))]
async fn team_list_members(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<Member>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(team::members(&state.db, &c.code).await?))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/community-team", tag = "community", request_body = MemberInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Member), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn team_add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<MemberInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let m = actions::add_member(state.kernel(), ctx.actor(), &c, &input).await?;
    Ok((StatusCode::CREATED, Json(m)).into_response())
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/community-team/{id}", tag = "community", request_body = MemberInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Member id")),
    responses((status = 200, body = Member), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn team_update_member(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<MemberInput>,
) -> AppResult<Json<Member>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        actions::update_member(state.kernel(), ctx.actor(), &c, id, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/communes/{code}/community-team/{id}", tag = "community", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Member id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn team_remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    actions::remove_member(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the forum ----

/// A topic. A hidden topic's `title` and `author_name` are null except for moderators.
#[derive(Serialize, ToSchema)]
pub struct ForumTopic {
    id: i64,
    /// The commune the topic belongs to; its officials moderate it.
    commune_code: String,
    /// Shared with every commune of the province (province-wide forum).
    province_wide: bool,
    title: Option<String>,
    author_name: Option<String>,
    author_role: String,
    pinned: bool,
    locked: bool,
    hidden: bool,
    reply_count: i32,
    created_at: DateTime<Utc>,
    last_post_at: DateTime<Utc>,
}

fn topic_api(t: topic_e::Model, moderator: bool) -> ForumTopic {
    let shown = !t.hidden || moderator;
    ForumTopic {
        id: t.id,
        province_wide: t.province_code.is_some(),
        commune_code: t.commune_code,
        title: shown.then_some(t.title),
        author_name: shown.then_some(t.author_name),
        author_role: t.author_role,
        pinned: t.pinned,
        locked: t.locked,
        hidden: t.hidden,
        reply_count: t.reply_count,
        created_at: t.created_at,
        last_post_at: t.last_post_at,
    }
}

/// A post. A hidden post's `body` and `author_name` are null except for moderators, who also
/// see why it was hidden and how often it was reported.
#[derive(Serialize, ToSchema)]
pub struct ForumPost {
    id: i64,
    topic_id: i64,
    body: Option<String>,
    author_name: Option<String>,
    author_role: String,
    opening: bool,
    hidden: bool,
    hidden_reason: Option<String>,
    report_count: Option<i32>,
    created_at: DateTime<Utc>,
}

fn post_api(p: post_e::Model, moderator: bool) -> ForumPost {
    let shown = !p.hidden || moderator;
    ForumPost {
        id: p.id,
        topic_id: p.topic_id,
        body: shown.then_some(p.body),
        author_name: shown.then_some(p.author_name),
        author_role: p.author_role,
        opening: p.opening,
        hidden: p.hidden,
        hidden_reason: if moderator { p.hidden_reason } else { None },
        report_count: moderator.then_some(p.report_count),
        created_at: p.created_at,
    }
}

fn moderator(ctx: &Ctx, c: &kernel::tenancy::CommuneInfo) -> bool {
    ctx.user.as_ref().is_some_and(|u| rules::is_moderator(u, c))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForumListQuery {
    /// Words of the title, accents optional; each may be the start of a word, all must match
    /// (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    q: String,
    /// `all` (default): the commune's topics and, where the province-wide forum is enabled,
    /// those its province's communes share; `commune` or `province` for one of the two.
    #[param(inline)]
    scope: Option<rules::Scope>,
    page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ForumTopicPage {
    total: u64,
    page: u64,
    items: Vec<ForumTopic>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/forum/topics", tag = "community",
    params(("code" = String, Path, description = "Commune code"), ForumListQuery),
    responses((status = 200, body = ForumTopicPage), (status = 404, body = ErrorBody)))]
async fn forum_list_topics(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForumListQuery>,
) -> AppResult<Json<ForumTopicPage>> {
    let c = state.communes.active(&code)?;
    let m = moderator(&ctx, &c);
    let page = kernel::paging::page(q.page);
    let province_wide = state.config.forum_province_wide;
    let scope = q.scope.unwrap_or_default();
    let search = kernel::search::Query::parse(&q.q)?;
    let (rows, total) =
        forum::topics(&state.db, &c, province_wide, scope, &search, page, m).await?;
    let items = rows
        .into_iter()
        .map(|t| {
            let mt = if t.commune_code == c.code {
                m
            } else {
                state
                    .communes
                    .get(&t.commune_code)
                    .is_some_and(|h| moderator(&ctx, &h))
            };
            topic_api(t, mt)
        })
        .collect();
    Ok(Json(ForumTopicPage { total, page, items }))
}

#[derive(Deserialize, ToSchema)]
pub struct ForumNewTopic {
    /// 3–200 characters.
    title: String,
    /// 1–10,000 characters.
    body: String,
    /// Share the topic with every commune of the province; refused with
    /// `forum_province_disabled` unless the deployment enables the province-wide forum.
    #[serde(default)]
    province_wide: bool,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/forum/topics", tag = "community", request_body = ForumNewTopic, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = ForumTopic), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn forum_create_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<ForumNewTopic>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let enabled = state.config.forum_province_wide;
    let topic = NewTopic {
        title: &b.title,
        body: &b.body,
        share: b.province_wide,
    };
    let t = actions::create_topic(state.kernel(), Some(u), &c, topic, enabled).await?;
    let m = rules::is_moderator(u, &c);
    Ok((StatusCode::CREATED, Json(topic_api(t, m))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForumPageQuery {
    page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ForumTopicDetail {
    topic: ForumTopic,
    /// Posts in the topic, the opening post included.
    total_posts: u64,
    page: u64,
    posts: Vec<ForumPost>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/forum/topics/{id}", tag = "community",
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Topic id"), ForumPageQuery),
    responses((status = 200, body = ForumTopicDetail), (status = 404, body = ErrorBody)))]
async fn forum_get_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<ForumPageQuery>,
) -> AppResult<Json<ForumTopicDetail>> {
    let c = state.communes.active(&code)?;
    let m = moderator(&ctx, &c);
    let t = forum::topic(&state.db, &c.code, id).await?;
    let page = kernel::paging::page(q.page);
    let (posts, total_posts) = forum::posts(&state.db, &t.commune_code, t.id, page).await?;
    Ok(Json(ForumTopicDetail {
        topic: topic_api(t, m),
        total_posts,
        page,
        posts: posts.into_iter().map(|p| post_api(p, m)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ForumReplyBody {
    /// 1–10,000 characters.
    body: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/forum/topics/{id}/posts", tag = "community", request_body = ForumReplyBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Topic id")),
    responses((status = 201, body = ForumPost), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "The topic is locked: `forum_topic_locked`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn forum_reply(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<ForumReplyBody>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let communes = super::province_wide(&state);
    let p = actions::reply(
        state.kernel(),
        Some(u),
        &c,
        id,
        &b.body,
        communes.as_deref(),
    )
    .await?;
    let m = rules::is_moderator(u, &c);
    Ok((StatusCode::CREATED, Json(post_api(p, m))).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ForumTopicModeration {
    action: TopicAction,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/forum/topics/{id}/moderation", tag = "community", request_body = ForumTopicModeration, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Topic id")),
    responses((status = 200, body = ForumTopic), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn forum_moderate_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<ForumTopicModeration>,
) -> AppResult<Json<ForumTopic>> {
    let c = state.communes.active(&code)?;
    let t = actions::moderate_topic(state.kernel(), ctx.actor(), &c, id, b.action).await?;
    Ok(Json(topic_api(t, true)))
}

#[derive(Deserialize, ToSchema)]
pub struct ForumPostModeration {
    action: PostAction,
    /// Required to hide.
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/forum/posts/{id}/moderation", tag = "community", request_body = ForumPostModeration, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Post id")),
    responses((status = 200, body = ForumPost), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn forum_moderate_post(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<ForumPostModeration>,
) -> AppResult<Json<ForumPost>> {
    let c = state.communes.active(&code)?;
    let p =
        actions::moderate_post(state.kernel(), ctx.actor(), &c, id, b.action, &b.reason).await?;
    Ok(Json(post_api(p, true)))
}

#[derive(Deserialize, ToSchema)]
pub struct ForumReportBody {
    /// Optional, at most 500 characters.
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/forum/posts/{id}/reports", tag = "community", request_body = ForumReportBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Post id")),
    responses((status = 201, description = "Reported"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Already reported by this user: `forum_report_exists`", body = ErrorBody)))]
async fn forum_report_post(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<ForumReportBody>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    actions::report(state.kernel(), ctx.actor(), &c, id, &b.reason).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Serialize, ToSchema)]
pub struct ForumReportedPost {
    topic_title: String,
    post: ForumPost,
}

#[derive(Serialize, ToSchema)]
pub struct ForumReportedPage {
    total: u64,
    page: u64,
    items: Vec<ForumReportedPost>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/forum/reports", tag = "community", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ForumPageQuery),
    responses((status = 200, body = ForumReportedPage), (status = 403, body = ErrorBody)))]
async fn forum_reported_posts(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForumPageQuery>,
) -> AppResult<Json<ForumReportedPage>> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, MODERATORS)?;
    let page = kernel::paging::page(q.page);
    let (rows, total) = forum::reported(&state.db, &c.code, page).await?;
    Ok(Json(ForumReportedPage {
        total,
        page,
        items: rows
            .into_iter()
            .map(|(p, topic_title)| ForumReportedPost {
                topic_title,
                post: post_api(p, true),
            })
            .collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(directory_get, directory_save_profile, team_list_members, team_add_member, team_update_member, team_remove_member,
          forum_list_topics, forum_create_topic, forum_get_topic, forum_reply, forum_moderate_topic, forum_moderate_post,
          forum_report_post, forum_reported_posts),
    components(schemas(TopicAction, PostAction)),
    tags((name = "community", description = "Officials directory (3.1), community digital technology team (3.2) and the commune forum (3.3)"))
)]
pub struct CommunityApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communes/{code}/directory", get(directory_get))
        .route(
            "/api/v1/communes/{code}/directory/{user_id}",
            put(directory_save_profile),
        )
        .route(
            "/api/v1/communes/{code}/community-team",
            get(team_list_members).post(team_add_member),
        )
        .route(
            "/api/v1/communes/{code}/community-team/{id}",
            put(team_update_member).delete(team_remove_member),
        )
        .route(
            "/api/v1/communes/{code}/forum/topics",
            get(forum_list_topics).post(forum_create_topic),
        )
        .route(
            "/api/v1/communes/{code}/forum/topics/{id}",
            get(forum_get_topic),
        )
        .route(
            "/api/v1/communes/{code}/forum/topics/{id}/posts",
            post(forum_reply),
        )
        .route(
            "/api/v1/communes/{code}/forum/topics/{id}/moderation",
            post(forum_moderate_topic),
        )
        .route(
            "/api/v1/communes/{code}/forum/posts/{id}/moderation",
            post(forum_moderate_post),
        )
        .route(
            "/api/v1/communes/{code}/forum/posts/{id}/reports",
            post(forum_report_post),
        )
        .route(
            "/api/v1/communes/{code}/forum/reports",
            get(forum_reported_posts),
        )
}
