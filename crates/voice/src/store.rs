//! Every query of feedback: categories, reports and their photos, triage steps, the public
//! board, ratings, the commune's map area and Open311 API keys.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use kernel::accounts::{CurrentUser, Role, random_token, sha256_hex};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::tenancy::entity::setting;
use kernel::{audit, notify};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait, TryIntoModel,
};

use crate::entity::{api_key, category, event, feedback, photo};
use crate::model::{self, Action, Bounds, Status};

// ---- what changed ----

/// The commune's feedback generation; read it before a query whose result is cached.
pub fn generation(commune: &str) -> u64 {
    kernel::cache::generation("feedback", commune)
}

/// Call after a committed change to the commune's feedback, categories or area.
pub fn changed(commune: &str) {
    kernel::cache::changed("feedback", commune)
}

// ---- categories ----

/// The categories every commune starts with (requirement B5; 16.3 for straw burning and
/// farm discharge, 18.2 for security and order).
pub const BUILT_IN: &[(&str, &str, &str, i32, &str, bool)] = &[
    (
        "infrastructure",
        "Hạ tầng (đường, điện, nước, cầu cống)",
        "Đường hỏng, đèn đường, cấp nước, cầu cống, thoát nước.",
        10,
        "Địa chính - Xây dựng",
        false,
    ),
    (
        "environment",
        "Môi trường (rác thải, đốt rơm rạ, xả thải nông nghiệp)",
        "Rác thải, đốt rơm rạ, nước thải chăn nuôi, bao bì thuốc bảo vệ thực vật.",
        7,
        "Địa chính - Xây dựng",
        false,
    ),
    (
        "security",
        "An ninh, trật tự",
        "Trộm cắp, tụ tập gây rối, tệ nạn. Chỉ lãnh đạo và công an xã xem được.",
        3,
        "Công an xã",
        true,
    ),
    (
        "new_rural",
        "Xây dựng nông thôn mới",
        "Góp ý về các tiêu chí, công trình nông thôn mới.",
        15,
        "Văn phòng điều phối NTM",
        false,
    ),
    (
        "administration",
        "Thủ tục hành chính, thái độ phục vụ",
        "Phản ánh về thủ tục, cán bộ tiếp nhận, thời gian giải quyết.",
        10,
        "Văn phòng - Thống kê",
        false,
    ),
    (
        "other",
        "Khác",
        "Các phản ánh, kiến nghị khác.",
        15,
        "Văn phòng - Thống kê",
        false,
    ),
];

/// The commune's categories, creating the built-in ones on first use.
pub async fn categories(
    db: &impl ConnectionTrait,
    commune: &str,
    include_inactive: bool,
) -> AppResult<Vec<category::Model>> {
    let all = category::Entity::find()
        .filter(category::Column::CommuneCode.eq(commune))
        .order_by_asc(category::Column::Sort)
        .order_by_asc(category::Column::Id)
        .all(db)
        .await?;
    let all = if all.is_empty() {
        for (i, (code, name, description, days, department, restricted)) in
            BUILT_IN.iter().enumerate()
        {
            let res = category::ActiveModel {
                commune_code: Set(commune.into()),
                code: Set((*code).into()),
                name: Set((*name).into()),
                description: Set((*description).into()),
                deadline_days: Set(*days),
                department: Set((*department).into()),
                restricted: Set(*restricted),
                active: Set(true),
                sort: Set(i as i32 * 10),
                ..Default::default()
            }
            .insert(db)
            .await;
            // Two first requests at once: the unique index keeps one set; ignore the loser.
            if res.is_err() {
                break;
            }
        }
        category::Entity::find()
            .filter(category::Column::CommuneCode.eq(commune))
            .order_by_asc(category::Column::Sort)
            .order_by_asc(category::Column::Id)
            .all(db)
            .await?
    } else {
        all
    };
    Ok(all
        .into_iter()
        .filter(|c| include_inactive || c.active)
        .collect())
}

pub async fn category_by_code(
    db: &impl ConnectionTrait,
    commune: &str,
    code: &str,
) -> AppResult<category::Model> {
    categories(db, commune, false)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::invalid("category_unknown", "category"))
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    /// Lower-case letters, digits and `_`; the Open311 service code.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub deadline_days: i32,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Adds a category or changes the one with the same code.
pub async fn save_category(
    db: &impl ConnectionTrait,
    commune: &str,
    input: &CategoryInput,
) -> AppResult<category::Model> {
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(AppError::invalid("category_code_invalid", "code"));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("name_invalid", "name"));
    }
    if !(1..=90).contains(&input.deadline_days) {
        return Err(AppError::invalid("deadline_invalid", "deadline_days"));
    }
    let existing = categories(db, commune, true).await?;
    let sort = existing.iter().map(|c| c.sort).max().unwrap_or(0) + 10;
    let mut am = match existing.into_iter().find(|c| c.code == code) {
        Some(c) => c.into(),
        None => category::ActiveModel {
            commune_code: Set(commune.into()),
            code: Set(code.into()),
            sort: Set(sort),
            ..Default::default()
        },
    };
    am.name = Set(name.into());
    am.description = Set(input.description.trim().into());
    am.deadline_days = Set(input.deadline_days);
    am.department = Set(input.department.trim().into());
    am.restricted = Set(input.restricted);
    am.active = Set(input.active);
    Ok(am.save(db).await?.try_into_model()?)
}

// ---- the commune's map area ----

fn area_key(commune: &str) -> String {
    format!("map.area.{commune}")
}

/// The rectangle a commune drew around itself; pins outside it are refused.
pub async fn area(db: &impl ConnectionTrait, commune: &str) -> AppResult<Option<Bounds>> {
    Ok(setting::Entity::find_by_id(area_key(commune))
        .one(db)
        .await?
        .and_then(|s| Bounds::parse(&s.value)))
}

pub async fn set_area(
    db: &impl ConnectionTrait,
    commune: &str,
    b: Option<Bounds>,
) -> AppResult<()> {
    setting::Entity::delete_by_id(area_key(commune))
        .exec(db)
        .await?;
    if let Some(b) = b {
        setting::ActiveModel {
            key: Set(area_key(commune)),
            value: Set(b.to_csv()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

// ---- submitting and following ----

const RECEIPT_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `PA17071-261124-K7Q2X`: "phản ánh", commune, date (Viet Nam time), five characters without
/// look-alikes, so it can be read out over the phone and never collides with a dossier's code.
pub fn new_receipt_code(commune: &str, at: DateTime<Utc>) -> String {
    let local = kernel::time::to_vn(at);
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect();
    format!("PA{}-{}-{}", commune, local.format("%y%m%d"), tail)
}

/// A report, checked by [`check_new`] before anything is stored.
pub struct NewFeedback {
    pub category_code: String,
    pub text: String,
    pub anonymous: bool,
    pub reporter: Option<i64>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub village_id: Option<i64>,
    pub address: String,
    pub source: &'static str,
}

/// Validates a report against the commune's categories, villages and map area. Returns the
/// category and the cleaned text.
pub async fn check_new(
    db: &impl ConnectionTrait,
    commune: &str,
    f: &NewFeedback,
) -> AppResult<(category::Model, String)> {
    let invalid = |(code, field): model::Invalid| AppError::invalid(code, field);
    let cat = category_by_code(db, commune, &f.category_code).await?;
    let text = model::check_text(&f.text).map_err(invalid)?;
    if f.address.chars().count() > 500 {
        return Err(AppError::invalid("address_too_long", "address"));
    }
    if let Some(v) = f.village_id {
        kernel::tenancy::village(db, commune, v)
            .await
            .map_err(|_| AppError::invalid("village_unknown", "village_id"))?;
    }
    let area = area(db, commune).await?;
    model::check_location(f.lat, f.lon, &f.address, f.village_id, area.as_ref())
        .map_err(invalid)?;
    Ok((cat, text))
}

/// Records a checked report with its (already stored) photos and tells the reporter.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    f: NewFeedback,
    checked: (category::Model, String),
    photo_ids: &[i64],
) -> AppResult<feedback::Model> {
    let (cat, text) = checked;
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let address = Some(f.address.trim().to_owned()).filter(|s| !s.is_empty());
    let mut row = feedback::ActiveModel {
        search_folded: Set(crate::migration_search::folded(&text, address.as_deref())),
        commune_code: Set(c.code.clone()),
        receipt_code: Set(new_receipt_code(&c.code, now)),
        category_id: Set(cat.id),
        text: Set(text),
        status: Set(Status::New.as_str().into()),
        source: Set(f.source.into()),
        anonymous: Set(f.anonymous),
        reporter_user_id: Set(f.reporter),
        reporter_name: Set(f.reporter_name.filter(|s| !s.trim().is_empty())),
        reporter_phone: Set(f.reporter_phone.filter(|s| !s.trim().is_empty())),
        reporter_email: Set(f.reporter_email.filter(|s| !s.trim().is_empty())),
        lat: Set(f.lat),
        lon: Set(f.lon),
        village_id: Set(f.village_id),
        address: Set(address),
        department: Set(Some(cat.department.clone()).filter(|s| !s.is_empty())),
        assignee_id: Set(None),
        answer: Set(None),
        answered_at: Set(None),
        merged_into_id: Set(None),
        due_at: Set(now + Duration::days(cat.deadline_days as i64)),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        rating: Set(None),
        rating_comment: Set(None),
        version: Set(1),
        ..Default::default()
    };
    // Five random characters give ~33 million codes per commune and day: a collision is rare
    // but real at scale (the load test met some). A savepoint lets us retry with a new code,
    // on PostgreSQL too, where a failed statement would otherwise abort the transaction.
    let mut inserted = None;
    for _ in 0..5 {
        let sp = txn.begin().await?;
        match row.clone().insert(&sp).await {
            Ok(m) => {
                sp.commit().await?;
                inserted = Some(m);
                break;
            }
            Err(e) if e.to_string().to_lowercase().contains("unique") => {
                sp.rollback().await?;
                row.receipt_code = Set(new_receipt_code(&c.code, now));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let fb = inserted.ok_or_else(|| AppError::internal("could not allocate a receipt code"))?;
    for a in photo_ids {
        photo::ActiveModel {
            feedback_id: Set(fb.id),
            attachment_id: Set(*a),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    event::ActiveModel {
        feedback_id: Set(fb.id),
        at: Set(now),
        actor_user_id: Set(None),
        actor_name: Set(String::new()),
        action: Set("submit".into()),
        status: Set(Status::New.as_str().into()),
        note: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(uid) = fb.reporter_user_id {
        let link = format!("/c/{}/feedback/{}", c.code, fb.receipt_code);
        notify::notify(
            &txn,
            notify::Message {
                commune_code: &c.code,
                user_id: uid,
                text: notify::Text::key("fb.note.received")
                    .arg("receipt", &fb.receipt_code)
                    .arg("category", &cat.name)
                    .arg("commune", &c.name),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    changed(&c.code);
    Ok(fb)
}

pub async fn by_receipt(
    db: &impl ConnectionTrait,
    commune: &str,
    receipt: &str,
) -> AppResult<feedback::Model> {
    feedback::Entity::find()
        .filter(feedback::Column::ReceiptCode.eq(receipt.trim()))
        .filter(feedback::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "feedback_unknown"))
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> AppResult<feedback::Model> {
    feedback::Entity::find_by_id(id)
        .filter(feedback::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "feedback_unknown"))
}

pub async fn photos(db: &impl ConnectionTrait, feedback_id: i64) -> AppResult<Vec<i64>> {
    Ok(photo::Entity::find()
        .filter(photo::Column::FeedbackId.eq(feedback_id))
        .order_by_asc(photo::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.attachment_id)
        .collect())
}

pub async fn events(db: &impl ConnectionTrait, feedback_id: i64) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::FeedbackId.eq(feedback_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// The reporter's own reports, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    commune: &str,
    user_id: i64,
) -> AppResult<Vec<feedback::Model>> {
    Ok(feedback::Entity::find()
        .filter(feedback::Column::CommuneCode.eq(commune))
        .filter(feedback::Column::ReporterUserId.eq(user_id))
        .order_by_desc(feedback::Column::Id)
        .limit(100)
        .all(db)
        .await?)
}

// ---- the officials' side ----

/// The rules' view of a signed-in official in this commune.
pub fn actor(u: &CurrentUser, c: &CommuneInfo) -> model::Actor {
    model::Actor {
        roles: u.roles_in(c).collect(),
        departments: u
            .grants
            .iter()
            .filter(|g| g.covers(&c.code, &c.province_code, c.district_code.as_deref()))
            .filter_map(|g| g.department.clone())
            .collect(),
        user_id: u.id,
    }
}

pub fn report<'a>(f: &feedback::Model, cat: &'a category::Model) -> model::Report<'a> {
    model::Report {
        restricted: cat.restricted,
        category_department: &cat.department,
        assignee_id: f.assignee_id,
        reporter_user_id: f.reporter_user_id,
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TriageFilter {
    /// A status, or empty for the open ones (new and assigned).
    #[serde(default)]
    pub status: String,
    /// A category code.
    #[serde(default)]
    pub category: String,
    /// `overdue` for open reports past their deadline.
    #[serde(default)]
    pub due: String,
    /// Only reports assigned to me.
    #[serde(default)]
    pub mine: bool,
    /// Words of the text or address, accents optional; each may be the start of a word, all
    /// must match (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<u64>,
}

pub const PAGE: u64 = 50;

/// Restricted reports this actor may not see: those of restricted categories outside their
/// department, unless assigned to them.
fn hidden_from(a: &model::Actor, cats: &[category::Model]) -> Option<Condition> {
    let hidden: Vec<i64> = cats
        .iter()
        .filter(|cat| {
            let probe = model::Report {
                restricted: cat.restricted,
                category_department: &cat.department,
                assignee_id: None,
                reporter_user_id: None,
            };
            !model::may_see(a, &probe)
        })
        .map(|c| c.id)
        .collect();
    (!hidden.is_empty()).then(|| {
        Condition::any()
            .add(feedback::Column::CategoryId.is_not_in(hidden))
            .add(feedback::Column::AssigneeId.eq(a.user_id))
    })
}

/// The triage inbox: what this official may see, open reports first by deadline.
pub async fn triage(
    db: &impl ConnectionTrait,
    commune: &str,
    a: &model::Actor,
    cats: &[category::Model],
    f: &TriageFilter,
    now: DateTime<Utc>,
) -> AppResult<(Vec<feedback::Model>, u64)> {
    let mut q = feedback::Entity::find().filter(feedback::Column::CommuneCode.eq(commune));
    if let Some(cond) = hidden_from(a, cats) {
        q = q.filter(cond);
    }
    match Status::parse(&f.status) {
        Some(s) => q = q.filter(feedback::Column::Status.eq(s.as_str())),
        None if f.status == "all" => {}
        None => {
            q = q.filter(
                feedback::Column::Status.is_in([Status::New.as_str(), Status::Assigned.as_str()]),
            )
        }
    }
    if let Some(cat) = cats.iter().find(|c| c.code == f.category) {
        q = q.filter(feedback::Column::CategoryId.eq(cat.id));
    }
    if f.due == "overdue" {
        q = q.filter(feedback::Column::DueAt.lt(now)).filter(
            feedback::Column::Status.is_in([Status::New.as_str(), Status::Assigned.as_str()]),
        );
    }
    if f.mine {
        q = q.filter(feedback::Column::AssigneeId.eq(a.user_id));
    }
    let search = kernel::search::Query::parse(&f.q)?;
    let backend = db.get_database_backend();
    let index = crate::migration_search::SEARCH;
    q = q.filter(index.matches(backend, &search));
    let total = q.clone().count(db).await?;
    let page = kernel::paging::page(f.page);
    let rows = q
        .order_by_desc(index.rank(backend, &search))
        .order_by_asc(feedback::Column::DueAt)
        .order_by_asc(feedback::Column::Id)
        .offset(kernel::paging::offset(page, PAGE))
        .limit(PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// One official step on a report.
pub struct Step<'a> {
    pub action: Action,
    pub version: i32,
    pub note: Option<&'a str>,
    pub assignee_id: Option<i64>,
    pub department: Option<&'a str>,
    /// For a merge: the receipt code of the report this one duplicates.
    pub merge_into: Option<&'a str>,
}

fn refusal(r: model::Refusal) -> AppError {
    match r {
        model::Refusal::NotAllowedFromState => AppError::conflict("transition_invalid"),
        model::Refusal::NotPermitted => AppError::new(StatusCode::FORBIDDEN, "step_forbidden"),
    }
}

/// Takes a step. The version guards against two officials acting at once: the second gets
/// `feedback_conflict` and nothing of theirs is written. The step, its history line, the
/// audit entry and the reporter's notification are one transaction.
pub async fn act<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    id: i64,
    u: &CurrentUser,
    step: Step<'_>,
) -> AppResult<feedback::Model> {
    let f = by_id(db, &c.code, id).await?;
    let cats = categories(db, &c.code, true).await?;
    let cat = cats
        .iter()
        .find(|x| x.id == f.category_id)
        .ok_or_else(|| AppError::internal("feedback without category"))?;
    let from = Status::parse(&f.status).ok_or_else(|| AppError::internal("bad status"))?;
    let to = model::check(&actor(u, c), &report(&f, cat), step.action, from).map_err(refusal)?;
    if f.version != step.version {
        return Err(AppError::conflict("feedback_conflict"));
    }
    let note = step.note.map(str::trim).filter(|n| !n.is_empty());
    if step.action.needs_note() && note.is_none() {
        return Err(AppError::invalid("note_required", "note"));
    }
    if note.is_some_and(|n| n.chars().count() > model::TEXT_MAX) {
        return Err(AppError::invalid("text_too_long", "note"));
    }
    let now = Utc::now();
    let mut am: feedback::ActiveModel = f.clone().into();
    let mut summary = step.action.as_str().to_owned();
    match step.action {
        Action::Assign => {
            let department = step.department.map(str::trim).filter(|d| !d.is_empty());
            if step.assignee_id.is_none() && department.is_none() {
                return Err(AppError::invalid("assignee_required", "assignee_id"));
            }
            if let Some(who) = step.assignee_id {
                let staff = kernel::accounts::staff_of(db, &c.code).await?;
                if !staff.iter().any(|(g, s)| {
                    s.id == who
                        && Role::parse(&g.role).is_some_and(|r| model::HANDLERS.contains(&r))
                }) {
                    return Err(AppError::invalid("assignee_invalid", "assignee_id"));
                }
                summary = format!("assign → #{who}");
            }
            am.assignee_id = Set(step.assignee_id.or(f.assignee_id));
            if let Some(d) = department {
                am.department = Set(Some(d.to_owned()));
            }
        }
        Action::Answer | Action::Reject => {
            am.answer = Set(note.map(str::to_owned));
            am.answered_at = Set(Some(now));
        }
        Action::Merge => {
            let target = step
                .merge_into
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| AppError::invalid("merge_target_required", "merge_into"))?;
            let t = by_receipt(db, &c.code, target)
                .await
                .map_err(|_| AppError::invalid("merge_target_unknown", "merge_into"))?;
            if t.id == f.id || t.status == Status::Merged.as_str() {
                return Err(AppError::invalid("merge_target_invalid", "merge_into"));
            }
            am.merged_into_id = Set(Some(t.id));
            am.closed_at = Set(Some(now));
            summary = format!("merge → {}", t.receipt_code);
        }
        Action::Close => {
            am.closed_at = Set(Some(now));
        }
    }
    am.status = Set(to.as_str().into());
    am.updated_at = Set(now);
    am.version = Set(f.version + 1);

    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    // The version is checked again by the write itself: the read above may be stale.
    let res = feedback::Entity::update_many()
        .set(am)
        .filter(feedback::Column::Id.eq(f.id))
        .filter(feedback::Column::Version.eq(f.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("feedback_conflict"));
    }
    event::ActiveModel {
        feedback_id: Set(f.id),
        at: Set(now),
        actor_user_id: Set(Some(u.id)),
        actor_name: Set(u.full_name.clone()),
        action: Set(step.action.as_str().into()),
        status: Set(to.as_str().into()),
        note: Set(note.map(str::to_owned)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            &format!("feedback.{}", step.action.as_str()),
            "feedback",
            f.id,
            format!("{} · {summary}", f.receipt_code),
        ),
    )
    .await?;
    if let Some(uid) = f.reporter_user_id {
        let link = format!("/c/{}/feedback/{}", c.code, f.receipt_code);
        notify::notify(
            &txn,
            notify::Message {
                commune_code: &c.code,
                user_id: uid,
                text: notify::Text::key("fb.note.status")
                    .arg("receipt", &f.receipt_code)
                    .arg_key("status", to.label_key())
                    .arg("note", note.unwrap_or_default()),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    changed(&c.code);
    by_id(db, &c.code, id).await
}

/// Notification titles are stored text, written in the commune's language.
/// The reporter rates the answer (1–5), once; the report closes with it.
pub async fn rate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    receipt: &str,
    user_id: i64,
    stars: i32,
    comment: &str,
) -> AppResult<feedback::Model> {
    let f = by_receipt(db, &c.code, receipt).await?;
    if f.reporter_user_id != Some(user_id) {
        return Err(AppError::forbidden());
    }
    if !(1..=5).contains(&stars) {
        return Err(AppError::invalid("rating_invalid", "rating"));
    }
    if comment.chars().count() > 1000 {
        return Err(AppError::invalid("text_too_long", "comment"));
    }
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    if !model::may_rate(f.reporter_user_id, user_id, status, f.rating.is_some()) {
        return Err(AppError::conflict("rating_not_allowed"));
    }
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let res = feedback::Entity::update_many()
        .col_expr(feedback::Column::Rating, Expr::value(stars))
        .col_expr(
            feedback::Column::RatingComment,
            Expr::value(Some(comment.trim().to_owned()).filter(|s| !s.is_empty())),
        )
        .col_expr(
            feedback::Column::Status,
            Expr::value(Status::Closed.as_str()),
        )
        .col_expr(
            feedback::Column::ClosedAt,
            Expr::value(f.closed_at.unwrap_or(now)),
        )
        .col_expr(feedback::Column::UpdatedAt, Expr::value(now))
        .col_expr(feedback::Column::Version, Expr::value(f.version + 1))
        .filter(feedback::Column::Id.eq(f.id))
        .filter(feedback::Column::Rating.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("rating_not_allowed"));
    }
    event::ActiveModel {
        feedback_id: Set(f.id),
        at: Set(now),
        actor_user_id: Set(Some(user_id)),
        actor_name: Set(String::new()),
        action: Set("rate".into()),
        status: Set(Status::Closed.as_str().into()),
        note: Set(Some(format!("{stars}/5")).map(|s| match comment.trim() {
            "" => s,
            c => format!("{s} · {c}"),
        })),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    changed(&c.code);
    by_id(db, &c.code, f.id).await
}

// ---- the public board ----

/// The reports on the public board, as a filter: [`crate::model::on_board`] in SQL. Every
/// public list (the board, its map, the API's board, Open311's `requests`) uses it.
pub fn public_reports(cats: &[category::Model]) -> Condition {
    let restricted: Vec<i64> = cats.iter().filter(|c| c.restricted).map(|c| c.id).collect();
    Condition::all()
        .add(feedback::Column::AnsweredAt.is_not_null())
        .add(feedback::Column::Status.is_in([Status::Answered.as_str(), Status::Closed.as_str()]))
        .add(feedback::Column::CategoryId.is_not_in(restricted))
}

/// Answered reports anyone may read, newest answer first (whole-word matches of `q` first):
/// restricted categories never appear, nor who reported. Returns the page and whether
/// another follows (no count: it would read every answered report on each view).
pub async fn board(
    db: &impl ConnectionTrait,
    commune: &str,
    cats: &[category::Model],
    q: &kernel::search::Query,
    page: u64,
) -> AppResult<(Vec<feedback::Model>, bool)> {
    let backend = db.get_database_backend();
    let index = crate::migration_search::SEARCH;
    let mut rows = feedback::Entity::find()
        .filter(feedback::Column::CommuneCode.eq(commune))
        .filter(public_reports(cats))
        .filter(index.matches(backend, q))
        .order_by_desc(index.rank(backend, q))
        .order_by_desc(feedback::Column::AnsweredAt)
        .order_by_desc(feedback::Column::Id)
        .offset(kernel::paging::offset(page, PAGE))
        .limit(PAGE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    Ok((rows, more))
}

// ---- figures for decisions and the indicators room ----

#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = FeedbackFigures)]
pub struct Figures {
    pub total: u64,
    pub open: u64,
    pub overdue: u64,
    pub answered: u64,
    /// Answered (or closed) by their deadline.
    pub answered_on_time: u64,
    pub rejected: u64,
    pub rated: u64,
    /// Average of the reporters' 1–5 ratings, when any.
    pub satisfaction: Option<f64>,
}

/// Counts for the commune (all categories: figures reveal no report).
pub async fn figures(
    db: &impl ConnectionTrait,
    commune: &str,
    now: DateTime<Utc>,
) -> AppResult<Figures> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        status: String,
        due_at: DateTime<Utc>,
        answered_at: Option<DateTime<Utc>>,
        rating: Option<i32>,
    }
    let rows = feedback::Entity::find()
        .select_only()
        .column(feedback::Column::Status)
        .column(feedback::Column::DueAt)
        .column(feedback::Column::AnsweredAt)
        .column(feedback::Column::Rating)
        .filter(feedback::Column::CommuneCode.eq(commune))
        .into_model::<Row>()
        .all(db)
        .await?;
    let mut f = Figures::default();
    let mut stars = 0i64;
    for r in rows {
        let s = Status::parse(&r.status).unwrap_or(Status::New);
        f.total += 1;
        if s.is_open() {
            f.open += 1;
            if r.due_at < now {
                f.overdue += 1;
            }
        }
        match s {
            Status::Answered | Status::Closed => {
                f.answered += 1;
                if r.answered_at.is_some_and(|a| a <= r.due_at) {
                    f.answered_on_time += 1;
                }
            }
            Status::Rejected => f.rejected += 1,
            _ => {}
        }
        if let Some(r) = r.rating {
            f.rated += 1;
            stars += r as i64;
        }
    }
    f.satisfaction = (f.rated > 0).then(|| stars as f64 / f.rated as f64);
    Ok(f)
}

// ---- Open311 API keys ----

const KEY_PREFIX: &str = "o311_";

/// Issues a key; the secret is returned once and only its hash is kept.
pub async fn create_key(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    name: &str,
) -> AppResult<(api_key::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name_invalid", "name"));
    }
    let secret = format!("{KEY_PREFIX}{}", random_token(24));
    let k = api_key::ActiveModel {
        commune_code: Set(c.code.clone()),
        name: Set(name.into()),
        key_hash: Set(sha256_hex(&secret)),
        key_prefix: Set(secret[..KEY_PREFIX.len() + 6].to_owned()),
        created_by: Set(u.id),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        audit::Entry::in_commune(u, c, "open311.key_create", "open311_key", k.id, name.into()),
    )
    .await?;
    Ok((k, secret))
}

pub async fn keys(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::CommuneCode.eq(commune))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

pub async fn revoke_key(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    id: i64,
) -> AppResult<()> {
    let k = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::CommuneCode.eq(&c.code))
        .one(db)
        .await?
        .filter(|k| k.revoked_at.is_none())
        .ok_or_else(AppError::not_found)?;
    let name = k.name.clone();
    let mut am: api_key::ActiveModel = k.into();
    am.revoked_at = Set(Some(Utc::now()));
    am.update(db).await?;
    audit::record(
        db,
        audit::Entry::in_commune(u, c, "open311.key_revoke", "open311_key", id, name),
    )
    .await
}

/// The commune a live key belongs to.
pub async fn key_commune(db: &impl ConnectionTrait, secret: &str) -> AppResult<Option<String>> {
    let Some(k) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(sha256_hex(secret.trim())))
        .one(db)
        .await?
        .filter(|k| k.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if k.last_used_at
        .is_none_or(|l| now - l > Duration::minutes(5))
    {
        let code = k.commune_code.clone();
        let mut am: api_key::ActiveModel = k.into();
        am.last_used_at = Set(Some(now));
        am.update(db).await?;
        return Ok(Some(code));
    }
    Ok(Some(k.commune_code))
}
