//! What the notices room measures for the indicators (Appendix I 1.3 information delivered to
//! citizens' phones, 17 people promptly informed about climate events): each figure is one
//! aggregate query over the notices *published* in the period and their recipient rows.
//!
//! A notice withdrawn later still counts: it reached people when it went out.

use kernel::error::AppResult;
use kernel::figures::{FigureSource, Measure, Period, Unit, aggregate, int};
use sea_orm::DatabaseConnection;

use crate::model::Category;

/// The room's figure sources, registered through `Room::figures`.
pub fn sources() -> Vec<FigureSource> {
    vec![
        FigureSource {
            key: "notices.published",
            indicators: &["1.3"],
            unit: Unit::Count,
            label: "fig.notices.published",
            measure: |db, c, p| Box::pin(published(db, c, p)),
        },
        FigureSource {
            key: "notices.residents_reached",
            indicators: &["1.3"],
            unit: Unit::Percent,
            label: "fig.notices.residents_reached",
            measure: |db, c, p| Box::pin(residents_reached(db, c, p)),
        },
        FigureSource {
            key: "notices.emergencies",
            indicators: &["17"],
            unit: Unit::Count,
            label: "fig.notices.emergencies",
            measure: |db, c, p| Box::pin(emergencies(db, c, p)),
        },
        FigureSource {
            key: "notices.emergencies_acknowledged",
            indicators: &["17"],
            unit: Unit::Percent,
            label: "fig.notices.emergencies_acknowledged",
            measure: |db, c, p| Box::pin(emergencies_acknowledged(db, c, p)),
        },
    ]
}

/// 1.3: notices of any category (laws, notices, guidance, events, emergencies) published in
/// the period; each one landed in its audience's in-app inbox and went out on their channels.
pub async fn published(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "notice"
           WHERE "commune_code" = $1 AND "published_at" >= $2 AND "published_at" < $3"#,
        vec![commune.into(), start.into(), end.into()],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 1.3 "to the citizens' phones": the share of the commune's active accounts that received at
/// least one of the period's notices. Each person counts once however many notices reached
/// them, and only today's active accounts count on both sides, so the share stays within
/// 0–100 %. Accounts are the commune's registered people (residents and its staff), the
/// audience every "whole commune" notice goes to.
pub async fn residents_reached(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        // `+nr.user_id`: without it SQLite probes the recipients' key once per notice *and*
        // account (40 million probes, 1.3 s for 2,000 notices and 20,000 people); with it, one
        // pass over the period's recipient rows (12 ms). PostgreSQL reads `+` as a no-op.
        r#"SELECT (SELECT COUNT(*) FROM "app_user"
                   WHERE "commune_code" = $1 AND "disabled" = $4) AS whole,
                  (SELECT COUNT(DISTINCT nr."user_id")
                   FROM "notice" n JOIN "notice_recipient" nr
                     ON nr."commune_code" = n."commune_code" AND nr."notice_id" = n."id"
                   WHERE n."commune_code" = $1
                     AND n."published_at" >= $2 AND n."published_at" < $3
                     AND +nr."user_id" IN (SELECT "id" FROM "app_user"
                                           WHERE "commune_code" = $1 AND "disabled" = $4)) AS part"#,
        vec![commune.into(), start.into(), end.into(), false.into()],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 17: emergency alerts (disasters, floods, storms) published in the period; they go out first
/// on every channel and ignore quiet hours.
pub async fn emergencies(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "notice"
           WHERE "commune_code" = $1 AND "published_at" >= $2 AND "published_at" < $3
             AND "category" = $4"#,
        vec![
            commune.into(),
            start.into(),
            end.into(),
            Category::Emergency.as_str().into(),
        ],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 17 "promptly informed": of everyone the period's emergency alerts were sent to (one per
/// person and alert), the share who confirmed they got it. Confirmations made after the period
/// still count for the alert's period.
pub async fn emergencies_acknowledged(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS whole, COUNT(nr."ack_at") AS part
           FROM "notice_recipient" nr
           JOIN "notice" n ON n."commune_code" = nr."commune_code" AND n."id" = nr."notice_id"
           WHERE n."commune_code" = $1 AND n."published_at" >= $2 AND n."published_at" < $3
             AND n."category" = $4"#,
        vec![
            commune.into(),
            start.into(),
            end.into(),
            Category::Emergency.as_str().into(),
        ],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}
