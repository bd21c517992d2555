//! The voice room's JSON API: categories, sending and following feedback, the public board,
//! the officials' triage and steps, figures, and Open311 key management.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};

use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::actions::{self, feedback::Step};
use crate::entity::{category, feedback};
use crate::model::{self, Action, Status};
use crate::store::{self, CategoryInput, Figures, NewFeedback, TriageFilter};

#[derive(Serialize, ToSchema)]
pub struct Category {
    code: String,
    name: String,
    description: String,
    deadline_days: i32,
    department: String,
    restricted: bool,
    active: bool,
}

impl From<category::Model> for Category {
    fn from(c: category::Model) -> Self {
        Category {
            code: c.code,
            name: c.name,
            description: c.description,
            deadline_days: c.deadline_days,
            department: c.department,
            restricted: c.restricted,
            active: c.active,
        }
    }
}

/// A report as the API shows it. `reporter_*` only to officials who may see it, and never
/// for anonymous reports.
#[derive(Serialize, ToSchema)]
pub struct Feedback {
    id: i64,
    receipt_code: String,
    category: String,
    text: String,
    status: Status,
    lat: Option<f64>,
    lon: Option<f64>,
    village_id: Option<i64>,
    address: Option<String>,
    department: Option<String>,
    assignee_id: Option<i64>,
    answer: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    due_at: DateTime<Utc>,
    overdue: bool,
    created_at: DateTime<Utc>,
    rating: Option<i32>,
    rating_comment: Option<String>,
    version: i32,
    anonymous: bool,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
}

fn to_api(f: feedback::Model, cats: &[category::Model], staff: bool) -> Feedback {
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    let show = staff && !f.anonymous;
    Feedback {
        category: cats
            .iter()
            .find(|c| c.id == f.category_id)
            .map(|c| c.code.clone())
            .unwrap_or_default(),
        overdue: status.is_open() && f.due_at < Utc::now(),
        id: f.id,
        receipt_code: f.receipt_code,
        text: f.text,
        status,
        lat: f.lat,
        lon: f.lon,
        village_id: f.village_id,
        address: f.address,
        department: if staff { f.department } else { None },
        assignee_id: if staff { f.assignee_id } else { None },
        answer: f.answer,
        answered_at: f.answered_at,
        due_at: f.due_at,
        created_at: f.created_at,
        rating: f.rating,
        rating_comment: f.rating_comment,
        version: f.version,
        anonymous: f.anonymous,
        reporter_name: if show { f.reporter_name } else { None },
        reporter_phone: if show { f.reporter_phone } else { None },
    }
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/feedback/categories", tag = "voice",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [Category]), (status = 404, body = ErrorBody)))]
async fn feedback_categories(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<Category>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        store::categories(&state.db, &c.code, false)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/feedback/categories", tag = "voice", request_body = CategoryInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = Category), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_feedback_category(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<CategoryInput>,
) -> AppResult<Json<Category>> {
    let c = state.communes.active(&code)?;
    let cat = actions::settings::save_category(state.kernel(), ctx.actor(), &c, &input).await?;
    Ok(Json(cat.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewFeedbackBody {
    /// A category code from `/feedback/categories`.
    category: String,
    text: String,
    #[serde(default)]
    anonymous: bool,
    lat: Option<f64>,
    lon: Option<f64>,
    village_id: Option<i64>,
    #[serde(default)]
    address: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/feedback", tag = "voice", request_body = NewFeedbackBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Feedback), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<NewFeedbackBody>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let nf = NewFeedback {
        category_code: b.category,
        text: b.text,
        anonymous: b.anonymous,
        reporter: Some(u.id),
        reporter_name: Some(u.full_name.clone()),
        reporter_phone: u.phone.clone(),
        reporter_email: u.email.clone(),
        lat: b.lat,
        lon: b.lon,
        village_id: b.village_id,
        address: b.address,
        source: "api",
    };
    let f = actions::feedback::submit(state.kernel(), &c, nf, vec![]).await?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    Ok((StatusCode::CREATED, Json(to_api(f, &cats, false))).into_response())
}

/// One report by its receipt code: what [`crate::model::sight`] allows the caller, through the
/// throttled look-up the follow page and Open311 share.
#[utoipa::path(get, path = "/api/v1/communes/{code}/feedback/{receipt}", tag = "voice",
    params(("code" = String, Path, description = "Commune code"), ("receipt" = String, Path, description = "Receipt code")),
    responses((status = 200, body = Feedback, description = "The report; `text`, `address`, `lat`, `lon`, `village_id` and `rating_comment` are empty unless the caller sent it, is an official who may see it, or it is on the public board"),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody, description = "Too many failed look-ups from this address")))]
async fn get_feedback(
    State(state): State<AppState>,
    axum::Extension(guard): axum::Extension<crate::receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    ApiPath((code, receipt)): ApiPath<(String, String)>,
) -> AppResult<Json<Feedback>> {
    let c = state.communes.active(&code)?;
    let ip = kernel::web::ops::client_ip(&ext);
    let found =
        crate::receipt::look_up(&state.db, &guard, ip, &c, &receipt, ctx.user.as_deref()).await?;
    let staff = found.sight == model::Sight::Staff;
    let f = crate::receipt::redacted(found.report, found.sight);
    Ok(Json(to_api(f, &found.cats, staff)))
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackPage {
    /// How many match (the triage list; the board does not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    /// Another page follows.
    more: bool,
    items: Vec<Feedback>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    #[serde(default)]
    page: Option<u64>,
    /// Words of the report's text or address, accents optional; each may be the start of a
    /// word, all must match (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    q: String,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/feedback/board", tag = "voice",
    params(("code" = String, Path, description = "Commune code"), BoardQuery),
    responses((status = 200, body = FeedbackPage), (status = 404, body = ErrorBody)))]
async fn feedback_board(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> AppResult<Json<FeedbackPage>> {
    let c = state.communes.active(&code)?;
    let search = kernel::search::Query::parse(&q.q)?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let (rows, more) = store::board(
        &state.db,
        &c.code,
        &cats,
        &search,
        kernel::paging::page(q.page),
    )
    .await?;
    Ok(Json(FeedbackPage {
        total: None,
        more,
        items: rows.into_iter().map(|f| to_api(f, &cats, false)).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/office/feedback", tag = "voice", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), TriageFilter),
    responses((status = 200, body = FeedbackPage), (status = 403, body = ErrorBody)))]
async fn feedback_triage(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(f): ApiQuery<TriageFilter>,
) -> AppResult<Json<FeedbackPage>> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let (rows, total) = store::triage(
        &state.db,
        &c.code,
        &store::actor(u, &c),
        &cats,
        &f,
        Utc::now(),
    )
    .await?;
    let page = kernel::paging::page(f.page);
    Ok(Json(FeedbackPage {
        total: Some(total),
        more: kernel::paging::more_after(page, store::PAGE, total),
        items: rows.into_iter().map(|x| to_api(x, &cats, true)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct StepBody {
    action: Action,
    /// The `version` last read: a stale one gets `feedback_conflict`.
    version: i32,
    /// The answer, the reason of a rejection, or a note.
    note: Option<String>,
    assignee_id: Option<i64>,
    department: Option<String>,
    /// For `merge`: the receipt code of the earlier report.
    merge_into: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/office/feedback/{id}/steps", tag = "voice", request_body = StepBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Feedback id")),
    responses((status = 200, body = Feedback), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feedback_step(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<StepBody>,
) -> AppResult<Json<Feedback>> {
    let c = state.communes.active(&code)?;
    let f = actions::feedback::step(
        state.kernel(),
        ctx.actor(),
        &c,
        id,
        Step {
            action: b.action,
            version: b.version,
            note: b.note.as_deref(),
            assignee_id: b.assignee_id,
            department: b.department.as_deref(),
            merge_into: b.merge_into.as_deref(),
        },
    )
    .await?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    Ok(Json(to_api(f, &cats, true)))
}

#[derive(Deserialize, ToSchema)]
pub struct RatingBody {
    /// 1 to 5.
    rating: i32,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/feedback/{receipt}/rating", tag = "voice", request_body = RatingBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("receipt" = String, Path, description = "Receipt code")),
    responses((status = 200, body = Feedback), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate_feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, receipt)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<RatingBody>,
) -> AppResult<Json<Feedback>> {
    let c = state.communes.active(&code)?;
    let f = actions::feedback::rate(
        state.kernel(),
        ctx.actor(),
        &c,
        &receipt,
        b.rating,
        &b.comment,
    )
    .await?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    Ok(Json(to_api(f, &cats, false)))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/feedback/stats", tag = "voice",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = Figures), (status = 404, body = ErrorBody)))]
async fn feedback_figures(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Figures>> {
    let c = state.communes.active(&code)?;
    Ok(Json(store::figures(&state.db, &c.code, Utc::now()).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    id: i64,
    name: String,
    /// The start of the key, to recognise it.
    prefix: String,
    created_at: DateTime<Utc>,
    revoked: bool,
    /// Only in the answer that creates the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewKey {
    name: String,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/open311-keys", tag = "voice", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [ApiKey]), (status = 403, body = ErrorBody)))]
async fn list_open311_keys(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<ApiKey>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        actions::settings::keys(state.kernel(), ctx.actor(), &c)
            .await?
            .into_iter()
            .map(|k| ApiKey {
                id: k.id,
                name: k.name,
                prefix: k.key_prefix,
                created_at: k.created_at,
                revoked: k.revoked_at.is_some(),
                key: None,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/open311-keys", tag = "voice", request_body = NewKey, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = ApiKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_open311_key(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<NewKey>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (k, secret) = actions::settings::create_key(&state.db, ctx.actor(), &c, &b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKey {
            id: k.id,
            name: k.name,
            prefix: k.key_prefix,
            created_at: k.created_at,
            revoked: false,
            key: Some(secret),
        }),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/communes/{code}/open311-keys/{id}", tag = "voice", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Key id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_open311_key(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    actions::settings::revoke_key(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(
    paths(feedback_categories, save_feedback_category, submit_feedback, get_feedback, feedback_board, feedback_triage, feedback_step, rate_feedback, feedback_figures, list_open311_keys, create_open311_key, revoke_open311_key, crate::open311::services_doc, crate::open311::requests_doc, crate::open311::post_request_doc),
    components(schemas(Status, Action, Figures, CategoryInput)),
    tags((name = "voice", description = "Citizens' feedback, the public board and triage"),
         (name = "open311", description = "Open311 GeoReport v2 (JSON and XML)"))
)]
pub struct VoiceApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/communes/{code}/feedback/categories",
            get(feedback_categories).put(save_feedback_category),
        )
        .route("/api/v1/communes/{code}/feedback", post(submit_feedback))
        .route(
            "/api/v1/communes/{code}/feedback/board",
            get(feedback_board),
        )
        .route(
            "/api/v1/communes/{code}/feedback/stats",
            get(feedback_figures),
        )
        .route(
            "/api/v1/communes/{code}/feedback/{receipt}",
            get(get_feedback),
        )
        .route(
            "/api/v1/communes/{code}/feedback/{receipt}/rating",
            post(rate_feedback),
        )
        .route(
            "/api/v1/communes/{code}/office/feedback",
            get(feedback_triage),
        )
        .route(
            "/api/v1/communes/{code}/office/feedback/{id}/steps",
            post(feedback_step),
        )
        .route(
            "/api/v1/communes/{code}/open311-keys",
            get(list_open311_keys).post(create_open311_key),
        )
        .route(
            "/api/v1/communes/{code}/open311-keys/{id}",
            delete(revoke_open311_key),
        )
}
