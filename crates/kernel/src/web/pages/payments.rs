//! The back office's payments page and its API: upload the commune's bank statement, see which
//! credit lines match a due payment (reference and amount), and confirm the matches at once.
//! Parsing and confirming are `kernel::payments` use cases; these handlers parse, call, render.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::payments::statement::Outcome;
use crate::payments::{self, CONFIRMERS, StatementMatch, payment, vnd};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::extract::ApiJson;
use crate::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use crate::web::shell::{Shell, render_for};

/// A payment record as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    pub id: i64,
    /// What it pays for (`dossier`) and that thing's id.
    pub ref_kind: String,
    pub ref_id: i64,
    /// The transfer purpose the payer writes (a dossier's receipt code).
    pub reference: String,
    pub amount_vnd: i64,
    /// `due`, `paid` or `cancelled`.
    pub status: String,
    /// `cash`, `transfer` or `vietqr`, once paid.
    pub method: Option<String>,
    pub confirmed_at: Option<String>,
}

impl From<&payment::Model> for PaymentView {
    fn from(p: &payment::Model) -> Self {
        PaymentView {
            id: p.id,
            ref_kind: p.ref_kind.clone(),
            ref_id: p.ref_id,
            reference: p.reference.clone(),
            amount_vnd: p.amount_vnd,
            status: p.status.clone(),
            method: p.method.clone(),
            confirmed_at: p.confirmed_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// One credit line of the statement and what it matched.
#[derive(Serialize, ToSchema)]
pub struct StatementLine {
    /// Line of the file (from 1).
    pub row: usize,
    pub date: String,
    pub amount_vnd: i64,
    pub description: String,
    /// `matched`, `unmatched` or `ambiguous`.
    pub outcome: &'static str,
    /// Why it did not match: `reference_unknown`, `amount_differs`, `several_payments`.
    pub reason: Option<&'static str>,
    /// The due payment it matched.
    pub payment: Option<PaymentView>,
    /// The payments whose reference it names (when the amount differs or several fit).
    pub candidates: Vec<i64>,
}

/// The statement read against the commune's due payments.
#[derive(Serialize, ToSchema)]
pub struct StatementReport {
    pub matched: usize,
    pub unmatched: usize,
    pub ambiguous: usize,
    pub lines: Vec<StatementLine>,
}

fn report(matches: Vec<StatementMatch>) -> StatementReport {
    let lines: Vec<StatementLine> = matches
        .into_iter()
        .map(|m| {
            let (outcome, reason, candidates) = match m.outcome {
                Outcome::Matched(_) => ("matched", None, vec![]),
                Outcome::UnknownReference => ("unmatched", Some("reference_unknown"), vec![]),
                Outcome::AmountDiffers(ids) => ("unmatched", Some("amount_differs"), ids),
                Outcome::Ambiguous(ids) => ("ambiguous", Some("several_payments"), ids),
            };
            StatementLine {
                row: m.line.row,
                date: m.line.date,
                amount_vnd: m.line.amount_vnd,
                description: m.line.description,
                outcome,
                reason,
                payment: m.payment.as_ref().map(PaymentView::from),
                candidates,
            }
        })
        .collect();
    let count = |o: &str| lines.iter().filter(|l| l.outcome == o).count();
    StatementReport {
        matched: count("matched"),
        unmatched: count("unmatched"),
        ambiguous: count("ambiguous"),
        lines,
    }
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/payments/statement", tag = "payments", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    request_body(content = String, content_type = "text/csv", description = "The CSV the bank exports: a header row naming the date, amount (or credit) and description columns in Vietnamese or English, `,` or `;` between fields, UTF-8 with or without BOM, amounts like `50.000` or `50,000`. At most 1 MiB."),
    responses((status = 200, description = "Each credit line with the due payment it matches (same reference in the description, same amount); nothing is changed", body = StatementReport),
        (status = 400, description = "`statement_empty`, `statement_columns`, `statement_amount`, `statement_encoding`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, description = "Not an official, leader or admin of the commune", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, description = "`statement_too_large`", body = ErrorBody)))]
pub async fn api_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<StatementReport>> {
    let c = state.communes.active(&code)?;
    // Past the platform's body limit the statement is too large, whatever the limit is.
    let body = body.map_err(|r| match super::super::map_body_rejection(r) {
        e if e.status == StatusCode::PAYLOAD_TOO_LARGE => AppError {
            field: Some("file"),
            ..AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "statement_too_large")
        },
        e => e,
    })?;
    let matches = payments::read_statement(&state.db, ctx.actor(), &c, &body).await?;
    Ok(Json(report(matches)))
}

/// The payments a statement matched, to be marked paid by transfer.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// Ids of due payments of the commune (`payment.id` of the matched lines).
    pub payments: Vec<i64>,
}

/// The payments now paid.
#[derive(Serialize, ToSchema)]
pub struct ConfirmReport {
    pub confirmed: Vec<PaymentView>,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/payments/statement/confirm", tag = "payments", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = ConfirmRequest,
    responses((status = 200, description = "Every listed payment marked paid by `transfer`, audited, in one transaction", body = ConfirmReport),
        (status = 401, body = ErrorBody), (status = 403, description = "Not an official, leader or admin of the commune", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`payment_not_due`: one of them is paid, cancelled or not of this commune; nothing changed", body = ErrorBody),
        (status = 422, description = "`payments_none`", body = ErrorBody)))]
pub async fn api_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(r): ApiJson<ConfirmRequest>,
) -> AppResult<Json<ConfirmReport>> {
    let c = state.communes.active(&code)?;
    let done = payments::confirm_many(
        &state.db,
        &state.settlers,
        ctx.actor(),
        &c,
        &r.payments,
        "transfer",
    )
    .await?;
    Ok(Json(ConfirmReport {
        confirmed: done.iter().map(PaymentView::from).collect(),
    }))
}

// ---- the page ----

/// A statement line as the page shows it.
struct Row {
    row: usize,
    date: String,
    amount: String,
    description: String,
    outcome: &'static str,
    reason: Option<&'static str>,
    reference: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    shell: Shell,
    active: &'static str,
    code: String,
    due: Vec<(String, String, String)>,
    rows: Vec<Row>,
    read: bool,
    matched: String,
    counts: (usize, usize, usize),
    confirmed: Option<usize>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    confirmed: Option<usize>,
}

async fn page_with(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    read: Option<StatementReport>,
    confirmed: Option<usize>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    ctx.with_role(&c, CONFIRMERS)?;
    let due = payments::due_in(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|p| (p.reference, vnd(p.amount_vnd), super::vn_time(p.created_at)))
        .collect();
    let (rows, matched, counts, was_read) = match read {
        Some(r) => {
            let matched: Vec<String> = r
                .lines
                .iter()
                .filter_map(|l| l.payment.as_ref().map(|p| p.id.to_string()))
                .collect();
            let rows = r
                .lines
                .into_iter()
                .map(|l| Row {
                    row: l.row,
                    date: l.date,
                    amount: vnd(l.amount_vnd),
                    description: l.description,
                    outcome: l.outcome,
                    reason: l.reason,
                    reference: l.payment.map(|p| p.reference).unwrap_or_default(),
                })
                .collect();
            (
                rows,
                matched.join(","),
                (r.matched, r.unmatched, r.ambiguous),
                true,
            )
        }
        None => (vec![], String::new(), (0, 0, 0), false),
    };
    let page = PaymentsPage {
        active: "payments",
        code: c.code.clone(),
        due,
        rows,
        read: was_read,
        matched,
        counts,
        confirmed,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("office.payments")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    page_with(&state, &ctx, &code, None, q.confirmed, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, CONFIRMERS)?;
    let parts = read_multipart(mp).await?;
    let bytes = parts
        .files
        .into_iter()
        .find(|(name, _, _)| name == "file")
        .map(|(_, _, b)| b)
        .unwrap_or_default();
    match payments::read_statement(&state.db, ctx.actor(), &c, &bytes).await {
        Ok(m) => page_with(&state, &ctx, &code, Some(report(m)), None, None).await,
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            page_with(&state, &ctx, &code, None, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    /// The matched payments' ids, comma-separated.
    #[serde(default)]
    payments: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ConfirmForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let ids: Vec<i64> = f
        .payments
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    match payments::confirm_many(
        &state.db,
        &state.settlers,
        ctx.actor(),
        &c,
        &ids,
        "transfer",
    )
    .await
    {
        Ok(done) => Ok(Redirect::to(&format!(
            "/c/{}/office/payments?confirmed={}",
            c.code,
            done.len()
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            page_with(&state, &ctx, &code, None, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/c/{code}/office/payments", get(page))
        .route("/c/{code}/office/payments/statement", post(upload))
        .route("/c/{code}/office/payments/confirm", post(confirm))
        .route(
            "/api/v1/communes/{code}/payments/statement",
            post(api_statement),
        )
        .route(
            "/api/v1/communes/{code}/payments/statement/confirm",
            post(api_confirm),
        )
}
