//! Use cases of a dossier's life outside the desk's steps: submission (online by a citizen,
//! at the counter by the desk), who may see a dossier, and the applicant's rating.

use std::collections::BTreeMap;

use chrono::Utc;
use kernel::accounts::{self, CurrentUser, access};
use kernel::tenancy::CommuneInfo;
use kernel::{audit, notify};

use super::procedures::check_text;
use super::{ActionResult, Kernel, Refusal};
use crate::entity::{dossier, procedure};
use crate::model::{DESK, OnlineLevel, Status};
use crate::store::{self, DOSSIERS, Event};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Online,
    /// Taken at the desk from a walk-in citizen.
    Offline,
}

pub struct Submission {
    pub procedure_id: i64,
    pub applicant_name: String,
    pub applicant_phone: String,
    pub channel: Channel,
    pub data: BTreeMap<String, String>,
    /// (document name, attachment id) already stored in the attachment store.
    pub documents: Vec<(String, i64)>,
}

/// A file sent with a form, for the procedure's document `index`.
pub struct Upload {
    pub index: usize,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Use case: a dossier submitted online by a signed-in citizen (the applicant), or entered at
/// the counter by the desk for a walk-in citizen (`Channel::Offline`). The form is checked
/// before `uploads` are stored; everything is checked before the first write. The applicant
/// hears of it in their inbox.
pub async fn submit(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    mut s: Submission,
    uploads: Vec<Upload>,
) -> ActionResult<dossier::Model> {
    let u = match s.channel {
        Channel::Online => access::signed_in(actor)?,
        Channel::Offline => access::with_role(actor, c, DESK)?,
    };
    let p = super::procedures::any(k.db, &c.code, s.procedure_id).await?;
    let (name, phone, data) = check_form(
        &p,
        s.channel,
        &s.applicant_name,
        &s.applicant_phone,
        &s.data,
    )?;
    let stored = store_uploads(k, c, &p, u, uploads).await?;
    s.documents.extend(stored);
    if s.channel == Channel::Offline {
        s.documents.dedup();
    }
    let docs = store::documents_of(&p);
    // Online, the files are the documents. At the desk the official has seen the paper originals.
    for d in docs
        .iter()
        .filter(|d| d.required && s.channel == Channel::Online)
    {
        if !s.documents.iter().any(|(n, _)| n == &d.name) {
            return Err(Refusal::DocumentMissing.with_detail("documents", d.name.clone()));
        }
    }
    for (n, att) in &s.documents {
        if !docs.iter().any(|d| &d.name == n) {
            return Err(Refusal::DocumentUnknown.at("documents"));
        }
        // Online, only files the applicant uploaded; at the desk, files the desk scanned.
        let mine = store::attachment_ok(k.db, &c.code, *att, None)
            .await?
            .is_some_and(|a| {
                a.uploaded_by == Some(u.id)
                    || (s.channel == Channel::Offline && u.has_role_in(c, DESK))
            });
        if !mine {
            return Err(Refusal::AttachmentUnknown.at("documents"));
        }
    }

    let now = Utc::now();
    let due = k
        .calendar
        .get()
        .add_working_days(kernel::time::to_vn(now), p.processing_days.max(0) as u32);
    let applicant_user_id = (s.channel == Channel::Online).then_some(u.id);
    let txn = kernel::db::begin_write(k.db).await?;
    let am = dossier::ActiveModel {
        commune_code: sea_orm::Set(c.code.clone()),
        procedure_id: sea_orm::Set(p.id),
        applicant_user_id: sea_orm::Set(applicant_user_id),
        applicant_name: sea_orm::Set(name.clone()),
        applicant_phone: sea_orm::Set(phone),
        channel: sea_orm::Set(
            if s.channel == Channel::Online {
                "online"
            } else {
                "offline"
            }
            .into(),
        ),
        status: sea_orm::Set(Status::Received.as_str().into()),
        data: sea_orm::Set(serde_json::to_string(&data).unwrap_or_else(|_| "{}".into())),
        received_at: sea_orm::Set(now),
        due_date: sea_orm::Set(due),
        assignee_id: sea_orm::Set(None),
        fee_vnd: sea_orm::Set(p.fee_vnd),
        paid_at: sea_orm::Set(None),
        payment_method: sea_orm::Set(None),
        result_attachment_id: sea_orm::Set(None),
        result_note: sea_orm::Set(None),
        last_note: sea_orm::Set(None),
        rating: sea_orm::Set(None),
        rating_comment: sea_orm::Set(None),
        done_at: sea_orm::Set(None),
        version: sea_orm::Set(1),
        updated_at: sea_orm::Set(now),
        ..Default::default()
    };
    let d = store::insert_dossier(&txn, am, now)
        .await?
        .ok_or_else(|| kernel::error::AppError::internal("could not allocate a receipt code"))?;
    store::add_documents(&txn, &d, &s.documents).await?;
    store::open_fee(&txn, &d).await?;
    store::event(
        &txn,
        &d,
        Event {
            actor_id: Some(u.id),
            actor_name: &u.full_name,
            action: "submit",
            from: None,
            to: Status::Received,
            note: None,
        },
    )
    .await?;
    if s.channel == Channel::Offline {
        audit::record(
            &txn,
            audit::Entry::in_commune(
                u,
                c,
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
    kernel::cache::changed(DOSSIERS, &c.code);
    if d.applicant_user_id.is_some() {
        k.dispatcher.wake();
    }
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
) -> ActionResult<(String, String, BTreeMap<String, String>)> {
    if !p.active {
        return Err(Refusal::ProcedureUnknown.into());
    }
    let level = OnlineLevel::parse(&p.online_level).unwrap_or(OnlineLevel::Offline);
    if channel == Channel::Online && !level.accepts_online() {
        return Err(Refusal::ProcedureOffline.at("procedure_id"));
    }
    let name = check_text(applicant_name, "applicant_name", 100)?;
    // The account's own name is taken as it is, but a name has two letters at least.
    if name.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return Err(Refusal::FieldName.at("applicant_name"));
    }
    let phone = accounts::parse_phone(applicant_phone)?;
    let today = kernel::time::vn_today();
    let mut data = BTreeMap::new();
    for f in store::fields_of(p) {
        let v = data_in
            .get(&f.key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if f.required && v.is_empty() {
            return Err(Refusal::FieldRequired.with_detail("data", f.key.clone()));
        }
        if v.chars().count() > 2000 {
            return Err(Refusal::TextTooLong.at("data"));
        }
        if !v.is_empty() {
            let v = crate::model::check_answer(&f, &v, today)
                .map_err(|e| Refusal::from(e).with_detail("data", f.key.clone()))?;
            data.insert(f.key, v);
        }
    }
    Ok((name, phone, data))
}

/// Stores files sent with a form and pairs them with the procedure's document names (files
/// for no document of the procedure are dropped).
pub async fn store_uploads(
    k: Kernel<'_>,
    c: &CommuneInfo,
    p: &procedure::Model,
    u: &CurrentUser,
    uploads: Vec<Upload>,
) -> ActionResult<Vec<(String, i64)>> {
    let docs = store::documents_of(p);
    let mut out = vec![];
    for up in uploads {
        let Some(doc) = docs.get(up.index) else {
            continue;
        };
        let a = k
            .files
            .store(
                k.db,
                &c.code,
                Some(u.id),
                &up.name,
                up.bytes,
                kernel::files::IMAGES_AND_PDF,
            )
            .await?;
        out.push((doc.name.clone(), a.id));
    }
    Ok(out)
}

/// The dossier with this receipt code, if it belongs to commune `c`.
pub async fn by_receipt(
    k: Kernel<'_>,
    c: &CommuneInfo,
    receipt: &str,
) -> ActionResult<dossier::Model> {
    store::by_receipt(k.db, receipt)
        .await?
        .filter(|d| d.commune_code == c.code)
        .ok_or(Refusal::ReceiptUnknown.into())
}

/// The commune's dossier `id`.
pub async fn by_id(
    db: &impl sea_orm::ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<dossier::Model> {
    Ok(store::by_id(db, commune, id)
        .await?
        .ok_or_else(kernel::error::AppError::not_found)?)
}

/// Use case: a dossier as its applicant or the commune's desk may see it (status, history,
/// documents, payment code). Answers the dossier and whether the actor is its applicant.
pub async fn for_reader<'u>(
    k: Kernel<'_>,
    actor: Option<&'u CurrentUser>,
    c: &CommuneInfo,
    receipt: &str,
) -> ActionResult<(dossier::Model, &'u CurrentUser)> {
    let u = access::signed_in(actor)?;
    let d = by_receipt(k, c, receipt).await?;
    if d.applicant_user_id != Some(u.id) && !u.has_role_in(c, DESK) {
        return Err(Refusal::Forbidden.into());
    }
    Ok((d, u))
}

/// Use case: a document or result file of a dossier, for its applicant and the commune's desk
/// only. Answers the stored file's record.
pub async fn file(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    receipt: &str,
    att: i64,
) -> ActionResult<kernel::files::entity::Model> {
    let u = access::signed_in(actor)?;
    let d = store::by_receipt(k.db, receipt)
        .await?
        .ok_or(Refusal::ReceiptUnknown)?;
    if d.commune_code != c.code || (d.applicant_user_id != Some(u.id) && !u.has_role_in(c, DESK)) {
        return Err(Refusal::Forbidden.into());
    }
    let belongs = d.result_attachment_id == Some(att)
        || store::documents(k.db, &d.commune_code, d.id)
            .await?
            .iter()
            .any(|x| x.attachment_id == att);
    if !belongs {
        return Err(kernel::error::AppError::not_found().into());
    }
    Ok(k.files.find(k.db, &c.code, att).await?)
}

/// Use case: the applicant rates the service once the result is back (indicator 1.2);
/// rating closes the dossier.
pub async fn rate(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    d: &dossier::Model,
    stars: i32,
    comment: &str,
) -> ActionResult<dossier::Model> {
    let u = access::signed_in(actor)?;
    if d.applicant_user_id != Some(u.id) {
        return Err(Refusal::Forbidden.into());
    }
    if !(1..=5).contains(&stars) {
        return Err(Refusal::RatingInvalid.at("rating"));
    }
    if comment.chars().count() > 1000 {
        return Err(Refusal::TextTooLong.at("comment"));
    }
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    if !matches!(status, Status::Returned | Status::Closed) || d.rating.is_some() {
        return Err(Refusal::RatingNotOpen.into());
    }
    let now = Utc::now();
    let txn = kernel::db::begin_write(k.db).await?;
    let comment = Some(comment.trim().to_owned()).filter(|c| !c.is_empty());
    if !store::write_rating(&txn, d, stars, comment.clone(), now).await? {
        return Err(Refusal::RatingNotOpen.into());
    }
    let updated = by_id(&txn, &d.commune_code, d.id).await?;
    let note = format!(
        "{stars}/5{}",
        comment.map(|c| format!(" · {c}")).unwrap_or_default()
    );
    store::event(
        &txn,
        &updated,
        Event {
            actor_id: Some(u.id),
            actor_name: &u.full_name,
            action: "rate",
            from: Some(status),
            to: Status::Closed,
            note: Some(&note),
        },
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(DOSSIERS, &d.commune_code);
    Ok(updated)
}
