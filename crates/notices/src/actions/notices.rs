//! Use cases of writing notices: publish now or on schedule (with attachments and an audience
//! checked against the commune), the scheduled ones falling due, pinning and withdrawing, the
//! office's list; and of reading one (marked read for its recipients) with its attachments.

use chrono::{DateTime, Utc};
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::files::Kind;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, TransactionSession, TransactionTrait};

use super::access::{self, publisher};
use super::{ActionResult, Refusal};
use crate::entity::{attachment, notice, recipient};
use crate::model::{self, Audience, Input, MAX_ATTACHMENTS};
use crate::store::{self, BOARD, WITHDRAWN};

/// What an attachment may be.
pub const FILE_KINDS: &[Kind] = &[Kind::Pdf, Kind::Jpeg, Kind::Png, Kind::Webp];

/// A notice as the form or the API gives it, with its uploaded files (name, bytes).
pub struct NewNotice {
    pub input: Input,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Checks that the audience's villages and topics belong to the commune.
async fn check_audience(db: &impl ConnectionTrait, code: &str, a: &Audience) -> ActionResult<()> {
    if !a.village_ids.is_empty() {
        let known = kernel::tenancy::villages(db, code).await?;
        if a.village_ids
            .iter()
            .any(|id| !known.iter().any(|v| v.id == *id))
        {
            return Err(Refusal::VillageUnknown.at("village_ids"));
        }
    }
    if !a.topic_ids.is_empty()
        && store::count_topics(db, code, &a.topic_ids).await? != a.topic_ids.len() as u64
    {
        return Err(Refusal::AudienceTopicUnknown.at("topic_ids"));
    }
    Ok(())
}

/// Use case: a publisher writes a notice; it is published to its audience now (inboxes and the
/// outbox, the dispatcher woken) or scheduled. Every file is checked before any is stored, so
/// a bad one leaves nothing behind. Audited; the board's cache follows.
pub async fn create(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    new: NewNotice,
) -> ActionResult<notice::Model> {
    let u = publisher(actor, c)?;
    let checked = model::check(new.input, Utc::now())?;
    if new.files.len() > MAX_ATTACHMENTS {
        return Err(Refusal::TooManyFiles.at("files"));
    }
    for (name, bytes) in &new.files {
        let ok = kernel::files::sniff(bytes).is_some_and(|k| FILE_KINDS.contains(&k));
        if !ok || bytes.len() > k.files.max_bytes {
            tracing::debug!(%name, "notice attachment refused");
            return Err(Refusal::FileInvalid.at("files"));
        }
    }
    check_audience(k.db, &c.code, &checked.audience).await?;
    let mut stored = Vec::new();
    for (name, bytes) in new.files {
        let a = k
            .files
            .store(k.db, &c.code, Some(u.id), &name, bytes, FILE_KINDS)
            .await?;
        stored.push((a.original_name.clone(), a.id));
    }
    let txn = kernel::db::begin_write(k.db).await?;
    let (saved, action) = store::save(&txn, c, u, checked, stored, Utc::now()).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, action, "notice", saved.id, saved.title.clone()),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(BOARD, &c.code);
    kernel::cache::changed(kernel::web::front::ALERTS, &c.code);
    k.dispatcher.wake();
    access::notice(k.db, c, saved.id).await
}

/// Use case (the scheduler's job): publishes every scheduled notice that is due; each in its
/// own transaction, claimed by its status so two processes never publish one twice. Returns
/// how many were published.
pub async fn publish_due<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> ActionResult<usize> {
    let mut done = 0;
    for n in store::due(db, now).await? {
        let txn = db.begin_with_options(kernel::db::WRITE).await?;
        if !store::claim(&txn, n.id, now).await? {
            continue;
        }
        store::publish_in(&txn, &n, now).await?;
        txn.commit().await?;
        kernel::cache::changed(BOARD, &n.commune_code);
        kernel::cache::changed(kernel::web::front::ALERTS, &n.commune_code);
        done += 1;
    }
    Ok(done)
}

/// Use case: a publisher pins, unpins or withdraws a notice. Audited; the board follows.
pub async fn act(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    action: &str,
) -> ActionResult<notice::Model> {
    let u = publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    let mut am: notice::ActiveModel = n.clone().into();
    match action {
        "pin" => am.pinned = Set(true),
        "unpin" => am.pinned = Set(false),
        "withdraw" if n.status != WITHDRAWN => am.status = Set(WITHDRAWN.into()),
        "withdraw" => return Err(Refusal::AlreadyWithdrawn.into()),
        _ => return Err(Refusal::ActionUnknown.at("action")),
    }
    am.updated_at = Set(Utc::now());
    let txn = kernel::db::begin_write(k.db).await?;
    let saved = am.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            &format!("notice.{action}"),
            "notice",
            n.id,
            n.title.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(BOARD, &c.code);
    kernel::cache::changed(kernel::web::front::ALERTS, &c.code);
    Ok(saved)
}

/// Use case: the office's list of every notice of the commune, newest first, with the total.
pub async fn office_list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    page: u64,
) -> ActionResult<(Vec<notice::Model>, u64)> {
    publisher(actor, c)?;
    Ok(store::office_list(k.db, &c.code, page).await?)
}

/// One notice as its reader reads it.
pub struct Reading {
    pub notice: notice::Model,
    /// The reader writes notices here (sees the audience, may open the reach page).
    pub publisher: bool,
    /// The reader's row in the audience, as it was before this reading.
    pub recipient: Option<recipient::Model>,
    pub attachments: Vec<attachment::Model>,
}

/// Use case: reads a notice ([`access::readable`]); a recipient's reading is recorded, their
/// inbox item read with it.
pub async fn read(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<Reading> {
    let (n, publisher) = access::readable(k.db, c, id, actor).await?;
    let mut recipient = None;
    if let Some(u) = actor {
        recipient = store::recipient_of(k.db, &n, u.id).await?;
        if recipient.is_some() && store::mark_read(k.db, &n, u.id).await? {
            kernel::notify::unread::changed(u.id);
        }
    }
    Ok(Reading {
        attachments: store::attachments(k.db, &n).await?,
        notice: n,
        publisher,
        recipient,
    })
}

/// An attachment as it is downloaded.
pub struct Download {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Use case: one attachment of a notice its reader may read.
pub async fn file(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    attachment_id: i64,
) -> ActionResult<Download> {
    let (n, _) = access::readable(k.db, c, id, actor).await?;
    let a = store::attachments(k.db, &n)
        .await?
        .into_iter()
        .find(|a| a.attachment_id == attachment_id)
        .ok_or_else(kernel::error::AppError::not_found)?;
    let stored = k.files.find(k.db, &c.code, a.attachment_id).await?;
    let bytes = k.files.read(k.db, &stored).await?;
    Ok(Download {
        name: a.name,
        mime: stored.mime,
        bytes,
    })
}
