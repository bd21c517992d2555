//! Use cases of loudspeaker bulletins, for publishers: compose the day's bulletin from notices
//! on the board (its audio queued where espeak-ng is installed; audited), the bulletin desk,
//! one bulletin and its audio.

use std::path::Path;

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::error::AppError;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ActiveModelTrait, Set};

use super::access::publisher;
use super::{ActionResult, Refusal};
use crate::bulletin::{self, AUDIO_JOB, MAX_ITEMS};
use crate::entity::{bulletin as entity, notice};

/// Use case: composes and saves a bulletin from the chosen notices, in the order given;
/// queues its audio when espeak-ng is installed. Audited.
pub async fn compose(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    ids: &[i64],
) -> ActionResult<entity::Model> {
    let u = publisher(actor, c)?;
    if ids.is_empty() {
        return Err(Refusal::BulletinEmpty.at("notice_ids"));
    }
    if ids.len() > MAX_ITEMS {
        return Err(Refusal::BulletinTooMany.at("notice_ids"));
    }
    let all = bulletin::candidates(k.db, &c.code).await?;
    let chosen: Vec<notice::Model> = ids
        .iter()
        .map(|id| all.iter().find(|n| n.id == *id).cloned())
        .collect::<Option<_>>()
        .ok_or(Refusal::BulletinNoticeUnknown.at("notice_ids"))?;
    let now = Utc::now();
    let day = bulletin::vn_day(now);
    let audio = bulletin::espeak().is_some();
    let txn = kernel::db::begin_write(k.db).await?;
    let b = entity::ActiveModel {
        commune_code: Set(c.code.clone()),
        script: Set(bulletin::script(c, &day, &chosen)),
        day: Set(day),
        notice_ids: Set(serde_json::to_string(ids).map_err(AppError::internal)?),
        audio_status: Set(if audio { "pending" } else { "unavailable" }.into()),
        audio_error: Set(None),
        created_by: Set(u.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if audio {
        kernel::jobs::enqueue(
            &txn,
            kernel::jobs::NewJob::now(
                AUDIO_JOB,
                serde_json::json!({ "bulletin_id": b.id, "commune": b.commune_code }),
            )
            .commune(&c.code),
        )
        .await?;
    }
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "notice.bulletin",
            "notice_bulletin",
            b.id,
            format!("{} · {}", b.day, ids.len()),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(b)
}

/// Use case: one bulletin of the commune.
pub async fn find(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<entity::Model> {
    publisher(actor, c)?;
    Ok(bulletin::find(k.db, &c.code, id)
        .await?
        .ok_or(Refusal::BulletinUnknown)?)
}

/// The bulletin desk: notices to choose from, recent bulletins, the one opened.
pub struct Desk {
    pub candidates: Vec<notice::Model>,
    pub recent: Vec<entity::Model>,
    pub current: Option<entity::Model>,
}

/// Use case: the bulletin desk, with one bulletin open when asked.
pub async fn desk(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    current: Option<i64>,
) -> ActionResult<Desk> {
    let current = match current {
        Some(id) => Some(find(k, actor, c, id).await?),
        None => {
            publisher(actor, c)?;
            None
        }
    };
    Ok(Desk {
        candidates: bulletin::candidates(k.db, &c.code).await?,
        recent: bulletin::recent(k.db, &c.code).await?,
        current,
    })
}

/// Use case: a bulletin's audio (WAV), once rendered; `data_dir` is where the job wrote it.
pub async fn audio(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    data_dir: &Path,
) -> ActionResult<(entity::Model, Vec<u8>)> {
    let b = find(k, actor, c, id).await?;
    if b.audio_status != "ready" {
        return Err(Refusal::BulletinAudioMissing.into());
    }
    let bytes = tokio::fs::read(bulletin::audio_path(data_dir, b.id))
        .await
        .map_err(AppError::internal)?;
    Ok((b, bytes))
}
