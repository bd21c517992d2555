//! The services room's pages: the catalogue and submission for citizens, tracking without an
//! account, the applicant's dossier page, and the one-stop desk for officials.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{NaiveDate, Utc};
use kernel::accounts::CurrentUser;
use kernel::error::{AppError, AppResult};
use kernel::files;
use kernel::payments::vietqr;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for, render_status};
use serde::Deserialize;

use crate::Services;
use crate::entity::{dossier, procedure};
use crate::model::{self, Action, DESK, OnlineLevel, Status};
use crate::store::{self, Channel, InboxFilter, ProcedureInput, Step, Submission};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/services", get(catalogue))
        .route("/c/{code}/services/{id}", get(procedure_page).post(submit))
        .route("/c/{code}/track", get(track))
        .route("/c/{code}/my-dossiers", get(my_dossiers))
        .route("/c/{code}/dossiers/{receipt}", get(dossier_page))
        .route("/c/{code}/dossiers/{receipt}/qr.svg", get(qr_svg))
        .route("/c/{code}/dossiers/{receipt}/qr.png", get(qr_png))
        .route("/c/{code}/dossiers/{receipt}/rate", post(rate))
        .route("/c/{code}/dossiers/{receipt}/supplement", post(supplement))
        .route("/c/{code}/dossiers/{receipt}/files/{att}", get(download))
        .route("/c/{code}/office/dossiers", get(desk_inbox))
        .route(
            "/c/{code}/office/dossiers/new",
            get(intake_form).post(intake),
        )
        .route("/c/{code}/office/dossiers/{id}", get(desk_dossier))
        .route("/c/{code}/office/dossiers/{id}/step", post(desk_step))
        .route("/c/{code}/office/dossiers/{id}/payment", post(desk_payment))
        .route("/c/{code}/office/procedures", get(procedures_admin))
        .route(
            "/c/{code}/office/procedures/new",
            get(procedure_form_new).post(procedure_create),
        )
        .route(
            "/c/{code}/office/procedures/{id}",
            get(procedure_form_edit).post(procedure_update),
        )
        .route(
            "/c/{code}/office/payment-account",
            get(payment_account_form).post(payment_account_save),
        )
        .route("/c/{code}/office/services-stats", get(crate::stats::page))
        .route(
            "/c/{code}/office/services-stats.xlsx",
            get(crate::stats::export),
        )
        .route("/c/{code}/services/{id}/forms/{index}", get(blank_form))
        .route("/c/{code}/office/procedures/{id}/forms", post(upload_form))
}

// ---- helpers ----

pub fn vnd(amount: i64) -> String {
    let s = amount.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    format!("{}{out} ₫", if amount < 0 { "-" } else { "" })
}

pub fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

use kernel::accounts::access::ADMINS;

fn status_label(ctx: &Ctx, s: &str) -> String {
    Status::parse(s)
        .map(|s| ctx.tr().get(&s.label_key()).to_owned())
        .unwrap_or_else(|| s.to_owned())
}

// ---- catalogue and submission ----

pub struct ProcRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub field: String,
    pub fee: String,
    pub days: i32,
    pub level: String,
}

fn proc_row(ctx: &Ctx, p: &procedure::Model) -> ProcRow {
    ProcRow {
        id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        field: p.field.clone(),
        fee: if p.fee_vnd == 0 {
            ctx.tr().get("svc.free").to_owned()
        } else {
            vnd(p.fee_vnd)
        },
        days: p.processing_days,
        level: ctx
            .tr()
            .get(&format!("svc.level.{}", p.online_level))
            .to_owned(),
    }
}

#[derive(Template)]
#[template(path = "svc_catalogue.html")]
struct CataloguePage {
    shell: Shell,
    code: String,
    q: String,
    field: String,
    fields: Vec<String>,
    rows: Vec<ProcRow>,
}

#[derive(Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
}

async fn catalogue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(cq): Query<CatalogueQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let all = store::procedures(&state.db, &c.code, "", "", false).await?;
    let mut fields: Vec<String> = all.iter().map(|p| p.field.clone()).collect();
    fields.dedup();
    let rows = store::procedures(&state.db, &c.code, &cq.q, &cq.field, false)
        .await?
        .iter()
        .map(|p| proc_row(&ctx, p))
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.catalogue")).await;
    Ok(render(&CataloguePage {
        shell,
        code: c.code.clone(),
        q: cq.q,
        field: cq.field,
        fields,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "svc_procedure.html")]
struct ProcedurePage {
    shell: Shell,
    code: String,
    p: ProcRow,
    legal_basis: String,
    steps: Vec<String>,
    documents: Vec<(usize, model::RequiredDocument)>,
    fields: Vec<model::FormField>,
    online: bool,
    signed_in: bool,
    applicant_name: String,
    applicant_phone: String,
    values: BTreeMap<String, String>,
    error: Option<String>,
    due_preview: String,
    /// Largest upload, so the offline draft box keeps no more files than could be sent.
    max_upload_bytes: u64,
}

async fn procedure_view(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    values: BTreeMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let p = store::procedure_by_id(&state.db, &c.code, id).await?;
    if !p.active {
        return Err(AppError::new(StatusCode::NOT_FOUND, "procedure_unknown"));
    }
    let due = state.calendar.get().add_working_days(
        kernel::time::to_vn(Utc::now()),
        p.processing_days.max(0) as u32,
    );
    let u = ctx.user.as_deref();
    let page = ProcedurePage {
        code: c.code.clone(),
        p: proc_row(ctx, &p),
        legal_basis: p.legal_basis.clone(),
        steps: p
            .steps
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        documents: store::documents_of(&p).into_iter().enumerate().collect(),
        fields: store::fields_of(&p),
        online: OnlineLevel::parse(&p.online_level).is_some_and(|l| l.accepts_online()),
        signed_in: u.is_some(),
        applicant_name: values
            .get("applicant_name")
            .cloned()
            .or_else(|| u.map(|u| u.full_name.clone()))
            .unwrap_or_default(),
        applicant_phone: values
            .get("applicant_phone")
            .cloned()
            .or_else(|| {
                u.and_then(|u| {
                    u.phone
                        .as_deref()
                        .map(kernel::accounts::phone::display_phone)
                })
            })
            .unwrap_or_default(),
        values,
        error: err.map(|e| {
            e.message(ctx.locale).to_owned()
                + &e.detail
                    .as_deref()
                    .filter(|_| e.code == "field_required" || e.code == "document_missing")
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
        }),
        due_preview: vn_date(due),
        max_upload_bytes: state.config.max_upload_bytes as u64,
        shell: Shell::new(state, ctx, Some(c), &p.name).await,
    };
    Ok(render_for(err, &page))
}

async fn procedure_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    procedure_view(&state, &ctx, c, id, BTreeMap::new(), None).await
}

/// Stores the uploaded files and pairs them with the procedure's document names
/// (file fields are named `doc_<index>`).
async fn store_documents(
    state: &AppState,
    c: &CommuneInfo,
    p: &procedure::Model,
    u: &CurrentUser,
    files_in: Vec<(String, String, Vec<u8>)>,
) -> AppResult<Vec<(String, i64)>> {
    let docs = store::documents_of(p);
    let mut out = vec![];
    for (field, name, bytes) in files_in {
        let Some(doc) = field
            .strip_prefix("doc_")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| docs.get(i))
        else {
            continue;
        };
        let a = state
            .files
            .store(
                &state.db,
                &c.code,
                Some(u.id),
                &name,
                bytes,
                files::IMAGES_AND_PDF,
            )
            .await?;
        out.push((doc.name.clone(), a.id));
    }
    Ok(out)
}

fn form_data(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("data.").map(|k| (k.to_owned(), v.clone())))
        .collect()
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let parts = read_multipart(mp).await?;
    let res = async {
        let p = store::procedure_by_id(&state.db, &c.code, id).await?;
        let data = form_data(&parts.fields);
        let name = parts
            .fields
            .get("applicant_name")
            .cloned()
            .unwrap_or_default();
        let phone = parts
            .fields
            .get("applicant_phone")
            .cloned()
            .unwrap_or_default();
        store::check_form(&p, Channel::Online, &name, &phone, &data)?;
        let documents = store_documents(&state, &c, &p, u, parts.files).await?;
        let sub = Submission {
            procedure_id: id,
            applicant_user_id: Some(u.id),
            applicant_name: name,
            applicant_phone: phone,
            channel: Channel::Online,
            data,
            documents,
        };
        store::submit(&state.db, &state.calendar.get(), &c, sub, Some(u)).await
    }
    .await;
    match res {
        Ok(d) => {
            state.dispatcher.wake();
            Ok(Redirect::to(&format!("/c/{}/dossiers/{}", c.code, d.receipt_code)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            procedure_view(&state, &ctx, c, id, parts.fields, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---- the applicant's side ----

pub struct EventRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub status: String,
    pub note: String,
}

pub async fn event_rows(
    state: &AppState,
    ctx: &Ctx,
    d: &dossier::Model,
    show_names: bool,
) -> AppResult<Vec<EventRow>> {
    Ok(store::events(&state.db, d.id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: kernel::web::pages::vn_time(e.at),
            who: if show_names {
                e.actor_name
            } else {
                String::new()
            },
            action: ctx
                .tr()
                .get(&format!("dossier.action.{}", e.action))
                .to_owned(),
            status: status_label(ctx, &e.to_status),
            note: e.note.unwrap_or_default(),
        })
        .collect())
}

pub struct DossierView {
    pub id: i64,
    pub receipt: String,
    pub procedure: String,
    pub status: String,
    pub status_code: String,
    pub received: String,
    pub due: String,
    pub overdue: bool,
    pub channel: String,
    pub fee: String,
    pub fee_due: bool,
    pub paid: String,
    pub last_note: String,
    pub result_note: String,
    pub result_attachment_id: Option<i64>,
    pub rating: Option<i32>,
    pub version: i32,
    pub applicant: String,
    pub phone: String,
    pub data: Vec<(String, String)>,
}

/// The commune's procedures by id, loaded once for a list of dossiers.
pub async fn view_of(state: &AppState, ctx: &Ctx, d: &dossier::Model) -> AppResult<DossierView> {
    let p = store::procedure_by_id(&state.db, &d.commune_code, d.procedure_id).await?;
    Ok(view_with(ctx, d, &p))
}

/// The view of a dossier when its procedure is already at hand (lists load them once).
pub fn view_with(ctx: &Ctx, d: &dossier::Model, p: &procedure::Model) -> DossierView {
    let mut v = list_view(ctx, d, p);
    let labels: BTreeMap<String, String> = store::fields_of(p)
        .into_iter()
        .map(|f| (f.key, f.label))
        .collect();
    let data: BTreeMap<String, String> = serde_json::from_str(&d.data).unwrap_or_default();
    v.data = data
        .into_iter()
        .map(|(k, val)| (labels.get(&k).cloned().unwrap_or(k), val))
        .collect();
    v
}

/// The view for lists: everything but the form's answers, which lists never show.
pub fn list_view(ctx: &Ctx, d: &dossier::Model, p: &procedure::Model) -> DossierView {
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    DossierView {
        id: d.id,
        receipt: d.receipt_code.clone(),
        procedure: p.name.clone(),
        status: status_label(ctx, &d.status),
        status_code: d.status.clone(),
        received: kernel::web::pages::vn_time(d.received_at),
        due: vn_date(d.due_date),
        overdue: d.done_at.is_none()
            && !status.is_final()
            && status != Status::SupplementRequested
            && d.due_date < kernel::time::vn_today(),
        channel: ctx
            .tr()
            .get(&format!("svc.channel.{}", d.channel))
            .to_owned(),
        fee: vnd(d.fee_vnd),
        fee_due: d.fee_vnd > 0 && d.paid_at.is_none() && !status.is_final(),
        paid: d
            .paid_at
            .map(|t| {
                format!(
                    "{} · {}",
                    kernel::web::pages::vn_time(t),
                    ctx.tr().get(&format!(
                        "svc.pay.{}",
                        d.payment_method.clone().unwrap_or_default()
                    ))
                )
            })
            .unwrap_or_default(),
        last_note: d.last_note.clone().unwrap_or_default(),
        result_note: d.result_note.clone().unwrap_or_default(),
        result_attachment_id: d.result_attachment_id,
        rating: d.rating,
        version: d.version,
        applicant: d.applicant_name.clone(),
        phone: kernel::accounts::phone::display_phone(&d.applicant_phone),
        data: vec![],
    }
}

#[derive(Template)]
#[template(path = "svc_track.html")]
struct TrackPage {
    shell: Shell,
    code: String,
    receipt: String,
    phone: String,
    error: Option<String>,
    found: Option<DossierView>,
    events: Vec<EventRow>,
    /// The payment QR can be drawn (a fee is due and the commune has a bank account): decided
    /// here rather than by hiding a broken image from an inline `onerror`, which the
    /// Content-Security-Policy forbids.
    qr: bool,
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    phone: String,
}

async fn track(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (mut found, mut events, mut error, mut status) = (None, vec![], None, StatusCode::OK);
    if !tq.receipt.trim().is_empty() {
        let ip = kernel::web::ops::client_ip(&ext);
        match store::track_guarded(&state.db, &svc.track_failures, ip, &tq.receipt, &tq.phone)
            .await
            .map(|t| t.dossier)
            .and_then(|d| {
                if d.commune_code == c.code {
                    Ok(d)
                } else {
                    Err(AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"))
                }
            }) {
            Ok(d) => {
                events = event_rows(&state, &ctx, &d, false).await?;
                found = Some(view_of(&state, &ctx, &d).await?);
            }
            Err(e) if e.status.is_client_error() => {
                status = e.status;
                error = Some(e.message(ctx.locale).to_owned());
            }
            Err(e) => return Err(e),
        }
    }
    let qr = match &found {
        Some(v) if v.fee_due => {
            kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune)
                .await?
                .is_some()
        }
        _ => false,
    };
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.track")).await;
    Ok(render_status(
        status,
        &TrackPage {
            shell,
            code: c.code.clone(),
            receipt: tq.receipt,
            phone: tq.phone,
            error,
            found,
            events,
            qr,
        },
    ))
}

#[derive(Template)]
#[template(path = "svc_dossier.html")]
struct DossierPage {
    shell: Shell,
    code: String,
    d: DossierView,
    events: Vec<EventRow>,
    documents: Vec<(i64, String)>,
    qr: Option<String>,
    bank: String,
    can_rate: bool,
    can_supplement: bool,
    missing_docs: Vec<(usize, String)>,
}

/// The dossier as its applicant (or staff) sees it: status, history, payment QR, result.
async fn dossier_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let d = store::by_receipt(&state.db, &receipt).await?;
    if d.commune_code != c.code {
        return Err(AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"));
    }
    let is_applicant = d.applicant_user_id == Some(u.id);
    if !is_applicant && !u.has_role_in(&c, DESK) {
        return Err(AppError::forbidden());
    }
    let view = view_of(&state, &ctx, &d).await?;
    let (qr, bank) = match (
        view.fee_due,
        kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune).await?,
    ) {
        (true, Some(a)) => {
            let payload = vietqr::payload(&a.to_vietqr(), Some(d.fee_vnd as u64), &d.receipt_code)
                .map_err(AppError::internal)?;
            (
                Some(vietqr::svg(&payload)),
                format!("{} · {} · {}", a.account_name, a.account_number, a.bank_bin),
            )
        }
        _ => (None, String::new()),
    };
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    let p = store::procedure_by_id(&state.db, &c.code, d.procedure_id).await?;
    let page = DossierPage {
        code: c.code.clone(),
        events: event_rows(&state, &ctx, &d, u.has_role_in(&c, DESK)).await?,
        documents: store::documents(&state.db, d.id)
            .await?
            .into_iter()
            .map(|x| (x.attachment_id, x.document_name))
            .collect(),
        qr,
        bank,
        can_rate: is_applicant
            && matches!(status, Status::Returned | Status::Closed)
            && d.rating.is_none(),
        can_supplement: is_applicant && status == Status::SupplementRequested,
        missing_docs: store::documents_of(&p)
            .into_iter()
            .enumerate()
            .map(|(i, x)| (i, x.name))
            .collect(),
        d: view,
        shell: Shell::new(&state, &ctx, Some(c), &receipt).await,
    };
    Ok(render(&page))
}

/// The payment QR, for the applicant, the desk, or anyone holding the receipt and the phone.
async fn qr_payload(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    receipt: &str,
    phone: &str,
    guard: (&kernel::web::ops::IpLimiter, std::net::IpAddr),
) -> AppResult<String> {
    let c = state.communes.active(code)?;
    let d = match ctx.user.as_deref() {
        Some(u) => {
            let d = store::by_receipt(&state.db, receipt).await?;
            if d.applicant_user_id != Some(u.id) && !u.has_role_in(&c, DESK) {
                return Err(AppError::forbidden());
            }
            d
        }
        None => store::track_dossier_guarded(&state.db, guard.0, guard.1, receipt, phone).await?,
    };
    if d.commune_code != c.code {
        return Err(AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"));
    }
    if d.fee_vnd == 0 || d.paid_at.is_some() {
        return Err(AppError::conflict("payment_not_due"));
    }
    let a = kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune)
        .await?
        .ok_or_else(|| AppError::conflict("bank_account_missing"))?;
    vietqr::payload(&a.to_vietqr(), Some(d.fee_vnd as u64), &d.receipt_code)
        .map_err(AppError::internal)
}

async fn qr_svg(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let guard = (&*svc.track_failures, kernel::web::ops::client_ip(&ext));
    let payload = qr_payload(&state, &ctx, &code, &receipt, &tq.phone, guard).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        vietqr::svg(&payload),
    )
        .into_response())
}

async fn qr_png(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let guard = (&*svc.track_failures, kernel::web::ops::client_ip(&ext));
    let payload = qr_payload(&state, &ctx, &code, &receipt, &tq.phone, guard).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/png")],
        vietqr::png(&payload, 8),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    rating: i32,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let d = store::by_receipt(&state.db, &receipt).await?;
    if d.commune_code != c.code {
        return Err(AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"));
    }
    store::rate(&state.db, &d, u, f.rating, &f.comment).await?;
    Ok(Redirect::to(&format!("/c/{}/dossiers/{}", c.code, d.receipt_code)).into_response())
}

async fn supplement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let d = store::by_receipt(&state.db, &receipt).await?;
    if d.commune_code != c.code {
        return Err(AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"));
    }
    // Check who and when before storing a single file.
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    model::apply(status, Action::Supplement, &store::actor_for(u, &c, &d)).map_err(
        |r| match r {
            model::Refusal::NotAllowedFromState => AppError::conflict("transition_invalid"),
            model::Refusal::NotPermitted => AppError::new(StatusCode::FORBIDDEN, "step_forbidden"),
        },
    )?;
    let parts = read_multipart(mp).await?;
    let version = parts
        .fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::bad_request("form_invalid"))?;
    if version != d.version {
        return Err(AppError::conflict("dossier_conflict"));
    }
    let p = store::procedure_by_id(&state.db, &c.code, d.procedure_id).await?;
    let documents = store_documents(&state, &c, &p, u, parts.files).await?;
    let note = parts.fields.get("note").cloned();
    let cal = state.calendar.get();
    let step = Step {
        action: Action::Supplement,
        version,
        note: note.as_deref(),
        assignee_id: None,
        result_attachment_id: None,
        documents,
        calendar: Some(&cal),
    };
    store::act(&state.db, &c, d.id, u, step).await?;
    state.dispatcher.wake();
    Ok(Redirect::to(&format!("/c/{}/dossiers/{}", c.code, d.receipt_code)).into_response())
}

/// A document or result of a dossier, for its applicant and the commune's staff only.
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt, att)): Path<(String, String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let d = store::by_receipt(&state.db, &receipt).await?;
    if d.commune_code != c.code || (d.applicant_user_id != Some(u.id) && !u.has_role_in(&c, DESK)) {
        return Err(AppError::forbidden());
    }
    let belongs = d.result_attachment_id == Some(att)
        || store::documents(&state.db, d.id)
            .await?
            .iter()
            .any(|x| x.attachment_id == att);
    if !belongs {
        return Err(AppError::not_found());
    }
    let f = state.files.find(&state.db, &c.code, att).await?;
    let bytes = state.files.read(&f).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        f.original_name
            .replace(['"', '\\'], "_")
            .chars()
            .filter(|c| c.is_ascii())
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, f.mime),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "svc_mine.html")]
struct MinePage {
    shell: Shell,
    code: String,
    rows: Vec<DossierView>,
}

async fn my_dossiers(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let ds = dossier::Entity::find()
        .filter(dossier::Column::ApplicantUserId.eq(u.id))
        .filter(dossier::Column::CommuneCode.eq(&c.code))
        .order_by_desc(dossier::Column::Id)
        .limit(100)
        .all(&state.db)
        .await?;
    let procs = svc.catalogue(&state.db, &c.code).await?;
    let rows = ds
        .iter()
        .filter_map(|d| procs.get(&d.procedure_id).map(|p| list_view(&ctx, d, p)))
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.mine")).await;
    Ok(render(&MinePage {
        shell,
        code: c.code.clone(),
        rows,
    }))
}

// ---- the desk ----

#[derive(Template)]
#[template(path = "svc_inbox.html")]
struct InboxPage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<(DossierView, bool)>,
    statuses: Vec<(&'static str, String)>,
    procedures: Vec<(i64, String)>,
    f_status: String,
    f_procedure: i64,
    f_channel: String,
    f_due: String,
    f_mine: bool,
}

async fn desk_inbox(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<InboxFilter>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    let today = kernel::time::vn_today();
    let soon = state
        .calendar
        .get()
        .add_working_days(today.and_hms_opt(12, 0, 0).unwrap_or_default(), 2);
    let generation = kernel::cache::generation(store::DOSSIERS, &c.code);
    let key = format!(
        "{}|{}|{:?}|{}|{}|{}|{:?}|{today}",
        c.code,
        f.status,
        f.procedure_id,
        f.channel,
        f.due,
        if f.mine { u.id } else { 0 },
        f.page
    );
    let ds = match svc.inbox_pages.get(&key, generation) {
        Some(ds) => ds,
        None => {
            let _flight = svc.inbox_pages.flight(&key).await;
            match svc.inbox_pages.get(&key, generation) {
                Some(ds) => ds,
                None => {
                    let ds =
                        Arc::new(store::inbox(&state.db, &c.code, &f, u.id, today, soon).await?);
                    svc.inbox_pages.put(key, generation, ds.clone());
                    ds
                }
            }
        }
    };
    let procs = svc.catalogue(&state.db, &c.code).await?;
    let rows = ds
        .iter()
        .filter_map(|d| {
            let due_soon = d.done_at.is_none() && d.due_date >= today && d.due_date <= soon;
            procs
                .get(&d.procedure_id)
                .map(|p| (list_view(&ctx, d, p), due_soon))
        })
        .collect();
    let procedures = procs.values().map(|p| (p.id, p.name.clone())).collect();
    let statuses = Status::ALL
        .iter()
        .map(|s| (s.as_str(), ctx.tr().get(&s.label_key()).to_owned()))
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.inbox")).await;
    Ok(render(&InboxPage {
        shell,
        active: "dossiers",
        code: c.code.clone(),
        rows,
        statuses,
        procedures,
        f_status: f.status.clone(),
        f_procedure: f.procedure_id.unwrap_or(0),
        f_channel: f.channel.clone(),
        f_due: f.due.clone(),
        f_mine: f.mine,
    }))
}

#[derive(Template)]
#[template(path = "svc_desk_dossier.html")]
struct DeskDossierPage {
    shell: Shell,
    active: &'static str,
    code: String,
    d: DossierView,
    events: Vec<EventRow>,
    documents: Vec<(i64, String)>,
    actions: Vec<(&'static str, String, bool)>,
    handlers: Vec<(i64, String)>,
    error: Option<String>,
}

async fn desk_view(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, DESK)?;
    let d = store::by_id(&state.db, &c.code, id).await?;
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    let actions = model::available(status, &store::actor_for(u, &c, &d))
        .into_iter()
        .filter(|a| *a != Action::Supplement)
        .map(|a| {
            (
                a.as_str(),
                ctx.tr().get(&a.label_key()).to_owned(),
                a.needs_note(),
            )
        })
        .collect();
    let page = DeskDossierPage {
        active: "dossiers",
        code: c.code.clone(),
        events: event_rows(state, ctx, &d, true).await?,
        documents: store::documents(&state.db, d.id)
            .await?
            .into_iter()
            .map(|x| (x.attachment_id, x.document_name))
            .collect(),
        actions,
        handlers: store::handlers(&state.db, &c.code).await?,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        d: view_of(state, ctx, &d).await?,
        shell: Shell::new(state, ctx, Some(c), &d.receipt_code).await,
    };
    Ok(render_for(err, &page))
}

async fn desk_dossier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    desk_view(&state, &ctx, c, id, None).await
}

/// One workflow step from the desk page (multipart: the result file rides along).
async fn desk_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    let parts = read_multipart(mp).await?;
    let res = async {
        let action = parts
            .fields
            .get("action")
            .and_then(|a| Action::parse(a))
            .ok_or_else(|| AppError::invalid("step_unknown", "action"))?;
        let version = parts
            .fields
            .get("version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::bad_request("form_invalid"))?;
        let assignee_id = parts.fields.get("assignee_id").and_then(|v| v.parse().ok());
        let result_file = parts
            .files
            .into_iter()
            .find(|(f, _, _)| f == "result")
            .filter(|_| action == Action::ReturnResult);
        let result_attachment_id = match result_file {
            Some((_, name, bytes)) => Some(
                state
                    .files
                    .store(
                        &state.db,
                        &c.code,
                        Some(u.id),
                        &name,
                        bytes,
                        files::IMAGES_AND_PDF,
                    )
                    .await?
                    .id,
            ),
            None => None,
        };
        let note = parts.fields.get("note").map(String::as_str);
        store::act(
            &state.db,
            &c,
            id,
            u,
            Step {
                action,
                version,
                note,
                assignee_id,
                result_attachment_id,
                documents: vec![],
                calendar: None,
            },
        )
        .await
    }
    .await;
    match res {
        Ok(_) => {
            state.dispatcher.wake();
            Ok(Redirect::to(&format!("/c/{}/office/dossiers/{id}", c.code)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            desk_view(&state, &ctx, c, id, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    version: i32,
}

async fn desk_payment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<PaymentForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    match crate::payments::confirm_fee(&state.db, &state.settlers, &c, id, u, &f.method, f.version)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/dossiers/{id}", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            desk_view(&state, &ctx, c, id, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "svc_intake.html")]
struct IntakePage {
    shell: Shell,
    active: &'static str,
    code: String,
    procedures: Vec<procedure::Model>,
    error: Option<String>,
}

async fn intake_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.with_role(&c, DESK)?;
    let page = IntakePage {
        active: "dossiers",
        code: c.code.clone(),
        procedures: store::procedures(&state.db, &c.code, "", "", false).await?,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("svc.intake")).await,
    };
    Ok(render_for(err, &page))
}

async fn intake_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    intake_page(&state, &ctx, c, None).await
}

/// A walk-in citizen's paper dossier, entered at the desk (counted as offline).
async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    let parts = read_multipart(mp).await?;
    let res = async {
        let pid: i64 = parts
            .fields
            .get("procedure_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::invalid("procedure_unknown", "procedure_id"))?;
        let p = store::procedure_by_id(&state.db, &c.code, pid).await?;
        // At the counter the paper originals are checked by eye; scans are optional.
        let mut documents = store_documents(&state, &c, &p, u, parts.files).await?;
        documents.dedup();
        let sub = Submission {
            procedure_id: pid,
            applicant_user_id: None,
            applicant_name: parts
                .fields
                .get("applicant_name")
                .cloned()
                .unwrap_or_default(),
            applicant_phone: parts
                .fields
                .get("applicant_phone")
                .cloned()
                .unwrap_or_default(),
            channel: Channel::Offline,
            data: form_data(&parts.fields),
            documents,
        };
        store::submit(&state.db, &state.calendar.get(), &c, sub, Some(u)).await
    }
    .await;
    match res {
        Ok(d) => {
            Ok(Redirect::to(&format!("/c/{}/office/dossiers/{}", c.code, d.id)).into_response())
        }
        Err(e) if e.status.is_client_error() => intake_page(&state, &ctx, c, Some(&e)).await,
        Err(e) => Err(e),
    }
}

// ---- catalogue administration ----

#[derive(Template)]
#[template(path = "svc_procedures_admin.html")]
struct ProceduresAdmin {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<(ProcRow, bool)>,
}

async fn procedures_admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, DESK)?;
    let rows = store::procedures(&state.db, &c.code, "", "", true)
        .await?
        .iter()
        .map(|p| (proc_row(&ctx, p), p.active))
        .collect();
    let shell = Shell::new(
        &state,
        &ctx,
        Some(c.clone()),
        ctx.tr().get("svc.procedures"),
    )
    .await;
    Ok(render(&ProceduresAdmin {
        shell,
        active: "procedures",
        code: c.code.clone(),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "svc_procedure_form.html")]
struct ProcedureForm {
    shell: Shell,
    active: &'static str,
    code: String,
    id: Option<i64>,
    /// (index, document name, has a blank form)
    docs: Vec<(usize, String, bool)>,
    f: ProcedureFormData,
    error: Option<String>,
}

/// The procedure editor's fields: lists are one item per line, as officials type them.
#[derive(Deserialize, Default, Clone)]
pub struct ProcedureFormData {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub legal_basis: String,
    /// One document per line; a leading `*` marks it required.
    #[serde(default)]
    pub documents: String,
    /// One field per line: `key | label` and a trailing `*` when required.
    #[serde(default)]
    pub form_fields: String,
    #[serde(default)]
    pub fee_vnd: String,
    #[serde(default)]
    pub processing_days: String,
    #[serde(default)]
    pub online_level: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub active: Option<String>,
}

impl ProcedureFormData {
    fn from_model(p: &procedure::Model) -> Self {
        ProcedureFormData {
            code: p.code.clone(),
            name: p.name.clone(),
            field: p.field.clone(),
            legal_basis: p.legal_basis.clone(),
            documents: store::documents_of(p)
                .iter()
                .map(|d| format!("{}{}", if d.required { "*" } else { "" }, d.name))
                .collect::<Vec<_>>()
                .join("\n"),
            form_fields: store::fields_of(p)
                .iter()
                .map(|f| {
                    format!(
                        "{} | {}{}",
                        f.key,
                        f.label,
                        if f.required { " *" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            fee_vnd: p.fee_vnd.to_string(),
            processing_days: p.processing_days.to_string(),
            online_level: p.online_level.clone(),
            steps: p.steps.clone(),
            active: p.active.then(|| "on".into()),
        }
    }

    fn to_input(&self) -> AppResult<ProcedureInput> {
        let documents = self
            .documents
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| model::RequiredDocument {
                required: l.starts_with('*'),
                name: l.trim_start_matches('*').trim().to_owned(),
                form_attachment_id: None,
            })
            .collect();
        let mut form_fields = vec![];
        for l in self
            .form_fields
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (key, label) = l
                .split_once('|')
                .ok_or_else(|| AppError::invalid("form_field_invalid", "form_fields"))?;
            let label = label.trim();
            let required = label.ends_with('*');
            form_fields.push(model::FormField {
                key: key.trim().to_owned(),
                label: label.trim_end_matches('*').trim().to_owned(),
                required,
                kind: "text".into(),
            });
        }
        Ok(ProcedureInput {
            code: self.code.clone(),
            name: self.name.clone(),
            field: self.field.clone(),
            legal_basis: self.legal_basis.clone(),
            documents,
            form_fields,
            fee_vnd: self
                .fee_vnd
                .trim()
                .replace(['.', ',', ' '], "")
                .parse()
                .map_err(|_| AppError::invalid("fee_invalid", "fee_vnd"))?,
            processing_days: self
                .processing_days
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("days_invalid", "processing_days"))?,
            online_level: self.online_level.clone(),
            steps: self.steps.clone(),
            active: self.active.is_some(),
        })
    }
}

async fn procedure_form_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: Option<i64>,
    f: ProcedureFormData,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let docs = match id {
        Some(i) => store::documents_of(&store::procedure_by_id(&state.db, &c.code, i).await?)
            .into_iter()
            .enumerate()
            .map(|(n, d)| (n, d.name, d.form_attachment_id.is_some()))
            .collect(),
        None => vec![],
    };
    let page = ProcedureForm {
        active: "procedures",
        code: c.code.clone(),
        id,
        docs,
        f,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("svc.procedure_edit")).await,
    };
    Ok(render_for(err, &page))
}

async fn procedure_form_new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let f = ProcedureFormData {
        online_level: "full".into(),
        active: Some("on".into()),
        fee_vnd: "0".into(),
        processing_days: "1".into(),
        ..Default::default()
    };
    procedure_form_page(&state, &ctx, c, None, f, None).await
}

async fn procedure_form_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let p = store::procedure_by_id(&state.db, &c.code, id).await?;
    procedure_form_page(
        &state,
        &ctx,
        c,
        Some(id),
        ProcedureFormData::from_model(&p),
        None,
    )
    .await
}

async fn save_procedure(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: Option<i64>,
    f: ProcedureFormData,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, ADMINS)?;
    let res: AppResult<procedure::Model> = async {
        let input = f.to_input()?;
        let txn = kernel::db::begin_write(&state.db).await?;
        let p = match id {
            Some(id) => store::update_procedure(&txn, &c.code, id, &input).await?,
            None => store::create_procedure(&txn, &c.code, &input).await?,
        };
        let action = if id.is_some() {
            "procedure.update"
        } else {
            "procedure.create"
        };
        kernel::audit::record(
            &txn,
            kernel::audit::Entry::in_commune(
                u,
                &c,
                action,
                "procedure",
                p.id,
                format!("{} · {}", p.code, p.name),
            ),
        )
        .await?;
        txn.commit().await?;
        svc.forget_catalogue(&c.code);
        Ok(p)
    }
    .await;
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/procedures", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            procedure_form_page(state, ctx, c, id, f, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

async fn procedure_create(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ProcedureFormData>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    save_procedure(&state, &svc, &ctx, c, None, f).await
}

async fn procedure_update(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ProcedureFormData>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    save_procedure(&state, &svc, &ctx, c, Some(id), f).await
}

#[derive(Template)]
#[template(path = "svc_payment_account.html")]
struct PaymentAccountPage {
    shell: Shell,
    active: &'static str,
    bin: String,
    number: String,
    name: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    bank_bin: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    account_name: String,
}

async fn payment_account_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let a =
        kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune).await?;
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("svc.payment_account")).await;
    Ok(render(&PaymentAccountPage {
        shell,
        active: "procedures",
        bin: a.as_ref().map(|a| a.bank_bin.clone()).unwrap_or_default(),
        number: a
            .as_ref()
            .map(|a| a.account_number.clone())
            .unwrap_or_default(),
        name: a.map(|a| a.account_name).unwrap_or_default(),
        error: None,
    }))
}

async fn payment_account_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<AccountForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res: AppResult<()> = async {
        let txn = kernel::db::begin_write(&state.db).await?;
        let a = kernel::payments::set_account(
            &txn,
            &c.code,
            kernel::payments::Owner::Commune,
            &f.bank_bin,
            &f.account_number,
            &f.account_name,
            "",
        )
        .await?;
        kernel::audit::record(
            &txn,
            kernel::audit::Entry::in_commune(
                u,
                &c,
                "payment_account.set",
                "commune",
                &c.code,
                format!("{} · {}", a.bank_bin, a.account_number),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    match res {
        Ok(()) => {
            Ok(Redirect::to(&format!("/c/{}/office/payment-account", c.code)).into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let shell =
                Shell::new(&state, &ctx, Some(c), ctx.tr().get("svc.payment_account")).await;
            Ok(render_status(
                e.status,
                &PaymentAccountPage {
                    shell,
                    active: "procedures",
                    bin: f.bank_bin,
                    number: f.account_number,
                    name: f.account_name,
                    error: Some(e.message(ctx.locale).to_owned()),
                },
            ))
        }
        Err(e) => Err(e),
    }
}

/// A procedure's blank form, public: citizens print and fill it before coming or submitting.
async fn blank_form(
    State(state): State<AppState>,
    Path((code, id, index)): Path<(String, i64, usize)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let p = store::procedure_by_id(&state.db, &c.code, id).await?;
    let att = store::documents_of(&p)
        .get(index)
        .and_then(|d| d.form_attachment_id)
        .ok_or_else(AppError::not_found)?;
    let f = state.files.find(&state.db, &c.code, att).await?;
    let bytes = state.files.read(&f).await?;
    let name = format!("mau-{}-{}.pdf", p.code.to_ascii_lowercase(), index + 1);
    Ok((
        [
            (header::CONTENT_TYPE, f.mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn upload_form(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let parts = read_multipart(mp).await?;
    let res: AppResult<()> = async {
        let index: usize = parts
            .fields
            .get("document")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::invalid("document_unknown", "document"))?;
        let (_, name, bytes) = parts
            .files
            .into_iter()
            .find(|(f, _, _)| f == "form")
            .ok_or_else(|| AppError::invalid("file_missing", "form"))?;
        // Checked and written before the write lock is taken.
        let stored = state.files.put(&name, bytes, &[files::Kind::Pdf]).await?;
        let txn = kernel::db::begin_write(&state.db).await?;
        let a = stored.record(&txn, &c.code, Some(u.id)).await?;
        let p = store::set_document_form(&txn, &c.code, id, index, a.id).await?;
        kernel::audit::record(
            &txn,
            kernel::audit::Entry::in_commune(
                u,
                &c,
                "procedure.form",
                "procedure",
                p.id,
                format!("{} · {}", p.code, name),
            ),
        )
        .await?;
        txn.commit().await?;
        svc.forget_catalogue(&c.code);
        Ok(())
    }
    .await;
    match res {
        Ok(()) => {
            Ok(Redirect::to(&format!("/c/{}/office/procedures/{id}", c.code)).into_response())
        }
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            let p = store::procedure_by_id(&state.db, &c.code, id).await?;
            procedure_form_page(
                &state,
                &ctx,
                c,
                Some(id),
                ProcedureFormData::from_model(&p),
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
