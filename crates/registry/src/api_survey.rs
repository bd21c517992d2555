//! The baseline survey through the API: campaigns (open, list, board, close), sheets filed by
//! village heads and officials (from a field app as well as the page), and the staff's
//! readiness (5.2).

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::actions::surveys::{self, Given, NewCampaign, Sheet, Subject};
use crate::api::village_names;
use crate::entity::{campaign, response};
use crate::survey_model::{self as sm, Input};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communes/{code}/surveys", get(list).post(create))
        .route("/api/v1/communes/{code}/surveys/{id}", get(board))
        .route("/api/v1/communes/{code}/surveys/{id}/close", post(close))
        .route("/api/v1/communes/{code}/surveys/{id}/sheets", post(file))
        .route(
            "/api/v1/communes/{code}/officials/readiness",
            get(readiness),
        )
}

/// A survey campaign.
#[derive(Serialize, ToSchema)]
pub struct SurveyCampaign {
    id: i64,
    /// household, official or business
    kind: String,
    title: String,
    opens_on: NaiveDate,
    closes_on: Option<NaiveDate>,
    /// open or closed
    status: String,
    /// Sheets filed so far.
    answered: i64,
    created_at: DateTime<Utc>,
}

fn campaign_json(c: &campaign::Model, answered: i64) -> SurveyCampaign {
    SurveyCampaign {
        id: c.id,
        kind: c.kind.clone(),
        title: c.title.clone(),
        opens_on: c.opens_on,
        closes_on: c.closes_on,
        status: c.status.clone(),
        answered,
        created_at: c.created_at,
    }
}

#[utoipa::path(get, operation_id = "surveys", path = "/api/v1/communes/{code}/surveys", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "The commune's campaigns, newest first", body = [SurveyCampaign]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<SurveyCampaign>>> {
    let c = state.communes.active(&code)?;
    let rows = surveys::list(state.kernel(), ctx.actor(), &c).await?;
    Ok(Json(
        rows.iter()
            .map(|l| campaign_json(&l.campaign, l.answered))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct SurveyCampaignInput {
    /// household, official or business
    kind: String,
    title: String,
    /// Today when not given.
    #[serde(default)]
    opens_on: Option<NaiveDate>,
    #[serde(default)]
    closes_on: Option<NaiveDate>,
}

#[utoipa::path(post, operation_id = "survey_create", path = "/api/v1/communes/{code}/surveys", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = SurveyCampaignInput,
    responses((status = 201, description = "Opened; audited", body = SurveyCampaign), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "`survey_kind_unknown`, `survey_title_invalid`, `survey_dates_invalid`", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(i): ApiJson<SurveyCampaignInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let n = NewCampaign {
        kind: i.kind,
        title: i.title,
        opens_on: i.opens_on,
        closes_on: i.closes_on,
    };
    let row = surveys::create(state.kernel(), ctx.actor(), &c, n).await?;
    Ok((StatusCode::CREATED, Json(campaign_json(&row, 0))).into_response())
}

/// A question of the campaign's sheet.
#[derive(Serialize, ToSchema)]
pub struct SurveyQuestion {
    key: &'static str,
    /// yes_no (true/false), count (0 to `max`), choice (one of `options`), multi (a list of them)
    input: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<i64>,
    options: Vec<&'static str>,
    required: bool,
    /// The Appendix I indicator or guideline section it informs.
    informs: &'static str,
}

pub(crate) fn question_json(q: &sm::Question) -> SurveyQuestion {
    let (input, max, options) = match q.input {
        Input::YesNo => ("yes_no", None, vec![]),
        Input::Count(m) => ("count", Some(m), vec![]),
        Input::Choice(o) => ("choice", None, o.to_vec()),
        Input::Multi(o) => ("multi", None, o.to_vec()),
    };
    SurveyQuestion {
        key: q.key,
        input,
        max,
        options,
        required: q.required,
        informs: q.informs,
    }
}

/// Completion in one village.
#[derive(Serialize, ToSchema)]
pub struct SurveyProgress {
    village_id: Option<i64>,
    village: String,
    /// Who there is to ask (households of the village, the staff); absent for businesses.
    whole: Option<i64>,
    done: i64,
}

/// How one question came out.
#[derive(Serialize, ToSchema)]
pub struct SurveyResult {
    key: &'static str,
    /// Sheets that answered it.
    asked: i64,
    /// Sheets per answer (`yes`/`no`, a choice; for a list, each item).
    counts: BTreeMap<String, i64>,
    /// For numbers: their sum.
    sum: i64,
}

/// A campaign's board.
#[derive(Serialize, ToSchema)]
pub struct SurveyBoard {
    campaign: SurveyCampaign,
    questions: Vec<SurveyQuestion>,
    progress: Vec<SurveyProgress>,
    results: Vec<SurveyResult>,
}

#[utoipa::path(get, operation_id = "survey_board", path = "/api/v1/communes/{code}/surveys/{id}", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "SurveyCampaign id")),
    responses((status = 200, description = "Questions, completion by village, results (aggregates only)", body = SurveyBoard),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<SurveyBoard>> {
    let c = state.communes.active(&code)?;
    let o = surveys::overview(state.kernel(), ctx.actor(), &c, id).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(SurveyBoard {
        campaign: campaign_json(&o.campaign, o.sheets),
        questions: o.kind.questions().iter().map(question_json).collect(),
        progress: o
            .progress
            .iter()
            .map(|p| SurveyProgress {
                village_id: p.village_id,
                village: p
                    .village_id
                    .and_then(|v| villages.get(&v).cloned())
                    .unwrap_or_default(),
                whole: p.whole,
                done: p.done,
            })
            .collect(),
        results: o
            .tally
            .into_iter()
            .map(|(q, t)| SurveyResult {
                key: q.key,
                asked: t.asked,
                counts: t.counts,
                sum: t.sum,
            })
            .collect(),
    }))
}

#[utoipa::path(post, operation_id = "survey_close", path = "/api/v1/communes/{code}/surveys/{id}/close", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "SurveyCampaign id")),
    responses((status = 200, description = "Closed; audited", body = SurveyCampaign), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`survey_closed`", body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<SurveyCampaign>> {
    let c = state.communes.active(&code)?;
    let row = surveys::close(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Json(campaign_json(&row, 0)))
}

/// A filled-in sheet: name its subject as the campaign asks (a household, one of the staff,
/// or a business by name and village).
#[derive(Deserialize, ToSchema)]
pub struct SurveySheetInput {
    #[serde(default)]
    household_id: Option<i64>,
    #[serde(default)]
    user_id: Option<i64>,
    #[serde(default)]
    business_name: Option<String>,
    #[serde(default)]
    village_id: Option<i64>,
    /// The day of the visit (today when not given; not in the future).
    #[serde(default)]
    answered_on: Option<NaiveDate>,
    /// SurveyQuestion key → answer: `true`/`false`, a number, a choice, a list of choices.
    #[schema(value_type = Object)]
    answers: serde_json::Map<String, serde_json::Value>,
}

/// A sheet as filed.
#[derive(Serialize, ToSchema)]
pub struct SurveySheet {
    id: i64,
    campaign_id: i64,
    household_id: Option<i64>,
    user_id: Option<i64>,
    business_name: Option<String>,
    village_id: Option<i64>,
    #[schema(value_type = Object)]
    answers: serde_json::Value,
    answered_on: NaiveDate,
    answered_at: DateTime<Utc>,
}

fn sheet_json(r: &response::Model) -> SurveySheet {
    SurveySheet {
        id: r.id,
        campaign_id: r.campaign_id,
        household_id: r.household_id,
        user_id: r.user_id,
        business_name: r.business_name.clone(),
        village_id: r.village_id,
        answers: serde_json::from_str(&r.answers).unwrap_or_default(),
        answered_on: r.answered_on,
        answered_at: r.answered_at,
    }
}

#[utoipa::path(post, operation_id = "survey_sheet", path = "/api/v1/communes/{code}/surveys/{id}/sheets", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "SurveyCampaign id")), request_body = SurveySheetInput,
    responses((status = 201, description = "Filed; a household's answers are now its dated attributes; audited", body = SurveySheet),
        (status = 200, description = "Replaced the subject's earlier sheet in this campaign", body = SurveySheet),
        (status = 401, body = ErrorBody), (status = 403, description = "Not a surveyor, or another village's", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`survey_closed`", body = ErrorBody),
        (status = 422, description = "`survey_answer_missing`, `survey_answer_invalid`, `survey_question_unknown`, `survey_subject_missing`, `survey_day_invalid`, …", body = ErrorBody)))]
async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(i): ApiJson<SurveySheetInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let subject = match (i.household_id, i.user_id, i.business_name) {
        (Some(h), None, None) => Subject::Household(h),
        (None, Some(u), None) => Subject::Official(u),
        (None, None, Some(name)) => Subject::Business {
            name,
            village_id: i.village_id,
        },
        _ => {
            return Err(crate::error::ActionError::from(
                crate::error::Refusal::SurveySubjectMissing,
            )
            .into());
        }
    };
    let sheet = Sheet {
        subject,
        answers: Given::Json(i.answers),
        answered_on: i.answered_on,
    };
    let (row, created) = surveys::answer(state.kernel(), ctx.actor(), &c, id, sheet).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(sheet_json(&row))).into_response())
}

/// One of the staff with their latest readiness (absent: not yet surveyed).
#[derive(Serialize, ToSchema)]
pub struct OfficialReadinessItem {
    user_id: i64,
    name: String,
    smartphone: Option<bool>,
    official_email: Option<bool>,
    e_office: Option<bool>,
    observed_on: Option<NaiveDate>,
}

/// The staff's readiness.
#[derive(Serialize, ToSchema)]
pub struct StaffReadiness {
    staff: i64,
    /// Staff using a smartphone with internet (5.2).
    smartphone: i64,
    /// Staff with all three: smartphone, official email, e-office (§2).
    ready: i64,
    officials: Vec<OfficialReadinessItem>,
}

#[utoipa::path(get, operation_id = "officials_readiness", path = "/api/v1/communes/{code}/officials/readiness", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "Each of the staff's latest readiness", body = StaffReadiness),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn readiness(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<StaffReadiness>> {
    let c = state.communes.active(&code)?;
    let rows = surveys::readiness(state.kernel(), ctx.actor(), &c).await?;
    let count = |f: &dyn Fn(&crate::entity::readiness::Model) -> bool| {
        rows.iter()
            .filter(|o| o.readiness.as_ref().is_some_and(f))
            .count() as i64
    };
    Ok(Json(StaffReadiness {
        staff: rows.len() as i64,
        smartphone: count(&|r| r.smartphone),
        ready: count(&|r| r.smartphone && r.official_email && r.e_office),
        officials: rows
            .iter()
            .map(|o| OfficialReadinessItem {
                user_id: o.user_id,
                name: o.name.clone(),
                smartphone: o.readiness.as_ref().map(|r| r.smartphone),
                official_email: o.readiness.as_ref().map(|r| r.official_email),
                e_office: o.readiness.as_ref().map(|r| r.e_office),
                observed_on: o.readiness.as_ref().map(|r| r.observed_on),
            })
            .collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, board, close, file, readiness),
    components(schemas(
        SurveyCampaign,
        SurveyCampaignInput,
        SurveyQuestion,
        SurveyProgress,
        SurveyResult,
        SurveyBoard,
        SurveySheetInput,
        SurveySheet,
        OfficialReadinessItem,
        StaffReadiness
    ))
)]
pub struct SurveyApi;
