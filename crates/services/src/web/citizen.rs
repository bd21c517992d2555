//! The citizen's pages: the catalogue, a procedure and its online submission, the applicant's
//! dossier page (payment code, rating, supplement, files) and their list of dossiers.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use kernel::error::{AppError, AppResult};
use kernel::payments::vietqr;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::{
    DossierView, EventRow, ProcRow, document_rows, event_rows, form_data, list_view, proc_row,
    uploads, view_of, vn_date,
};
use crate::Services;
use crate::actions::dossiers::{self, Channel, Submission};
use crate::actions::{procedures, steps};
use crate::model::{self, DESK, OnlineLevel, Status};
use crate::store;

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

pub(super) async fn catalogue(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(cq): Query<CatalogueQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let page = svc
        .catalogue_page(&state.db, &c.code, &cq.q, &cq.field)
        .await?;
    let (fields, found) = &*page;
    let rows = found.iter().map(|p| proc_row(&ctx, p)).collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.catalogue")).await;
    Ok(render(&CataloguePage {
        shell,
        code: c.code.clone(),
        q: cq.q,
        field: cq.field,
        fields: fields.clone(),
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
    fields: Vec<FieldView>,
    online: bool,
    signed_in: bool,
    applicant_name: String,
    applicant_phone: String,
    error: Option<String>,
    /// The refusal when it is about one field of the form (shown beside that field).
    name_error: Option<String>,
    phone_error: Option<String>,
    due_preview: String,
    /// Largest upload, so the offline draft box keeps no more files than could be sent.
    max_upload_bytes: u64,
}

/// A form field as the citizen's form renders it: its input follows its kind.
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub required: bool,
    pub kind: &'static str,
    pub options: Vec<String>,
    pub value: String,
    pub error: Option<String>,
    /// Today (`yyyy-mm-dd`), the latest day a past-only date may be.
    pub max_date: String,
}

/// The form's fields with the answers given and the refusal on the field it blames.
pub(super) fn field_views(
    p: &crate::entity::procedure::Model,
    values: &BTreeMap<String, String>,
    err: Option<&AppError>,
    locale: kernel::i18n::Locale,
) -> Vec<FieldView> {
    let today = kernel::time::vn_today().format("%Y-%m-%d").to_string();
    store::fields_of(p)
        .into_iter()
        .map(|f| {
            let value = values
                .get(&format!("data.{}", f.key))
                .cloned()
                .unwrap_or_default();
            let error = err
                .filter(|e| e.field == Some("data") && e.detail.as_deref() == Some(f.key.as_str()))
                .map(|e| e.message(locale).to_owned());
            FieldView {
                kind: f.kind.as_str(),
                max_date: if f.kind == model::FieldKind::PastDate {
                    today.clone()
                } else {
                    String::new()
                },
                key: f.key,
                label: f.label,
                required: f.required,
                options: f.options,
                value,
                error,
            }
        })
        .collect()
}

/// The refusal's message when it blames `field` of the applicant's part of the form.
fn error_on(err: Option<&AppError>, field: &str, locale: kernel::i18n::Locale) -> Option<String> {
    err.filter(|e| e.field == Some(field))
        .map(|e| e.message(locale).to_owned())
}

/// The message above the form: the refusal, naming the field by its label when it is one.
pub(super) fn form_error(
    err: Option<&AppError>,
    fields: &[FieldView],
    ctx: &Ctx,
) -> Option<String> {
    err.map(|e| {
        let label = e
            .detail
            .as_deref()
            .filter(|_| e.field == Some("data"))
            .and_then(|k| fields.iter().find(|f| f.key == k))
            .map(|f| f.label.clone())
            .or_else(|| e.detail.clone().filter(|_| e.code == "document_missing"));
        match label {
            Some(l) => format!("{} ({l})", e.message(ctx.locale)),
            None => e.message(ctx.locale).to_owned(),
        }
    })
}

async fn procedure_view(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    values: BTreeMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    // From the catalogue in memory (forgotten on every edit), like the catalogue page.
    let p = svc
        .catalogue(&state.db, &c.code)
        .await?
        .get(&id)
        .filter(|p| p.active)
        .cloned()
        .ok_or_else(|| {
            AppError::from(crate::actions::ActionError::from(
                crate::actions::Refusal::ProcedureUnknown,
            ))
        })?;
    let due = state.calendar.get().add_working_days(
        kernel::time::to_vn(Utc::now()),
        p.processing_days.max(0) as u32,
    );
    let u = ctx.user.as_deref();
    let fields = field_views(&p, &values, err, ctx.locale);
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
        error: form_error(err, &fields, ctx),
        name_error: error_on(err, "applicant_name", ctx.locale),
        phone_error: error_on(err, "applicant_phone", ctx.locale),
        fields,
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
        due_preview: vn_date(due),
        max_upload_bytes: state.config.max_upload_bytes as u64,
        shell: Shell::new(state, ctx, Some(c), &p.name).await,
    };
    Ok(render_for(err, &page))
}

pub(super) async fn procedure_page(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    procedure_view(&state, &svc, &ctx, c, id, BTreeMap::new(), None).await
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let parts = read_multipart(mp).await?;
    let field = |k: &str| parts.fields.get(k).cloned().unwrap_or_default();
    let sub = Submission {
        procedure_id: id,
        applicant_name: field("applicant_name"),
        applicant_phone: field("applicant_phone"),
        channel: Channel::Online,
        data: form_data(&parts.fields),
        documents: vec![],
    };
    match dossiers::submit(state.kernel(), ctx.actor(), &c, sub, uploads(parts.files)).await {
        Ok(d) => Ok(
            Redirect::to(&format!("/c/{}/dossiers/{}?sent=1", c.code, d.receipt_code))
                .into_response(),
        ),
        Err(e) => match AppError::from(e) {
            e if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
                procedure_view(&state, &svc, &ctx, c, id, parts.fields, Some(&e)).await
            }
            e => Err(e),
        },
    }
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
    /// Just submitted by its applicant: the page opens with the thank-you card.
    sent: bool,
}

#[derive(Deserialize, Default)]
pub struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
}

/// The dossier as its applicant (or staff) sees it: status, history, payment QR, result.
pub(super) async fn dossier_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(sq): Query<SentQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (d, u) = dossiers::for_reader(state.kernel(), ctx.actor(), &c, &receipt).await?;
    let is_applicant = d.applicant_user_id == Some(u.id);
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
                format!(
                    "{} · {} · {}",
                    super::bank_name(&a.bank_bin),
                    a.account_number,
                    a.account_name
                ),
            )
        }
        _ => (None, String::new()),
    };
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    let p = procedures::any(&state.db, &c.code, d.procedure_id).await?;
    let page = DossierPage {
        code: c.code.clone(),
        events: event_rows(&state, &ctx, &d, u.has_role_in(&c, DESK)).await?,
        documents: document_rows(&state, &d).await?,
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
        sent: sq.sent.is_some() && is_applicant,
        d: view,
        shell: Shell::new(&state, &ctx, Some(c), &receipt).await,
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    rating: i32,
    #[serde(default)]
    comment: String,
}

pub(super) async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let d = dossiers::by_receipt(state.kernel(), &c, &receipt).await?;
    dossiers::rate(state.kernel(), ctx.actor(), &d, f.rating, &f.comment).await?;
    Ok(Redirect::to(&format!("/c/{}/dossiers/{}", c.code, d.receipt_code)).into_response())
}

pub(super) async fn supplement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let parts = read_multipart(mp).await?;
    let version = parts.fields.get("version").and_then(|v| v.parse().ok());
    let note = parts.fields.get("note").map(String::as_str);
    let d = steps::supplement(
        state.kernel(),
        ctx.actor(),
        &c,
        &receipt,
        version,
        note,
        uploads(parts.files),
    )
    .await?;
    Ok(Redirect::to(&format!("/c/{}/dossiers/{}", c.code, d.receipt_code)).into_response())
}

/// A document or result of a dossier, for its applicant and the commune's staff only.
pub(super) async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, receipt, att)): Path<(String, String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let f = dossiers::file(state.kernel(), ctx.actor(), &c, &receipt, att).await?;
    let bytes = state.files.read(&state.db, &f).await?;
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

pub(super) async fn my_dossiers(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let ds = store::of_applicant(&state.db, &c.code, u.id).await?;
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
