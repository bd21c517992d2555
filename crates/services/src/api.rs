//! The services room's JSON API: procedures, submission and tracking for citizens, the
//! officials' workflow steps and payment confirmation.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::Services;
use crate::actions::dossiers::{self, Channel, Submission};
use crate::actions::steps::{self, Step};
use crate::actions::track::{self, Guard};
use crate::actions::{self, procedures};
use crate::entity::{dossier, procedure};
use crate::model::DESK;
use crate::model::{Action, FormField, RequiredDocument, Status};
use crate::stats::{Figures, Period};
use crate::store::{self, InboxFilter, ProcedureInput};

#[derive(Serialize, ToSchema)]
pub struct Procedure {
    id: i64,
    code: String,
    name: String,
    field: String,
    legal_basis: String,
    documents: Vec<RequiredDocument>,
    form_fields: Vec<FormField>,
    fee_vnd: i64,
    /// Legal processing time, in working days.
    processing_days: i32,
    /// `full`, `partial` or `offline`.
    online_level: String,
    steps: Vec<String>,
    active: bool,
}

impl From<procedure::Model> for Procedure {
    fn from(p: procedure::Model) -> Self {
        Procedure {
            documents: store::documents_of(&p),
            form_fields: store::fields_of(&p),
            steps: p
                .steps
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            id: p.id,
            code: p.code,
            name: p.name,
            field: p.field,
            legal_basis: p.legal_basis,
            fee_vnd: p.fee_vnd,
            processing_days: p.processing_days,
            online_level: p.online_level,
            active: p.active,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// Search words, any accents; each may be the start of a word, all must match,
    /// whole-word matches first (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    q: String,
    /// Exact field (lĩnh vực).
    #[serde(default)]
    field: String,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/procedures", tag = "services", params(("code" = String, Path, description = "Commune code"), ProcedureQuery),
    responses((status = 200, body = [Procedure]), (status = 404, body = ErrorBody)))]
async fn list_procedures(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProcedureQuery>,
) -> AppResult<Json<Vec<Procedure>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        store::procedures(&state.db, &c.code, &q.q, &q.field, false)
            .await?
            .into_iter()
            .map(Procedure::from)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/procedures/{id}", tag = "services", params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Procedure id")),
    responses((status = 200, body = Procedure), (status = 404, body = ErrorBody)))]
async fn get_procedure(
    State(state): State<AppState>,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<Procedure>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        procedures::open(state.kernel(), &c.code, id).await?.into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/procedures", tag = "services", request_body = ProcedureInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Procedure), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_procedure(
    State(state): State<AppState>,
    Extension(svc): Extension<crate::Services>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<ProcedureInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let p = procedures::save(state.kernel(), &svc, ctx.actor(), &c, None, &input).await?;
    Ok((StatusCode::CREATED, Json(Procedure::from(p))).into_response())
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/procedures/standard", tag = "services", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    description = "Copies the standard commune-level procedures (civil status, certification, residence) into the commune's catalogue. Procedures whose code the commune already uses are left as they are, so a second call adds nothing. Commune admins only; audited.",
    responses((status = 200, body = procedures::StandardCopied), (status = 403, body = ErrorBody)))]
async fn copy_standard(
    State(state): State<AppState>,
    Extension(svc): Extension<crate::Services>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<procedures::StandardCopied>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        procedures::copy_standard(state.kernel(), &svc, ctx.actor(), &c).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDossier {
    procedure_id: i64,
    applicant_name: String,
    /// Vietnamese mobile number; with the receipt code it lets the applicant track the dossier.
    applicant_phone: String,
    /// Answers to the procedure's form fields, by key.
    #[serde(default)]
    data: BTreeMap<String, String>,
    /// Documents already uploaded through `/api/v1/communes/{code}/attachments`.
    #[serde(default)]
    documents: Vec<DocumentRef>,
}

#[derive(Deserialize, ToSchema)]
pub struct DocumentRef {
    /// The procedure's document name this file answers.
    name: String,
    attachment_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Dossier {
    id: i64,
    receipt_code: String,
    procedure_id: i64,
    status: Status,
    channel: String,
    applicant_name: String,
    received_at: String,
    /// Appointment date (YYYY-MM-DD), counted in working days.
    due_date: String,
    overdue: bool,
    fee_vnd: i64,
    paid: bool,
    payment_method: Option<String>,
    /// The latest reason given to the applicant (supplement request, refusal).
    note: Option<String>,
    result_note: Option<String>,
    result_attachment_id: Option<i64>,
    rating: Option<i32>,
    /// Send it back with the next step: a step on an older version is refused.
    version: i32,
}

impl From<&dossier::Model> for Dossier {
    fn from(d: &dossier::Model) -> Self {
        let status = Status::parse(&d.status).unwrap_or(Status::Received);
        Dossier {
            id: d.id,
            receipt_code: d.receipt_code.clone(),
            procedure_id: d.procedure_id,
            status,
            channel: d.channel.clone(),
            applicant_name: d.applicant_name.clone(),
            received_at: d.received_at.to_rfc3339(),
            due_date: d.due_date.to_string(),
            overdue: d.done_at.is_none()
                && !status.is_final()
                && status != Status::SupplementRequested
                && d.due_date < kernel::time::vn_today(),
            fee_vnd: d.fee_vnd,
            paid: d.paid_at.is_some(),
            payment_method: d.payment_method.clone(),
            note: d.last_note.clone(),
            result_note: d.result_note.clone(),
            result_attachment_id: d.result_attachment_id,
            rating: d.rating,
            version: d.version,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/dossiers", tag = "services", request_body = NewDossier, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, description = "Received; the receipt code and appointment date are in the body", body = Dossier), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(r): ApiJson<NewDossier>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let sub = Submission {
        procedure_id: r.procedure_id,
        applicant_name: r.applicant_name,
        applicant_phone: r.applicant_phone,
        channel: Channel::Online,
        data: r.data,
        documents: r
            .documents
            .into_iter()
            .map(|d| (d.name, d.attachment_id))
            .collect(),
    };
    let d = dossiers::submit(state.kernel(), ctx.actor(), &c, sub, vec![]).await?;
    Ok((StatusCode::CREATED, Json(Dossier::from(&d))).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackQuery {
    receipt: String,
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct Tracked {
    dossier: Dossier,
    procedure: String,
    history: Vec<HistoryEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    at: String,
    action: String,
    status: Status,
    note: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/track", tag = "services", params(TrackQuery),
    responses((status = 200, body = Tracked), (status = 404, description = "`receipt_unknown` or `phone_mismatch`", body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "`track_throttled`: too many failed look-ups from this address", body = ErrorBody)))]
async fn track(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> AppResult<Json<Tracked>> {
    let guard = Guard {
        limiter: &svc.track_failures,
        ip: kernel::web::ops::client_ip(&ext),
    };
    let t = track::track(state.kernel(), guard, None, &q.receipt, &q.phone).await?;
    let procedure = match svc
        .catalogue(&state.db, &t.dossier.commune_code)
        .await?
        .get(&t.dossier.procedure_id)
    {
        Some(p) => p.name.clone(),
        None => {
            crate::actions::procedures::any(
                &state.db,
                &t.dossier.commune_code,
                t.dossier.procedure_id,
            )
            .await?
            .name
        }
    };
    let history = t
        .events
        .into_iter()
        .map(|e| HistoryEntry {
            at: e.at.to_rfc3339(),
            action: e.action,
            status: Status::parse(&e.to_status).unwrap_or(Status::Received),
            note: e.note,
        })
        .collect();
    Ok(Json(Tracked {
        dossier: Dossier::from(&t.dossier),
        procedure,
        history,
    }))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/dossiers", tag = "services", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), InboxFilter),
    responses((status = 200, description = "The desk's inbox", body = [Dossier]), (status = 403, body = ErrorBody)))]
async fn dossier_inbox(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(f): ApiQuery<InboxFilter>,
) -> AppResult<Json<Vec<Dossier>>> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    let today = kernel::time::vn_today();
    let soon = state
        .calendar
        .get()
        .add_working_days(today.and_hms_opt(12, 0, 0).unwrap_or_default(), 2);
    Ok(Json(
        store::inbox(&state.db, &c.code, &f, u.id, today, soon)
            .await?
            .iter()
            .map(Dossier::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct StepRequest {
    action: Action,
    /// The version the official saw.
    version: i32,
    note: Option<String>,
    /// For `assign`: the official who will handle it.
    assignee_id: Option<i64>,
    /// For `return_result`: an uploaded result file.
    result_attachment_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/dossiers/{id}/steps", tag = "services", request_body = StepRequest, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Dossier id")),
    responses((status = 200, body = Dossier), (status = 403, description = "`step_forbidden`", body = ErrorBody), (status = 409, description = "`transition_invalid` or `dossier_conflict`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(r): ApiJson<StepRequest>,
) -> AppResult<Json<Dossier>> {
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let step = Step {
        note: r.note.as_deref(),
        assignee_id: r.assignee_id,
        result_attachment_id: r.result_attachment_id,
        ..Step::new(r.action, r.version)
    };
    let d = steps::act(state.kernel(), ctx.actor(), &c, id, step).await?;
    Ok(Json(Dossier::from(&d)))
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentRequest {
    /// `cash`, `transfer` or `vietqr`.
    method: String,
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/dossiers/{id}/payment", tag = "services", request_body = PaymentRequest, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Dossier id")),
    responses((status = 200, body = Dossier), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn payment(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(r): ApiJson<PaymentRequest>,
) -> AppResult<Json<Dossier>> {
    let c = state.communes.active(&code)?;
    let d = actions::payments::confirm_fee(
        state.kernel(),
        &state.settlers,
        ctx.actor(),
        &c,
        id,
        &r.method,
        r.version,
    )
    .await?;
    Ok(Json(Dossier::from(&d)))
}

#[derive(Serialize, ToSchema)]
pub struct PaymentCode {
    /// The EMVCo/VietQR payload to show as a QR code.
    payload: String,
    amount_vnd: i64,
    bank_bin: String,
    account_number: String,
    account_name: String,
    /// An SVG rendering of the QR code.
    svg_url: String,
    png_url: String,
}

#[utoipa::path(get, path = "/api/v1/payment-code", tag = "services", params(TrackQuery),
    responses((status = 200, body = PaymentCode), (status = 404, description = "`receipt_unknown` or `phone_mismatch`", body = ErrorBody), (status = 409, description = "`payment_not_due` or `bank_account_missing`", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, description = "`track_throttled`: too many failed look-ups from this address", body = ErrorBody)))]
async fn payment_code(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> AppResult<Json<PaymentCode>> {
    let guard = Guard {
        limiter: &svc.track_failures,
        ip: kernel::web::ops::client_ip(&ext),
    };
    let track::PaymentCode {
        dossier: d,
        account: a,
        payload,
    } = track::payment_code(state.kernel(), guard, None, None, &q.receipt, &q.phone).await?;
    let qs = format!("phone={}", kernel::web::ctx::urlencode(&q.phone));
    Ok(Json(PaymentCode {
        payload,
        amount_vnd: d.fee_vnd,
        bank_bin: a.bank_bin,
        account_number: a.account_number,
        account_name: a.account_name,
        svg_url: format!(
            "/c/{}/dossiers/{}/qr.svg?{qs}",
            d.commune_code, d.receipt_code
        ),
        png_url: format!(
            "/c/{}/dossiers/{}/qr.png?{qs}",
            d.commune_code, d.receipt_code
        ),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RatingRequest {
    /// 1 to 5 stars.
    rating: i32,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/dossiers/{id}/rating", tag = "services", request_body = RatingRequest, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Dossier id")),
    responses((status = 200, body = Dossier), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rating(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(r): ApiJson<RatingRequest>,
) -> AppResult<Json<Dossier>> {
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let d = dossiers::by_id(&state.db, &c.code, id).await?;
    let d = dossiers::rate(state.kernel(), ctx.actor(), &d, r.rating, &r.comment).await?;
    Ok(Json(Dossier::from(&d)))
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/services/stats", tag = "services", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), Period),
    responses((status = 200, body = Figures), (status = 403, body = kernel::error::ErrorBody), (status = 422, body = kernel::error::ErrorBody)))]
async fn api_figures(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(p): ApiQuery<Period>,
) -> AppResult<Json<Figures>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        actions::stats::read(state.kernel(), ctx.actor(), &c, &p).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(list_procedures, get_procedure, create_procedure, copy_standard, submit, track, dossier_inbox, step, payment, payment_code, rating, api_figures),
    components(schemas(Status, Action, Figures)),
    tags((name = "services", description = "Online public services and the one-stop desk"))
)]
pub struct ServicesApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/communes/{code}/procedures",
            get(list_procedures).post(create_procedure),
        )
        .route(
            "/api/v1/communes/{code}/procedures/standard",
            post(copy_standard),
        )
        .route(
            "/api/v1/communes/{code}/procedures/{id}",
            get(get_procedure),
        )
        .route(
            "/api/v1/communes/{code}/dossiers",
            get(dossier_inbox).post(submit),
        )
        .route("/api/v1/communes/{code}/dossiers/{id}/steps", post(step))
        .route(
            "/api/v1/communes/{code}/dossiers/{id}/payment",
            post(payment),
        )
        .route("/api/v1/communes/{code}/dossiers/{id}/rating", post(rating))
        .route("/api/v1/communes/{code}/services/stats", get(api_figures))
        .route("/api/v1/track", get(track))
        .route("/api/v1/payment-code", get(payment_code))
}
