//! Polls pages and API: the list, answering, live results with charts and by village, the
//! officials' builder (with the satisfaction-survey template) and the XLSX export.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use kernel::error::{AppError, AppResult, ErrorBody};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath};
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render, render_for};
use serde::{Deserialize, Serialize};

use super::actions;
use super::model::{self, AnswerInput, BUILDERS, Phase, QuestionKind};
use super::store::{self, Poll, PollInput, Results};
use super::{chart, export};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/polls", get(list_page))
        .layer(Extension(Arc::new(ListCache::default())))
        .route("/c/{code}/polls/{id}", get(poll_page).post(answer_form))
        .route("/c/{code}/polls/{id}/results", get(results_page))
        .route("/c/{code}/polls/{id}/results.xlsx", get(results_xlsx))
        .route(
            "/c/{code}/office/polls",
            get(builder_page).post(create_form),
        )
        .route(
            "/api/v1/communes/{code}/polls",
            get(poll_list).post(poll_create),
        )
        .route("/api/v1/communes/{code}/polls/{id}", get(poll_results))
        .route(
            "/api/v1/communes/{code}/polls/{id}/answers",
            axum::routing::post(poll_answer),
        )
}

fn phase_label(ctx: &Ctx, p: Phase) -> &'static str {
    ctx.tr().get(match p {
        Phase::NotYetOpen => "poll.phase.soon",
        Phase::Open => "poll.phase.open",
        Phase::Closed => "poll.phase.closed",
    })
}

pub struct PollRow {
    id: i64,
    title: String,
    phase: &'static str,
    open: bool,
    dates: String,
}

#[derive(Template)]
#[template(path = "pl_list.html")]
struct ListPage {
    shell: Shell,
    code: String,
    rows: Vec<PollRow>,
}

/// A commune's polls, kept in memory until one is created there (5 s at most for another
/// process's): the list is read by everyone the commune invites to answer. Phases are worked
/// out at each reading, so a poll opens and closes on time.
type ListCache = kernel::cache::GenerationCache<Arc<Vec<super::entity::poll::Model>>>;

async fn polls_of(
    state: &AppState,
    cache: &ListCache,
    code: &str,
) -> AppResult<Arc<Vec<super::entity::poll::Model>>> {
    let generation = kernel::cache::generation(store::POLLS, code);
    if let Some(hit) = cache.get(code, generation) {
        return Ok(hit);
    }
    let _flight = cache.flight(code).await;
    if let Some(hit) = cache.get(code, generation) {
        return Ok(hit);
    }
    let fresh = Arc::new(store::list(&state.db, code).await?);
    cache.put(code.to_owned(), generation, fresh.clone());
    Ok(fresh)
}

async fn list_page(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<ListCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let now = Utc::now();
    let rows = polls_of(&state, &cache, &c.code)
        .await?
        .iter()
        .map(|p| {
            let ph = model::phase(p.opens_at, p.closes_at, now);
            PollRow {
                id: p.id,
                title: p.title.clone(),
                phase: phase_label(&ctx, ph),
                open: ph == Phase::Open,
                dates: format!("{} – {}", vn_time(p.opens_at), vn_time(p.closes_at)),
            }
        })
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("poll.title")).await;
    Ok(render(&ListPage {
        shell,
        code: c.code.clone(),
        rows,
    }))
}

pub struct QuestionView {
    index: usize,
    text: String,
    kind: &'static str,
    options: Vec<String>,
    required: bool,
    scale: Vec<i32>,
}

#[derive(Template)]
#[template(path = "pl_poll.html")]
struct PollPage {
    shell: Shell,
    code: String,
    id: i64,
    title: String,
    description: String,
    phase: &'static str,
    dates: String,
    questions: Vec<QuestionView>,
    /// Why this visitor cannot answer, or empty when the form is shown.
    blocked: &'static str,
    error: Option<String>,
}

async fn poll_view(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let p = store::get(&state.db, &c.code, id).await?;
    let ph = p.phase(Utc::now());
    let blocked = match (&ctx.user, ph) {
        (_, Phase::NotYetOpen) => "poll.not_open",
        (_, Phase::Closed) => "poll.closed_note",
        (None, _) => "poll.sign_in",
        (Some(u), _)
            if store::has_answered(&state.db, &p.poll.commune_code, p.poll.id, u.id).await? =>
        {
            "poll.answered"
        }
        (Some(u), _)
            if !model::in_audience(
                &p.audience,
                u.commune_code.as_deref(),
                &c.code,
                u.village_id,
            ) =>
        {
            "poll.not_for_you"
        }
        _ => "",
    };
    let questions = p
        .questions
        .iter()
        .enumerate()
        .map(|(i, (_, q))| QuestionView {
            index: i,
            text: q.text.clone(),
            kind: q.kind.as_str(),
            options: q.options.clone(),
            required: q.required,
            scale: (1..=q.scale.unwrap_or(5)).collect(),
        })
        .collect();
    let shell = Shell::new(state, ctx, Some(c.clone()), &p.poll.title).await;
    Ok(render_for(
        err,
        &PollPage {
            shell,
            code: c.code.clone(),
            id: p.poll.id,
            title: p.poll.title.clone(),
            description: p.poll.description.clone(),
            phase: phase_label(ctx, ph),
            dates: format!(
                "{} – {}",
                vn_time(p.poll.opens_at),
                vn_time(p.poll.closes_at)
            ),
            questions,
            blocked: if blocked.is_empty() {
                ""
            } else {
                ctx.tr().get(blocked)
            },
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

async fn poll_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    poll_view(&state, &ctx, c, id, None).await
}

/// Form fields `q<i>` (repeated for multiple choice) become one answer per question.
fn answers_from_form(p: &Poll, fields: &[(String, String)]) -> AppResult<Vec<AnswerInput>> {
    let mut out = vec![AnswerInput::default(); p.questions.len()];
    for (k, v) in fields {
        let Some(i) = k.strip_prefix('q').and_then(|i| i.parse::<usize>().ok()) else {
            continue;
        };
        let (Some(a), Some((_, q))) = (out.get_mut(i), p.questions.get(i)) else {
            return Err(AppError::invalid("answers_invalid", "answers"));
        };
        let bad = || AppError::invalid("answer_invalid", "answers");
        match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                a.choices.push(v.trim().parse().map_err(|_| bad())?)
            }
            QuestionKind::Rating => a.rating = Some(v.trim().parse().map_err(|_| bad())?),
            QuestionKind::Text => a.text = Some(v.clone()),
        }
    }
    Ok(out)
}

async fn answer_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let p = store::get(&state.db, &c.code, id).await?;
    let res = match answers_from_form(&p, &fields) {
        Ok(a) => actions::answer(state.kernel(), Some(u), &c, &p, &a)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => Ok(
            Redirect::to(&format!("/c/{}/polls/{id}/results?answered=1", c.code)).into_response(),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            poll_view(&state, &ctx, c, id, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub struct ResultView {
    text: String,
    chart: Option<String>,
    answered: u64,
    average: Option<f64>,
    labels: Vec<String>,
    by_village: Vec<(String, Vec<Option<u64>>)>,
    texts: Vec<String>,
}

#[derive(Template)]
#[template(path = "pl_results.html")]
struct ResultsPage {
    shell: Shell,
    code: String,
    id: i64,
    title: String,
    phase: &'static str,
    respondents: u64,
    questions: Vec<ResultView>,
    official: bool,
    /// Right after this reader answered: the thank-you card.
    thanks: Option<PollThanks>,
}

/// What someone reads after answering: when their answer was recorded, and when the poll
/// closes (the final results).
pub struct PollThanks {
    recorded: String,
    closes: String,
}

#[derive(Deserialize)]
struct ResultsQuery {
    #[serde(default)]
    answered: Option<String>,
}

async fn results_of(
    state: &AppState,
    ctx: &Ctx,
    c: &CommuneInfo,
    id: i64,
) -> AppResult<(Poll, Results, bool)> {
    let p = store::get(&state.db, &c.code, id).await?;
    let official = ctx
        .user
        .as_ref()
        .is_some_and(|u| u.has_role_in(c, BUILDERS));
    let r = store::results(&state.db, &p, official).await?;
    Ok((p, r, official))
}

async fn results_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<ResultsQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (p, r, official) = results_of(&state, &ctx, &c, id).await?;
    let thanks = match (&ctx.user, q.answered) {
        (Some(u), Some(_)) => store::answered_at(&state.db, &p.poll.commune_code, p.poll.id, u.id)
            .await?
            .map(|at| PollThanks {
                recorded: vn_time(at),
                closes: vn_time(p.poll.closes_at),
            }),
        _ => None,
    };
    let questions = r
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| ResultView {
            text: q.text.clone(),
            chart: chart::bars(q, &format!("q{i}")),
            answered: q.answered,
            average: q.average,
            labels: q.options.iter().map(|o| o.label.clone()).collect(),
            by_village: q.by_village.clone().into_iter().collect(),
            texts: q.texts.clone(),
        })
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), &p.poll.title).await;
    Ok(render(&ResultsPage {
        shell,
        code: c.code.clone(),
        id,
        phase: phase_label(&ctx, p.phase(Utc::now())),
        title: p.poll.title,
        respondents: r.respondents,
        questions,
        official,
        thanks,
    }))
}

async fn results_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, BUILDERS)?;
    let (p, r, _) = results_of(&state, &ctx, &c, id).await?;
    let bytes = export::workbook(&p, &r).map_err(AppError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ket-qua-khao-sat-{id}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- the builder ----

#[derive(Template)]
#[template(path = "pl_builder.html")]
struct BuilderPage {
    shell: Shell,
    active: &'static str,
    code: String,
    villages: Vec<(i64, String)>,
    f: BuilderForm,
    error: Option<String>,
    polls: Vec<PollRow>,
}

#[derive(Deserialize, Default, Clone)]
pub struct BuilderForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    questions: String,
    /// Village ids, comma-separated (the form's checkboxes are joined by the page).
    #[serde(default)]
    audience: Vec<i64>,
}

#[derive(Deserialize)]
struct BuilderQuery {
    #[serde(default)]
    template: Option<String>,
}

/// `2025-12-01T08:00` from a datetime-local input, read as Viet Nam time.
fn local_time(s: &str, field: &'static str) -> AppResult<DateTime<Utc>> {
    kernel::time::parse_local_input(s).ok_or_else(|| AppError::invalid("poll_dates_invalid", field))
}

fn input_time(t: DateTime<Utc>) -> String {
    kernel::time::local_input_text(t)
}

async fn builder_view(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    f: BuilderForm,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.with_role(&c, BUILDERS)?;
    let villages = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let now = Utc::now();
    let polls = store::list(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|p| {
            let ph = model::phase(p.opens_at, p.closes_at, now);
            PollRow {
                id: p.id,
                title: p.title,
                phase: phase_label(ctx, ph),
                open: ph == Phase::Open,
                dates: format!("{} – {}", vn_time(p.opens_at), vn_time(p.closes_at)),
            }
        })
        .collect();
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("poll.builder")).await;
    Ok(render_for(
        err,
        &BuilderPage {
            shell,
            active: "polls",
            code: c.code.clone(),
            villages,
            f,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            polls,
        },
    ))
}

async fn builder_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<BuilderQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let now = Utc::now();
    let mut f = BuilderForm {
        opens_at: input_time(now),
        closes_at: input_time(now + chrono::Duration::days(14)),
        ..Default::default()
    };
    if q.template.as_deref() == Some("satisfaction") {
        let (title, description, questions) = model::satisfaction_template();
        f.title = title;
        f.description = description;
        f.questions = model::questions_to_text(&questions);
    }
    builder_view(&state, &ctx, c, f, None).await
}

async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, BUILDERS)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = BuilderForm {
        title: get("title"),
        description: get("description"),
        opens_at: get("opens_at"),
        closes_at: get("closes_at"),
        questions: get("questions"),
        audience: fields
            .iter()
            .filter(|(n, _)| n == "audience")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
    };
    let res = async {
        let input = PollInput {
            title: f.title.clone(),
            description: f.description.clone(),
            audience: f.audience.clone(),
            opens_at: local_time(&f.opens_at, "opens_at")?,
            closes_at: local_time(&f.closes_at, "closes_at")?,
            questions: model::questions_from_text(&f.questions)
                .map_err(|(code, field)| AppError::invalid(code, field))?,
        };
        Ok::<_, AppError>(actions::create(state.kernel(), Some(u), &c, &input).await?)
    }
    .await;
    match res {
        Ok(p) => Ok(Redirect::to(&format!("/c/{}/polls/{}", c.code, p.id)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            builder_view(&state, &ctx, c, f, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---- API ----

#[derive(Serialize, utoipa::ToSchema)]
pub struct PollSummary {
    id: i64,
    title: String,
    description: String,
    audience: Vec<i64>,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    /// `not_yet_open`, `open` or `closed`.
    phase: String,
}

fn summary(p: &super::entity::poll::Model) -> PollSummary {
    PollSummary {
        id: p.id,
        title: p.title.clone(),
        description: p.description.clone(),
        audience: serde_json::from_str(&p.audience).unwrap_or_default(),
        opens_at: p.opens_at,
        closes_at: p.closes_at,
        phase: match model::phase(p.opens_at, p.closes_at, Utc::now()) {
            Phase::NotYetOpen => "not_yet_open",
            Phase::Open => "open",
            Phase::Closed => "closed",
        }
        .into(),
    }
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/polls", tag = "voice",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [PollSummary]), (status = 404, body = ErrorBody)))]
async fn poll_list(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Json<Vec<PollSummary>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        store::list(&state.db, &c.code)
            .await?
            .iter()
            .map(summary)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/polls", tag = "voice", request_body = PollInput, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = PollSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn poll_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<PollInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let p = actions::create(state.kernel(), ctx.actor(), &c, &input).await?;
    Ok((StatusCode::CREATED, Json(summary(&p))).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PollResults {
    poll: PollSummary,
    results: Results,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/polls/{id}", tag = "voice",
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Poll id")),
    responses((status = 200, body = PollResults, description = "Live results; free-text answers for officials only"), (status = 404, body = ErrorBody)))]
async fn poll_results(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<PollResults>> {
    let c = state.communes.active(&code)?;
    let (p, results, _) = results_of(&state, &ctx, &c, id).await?;
    Ok(Json(PollResults {
        poll: summary(&p.poll),
        results,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    /// One entry per question, in order (empty for a skipped optional question).
    answers: Vec<AnswerInput>,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/polls/{id}/answers", tag = "voice", request_body = AnswerBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Poll id")),
    responses((status = 201), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already answered, not open yet, or closed"), (status = 422, body = ErrorBody)))]
async fn poll_answer(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let p = store::get(&state.db, &c.code, id).await?;
    actions::answer(state.kernel(), Some(u), &c, &p, &b.answers).await?;
    Ok(StatusCode::CREATED)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(poll_list, poll_create, poll_results, poll_answer),
    components(schemas(QuestionKind, model::QuestionDraft, AnswerInput))
)]
pub struct PollsApi;
