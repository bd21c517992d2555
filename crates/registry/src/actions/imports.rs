//! Use cases of importing: at once (the API and the command line), or as the back office
//! does it: upload, a preview worked out in the background with its progress, then "write"
//! as a second background job, the page following both with a live progress bar.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::i18n::Locale;
use kernel::jobs::{self, NewJob};
use kernel::tenancy::CommuneInfo;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::access::editor;
use super::import::{self, Job, Report};
use super::{ActionResult, Refusal};
use crate::entity::import as upload;
use crate::sheet::Input;

/// The background job that previews or applies an uploaded file.
pub const JOB: &str = "registry.import";

pub const PREVIEWING: &str = "previewing";
pub const PREVIEWED: &str = "previewed";
pub const APPLYING: &str = "applying";
pub const APPLIED: &str = "applied";
pub const FAILED: &str = "failed";

/// Who imports at once: an official (the API) or the server's operator (the command line).
#[derive(Clone, Copy)]
pub enum Importer<'a> {
    Official(Option<&'a CurrentUser>),
    Operator,
}

fn summary(r: &Report) -> String {
    format!(
        "new={}; updated={}; unchanged={}; refused={}",
        r.new, r.updated, r.unchanged, r.refused
    )
}

/// Use case: preview (`apply` false) or apply a file at once. Applying is audited with what
/// it changed. `progress` hears (rows done, rows in the file).
pub async fn direct(
    k: Kernel<'_>,
    who: Importer<'_>,
    c: &CommuneInfo,
    input: Input,
    apply: bool,
    locale: Locale,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> ActionResult<Report> {
    let official = match who {
        Importer::Official(actor) => Some(editor(actor, c)?),
        Importer::Operator => None,
    };
    let mapping = super::mapping::load(k.db, &c.code).await?;
    let report = import::run(
        k.db,
        k.secret,
        &c.code,
        Job {
            input,
            apply,
            locale,
            mapping,
            progress,
            recorded_by: official.map(|u| u.id),
        },
    )
    .await?;
    if apply && report.new + report.updated > 0 {
        match official {
            Some(u) => {
                audit::record(
                    k.db,
                    audit::Entry::in_commune(
                        u,
                        c,
                        "household.import",
                        "household",
                        "",
                        summary(&report),
                    ),
                )
                .await?
            }
            None => {
                audit::record_operator(
                    k.db,
                    &c.code,
                    "household.import",
                    "household",
                    summary(&report),
                )
                .await?
            }
        }
    }
    Ok(report)
}

/// Use case: an official uploads a file; its preview is worked out in the background.
pub async fn upload(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    file_name: &str,
    bytes: Vec<u8>,
    locale: Locale,
) -> ActionResult<upload::Model> {
    let u = editor(actor, c)?;
    if bytes.is_empty() {
        return Err(Refusal::ImportEmpty.at("file"));
    }
    let name: String = file_name.chars().take(200).collect();
    let txn = kernel::db::begin_write(k.db).await?;
    let row = upload::ActiveModel {
        commune_code: Set(c.code.clone()),
        file_name: Set(name),
        file: Set(bytes),
        locale: Set(locale.code().to_owned()),
        status: Set(PREVIEWING.into()),
        rows_total: Set(0),
        rows_done: Set(0),
        report: Set(None),
        created_by: Set(u.id),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    jobs::enqueue(
        &txn,
        NewJob::now(
            JOB,
            serde_json::json!({"commune": c.code, "import": row.id, "apply": false}),
        )
        .commune(&c.code)
        .attempts(1),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The file's fault a saved column mapping mends: columns the register does not know. Such
/// a file is kept (a week at most) to be read again.
pub const MENDABLE: &str = "import_unknown_columns";

/// Use case: an official says how a refused file's unknown columns read; the mapping is saved
/// for the commune and the same file is read again in the background. One transaction: a file
/// that cannot be read again (already read again, or dropped) saves nothing. Audited.
pub async fn map_and_reread(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    pairs: &[(String, String)],
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    let checked = super::mapping::check(pairs)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let claimed = upload::Entity::update_many()
        .col_expr(upload::Column::Status, Expr::value(PREVIEWING))
        .col_expr(upload::Column::RowsDone, Expr::value(0i64))
        .col_expr(upload::Column::RowsTotal, Expr::value(0i64))
        .col_expr(upload::Column::Report, Expr::value(Option::<String>::None))
        .col_expr(
            upload::Column::FinishedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(upload::Column::CommuneCode.eq(&c.code))
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::Status.eq(FAILED))
        .filter(Expr::cust("length(\"file\") > 0"))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(Refusal::ImportNotRereadable.into());
    }
    super::mapping::write(&txn, u, c, &checked, &format!("file #{id} read again")).await?;
    jobs::enqueue(
        &txn,
        NewJob::now(
            JOB,
            serde_json::json!({"commune": c.code, "import": id, "apply": false}),
        )
        .commune(&c.code)
        .attempts(1),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An upload without its bytes, for the pages.
pub struct Status {
    pub row: upload::Model,
    pub report: Option<Report>,
}

/// Use case: an upload's progress and, once worked out, its report.
pub async fn status(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<Status> {
    editor(actor, c)?;
    let row = find(k.db, &c.code, id).await?;
    let report = row
        .report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    Ok(Status { row, report })
}

async fn find(db: &DatabaseConnection, commune: &str, id: i64) -> ActionResult<upload::Model> {
    Ok(upload::Entity::find()
        .filter(upload::Column::CommuneCode.eq(commune))
        .filter(upload::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Refusal::ImportUnknown)?)
}

/// Use case: the commune's latest uploads (without their bytes), newest first.
pub async fn recent(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<(i64, String, String, chrono::DateTime<Utc>)>> {
    editor(actor, c)?;
    Ok(upload::Entity::find()
        .select_only()
        .columns([
            upload::Column::Id,
            upload::Column::FileName,
            upload::Column::Status,
            upload::Column::CreatedAt,
        ])
        .filter(upload::Column::CommuneCode.eq(&c.code))
        .order_by_desc(upload::Column::CreatedAt)
        .limit(10)
        .into_tuple()
        .all(k.db)
        .await?)
}

/// Use case: an official writes a previewed file into the register (in the background).
/// Audited with what the preview found.
pub async fn apply(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    let row = find(k.db, &c.code, id).await?;
    if row.status != PREVIEWED {
        return Err(Refusal::ImportNotPreviewed.into());
    }
    let preview: Report = row
        .report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let txn = kernel::db::begin_write(k.db).await?;
    let mut a: upload::ActiveModel = row.into();
    a.status = Set(APPLYING.into());
    a.rows_done = Set(0);
    a.finished_at = Set(None);
    a.update(&txn).await?;
    jobs::enqueue(
        &txn,
        NewJob::now(
            JOB,
            serde_json::json!({"commune": c.code, "import": id, "apply": true}),
        )
        .commune(&c.code)
        .attempts(1),
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "household.import",
            "household_import",
            id,
            summary(&preview),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The job: previews or applies upload `id`, keeping its progress on the row (every half
/// second at most) so every process's page shows it.
pub async fn work(
    db: DatabaseConnection,
    secret: Arc<[u8]>,
    commune: &str,
    id: i64,
    apply: bool,
) -> Result<(), String> {
    let row = find(&db, commune, id).await.map_err(|e| format!("{e:?}"))?;
    let done = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(0));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let ticker = {
        let (db, done, total, commune) =
            (db.clone(), done.clone(), total.clone(), commune.to_owned());
        tokio::spawn(async move {
            let mut last = (u64::MAX, u64::MAX);
            loop {
                let now = (done.load(Ordering::Relaxed), total.load(Ordering::Relaxed));
                if now != last {
                    last = now;
                    let _ = upload::Entity::update_many()
                        .col_expr(
                            upload::Column::RowsDone,
                            sea_orm::sea_query::Expr::value(now.0 as i64),
                        )
                        .col_expr(
                            upload::Column::RowsTotal,
                            sea_orm::sea_query::Expr::value(now.1 as i64),
                        )
                        .filter(upload::Column::CommuneCode.eq(&commune))
                        .filter(upload::Column::Id.eq(id))
                        .exec(&db)
                        .await;
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
                    _ = stop_rx.changed() => return,
                }
            }
        })
    };
    let mut progress = {
        let (done, total) = (done.clone(), total.clone());
        move |d: u64, t: u64| {
            done.store(d, Ordering::Relaxed);
            total.store(t, Ordering::Relaxed);
        }
    };
    let locale = Locale::parse(&row.locale).unwrap_or(Locale::Vi);
    let mapping = super::mapping::load(&db, commune)
        .await
        .map_err(|e| e.to_string())?;
    let outcome = import::run(
        &db,
        &secret,
        commune,
        Job {
            input: Input::Bytes(Arc::new(row.file.clone())),
            apply,
            locale,
            mapping,
            progress: &mut progress,
            recorded_by: Some(row.created_by),
        },
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = ticker.await;
    let (status, report) = match &outcome {
        Ok(r) if r.file.is_some() => (FAILED, Some(r)),
        Ok(r) => (if apply { APPLIED } else { PREVIEWED }, Some(r)),
        Err(_) => (FAILED, None),
    };
    let mut a: upload::ActiveModel = row.into();
    a.status = Set(status.into());
    a.rows_done = Set(done.load(Ordering::Relaxed) as i64);
    a.rows_total = Set(total.load(Ordering::Relaxed) as i64);
    a.report = Set(report.map(|r| serde_json::to_string(r).unwrap_or_default()));
    a.finished_at = Set(Some(Utc::now()));
    // The file holds personal data: once written (or unreadable) only its report stays. A
    // file refused for its columns is kept, to be read again once a mapping says how.
    let rereadable = outcome
        .as_ref()
        .ok()
        .and_then(|r| r.file.as_ref())
        .is_some_and(|f| f.code == MENDABLE);
    if status == APPLIED || (status == FAILED && !rereadable) {
        a.file = Set(Vec::new());
    }
    a.update(&db).await.map_err(|e| e.to_string())?;
    outcome.map(|_| ()).map_err(|e| format!("{e:?}"))
}

/// How long an upload that was never written keeps its file (personal data) on the server.
pub const KEEP_UNWRITTEN: chrono::Duration = chrono::Duration::days(7);

/// Drops the files of uploads left unwritten for [`KEEP_UNWRITTEN`] (previewed and never
/// applied, or refused for their columns and never read again): their reports stay, and a
/// preview left so long can no longer be written. Answers how many files went.
///
/// One statement over every commune (a multi-shard update on Citus, like the outbox's lease
/// handback): a housekeeping sweep, not a request.
pub async fn forget_stale(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let before = Utc::now() - KEEP_UNWRITTEN;
    let r = upload::Entity::update_many()
        .col_expr(
            upload::Column::File,
            sea_orm::sea_query::Expr::value(Vec::<u8>::new()),
        )
        .col_expr(
            upload::Column::Status,
            sea_orm::sea_query::Expr::value(FAILED),
        )
        .filter(upload::Column::Status.is_in([PREVIEWED, FAILED]))
        .filter(upload::Column::FinishedAt.lt(before))
        .filter(sea_orm::sea_query::Expr::cust("length(\"file\") > 0"))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}
