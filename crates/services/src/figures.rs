//! What the services room measures for the indicators (Appendix I 1.1 online public services,
//! 1.2 satisfaction with them): each figure is one aggregate query over the commune's
//! procedures or the dossiers received in the period, never a scan in Rust.
//!
//! Dossier figures take the dossiers *received* in the period, like the desk's statistics page
//! (`stats.rs`), so the two never disagree about the same period.

use kernel::error::AppResult;
use kernel::figures::{FigureSource, Measure, Period, Unit, aggregate, int};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::model::OnlineLevel;

/// The room's figure sources, registered through `Room::figures`.
pub fn sources() -> Vec<FigureSource> {
    vec![
        FigureSource {
            key: "services.procedures_online",
            indicators: &["1.1"],
            unit: Unit::Percent,
            label: "fig.services.procedures_online",
            measure: |db, c, p| Box::pin(procedures_online(db, c, p)),
        },
        FigureSource {
            key: "services.dossiers_online",
            indicators: &["1.1"],
            unit: Unit::Percent,
            label: "fig.services.dossiers_online",
            measure: |db, c, p| Box::pin(dossiers_online(db, c, p)),
        },
        FigureSource {
            key: "services.on_time",
            indicators: &["1.1"],
            unit: Unit::Percent,
            label: "fig.services.on_time",
            measure: |db, c, p| Box::pin(on_time(db, c, p)),
        },
        FigureSource {
            key: "services.satisfaction",
            indicators: &["1.2"],
            unit: Unit::Score,
            label: "fig.services.satisfaction",
            measure: |db, c, p| Box::pin(satisfaction(db, c, p)),
        },
    ]
}

/// 1.1 asks for public services online "at level 3 or above" (Decree 43/2011): submitted
/// online, which our `partial` (result at the desk) and `full` levels both are. The share of the
/// commune's active procedures at those levels. The catalogue keeps no history, so this is
/// today's catalogue whatever the period.
pub async fn procedures_online(
    db: &DatabaseConnection,
    commune: &str,
    _period: Period,
) -> AppResult<Measure> {
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS whole,
                  COUNT(CASE WHEN "online_level" IN ($2, $3) THEN 1 END) AS part
           FROM "procedure" WHERE "commune_code" = $1 AND "active" = $4"#,
        vec![
            commune.into(),
            OnlineLevel::Full.as_str().into(),
            OnlineLevel::Partial.as_str().into(),
            true.into(),
        ],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 1.1 in use: the share of the period's dossiers that were submitted online rather than
/// taken at the desk (Nghệ An also sets a target on it).
pub async fn dossiers_online(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS whole, COUNT(CASE WHEN "channel" = $4 THEN 1 END) AS part
           FROM "dossier"
           WHERE "commune_code" = $1 AND "received_at" >= $2 AND "received_at" < $3"#,
        vec![commune.into(), start.into(), end.into(), "online".into()],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 1.1 done well: of the period's dossiers that are finished (result ready or refused,
/// `done_at`), the share finished on or before their appointment date, a Vietnamese calendar
/// day. The day ends at 17:00 UTC (midnight in Vietnam), which each backend writes its own way;
/// the rest of the query is shared.
pub async fn on_time(db: &DatabaseConnection, commune: &str, period: Period) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let in_time = match db.get_database_backend() {
        DbBackend::Postgres => {
            r#""done_at" < (("due_date" + 1) - INTERVAL '7 hours') AT TIME ZONE 'UTC'"#
        }
        // SQLite: both sides from the same millisecond arithmetic, so 17:00:00 is never "before".
        _ => r#"julianday("done_at") < julianday("due_date", '+17 hours')"#,
    };
    let sql = format!(
        r#"SELECT COUNT(*) AS whole, COUNT(CASE WHEN {in_time} THEN 1 END) AS part
           FROM "dossier"
           WHERE "commune_code" = $1 AND "received_at" >= $2 AND "received_at" < $3
             AND "done_at" IS NOT NULL"#
    );
    let row = aggregate(db, &sql, vec![commune.into(), start.into(), end.into()]).await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 1.2: the applicants' mean rating (1–5 stars) of the period's dossiers, over those rated;
/// the denominator is how many rated. Sum and count rather than `AVG`, which PostgreSQL
/// answers as NUMERIC.
pub async fn satisfaction(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT("rating") AS n, SUM("rating") AS total
           FROM "dossier"
           WHERE "commune_code" = $1 AND "received_at" >= $2 AND "received_at" < $3"#,
        vec![commune.into(), start.into(), end.into()],
    )
    .await?;
    Ok(Measure::mean(int(&row, "total")? as f64, int(&row, "n")?))
}
