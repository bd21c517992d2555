//! The services room's pages: the routes, and the views every page of the room shares
//! (procedure rows, dossier views, history rows). The pages themselves are by audience:
//! `citizen`, `track`, `desk`, `procedures` (the catalogue's administration) and `stats`.

mod citizen;
mod desk;
mod procedures;
mod slip;
mod stats;
mod track;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use kernel::error::AppResult;
use kernel::payments::vnd;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;

use crate::actions::dossiers::Upload;
use crate::entity::{dossier, procedure};
use crate::model::Status;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/services", get(citizen::catalogue))
        .route(
            "/c/{code}/services/{id}",
            get(citizen::procedure_page).post(citizen::submit),
        )
        .route("/c/{code}/track", get(track::track))
        .route("/c/{code}/my-dossiers", get(citizen::my_dossiers))
        .route("/c/{code}/dossiers/{receipt}", get(citizen::dossier_page))
        .route("/c/{code}/dossiers/{receipt}/qr.svg", get(track::qr_svg))
        .route("/c/{code}/dossiers/{receipt}/qr.png", get(track::qr_png))
        .route("/c/{code}/dossiers/{receipt}/rate", post(citizen::rate))
        .route(
            "/c/{code}/dossiers/{receipt}/supplement",
            post(citizen::supplement),
        )
        .route(
            "/c/{code}/dossiers/{receipt}/files/{att}",
            get(citizen::download),
        )
        .route("/c/{code}/office/dossiers", get(desk::inbox))
        .route(
            "/c/{code}/office/dossiers/new",
            get(desk::intake_form).post(desk::intake),
        )
        .route("/c/{code}/office/dossiers/{id}", get(desk::dossier))
        .route("/c/{code}/office/dossiers/{id}/step", post(desk::step))
        .route("/c/{code}/office/dossiers/{id}/slip", get(slip::slip))
        .route(
            "/c/{code}/office/dossiers/{id}/payment",
            post(desk::payment),
        )
        .route("/c/{code}/office/procedures", get(procedures::list))
        .route(
            "/c/{code}/office/procedures/standard",
            post(procedures::copy_standard),
        )
        .route(
            "/c/{code}/office/procedures/new",
            get(procedures::form_new).post(procedures::create),
        )
        .route(
            "/c/{code}/office/procedures/{id}",
            get(procedures::form_edit).post(procedures::update),
        )
        .route(
            "/c/{code}/office/payment-account",
            get(procedures::account_form).post(procedures::account_save),
        )
        .route("/c/{code}/office/services-stats", get(stats::page))
        .route("/c/{code}/office/services-stats.xlsx", get(stats::export))
        .route(
            "/c/{code}/services/{id}/forms/{index}",
            get(procedures::blank_form),
        )
        .route(
            "/c/{code}/office/procedures/{id}/forms",
            post(procedures::upload_form),
        )
}

// ---- helpers ----

pub fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn status_label(ctx: &Ctx, s: &str) -> String {
    Status::parse(s)
        .map(|s| ctx.tr().get(&s.label_key()).to_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// The form's answers (fields named `data.<key>`).
fn form_data(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("data.").map(|k| (k.to_owned(), v.clone())))
        .collect()
}

/// The files of a form for the procedure's documents (file fields are named `doc_<index>`).
fn uploads(files: Vec<(String, String, Vec<u8>)>) -> Vec<Upload> {
    files
        .into_iter()
        .filter_map(|(field, name, bytes)| {
            let index = field.strip_prefix("doc_")?.parse().ok()?;
            Some(Upload { index, name, bytes })
        })
        .collect()
}

/// A bank by its name rather than its NAPAS code (the commonest banks of communes' accounts);
/// another bank keeps its code.
pub fn bank_name(bin: &str) -> String {
    let name = match bin {
        "970405" => "Agribank",
        "970436" => "Vietcombank",
        "970415" => "VietinBank",
        "970418" => "BIDV",
        "970422" => "MB",
        "970407" => "Techcombank",
        "970432" => "VPBank",
        "970423" => "TPBank",
        "970403" => "Sacombank",
        "970416" => "ACB",
        _ => return bin.to_owned(),
    };
    name.to_owned()
}

/// A fee in words: "Miễn phí" when there is none, else `15.000 ₫`.
pub fn fee_text(ctx: &Ctx, amount: i64) -> String {
    if amount == 0 {
        ctx.tr().get("svc.free").to_owned()
    } else {
        vnd(amount)
    }
}

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
        fee: fee_text(ctx, p.fee_vnd),
        days: p.processing_days,
        level: ctx
            .tr()
            .get(&format!("svc.level.{}", p.online_level))
            .to_owned(),
    }
}

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
    let events = store::events(&state.db, &d.commune_code, d.id).await?;
    Ok(rows_of_events(ctx, events, show_names))
}

/// A dossier's history as its page shows it, the actors' names only to officials.
pub fn rows_of_events(
    ctx: &Ctx,
    events: Vec<crate::entity::dossier_event::Model>,
    show_names: bool,
) -> Vec<EventRow> {
    events
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
            // A payment's note is its method's code: said in words.
            note: match e.note {
                Some(m)
                    if e.action == "payment"
                        && crate::model::PAYMENT_METHODS.contains(&m.as_str()) =>
                {
                    ctx.tr().get(&format!("svc.pay.{m}")).to_owned()
                }
                n => n.unwrap_or_default(),
            },
        })
        .collect()
}

/// A dossier's documents as (attachment id, document name).
async fn document_rows(state: &AppState, d: &dossier::Model) -> AppResult<Vec<(i64, String)>> {
    Ok(store::documents(&state.db, &d.commune_code, d.id)
        .await?
        .into_iter()
        .map(|x| (x.attachment_id, x.document_name))
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

/// The view of a dossier, its procedure read for it.
pub async fn view_of(state: &AppState, ctx: &Ctx, d: &dossier::Model) -> AppResult<DossierView> {
    let p = crate::actions::procedures::any(&state.db, &d.commune_code, d.procedure_id).await?;
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
        fee: fee_text(ctx, d.fee_vnd),
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
