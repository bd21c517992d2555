//! Loudspeaker bulletins (I1): officials compose the day's bulletin from notices; the
//! platform writes the announcer's script and, where `espeak-ng` is installed, renders it
//! as Vietnamese speech (WAV) in a background job. Without it the page says so. Composing is
//! the use case `actions::bulletins::compose`; here the script, the queries and the job.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use kernel::error::AppResult;
use kernel::i18n::{Locale, t};
use kernel::tenancy::CommuneInfo;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::{bulletin, notice};
use crate::markdown;
use crate::model::Category;
use crate::store;

pub const AUDIO_JOB: &str = "notices.bulletin_audio";
pub const MAX_ITEMS: usize = 20;

/// The `espeak-ng` program, if installed.
pub fn espeak() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("espeak-ng"))
            .find(|p| p.is_file())
    })
}

pub fn audio_path(data_dir: &Path, id: i64) -> PathBuf {
    data_dir.join("bulletins").join(format!("{id}.wav"))
}

/// The day in Viet Nam, `YYYY-MM-DD`.
pub fn vn_day(now: DateTime<Utc>) -> String {
    kernel::time::vn_date(now).format("%Y-%m-%d").to_string()
}

/// The announcer's script: greeting, each notice (emergencies first) as a numbered item with
/// its plain text, and the closing.
pub fn script(c: &CommuneInfo, day: &str, notices: &[notice::Model]) -> String {
    let vi = |k| t(Locale::Vi, k);
    let date = match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => day.to_owned(),
    };
    let mut out = format!(
        "{} {}\n{} {}\n\n{}\n",
        vi("nt.bul.heading"),
        c.name.to_uppercase(),
        vi("nt.bul.date"),
        date,
        vi("nt.bul.greeting")
    );
    let mut ordered: Vec<&notice::Model> = notices.iter().collect();
    ordered.sort_by_key(|n| n.category != Category::Emergency.as_str());
    for (i, n) in ordered.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. {}.\n{}\n",
            i + 1,
            n.title.trim_end_matches('.'),
            markdown::to_plain(&n.body_md)
        ));
        if let Some(when) = Some(crate::model::event_when(n)).filter(|w| !w.is_empty()) {
            out.push_str(&format!("{}: {when}.\n", vi("nt.event_when")));
        }
    }
    out.push_str(&format!("\n{}\n", vi("nt.bul.closing")));
    out
}

/// Notices that can go into today's bulletin: on the board, newest first.
pub async fn candidates(db: &impl ConnectionTrait, code: &str) -> AppResult<Vec<notice::Model>> {
    let now = Utc::now();
    Ok(notice::Entity::find()
        .filter(notice::Column::CommuneCode.eq(code))
        .filter(notice::Column::Status.eq(store::PUBLISHED))
        .order_by_desc(notice::Column::PublishAt)
        .limit(60)
        .all(db)
        .await?
        .into_iter()
        .filter(|n| store::is_public(n, now))
        .collect())
}

/// One bulletin of the commune, if it is there.
pub async fn find(
    db: &impl ConnectionTrait,
    code: &str,
    id: i64,
) -> AppResult<Option<bulletin::Model>> {
    Ok(bulletin::Entity::find_by_id((code.to_owned(), id))
        .one(db)
        .await?)
}

pub async fn recent(db: &impl ConnectionTrait, code: &str) -> AppResult<Vec<bulletin::Model>> {
    Ok(bulletin::Entity::find()
        .filter(bulletin::Column::CommuneCode.eq(code))
        .order_by_desc(bulletin::Column::Id)
        .limit(20)
        .all(db)
        .await?)
}

/// The background job: speaks the script with espeak-ng's Vietnamese voice into a WAV file.
pub async fn render_audio(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    commune: Option<&str>,
    id: i64,
) -> Result<(), String> {
    let mut q = bulletin::Entity::find().filter(bulletin::Column::Id.eq(id));
    if let Some(c) = commune {
        q = q.filter(bulletin::Column::CommuneCode.eq(c));
    }
    let b = q
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("bulletin gone")?;
    let (status, error) = match espeak() {
        None => ("unavailable", None),
        Some(bin) => {
            let out = audio_path(data_dir, id);
            if let Some(dir) = out.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let res = tokio::process::Command::new(bin)
                .args(["-v", "vi", "-s", "140", "-w"])
                .arg(&out)
                .arg(&b.script)
                .output()
                .await;
            match res {
                Ok(o) if o.status.success() => ("ready", None),
                Ok(o) => (
                    "failed",
                    Some(
                        String::from_utf8_lossy(&o.stderr)
                            .chars()
                            .take(500)
                            .collect(),
                    ),
                ),
                Err(e) => ("failed", Some(e.to_string())),
            }
        }
    };
    let mut am: bulletin::ActiveModel = b.into();
    am.audio_status = Set(status.into());
    am.audio_error = Set(error);
    am.update(db).await.map_err(|e| e.to_string())?;
    Ok(())
}
