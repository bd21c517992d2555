//! The one-stop desk's pages: the inbox, a dossier with its workflow steps and fee, and the
//! intake of a walk-in citizen's paper dossier.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::citizen::{FieldView, field_views, form_error};
use super::{
    DossierView, EventRow, document_rows, event_rows, form_data, list_view, uploads, view_of,
};
use crate::Services;
use crate::actions::Refusal;
use crate::actions::dossiers::{self, Channel, Submission};
use crate::actions::steps::{self, Step};
use crate::entity::procedure;
use crate::model::{Action, DESK, Status};
use crate::store::{self, InboxFilter};

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

pub(super) async fn inbox(
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
    /// Just entered at the counter: the page opens with the thank-you card and the slip.
    taken: bool,
}

#[derive(Deserialize, Default)]
pub struct TakenQuery {
    #[serde(default)]
    taken: Option<String>,
}

async fn desk_view(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    err: Option<&AppError>,
    taken: bool,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, DESK)?;
    let d = dossiers::by_id(&state.db, &c.code, id).await?;
    let actions = steps::desk_actions(u, &c, &d)
        .into_iter()
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
        documents: document_rows(state, &d).await?,
        actions,
        handlers: store::handlers(&state.db, &c.code).await?,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        taken: taken && err.is_none(),
        d: view_of(state, ctx, &d).await?,
        shell: Shell::new(state, ctx, Some(c), &d.receipt_code).await,
    };
    Ok(render_for(err, &page))
}

pub(super) async fn dossier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(tq): Query<TakenQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    desk_view(&state, &ctx, c, id, None, tq.taken.is_some()).await
}

/// After a desk action: back to the dossier, or its page again with the refusal shown.
async fn back_to_dossier(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    res: AppResult<()>,
) -> AppResult<Response> {
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/c/{}/office/dossiers/{id}", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            desk_view(state, ctx, c, id, Some(&e), false).await
        }
        Err(e) => Err(e),
    }
}

/// One workflow step from the desk page (multipart: the result file rides along).
pub(super) async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, DESK)?;
    let parts = read_multipart(mp).await?;
    let res: AppResult<()> = async {
        let action = parts
            .fields
            .get("action")
            .and_then(|a| Action::parse(a))
            .ok_or(Refusal::StepUnknown.at("action"))?;
        let version = parts
            .fields
            .get("version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::bad_request("form_invalid"))?;
        let result_upload = parts
            .files
            .into_iter()
            .find(|(f, _, _)| f == "result")
            .filter(|_| action == Action::ReturnResult)
            .map(|(_, name, bytes)| (name, bytes));
        let step = Step {
            note: parts.fields.get("note").map(String::as_str),
            assignee_id: parts.fields.get("assignee_id").and_then(|v| v.parse().ok()),
            result_upload,
            ..Step::new(action, version)
        };
        steps::act(state.kernel(), ctx.actor(), &c, id, step).await?;
        Ok(())
    }
    .await;
    back_to_dossier(&state, &ctx, c, id, res).await
}

#[derive(Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    version: i32,
}

pub(super) async fn payment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<PaymentForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, DESK)?;
    let res = crate::actions::payments::confirm_fee(
        state.kernel(),
        &state.settlers,
        ctx.actor(),
        &c,
        id,
        &f.method,
        f.version,
    )
    .await
    .map(|_| ())
    .map_err(AppError::from);
    back_to_dossier(&state, &ctx, c, id, res).await
}

#[derive(Template)]
#[template(path = "svc_intake.html")]
struct IntakePage {
    shell: Shell,
    active: &'static str,
    code: String,
    procedures: Vec<procedure::Model>,
    /// The procedure chosen: its form's fields are shown.
    chosen: i64,
    fields: Vec<FieldView>,
    applicant_name: String,
    applicant_phone: String,
    error: Option<String>,
    name_error: Option<String>,
    phone_error: Option<String>,
}

async fn intake_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    values: BTreeMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.with_role(&c, DESK)?;
    let procedures = store::procedures(&state.db, &c.code, "", "", false).await?;
    let chosen = values
        .get("procedure_id")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|id| procedures.iter().find(|p| p.id == id));
    let fields = chosen
        .map(|p| field_views(p, &values, err, ctx.locale))
        .unwrap_or_default();
    let on = |field: &str| {
        err.filter(|e| e.field == Some(field))
            .map(|e| e.message(ctx.locale).to_owned())
    };
    let page = IntakePage {
        active: "dossiers",
        code: c.code.clone(),
        chosen: chosen.map(|p| p.id).unwrap_or(0),
        error: form_error(err, &fields, ctx),
        name_error: on("applicant_name"),
        phone_error: on("applicant_phone"),
        fields,
        procedures,
        applicant_name: values.get("applicant_name").cloned().unwrap_or_default(),
        applicant_phone: values.get("applicant_phone").cloned().unwrap_or_default(),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("svc.intake")).await,
    };
    Ok(render_for(err, &page))
}

/// The counter's form; `?procedure_id=` (the "show its form" button) adds that procedure's
/// fields, keeping what was typed.
pub(super) async fn intake_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(values): Query<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    intake_page(&state, &ctx, c, values, None).await
}

/// A walk-in citizen's paper dossier, entered at the desk (counted as offline).
pub(super) async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, DESK)?;
    let parts = read_multipart(mp).await?;
    let field = |k: &str| parts.fields.get(k).cloned().unwrap_or_default();
    let Some(procedure_id) = parts
        .fields
        .get("procedure_id")
        .and_then(|v| v.parse().ok())
    else {
        let e = AppError::from(Refusal::ProcedureNotChosen.at("procedure_id"));
        return intake_page(&state, &ctx, c, parts.fields, Some(&e)).await;
    };
    let sub = Submission {
        procedure_id,
        applicant_name: field("applicant_name"),
        applicant_phone: field("applicant_phone"),
        channel: Channel::Offline,
        data: form_data(&parts.fields),
        documents: vec![],
    };
    // At the counter the paper originals are checked by eye; scans are optional.
    let res = dossiers::submit(state.kernel(), ctx.actor(), &c, sub, uploads(parts.files)).await;
    match res.map_err(AppError::from) {
        Ok(d) => Ok(
            Redirect::to(&format!("/c/{}/office/dossiers/{}?taken=1", c.code, d.id))
                .into_response(),
        ),
        Err(e) if e.status.is_client_error() => {
            intake_page(&state, &ctx, c, parts.fields, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}
