//! Every query of the services room: procedures, dossier submission, tracking, workflow steps,
//! payments, ratings, the desk inbox.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use kernel::accounts::{self, CurrentUser, Role};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::{audit, notify};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::entity::{dossier, dossier_document, dossier_event, procedure};
use crate::model::{self, Action, FormField, OnlineLevel, RequiredDocument, Status};
use kernel::time::WorkCalendar;

/// The cache kind of a commune's dossiers: bumped after every committed change to them.
pub const DOSSIERS: &str = "dossiers";

// ---- procedures ----

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProcedureInput {
    pub code: String,
    pub name: String,
    pub field: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub documents: Vec<RequiredDocument>,
    #[serde(default)]
    pub form_fields: Vec<FormField>,
    pub fee_vnd: i64,
    pub processing_days: i32,
    /// `full`, `partial` or `offline`.
    pub online_level: String,
    /// One step per line.
    #[serde(default)]
    pub steps: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn check_text(s: &str, field: &'static str, max: usize) -> AppResult<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid("name_required", field));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid("text_too_long", field));
    }
    Ok(s.to_owned())
}

fn validate_procedure(p: &ProcedureInput) -> AppResult<()> {
    check_text(&p.code, "code", 30)?;
    check_text(&p.name, "name", 300)?;
    check_text(&p.field, "field", 100)?;
    if p.legal_basis.chars().count() > 4000 || p.steps.chars().count() > 4000 {
        return Err(AppError::invalid("text_too_long", "legal_basis"));
    }
    if !(0..=100_000_000).contains(&p.fee_vnd) {
        return Err(AppError::invalid("fee_invalid", "fee_vnd"));
    }
    if !(0..=365).contains(&p.processing_days) {
        return Err(AppError::invalid("days_invalid", "processing_days"));
    }
    if OnlineLevel::parse(&p.online_level).is_none() {
        return Err(AppError::invalid("online_level_invalid", "online_level"));
    }
    for f in &p.form_fields {
        let ok_key = !f.key.is_empty()
            && f.key.len() <= 40
            && f.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_key || f.label.trim().is_empty() {
            return Err(AppError::invalid("form_field_invalid", "form_fields"));
        }
    }
    if p.documents.iter().any(|d| d.name.trim().is_empty()) {
        return Err(AppError::invalid("name_required", "documents"));
    }
    Ok(())
}

pub async fn create_procedure(
    db: &impl ConnectionTrait,
    commune: &str,
    p: &ProcedureInput,
) -> AppResult<procedure::Model> {
    validate_procedure(p)?;
    let dup = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(procedure::Column::Code.eq(p.code.trim()))
        .one(db)
        .await?;
    if dup.is_some() {
        return Err(AppError {
            field: Some("code"),
            ..AppError::conflict("procedure_exists")
        });
    }
    let now = Utc::now();
    Ok(procedure::ActiveModel {
        commune_code: Set(commune.into()),
        code: Set(p.code.trim().into()),
        name: Set(p.name.trim().into()),
        folded_name: Set(kernel::text::fold_vi(&format!(
            "{} {} {}",
            p.name, p.field, p.code
        ))),
        field: Set(p.field.trim().into()),
        legal_basis: Set(p.legal_basis.trim().into()),
        documents: Set(serde_json::to_string(&p.documents).unwrap_or_else(|_| "[]".into())),
        form_fields: Set(serde_json::to_string(&p.form_fields).unwrap_or_else(|_| "[]".into())),
        fee_vnd: Set(p.fee_vnd),
        processing_days: Set(p.processing_days),
        online_level: Set(p.online_level.clone()),
        steps: Set(p.steps.trim().into()),
        active: Set(p.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn update_procedure(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
    p: &ProcedureInput,
) -> AppResult<procedure::Model> {
    validate_procedure(p)?;
    let existing = procedure_by_id(db, commune, id).await?;
    let dup = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(procedure::Column::Code.eq(p.code.trim()))
        .filter(procedure::Column::Id.ne(id))
        .one(db)
        .await?;
    if dup.is_some() {
        return Err(AppError {
            field: Some("code"),
            ..AppError::conflict("procedure_exists")
        });
    }
    // The editor does not carry blank forms: keep each document's form by its name.
    let old_forms: std::collections::HashMap<String, Option<i64>> = documents_of(&existing)
        .into_iter()
        .map(|d| (d.name, d.form_attachment_id))
        .collect();
    let documents: Vec<RequiredDocument> = p
        .documents
        .iter()
        .cloned()
        .map(|mut d| {
            if d.form_attachment_id.is_none() {
                d.form_attachment_id = old_forms.get(&d.name).copied().flatten();
            }
            d
        })
        .collect();
    let mut am: procedure::ActiveModel = existing.into();
    am.code = Set(p.code.trim().into());
    am.name = Set(p.name.trim().into());
    am.folded_name = Set(kernel::text::fold_vi(&format!(
        "{} {} {}",
        p.name, p.field, p.code
    )));
    am.field = Set(p.field.trim().into());
    am.legal_basis = Set(p.legal_basis.trim().into());
    am.documents = Set(serde_json::to_string(&documents).unwrap_or_else(|_| "[]".into()));
    am.form_fields = Set(serde_json::to_string(&p.form_fields).unwrap_or_else(|_| "[]".into()));
    am.fee_vnd = Set(p.fee_vnd);
    am.processing_days = Set(p.processing_days);
    am.online_level = Set(p.online_level.clone());
    am.steps = Set(p.steps.trim().into());
    am.active = Set(p.active);
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

pub async fn procedure_by_id(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> AppResult<procedure::Model> {
    procedure::Entity::find_by_id(id)
        .filter(procedure::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "procedure_unknown"))
}

/// The catalogue, searched without accents on name, field and code (every word a prefix of
/// one of theirs, whole-word matches first).
pub async fn procedures(
    db: &impl ConnectionTrait,
    commune: &str,
    q: &str,
    field: &str,
    include_inactive: bool,
) -> AppResult<Vec<procedure::Model>> {
    let q = kernel::search::Query::parse(q)?;
    let search = crate::migration_search::SEARCH;
    let mut sel = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(search.matches(db.get_database_backend(), &q));
    if !include_inactive {
        sel = sel.filter(procedure::Column::Active.eq(true));
    }
    if !field.trim().is_empty() {
        sel = sel.filter(procedure::Column::Field.eq(field.trim()));
    }
    Ok(sel
        .order_by_desc(search.rank(db.get_database_backend(), &q))
        .order_by_asc(procedure::Column::Field)
        .order_by_asc(procedure::Column::Name)
        .all(db)
        .await?)
}

/// Attaches a blank form (a PDF) to one of the procedure's documents, for citizens to download.
pub async fn set_document_form(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
    index: usize,
    attachment_id: i64,
) -> AppResult<procedure::Model> {
    let p = procedure_by_id(db, commune, id).await?;
    let mut docs = documents_of(&p);
    let d = docs
        .get_mut(index)
        .ok_or_else(|| AppError::invalid("document_unknown", "document"))?;
    d.form_attachment_id = Some(attachment_id);
    let mut am: procedure::ActiveModel = p.into();
    am.documents = Set(serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into()));
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

pub fn documents_of(p: &procedure::Model) -> Vec<RequiredDocument> {
    serde_json::from_str(&p.documents).unwrap_or_default()
}

pub fn fields_of(p: &procedure::Model) -> Vec<FormField> {
    serde_json::from_str(&p.form_fields).unwrap_or_default()
}

// ---- submission ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Online,
    /// Taken at the desk from a walk-in citizen.
    Offline,
}

pub struct Submission {
    pub procedure_id: i64,
    pub applicant_user_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_phone: String,
    pub channel: Channel,
    pub data: BTreeMap<String, String>,
    /// (document name, attachment id) already stored in the attachment store.
    pub documents: Vec<(String, i64)>,
}

const RECEIPT_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `17071-261124-K7Q2X`: commune, date of receipt (Vietnam time), five random characters
/// without look-alikes (0/O, 1/I) so it can be read out over the phone.
pub fn new_receipt_code(commune: &str, at: chrono::DateTime<Utc>) -> String {
    let local = kernel::time::to_vn(at);
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", commune, local.format("%y%m%d"), tail)
}

/// Checks and records a dossier. Everything is validated before the first write.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cal: &WorkCalendar,
    commune: &CommuneInfo,
    s: Submission,
    actor: Option<&CurrentUser>,
) -> AppResult<dossier::Model> {
    let p = procedure_by_id(db, &commune.code, s.procedure_id).await?;
    let (name, phone, data) = check_form(
        &p,
        s.channel,
        &s.applicant_name,
        &s.applicant_phone,
        &s.data,
    )?;
    let docs = documents_of(&p);
    // Online, the files are the documents. At the desk the official has seen the paper originals.
    for d in docs
        .iter()
        .filter(|d| d.required && s.channel == Channel::Online)
    {
        if !s.documents.iter().any(|(n, _)| n == &d.name) {
            return Err(AppError {
                detail: Some(d.name.clone()),
                ..AppError::invalid("document_missing", "documents")
            });
        }
    }
    for (n, att) in &s.documents {
        if !docs.iter().any(|d| &d.name == n) {
            return Err(AppError::invalid("document_unknown", "documents"));
        }
        let a = kernel::files::entity::Entity::find_by_id(*att)
            .one(db)
            .await?;
        // Online, only files the applicant uploaded; at the desk, files the desk scanned.
        let mine = a.is_some_and(|a| {
            a.commune_code == commune.code
                && actor.is_some_and(|u| {
                    a.uploaded_by == Some(u.id)
                        || (s.channel == Channel::Offline
                            && u.has_role_in(commune, crate::model::DESK))
                })
        });
        if !mine {
            return Err(AppError::invalid("attachment_unknown", "documents"));
        }
    }

    let now = Utc::now();
    let due = cal.add_working_days(kernel::time::to_vn(now), p.processing_days.max(0) as u32);
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let mut inserted = None;
    for _ in 0..5 {
        let am = dossier::ActiveModel {
            commune_code: Set(commune.code.clone()),
            receipt_code: Set(new_receipt_code(&commune.code, now)),
            procedure_id: Set(p.id),
            applicant_user_id: Set(s.applicant_user_id),
            applicant_name: Set(name.clone()),
            applicant_phone: Set(phone.clone()),
            channel: Set(if s.channel == Channel::Online {
                "online"
            } else {
                "offline"
            }
            .into()),
            status: Set(Status::Received.as_str().into()),
            data: Set(serde_json::to_string(&data).unwrap_or_else(|_| "{}".into())),
            received_at: Set(now),
            due_date: Set(due),
            assignee_id: Set(None),
            fee_vnd: Set(p.fee_vnd),
            paid_at: Set(None),
            payment_method: Set(None),
            result_attachment_id: Set(None),
            result_note: Set(None),
            last_note: Set(None),
            rating: Set(None),
            rating_comment: Set(None),
            done_at: Set(None),
            version: Set(1),
            updated_at: Set(now),
            ..Default::default()
        };
        // A receipt-code collision is astronomically rare; a savepoint lets us just retry.
        let sp = txn.begin().await?;
        match am.insert(&sp).await {
            Ok(m) => {
                sp.commit().await?;
                inserted = Some(m);
                break;
            }
            Err(e) if e.to_string().to_lowercase().contains("unique") => sp.rollback().await?,
            Err(e) => return Err(e.into()),
        }
    }
    let d = inserted.ok_or_else(|| AppError::internal("could not allocate a receipt code"))?;
    for (n, att) in &s.documents {
        dossier_document::ActiveModel {
            dossier_id: Set(d.id),
            commune_code: Set(commune.code.clone()),
            attachment_id: Set(*att),
            document_name: Set(n.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    open_fee(&txn, &d).await?;
    let actor_name = actor
        .map(|u| u.full_name.clone())
        .unwrap_or_else(|| name.clone());
    event(
        &txn,
        &d,
        actor.map(|u| u.id),
        &actor_name,
        "submit",
        None,
        Status::Received,
        None,
    )
    .await?;
    if s.channel == Channel::Offline
        && let Some(u) = actor
    {
        audit::record(
            &txn,
            audit::Entry::in_commune(
                u,
                commune,
                "dossier.intake",
                "dossier",
                &d.receipt_code,
                p.name.clone(),
            ),
        )
        .await?;
    }
    if let Some(uid) = d.applicant_user_id {
        let link = format!("/c/{}/dossiers/{}", d.commune_code, d.receipt_code);
        notify::notify(
            &txn,
            notify::Message {
                commune_code: &d.commune_code,
                user_id: uid,
                text: notify::Text::key("sv.note.received")
                    .arg("receipt", &d.receipt_code)
                    .arg("procedure", &p.name)
                    .arg("due", d.due_date.format("%d/%m/%Y")),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    kernel::cache::changed(DOSSIERS, &commune.code);
    Ok(d)
}

/// Everything about a submission that needs no database beyond its procedure, checked before
/// any file is stored: the procedure is open to this channel, the applicant and the form.
pub fn check_form(
    p: &procedure::Model,
    channel: Channel,
    applicant_name: &str,
    applicant_phone: &str,
    data_in: &BTreeMap<String, String>,
) -> AppResult<(String, String, BTreeMap<String, String>)> {
    if !p.active {
        return Err(AppError::new(StatusCode::NOT_FOUND, "procedure_unknown"));
    }
    let level = OnlineLevel::parse(&p.online_level).unwrap_or(OnlineLevel::Offline);
    if channel == Channel::Online && !level.accepts_online() {
        return Err(AppError::invalid("procedure_offline", "procedure_id"));
    }
    let name = check_text(applicant_name, "applicant_name", 100)?;
    let phone = accounts::parse_phone(applicant_phone)?;
    let mut data = BTreeMap::new();
    for f in fields_of(p) {
        let v = data_in
            .get(&f.key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if f.required && v.is_empty() {
            return Err(AppError {
                detail: Some(f.key.clone()),
                ..AppError::invalid("field_required", "data")
            });
        }
        if v.chars().count() > 2000 {
            return Err(AppError::invalid("text_too_long", "data"));
        }
        if !v.is_empty() {
            data.insert(f.key, v);
        }
    }
    Ok((name, phone, data))
}

#[allow(clippy::too_many_arguments)]
async fn event(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    actor_id: Option<i64>,
    actor_name: &str,
    action: &str,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
) -> AppResult<()> {
    dossier_event::ActiveModel {
        dossier_id: Set(d.id),
        commune_code: Set(d.commune_code.clone()),
        at: Set(Utc::now()),
        actor_user_id: Set(actor_id),
        actor_name: Set(actor_name.into()),
        action: Set(action.into()),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().into()),
        note: Set(note.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

// ---- reading ----

pub async fn by_receipt(db: &impl ConnectionTrait, receipt: &str) -> AppResult<dossier::Model> {
    dossier::Entity::find()
        .filter(dossier::Column::ReceiptCode.eq(receipt.trim().to_ascii_uppercase()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"))
}

pub async fn by_id(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<dossier::Model> {
    dossier::Entity::find_by_id(id)
        .filter(dossier::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Tracking without an account: the receipt code and the applicant's phone must both match.
pub async fn track(
    db: &impl ConnectionTrait,
    receipt: &str,
    raw_phone: &str,
) -> AppResult<dossier::Model> {
    let d = by_receipt(db, receipt).await?;
    let phone = accounts::phone::normalise_phone(raw_phone)
        .ok_or_else(|| AppError::invalid("phone_invalid", "phone"))?;
    if phone != d.applicant_phone {
        return Err(AppError {
            field: Some("phone"),
            ..AppError::new(StatusCode::NOT_FOUND, "phone_mismatch")
        });
    }
    Ok(d)
}

pub async fn events(
    db: &impl ConnectionTrait,
    dossier_id: i64,
) -> AppResult<Vec<dossier_event::Model>> {
    Ok(dossier_event::Entity::find()
        .filter(dossier_event::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_event::Column::Id)
        .all(db)
        .await?)
}

pub async fn documents(
    db: &impl ConnectionTrait,
    dossier_id: i64,
) -> AppResult<Vec<dossier_document::Model>> {
    Ok(dossier_document::Entity::find()
        .filter(dossier_document::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_document::Column::Id)
        .all(db)
        .await?)
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxFilter {
    /// Status name, e.g. `received`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub procedure_id: Option<i64>,
    /// `online` or `offline`.
    #[serde(default)]
    pub channel: String,
    /// `overdue`, `soon` (due within 2 working days) or empty.
    #[serde(default)]
    pub due: String,
    /// Only dossiers assigned to me.
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub page: Option<u64>,
}

pub const INBOX_PAGE: u64 = 50;

/// The desk's inbox: open dossiers first by due date.
pub async fn inbox(
    db: &impl ConnectionTrait,
    commune: &str,
    f: &InboxFilter,
    me: i64,
    today: NaiveDate,
    soon_until: NaiveDate,
) -> AppResult<Vec<dossier::Model>> {
    let mut q = dossier::Entity::find().filter(dossier::Column::CommuneCode.eq(commune));
    if let Some(s) = Status::parse(&f.status) {
        q = q.filter(dossier::Column::Status.eq(s.as_str()));
    } else {
        q = q.filter(
            dossier::Column::Status.is_not_in([Status::Closed.as_str(), Status::Refused.as_str()]),
        );
    }
    if let Some(p) = f.procedure_id {
        q = q.filter(dossier::Column::ProcedureId.eq(p));
    }
    if f.channel == "online" || f.channel == "offline" {
        q = q.filter(dossier::Column::Channel.eq(f.channel.as_str()));
    }
    match f.due.as_str() {
        "overdue" => {
            q = q
                .filter(dossier::Column::DueDate.lt(today))
                .filter(dossier::Column::DoneAt.is_null())
        }
        "soon" => {
            q = q
                .filter(dossier::Column::DueDate.gte(today))
                .filter(dossier::Column::DueDate.lte(soon_until))
                .filter(dossier::Column::DoneAt.is_null())
        }
        _ => {}
    }
    if f.mine {
        q = q.filter(dossier::Column::AssigneeId.eq(me));
    }
    let page = kernel::paging::page(f.page);
    Ok(q.order_by_asc(dossier::Column::DueDate)
        .order_by_asc(dossier::Column::Id)
        .offset(kernel::paging::offset(page, INBOX_PAGE))
        .limit(INBOX_PAGE)
        .all(db)
        .await?)
}

// ---- workflow ----

pub struct Step<'a> {
    pub action: Action,
    pub version: i32,
    pub note: Option<&'a str>,
    pub assignee_id: Option<i64>,
    pub result_attachment_id: Option<i64>,
    /// For `supplement`: the added documents, recorded with the step.
    pub documents: Vec<(String, i64)>,
    /// For `supplement`: the calendar to restart the legal clock with.
    pub calendar: Option<&'a WorkCalendar>,
}

fn refusal_error(r: model::Refusal) -> AppError {
    match r {
        model::Refusal::NotAllowedFromState => AppError::conflict("transition_invalid"),
        model::Refusal::NotPermitted => AppError::new(StatusCode::FORBIDDEN, "step_forbidden"),
    }
}

pub fn actor_for(u: &CurrentUser, c: &CommuneInfo, d: &dossier::Model) -> model::Actor {
    model::Actor {
        roles: u.roles_in(c).collect(),
        is_applicant: d.applicant_user_id == Some(u.id),
        is_assigned_handler: d.assignee_id == Some(u.id),
    }
}

/// Takes one workflow step. Two officials acting on the same version: the first wins, the
/// second gets `dossier_conflict` and nothing of theirs is written.
pub async fn act<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    id: i64,
    u: &CurrentUser,
    step: Step<'_>,
) -> AppResult<dossier::Model> {
    let d = by_id(db, &c.code, id).await?;
    if d.version != step.version {
        return Err(AppError::conflict("dossier_conflict"));
    }
    let current = Status::parse(&d.status).ok_or_else(|| AppError::internal("unknown status"))?;
    let next = model::apply(current, step.action, &actor_for(u, c, &d)).map_err(refusal_error)?;
    let note = step.note.map(str::trim).filter(|n| !n.is_empty());
    if step.action.needs_note() && note.is_none() {
        return Err(AppError::invalid("note_required", "note"));
    }
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::invalid("text_too_long", "note"));
    }
    let now = Utc::now();
    let mut upd = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, Expr::value(next.as_str()))
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now));
    match step.action {
        Action::Assign => {
            let who = step
                .assignee_id
                .ok_or_else(|| AppError::invalid("assignee_invalid", "assignee_id"))?;
            let grants = accounts::grants_of(db, who).await?;
            if !grants.iter().any(|g| {
                g.unit_code == c.code
                    && matches!(g.role, Role::Official | Role::Leader | Role::CommuneAdmin)
            }) {
                return Err(AppError::invalid("assignee_invalid", "assignee_id"));
            }
            upd = upd.col_expr(dossier::Column::AssigneeId, Expr::value(Some(who)));
        }
        Action::Supplement => {
            // The legal time runs again from the day the dossier is complete.
            if let Some(cal) = step.calendar {
                let p = procedure_by_id(db, &c.code, d.procedure_id).await?;
                let due =
                    cal.add_working_days(kernel::time::to_vn(now), p.processing_days.max(0) as u32);
                upd = upd.col_expr(dossier::Column::DueDate, Expr::value(due));
            }
            for (n, att) in &step.documents {
                let ok = kernel::files::entity::Entity::find_by_id(*att)
                    .filter(kernel::files::entity::Column::CommuneCode.eq(&c.code))
                    .filter(kernel::files::entity::Column::UploadedBy.eq(u.id))
                    .one(db)
                    .await?
                    .is_some();
                if !ok || n.is_empty() {
                    return Err(AppError::invalid("attachment_unknown", "documents"));
                }
            }
        }
        Action::RequestSupplement | Action::Refuse => {
            upd = upd.col_expr(
                dossier::Column::LastNote,
                Expr::value(note.map(str::to_owned)),
            );
        }
        Action::ReturnResult => {
            if let Some(att) = step.result_attachment_id {
                // Only a file this official uploaded: never another citizen's document.
                kernel::files::entity::Entity::find_by_id(att)
                    .filter(kernel::files::entity::Column::CommuneCode.eq(&c.code))
                    .filter(kernel::files::entity::Column::UploadedBy.eq(u.id))
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::invalid("attachment_unknown", "result"))?;
            }
            upd = upd
                .col_expr(
                    dossier::Column::ResultAttachmentId,
                    Expr::value(step.result_attachment_id),
                )
                .col_expr(
                    dossier::Column::ResultNote,
                    Expr::value(note.map(str::to_owned)),
                );
        }
        _ => {}
    }
    if next.is_done() && d.done_at.is_none() {
        upd = upd.col_expr(dossier::Column::DoneAt, Expr::value(Some(now)));
    }
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let res = upd
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Version.eq(d.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("dossier_conflict"));
    }
    for (n, att) in &step.documents {
        dossier_document::ActiveModel {
            dossier_id: Set(d.id),
            commune_code: Set(c.code.clone()),
            attachment_id: Set(*att),
            document_name: Set(n.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if next.is_final() {
        // A fee left unpaid is no longer owed: no statement may settle it afterwards.
        kernel::payments::cancel_due(&txn, &c.code, FEE_REF, d.id).await?;
    }
    let updated = by_id(&txn, &c.code, id).await?;
    event(
        &txn,
        &updated,
        Some(u.id),
        &u.full_name,
        step.action.as_str(),
        Some(current),
        next,
        note,
    )
    .await?;
    let applicants_own = d.applicant_user_id == Some(u.id)
        && matches!(step.action, Action::Supplement | Action::Close);
    if u.has_role_in(c, crate::model::DESK) && !applicants_own {
        let summary = format!(
            "{} → {}{}",
            current.as_str(),
            next.as_str(),
            note.map(|n| format!(": {n}")).unwrap_or_default()
        );
        audit::record(
            &txn,
            audit::Entry::in_commune(
                u,
                c,
                &format!("dossier.{}", step.action.as_str()),
                "dossier",
                &d.receipt_code,
                summary,
            ),
        )
        .await?;
    }
    tell_applicant(&txn, &updated, next, note).await?;
    if step.action == Action::Assign
        && let Some(who) = step.assignee_id
    {
        let link = format!("/c/{}/office/dossiers/{}", c.code, updated.id);
        notify::notify(
            &txn,
            notify::Message {
                commune_code: &c.code,
                user_id: who,
                text: notify::Text::key("sv.note.assigned")
                    .arg("receipt", &updated.receipt_code)
                    .arg("due", updated.due_date.format("%d/%m/%Y")),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    kernel::cache::changed(DOSSIERS, &c.code);
    Ok(updated)
}

/// Every status change reaches the applicant's inbox (other channels come with notices).
async fn tell_applicant(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    status: Status,
    note: Option<&str>,
) -> AppResult<()> {
    let Some(uid) = d.applicant_user_id else {
        return Ok(());
    };
    // The official's note is shown as written; without one the body repeats the status.
    let text = match note {
        Some(n) => notify::Text::key("sv.note.status_noted").arg("note", n),
        None => notify::Text::key("sv.note.status"),
    }
    .arg("receipt", &d.receipt_code)
    .arg_key("status", status.label_key());
    let link = format!("/c/{}/dossiers/{}", d.commune_code, d.receipt_code);
    notify::notify(
        db,
        notify::Message {
            commune_code: &d.commune_code,
            user_id: uid,
            text,
            link: Some(&link),
            ..Default::default()
        },
        &[],
    )
    .await
}

/// The payments' `ref_kind` of a dossier's fee.
pub const FEE_REF: &str = "dossier";

/// Opens the fee of a freshly submitted dossier (none when it has no fee), in its transaction.
/// The reference is the receipt code, which the VietQR code puts in the transfer's purpose.
pub async fn open_fee(db: &impl ConnectionTrait, d: &dossier::Model) -> AppResult<()> {
    if d.fee_vnd > 0 {
        kernel::payments::open_due(
            db,
            kernel::payments::NewPayment {
                commune: &d.commune_code,
                ref_kind: FEE_REF,
                ref_id: d.id,
                payee: Some(kernel::payments::Owner::Commune),
                amount_vnd: d.fee_vnd,
                reference: &d.receipt_code,
            },
        )
        .await?;
    }
    Ok(())
}

/// Brings dossier `p.ref_id` in step with its fee `p`, just confirmed paid (the settle hook of
/// `kernel::payments::confirm`, inside its transaction): paid time and method, a new version,
/// and a "payment" event in its history.
pub async fn mark_paid(
    txn: &impl ConnectionTrait,
    p: &kernel::payments::payment::Model,
    u: &CurrentUser,
) -> AppResult<()> {
    let now = p.confirmed_at.unwrap_or_else(Utc::now);
    let d = by_id(txn, &p.commune_code, p.ref_id).await?;
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::PaidAt, Expr::value(Some(now)))
        .col_expr(
            dossier::Column::PaymentMethod,
            Expr::value(p.method.clone()),
        )
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Version.eq(d.version))
        .filter(dossier::Column::PaidAt.is_null())
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("dossier_conflict"));
    }
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    let updated = by_id(txn, &d.commune_code, d.id).await?;
    event(
        txn,
        &updated,
        Some(u.id),
        &u.full_name,
        "payment",
        Some(status),
        status,
        p.method.as_deref(),
    )
    .await
}

/// The applicant rates the service once the result is back (indicator 1.2); rating closes it.
pub async fn rate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    d: &dossier::Model,
    u: &CurrentUser,
    stars: i32,
    comment: &str,
) -> AppResult<dossier::Model> {
    if d.applicant_user_id != Some(u.id) {
        return Err(AppError::forbidden());
    }
    if !(1..=5).contains(&stars) {
        return Err(AppError::invalid("rating_invalid", "rating"));
    }
    if comment.chars().count() > 1000 {
        return Err(AppError::invalid("text_too_long", "comment"));
    }
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    if !matches!(status, Status::Returned | Status::Closed) || d.rating.is_some() {
        return Err(AppError::conflict("rating_not_open"));
    }
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let comment = Some(comment.trim().to_owned()).filter(|c| !c.is_empty());
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::Rating, Expr::value(Some(stars)))
        .col_expr(dossier::Column::RatingComment, Expr::value(comment.clone()))
        .col_expr(
            dossier::Column::Status,
            Expr::value(Status::Closed.as_str()),
        )
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Rating.is_null())
        .filter(dossier::Column::Version.eq(d.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("rating_not_open"));
    }
    let updated = by_id(&txn, &d.commune_code, d.id).await?;
    event(
        &txn,
        &updated,
        Some(u.id),
        &u.full_name,
        "rate",
        Some(status),
        Status::Closed,
        Some(&format!(
            "{stars}/5{}",
            comment.map(|c| format!(" · {c}")).unwrap_or_default()
        )),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(DOSSIERS, &d.commune_code);
    Ok(updated)
}

/// Officials of the commune who can be given dossiers.
pub async fn handlers(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<(i64, String)>> {
    let mut out: Vec<(i64, String)> = accounts::staff_of(db, commune)
        .await?
        .into_iter()
        .filter(|(g, _)| matches!(g.role.as_str(), "official" | "leader" | "commune_admin"))
        .map(|(g, u)| {
            (
                u.id,
                format!(
                    "{}{}",
                    u.full_name,
                    g.department.map(|d| format!(" · {d}")).unwrap_or_default()
                ),
            )
        })
        .collect();
    out.sort();
    out.dedup_by_key(|x| x.0);
    Ok(out)
}

/// A dossier as tracking shows it: the dossier, its procedure's name and its history.
pub struct Tracked {
    pub dossier: dossier::Model,
    pub procedure: String,
    pub events: Vec<dossier_event::Model>,
}

/// Tracking in one round trip (dossier, procedure name and history joined): tracking is the
/// most frequent request of the room, and on a small server each query's overhead counts.
/// Tracking guarded against guessing: an address with too many failed look-ups waits.
pub async fn track_guarded(
    db: &impl ConnectionTrait,
    limiter: &kernel::web::ops::IpLimiter,
    ip: std::net::IpAddr,
    receipt: &str,
    raw_phone: &str,
) -> AppResult<Tracked> {
    throttled(limiter, ip, track_full(db, receipt, raw_phone)).await
}

/// [`track`] under the same throttle: the payment code also answers to the receipt and the
/// phone alone, so it must not let anyone try them faster than tracking does.
pub async fn track_dossier_guarded(
    db: &impl ConnectionTrait,
    limiter: &kernel::web::ops::IpLimiter,
    ip: std::net::IpAddr,
    receipt: &str,
    raw_phone: &str,
) -> AppResult<dossier::Model> {
    throttled(limiter, ip, track(db, receipt, raw_phone)).await
}

/// Counts failed look-ups (404) per address and refuses the address once over the limit.
async fn throttled<T>(
    limiter: &kernel::web::ops::IpLimiter,
    ip: std::net::IpAddr,
    lookup: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    if limiter.exceeded(ip) {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "track_throttled",
        ));
    }
    let res = lookup.await;
    if res
        .as_ref()
        .is_err_and(|e| e.status == StatusCode::NOT_FOUND)
    {
        limiter.allow(ip);
    }
    res
}

pub async fn track_full(
    db: &impl ConnectionTrait,
    receipt: &str,
    raw_phone: &str,
) -> AppResult<Tracked> {
    use sea_orm::{FromQueryResult, Statement};
    let sql = r#"SELECT d.*, p."name" AS p_name, e."id" AS e_id, e."dossier_id" AS e_dossier_id, e."commune_code" AS e_commune_code,
        e."at" AS e_at, e."actor_user_id" AS e_actor_user_id, e."actor_name" AS e_actor_name, e."action" AS e_action,
        e."from_status" AS e_from_status, e."to_status" AS e_to_status, e."note" AS e_note
        FROM "dossier" d JOIN "procedure" p ON p."id" = d."procedure_id"
        LEFT JOIN "dossier_event" e ON e."dossier_id" = d."id"
        WHERE d."receipt_code" = $1 ORDER BY e."id""#;
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [receipt.trim().to_ascii_uppercase().into()],
    );
    let rows = db.query_all_raw(stmt).await?;
    let first = rows
        .first()
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "receipt_unknown"))?;
    let dossier = dossier::Model::from_query_result(first, "")?;
    let phone = accounts::phone::normalise_phone(raw_phone)
        .ok_or_else(|| AppError::invalid("phone_invalid", "phone"))?;
    if phone != dossier.applicant_phone {
        return Err(AppError {
            field: Some("phone"),
            ..AppError::new(StatusCode::NOT_FOUND, "phone_mismatch")
        });
    }
    let procedure: String = first.try_get("", "p_name")?;
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.try_get::<Option<i64>>("", "e_id")?.is_some() {
            events.push(dossier_event::Model::from_query_result(r, "e_")?);
        }
    }
    Ok(Tracked {
        dossier,
        procedure,
        events,
    })
}
