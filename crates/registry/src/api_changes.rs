//! Corrections through the API: a resident's own household and their requests, the open
//! requests for village heads and officials, and the decision.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::actions::changes::{self, Proposal};
use crate::api::{HouseholdItem, item, village_names};
use crate::entity::change;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communes/{code}/my-household", get(mine))
        .route(
            "/api/v1/communes/{code}/my-household/changes",
            post(request),
        )
        .route("/api/v1/communes/{code}/households/changes", get(open))
        .route(
            "/api/v1/communes/{code}/households/changes/{id}/decision",
            post(decide),
        )
}

/// A correction request.
#[derive(Serialize, ToSchema)]
pub struct ChangeRequest {
    id: i64,
    household_id: i64,
    proposal: Proposal,
    note: String,
    /// open, accepted, refused
    status: String,
    answer: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
}

pub(crate) fn change_json(c: &change::Model) -> ChangeRequest {
    ChangeRequest {
        id: c.id,
        household_id: c.household_id,
        proposal: serde_json::from_str(&c.proposal).unwrap_or_default(),
        note: c.note.clone(),
        status: c.status.clone(),
        answer: c.answer.clone(),
        created_at: c.created_at,
        decided_at: c.decided_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct MyHousehold {
    household: HouseholdItem,
    /// Their requests, newest first.
    requests: Vec<ChangeRequest>,
}

#[utoipa::path(get, operation_id = "my_household", path = "/api/v1/communes/{code}/my-household", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "The household whose phone is the signed-in person's", body = MyHousehold),
        (status = 401, body = ErrorBody), (status = 404, description = "`household_not_yours`", body = ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<MyHousehold>> {
    let c = state.communes.active(&code)?;
    let (h, requests) = changes::mine(state.kernel(), ctx.actor(), &c).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(MyHousehold {
        household: item(&h, &villages),
        requests: requests.iter().map(change_json).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeInput {
    #[serde(flatten)]
    proposal: Proposal,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, operation_id = "my_household_change", path = "/api/v1/communes/{code}/my-household/changes", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = ChangeInput,
    responses((status = 201, body = ChangeRequest), (status = 401, body = ErrorBody),
        (status = 404, description = "`household_not_yours`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(i): ApiJson<ChangeInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let r = changes::request(state.kernel(), ctx.actor(), &c, i.proposal, &i.note).await?;
    Ok((StatusCode::CREATED, Json(change_json(&r))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct OpenChange {
    request: ChangeRequest,
    household: HouseholdItem,
}

#[utoipa::path(get, operation_id = "household_changes", path = "/api/v1/communes/{code}/households/changes", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "Open requests, oldest first (a village head's: their village)", body = [OpenChange]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<OpenChange>>> {
    let c = state.communes.active(&code)?;
    let rows = changes::open(state.kernel(), ctx.actor(), &c).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(
        rows.iter()
            .map(|(r, h)| OpenChange {
                request: change_json(r),
                household: item(h, &villages),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Decision {
    accept: bool,
    /// Required when refusing.
    #[serde(default)]
    answer: String,
}

#[utoipa::path(post, operation_id = "household_change_decide", path = "/api/v1/communes/{code}/households/changes/{id}/decision", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Request id")), request_body = Decision,
    responses((status = 204, description = "Decided; the register changed when accepted; the resident told; audited"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`change_decided`", body = ErrorBody), (status = 422, description = "`change_answer_required`", body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(d): ApiJson<Decision>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    changes::decide(state.kernel(), ctx.actor(), &c, id, d.accept, &d.answer).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(
    paths(mine, request, open, decide),
    components(schemas(
        ChangeRequest,
        MyHousehold,
        ChangeInput,
        OpenChange,
        Decision,
        Proposal
    ))
)]
pub struct ChangesApi;
