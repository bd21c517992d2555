//! Feedback's use cases: sending a report (from the page with photos, the API or Open311),
//! an official's step on it (assign, answer, reject, merge, close), and the reporter's rating.

use chrono::{Duration, Utc};
use kernel::accounts::access::{self};
use kernel::accounts::{CurrentUser, Role};
use kernel::error::AppError;
use kernel::files;
use kernel::tenancy::CommuneInfo;
use kernel::{audit, notify};
use sea_orm::{ConnectionTrait, DatabaseConnection, Set};

use super::{ActionResult, Kernel, Refusal, invalid};
use crate::entity::{category, feedback};
use crate::model::{self, Action, Status};
use crate::store::{self, NewEvent, NewFeedback};

/// A photo as uploaded: form field, file name, bytes.
pub type Upload = (String, String, Vec<u8>);

/// Validates a report against the commune's categories, villages and map area. Returns the
/// category and the cleaned text.
pub async fn check_new(
    db: &impl ConnectionTrait,
    commune: &str,
    f: &NewFeedback,
) -> ActionResult<(category::Model, String)> {
    let cat = store::category_by_code(db, commune, &f.category_code).await?;
    let text = model::check_text(&f.text).map_err(invalid)?;
    if f.address.chars().count() > 500 {
        return Err(Refusal::AddressTooLong.at("address"));
    }
    if let Some(v) = f.village_id {
        kernel::tenancy::village(db, commune, v)
            .await
            .map_err(|_| Refusal::VillageUnknown.at("village_id"))?;
    }
    let area = store::area(db, commune).await?;
    model::check_location(f.lat, f.lon, &f.address, f.village_id, area.as_ref())
        .map_err(invalid)?;
    Ok((cat, text))
}

/// Checks the photos before any is stored: all of them must be images, and not too many.
pub fn check_photos(photos: &[Upload]) -> ActionResult<()> {
    if photos.len() > model::PHOTOS_MAX {
        return Err(Refusal::PhotosTooMany.at("photos"));
    }
    for (_, _, bytes) in photos {
        if !files::sniff(bytes).is_some_and(files::Kind::is_image) {
            return Err(Refusal::PhotoInvalid.at("photos"));
        }
    }
    Ok(())
}

/// Use case: a report arrives (the page, the API, Open311 — the door checked who sends it and
/// put them in `nf`). Checked, its photos stored, recorded with its history line and the
/// reporter's notification in one transaction, then the dispatcher woken.
pub async fn submit(
    k: Kernel<'_>,
    c: &CommuneInfo,
    nf: NewFeedback,
    photos: Vec<Upload>,
) -> ActionResult<feedback::Model> {
    let mut nf = nf;
    let checked = check_new(k.db, &c.code, &nf).await?;
    // A tapped spot inside a village's shape tells which village it is.
    if let (None, Some(lat), Some(lon)) = (nf.village_id, nf.lat, nf.lon) {
        nf.village_id = kernel::tenancy::area::area(k.db, &c.code)
            .await?
            .village_at(lat, lon);
    }
    check_photos(&photos)?;
    let mut ids = vec![];
    for (_, name, bytes) in photos {
        let a = k
            .files
            .store(k.db, &c.code, nf.reporter, &name, bytes, files::IMAGES)
            .await?;
        ids.push(a.id);
    }
    let f = record(k.db, c, nf, checked, &ids).await?;
    k.dispatcher.wake();
    Ok(f)
}

/// Records a checked report with its (already stored) photos and tells the reporter; for
/// [`submit`] and the demo data.
pub async fn record(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    f: NewFeedback,
    checked: (category::Model, String),
    photo_ids: &[i64],
) -> ActionResult<feedback::Model> {
    let (cat, text) = checked;
    let now = Utc::now();
    let txn = kernel::db::begin_write(db).await?;
    let address = Some(f.address.trim().to_owned()).filter(|s| !s.is_empty());
    let row = feedback::ActiveModel {
        search_folded: Set(crate::migration_search::folded(&text, address.as_deref())),
        commune_code: Set(c.code.clone()),
        receipt_code: Set(store::new_receipt_code(&c.code, now)),
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
    let fb = store::insert_new(&txn, &c.code, row, now).await?;
    store::add_photos(&txn, &c.code, fb.id, photo_ids).await?;
    store::add_event(
        &txn,
        NewEvent {
            commune: &fb.commune_code,
            feedback_id: fb.id,
            at: now,
            actor_user_id: None,
            actor_name: "",
            action: "submit",
            status: Status::New,
            note: None,
        },
    )
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
    store::changed(&c.code);
    Ok(fb)
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

fn refusal(r: model::Refusal) -> Refusal {
    match r {
        model::Refusal::NotAllowedFromState => Refusal::TransitionInvalid,
        model::Refusal::NotPermitted => Refusal::StepForbidden,
    }
}

/// Use case: an official who handles feedback takes a step, then the dispatcher is woken for
/// the reporter's notification.
pub async fn step(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    s: Step<'_>,
) -> ActionResult<feedback::Model> {
    let u = access::with_role(actor, c, model::HANDLERS)?;
    let f = take_step(k.db, c, id, u, s).await?;
    k.dispatcher.wake();
    Ok(f)
}

/// Takes a step (for [`step`] and the demo data). The version guards against two officials
/// acting at once: the second gets `feedback_conflict` and nothing of theirs is written. The
/// step, its history line, the audit entry and the reporter's notification are one
/// transaction.
pub async fn take_step(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    id: i64,
    u: &CurrentUser,
    step: Step<'_>,
) -> ActionResult<feedback::Model> {
    let f = store::by_id(db, &c.code, id).await?;
    let cats = store::categories(db, &c.code, true).await?;
    let cat = cats
        .iter()
        .find(|x| x.id == f.category_id)
        .ok_or_else(|| AppError::internal("feedback without category"))?;
    let from = Status::parse(&f.status).ok_or_else(|| AppError::internal("bad status"))?;
    let to = model::check(
        &store::actor(u, c),
        &store::report(&f, cat),
        step.action,
        from,
    )
    .map_err(refusal)?;
    if f.version != step.version {
        return Err(Refusal::FeedbackConflict.into());
    }
    let note = step.note.map(str::trim).filter(|n| !n.is_empty());
    if step.action.needs_note() && note.is_none() {
        return Err(Refusal::NoteRequired.at("note"));
    }
    if note.is_some_and(|n| n.chars().count() > model::TEXT_MAX) {
        return Err(Refusal::TextTooLong.at("note"));
    }
    let now = Utc::now();
    let mut am: feedback::ActiveModel = f.clone().into();
    let mut summary = step.action.as_str().to_owned();
    match step.action {
        Action::Assign => {
            let department = step.department.map(str::trim).filter(|d| !d.is_empty());
            if step.assignee_id.is_none() && department.is_none() {
                return Err(Refusal::AssigneeRequired.at("assignee_id"));
            }
            if let Some(who) = step.assignee_id {
                let staff = kernel::accounts::staff_of(db, &c.code).await?;
                if !staff.iter().any(|(g, s)| {
                    s.id == who
                        && Role::parse(&g.role).is_some_and(|r| model::HANDLERS.contains(&r))
                }) {
                    return Err(Refusal::AssigneeInvalid.at("assignee_id"));
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
                .ok_or(Refusal::MergeTargetRequired.at("merge_into"))?;
            let t = store::by_receipt(db, &c.code, target)
                .await
                .map_err(|_| Refusal::MergeTargetUnknown.at("merge_into"))?;
            if t.id == f.id || t.status == Status::Merged.as_str() {
                return Err(Refusal::MergeTargetInvalid.at("merge_into"));
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

    let txn = kernel::db::begin_write(db).await?;
    // The version is checked again by the write itself: the read above may be stale.
    store::update_at_version(&txn, &f, am).await?;
    store::add_event(
        &txn,
        NewEvent {
            commune: &f.commune_code,
            feedback_id: f.id,
            at: now,
            actor_user_id: Some(u.id),
            actor_name: &u.full_name,
            action: step.action.as_str(),
            status: to,
            note: note.map(str::to_owned),
        },
    )
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
    store::changed(&c.code);
    store::by_id(db, &c.code, id).await
}

/// Use case: the reporter rates the answer (1–5), once; the report closes with it.
pub async fn rate(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    receipt: &str,
    stars: i32,
    comment: &str,
) -> ActionResult<feedback::Model> {
    let u = access::signed_in(actor)?;
    let f = store::by_receipt(k.db, &c.code, receipt).await?;
    if f.reporter_user_id != Some(u.id) {
        return Err(Refusal::Forbidden.into());
    }
    if !(1..=5).contains(&stars) {
        return Err(Refusal::RatingInvalid.at("rating"));
    }
    if comment.chars().count() > 1000 {
        return Err(Refusal::TextTooLong.at("comment"));
    }
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    if !model::may_rate(f.reporter_user_id, u.id, status, f.rating.is_some()) {
        return Err(Refusal::RatingNotAllowed.into());
    }
    let now = Utc::now();
    let comment = comment.trim();
    let txn = kernel::db::begin_write(k.db).await?;
    store::set_rating(
        &txn,
        &f,
        stars,
        Some(comment.to_owned()).filter(|s| !s.is_empty()),
        now,
    )
    .await?;
    store::add_event(
        &txn,
        NewEvent {
            commune: &f.commune_code,
            feedback_id: f.id,
            at: now,
            actor_user_id: Some(u.id),
            actor_name: "",
            action: "rate",
            status: Status::Closed,
            note: Some(match comment {
                "" => format!("{stars}/5"),
                c => format!("{stars}/5 · {c}"),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    store::changed(&c.code);
    store::by_id(k.db, &c.code, f.id).await
}
