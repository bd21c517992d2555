//! The notices JSON API: the board, writing and scheduling notices, acknowledging emergency
//! alerts, reach and who has not acknowledged, topics to follow, and loudspeaker bulletins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::actions::{bulletins, emergencies, notices, reach, topics};
use crate::entity::notice;
use crate::markdown;
use crate::model::{Audience, Category, Input};
use crate::store::{self, ChannelReach, Delivery, Reach, Unacknowledged, VillageReach};

/// A notice as the API shows it. `body_html` is sanitised markdown.
#[derive(Serialize, ToSchema)]
pub struct Notice {
    id: i64,
    category: Category,
    title: String,
    body_html: String,
    excerpt: String,
    status: String,
    pinned: bool,
    publish_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    event_start: Option<DateTime<Utc>>,
    event_end: Option<DateTime<Utc>>,
    location: Option<String>,
    /// People the notice reached when published.
    recipient_count: i32,
    /// Officials only: who the notice is for.
    audience: Option<Audience>,
    /// In the answer to publishing only: outside channels with no gateway configured
    /// (`sms`, `zalo`, `email`…), through which this notice will not go.
    #[serde(skip_serializing_if = "Option::is_none")]
    unconfigured_channels: Option<Vec<String>>,
}

fn notice_api(n: notice::Model, staff: bool) -> Notice {
    Notice {
        id: n.id,
        category: Category::parse(&n.category).unwrap_or(Category::Notice),
        excerpt: markdown::excerpt(&n.body_md, 220),
        audience: if staff {
            serde_json::from_str(&n.audience).ok()
        } else {
            None
        },
        title: n.title,
        body_html: n.body_html,
        status: n.status,
        pinned: n.pinned,
        publish_at: n.publish_at,
        published_at: n.published_at,
        expires_at: n.expires_at,
        event_start: n.event_start,
        event_end: n.event_end,
        location: n.location,
        recipient_count: n.recipient_count,
        unconfigured_channels: None,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Words of the title or text, any accents; each may be the start of a word, all must
    /// match, whole-word matches first (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    q: String,
    /// One category only.
    #[param(inline)]
    category: Option<Category>,
    page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeBoard {
    page: u64,
    /// Another page follows.
    more: bool,
    items: Vec<Notice>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notices", tag = "notices",
    params(("code" = String, Path, description = "Commune code"), BoardQuery),
    responses((status = 200, body = NoticeBoard), (status = 404, body = ErrorBody)))]
async fn notices_board(
    State(state): State<AppState>,
    Extension(cache): Extension<std::sync::Arc<store::BoardCache>>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> AppResult<Json<NoticeBoard>> {
    let c = state.communes.active(&code)?;
    let page = kernel::paging::page(q.page);
    let board = store::board_page(&state.db, &cache, &c.code, &q.q, q.category, page).await?;
    Ok(Json(NoticeBoard {
        page,
        more: board.1,
        items: board
            .0
            .iter()
            .cloned()
            .map(|n| notice_api(n, false))
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/notices", tag = "notices", request_body = Input, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, description = "Published, or scheduled when `publish_at` is in the future", body = Notice),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, description = "Empty audience, schedule in the past, bad text…", body = ErrorBody)))]
async fn notices_create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<Input>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let new = notices::NewNotice {
        input,
        files: Vec::new(),
    };
    let n = notices::create(state.kernel(), ctx.actor(), &c, new).await?;
    let mut out = notice_api(n, true);
    out.unconfigured_channels = Some(
        crate::actions::reach::unconfigured(state.kernel(), &c)
            .await
            .into_iter()
            .map(str::to_owned)
            .collect(),
    );
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notices/{id}", tag = "notices",
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 404, body = ErrorBody)))]
async fn notices_get(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<Notice>> {
    let c = state.communes.active(&code)?;
    let r = notices::read(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Json(notice_api(r.notice, r.publisher)))
}

#[derive(Serialize, ToSchema)]
pub struct Acknowledgement {
    acknowledged_at: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/notices/{id}/ack", tag = "notices", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id")),
    responses((status = 200, description = "Acknowledged (again: unchanged)", body = Acknowledgement), (status = 401, body = ErrorBody),
        (status = 403, description = "Not in the audience: `notice_not_recipient`", body = ErrorBody), (status = 422, description = "Not an emergency: `notice_ack_not_emergency`", body = ErrorBody)))]
async fn notices_ack(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<Acknowledgement>> {
    let c = state.communes.active(&code)?;
    let (_, r) = emergencies::acknowledge(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Json(Acknowledgement {
        acknowledged_at: r.ack_at,
    }))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notices/{id}/reach", tag = "notices", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id")),
    responses((status = 200, description = "Received and read by village and by channel (indicator 1.3)", body = Reach), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn notices_reach(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<Reach>> {
    let c = state.communes.active(&code)?;
    let (_, r) = reach::reach(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Json(r))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitingQuery {
    /// One village only.
    village_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notices/{id}/unacknowledged", tag = "notices", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id"), WaitingQuery),
    responses((status = 200, description = "Recipients of an emergency alert who have not acknowledged it, by village (at most 5,000)", body = [Unacknowledged]), (status = 403, body = ErrorBody)))]
async fn notices_unacknowledged(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<WaitingQuery>,
) -> AppResult<Json<Vec<Unacknowledged>>> {
    let c = state.communes.active(&code)?;
    let k = state.kernel();
    let waiting = emergencies::unacknowledged(k, ctx.actor(), &c, id, q.village_id, 5000).await?;
    Ok(Json(waiting))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `push`, `email`, `sms` or `zalo`.
    channel: Option<String>,
    /// `pending`, `sending`, `sent` or `dead`.
    status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notices/{id}/deliveries", tag = "notices", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id"), DeliveryQuery),
    responses((status = 200, description = "Delivery status per recipient and external channel, unsent first (at most 5,000)", body = [Delivery]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn notices_deliveries(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<Vec<Delivery>>> {
    let c = state.communes.active(&code)?;
    let (channel, status) = (q.channel.as_deref(), q.status.as_deref());
    let k = state.kernel();
    let list = reach::deliveries(k, ctx.actor(), &c, id, channel, status, 5000).await?;
    Ok(Json(list))
}

#[derive(Deserialize, ToSchema)]
pub struct NoticeAction {
    /// `pin`, `unpin` or `withdraw`.
    action: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/notices/{id}/action", tag = "notices", request_body = NoticeAction, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn notices_action(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<NoticeAction>,
) -> AppResult<Json<Notice>> {
    let c = state.communes.active(&code)?;
    let n = notices::act(state.kernel(), ctx.actor(), &c, id, b.action.trim()).await?;
    Ok(Json(notice_api(n, true)))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeTopic {
    id: i64,
    name: String,
    /// The caller follows it.
    following: bool,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/notice-topics", tag = "notices",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [NoticeTopic])))]
async fn notice_topics_list(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<NoticeTopic>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        topics::list(state.kernel(), ctx.actor(), &c)
            .await?
            .into_iter()
            .map(|(t, following)| NoticeTopic {
                following,
                id: t.id,
                name: t.name,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewNoticeTopic {
    /// 2–100 characters, unique in the commune.
    name: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/notice-topics", tag = "notices", request_body = NewNoticeTopic, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = NoticeTopic), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn notice_topics_create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<NewNoticeTopic>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let t = topics::create(state.kernel(), ctx.actor(), &c, &b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(NoticeTopic {
            id: t.id,
            name: t.name,
            following: false,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct TopicFollow {
    following: bool,
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/notice-topics/{id}/subscription", tag = "notices", request_body = TopicFollow, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Topic id")),
    responses((status = 204, description = "Following (or not) as asked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn notice_topics_follow(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<TopicFollow>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    topics::follow(state.kernel(), ctx.actor(), &c, id, b.following).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewBulletin {
    /// Notices on the board, in reading order (emergencies are read first).
    notice_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Bulletin {
    id: i64,
    day: String,
    /// The announcer's script.
    script: String,
    /// `pending`, `ready`, `failed` or `unavailable` (espeak-ng not installed on the server).
    audio_status: String,
    /// Where the WAV file is, once ready.
    audio_url: Option<String>,
}

fn bulletin_api(b: crate::entity::bulletin::Model) -> Bulletin {
    Bulletin {
        audio_url: (b.audio_status == "ready")
            .then(|| format!("/c/{}/office/bulletin/{}/audio.wav", b.commune_code, b.id)),
        id: b.id,
        day: b.day,
        script: b.script,
        audio_status: b.audio_status,
    }
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/bulletins", tag = "notices", request_body = NewBulletin, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Bulletin), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulletins_create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<NewBulletin>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let saved = bulletins::compose(state.kernel(), ctx.actor(), &c, &b.notice_ids).await?;
    Ok((StatusCode::CREATED, Json(bulletin_api(saved))).into_response())
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/bulletins/{id}", tag = "notices", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Bulletin id")),
    responses((status = 200, body = Bulletin), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn bulletins_get(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<Bulletin>> {
    let c = state.communes.active(&code)?;
    let b = bulletins::find(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Json(bulletin_api(b)))
}

#[derive(OpenApi)]
#[openapi(
    paths(notices_board, notices_create, notices_get, notices_ack, notices_reach, notices_unacknowledged, notices_deliveries, notices_action,
          notice_topics_list, notice_topics_create, notice_topics_follow, bulletins_create, bulletins_get),
    components(schemas(Category, Audience, VillageReach, ChannelReach)),
    tags((name = "notices", description = "Notices, emergency alerts and their reach (1.3, 17), topics, loudspeaker bulletins (I1); the events calendar is at /c/{code}/events.ics"))
)]
pub struct NoticesApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/communes/{code}/notices",
            get(notices_board).post(notices_create),
        )
        .route("/api/v1/communes/{code}/notices/{id}", get(notices_get))
        .route(
            "/api/v1/communes/{code}/notices/{id}/ack",
            post(notices_ack),
        )
        .route(
            "/api/v1/communes/{code}/notices/{id}/reach",
            get(notices_reach),
        )
        .route(
            "/api/v1/communes/{code}/notices/{id}/unacknowledged",
            get(notices_unacknowledged),
        )
        .route(
            "/api/v1/communes/{code}/notices/{id}/deliveries",
            get(notices_deliveries),
        )
        .route(
            "/api/v1/communes/{code}/notices/{id}/action",
            post(notices_action),
        )
        .route(
            "/api/v1/communes/{code}/notice-topics",
            get(notice_topics_list).post(notice_topics_create),
        )
        .route(
            "/api/v1/communes/{code}/notice-topics/{id}/subscription",
            put(notice_topics_follow),
        )
        .route("/api/v1/communes/{code}/bulletins", post(bulletins_create))
        .route("/api/v1/communes/{code}/bulletins/{id}", get(bulletins_get))
}
