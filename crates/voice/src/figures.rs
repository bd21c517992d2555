//! What the voice room measures for the indicators (Appendix I 1.2 satisfaction, 3.1 officials'
//! contacts public, 3.2 a local action group, 3.3 a forum on a digital platform, 16.3 straw
//! burning and farm discharge followed with IT, 18.2 security reports handled): each figure is
//! one aggregate query.
//!
//! Feedback figures take the reports *received* in the period (`created_at`), so one report
//! always belongs to one period whatever happens to it later. Duplicates merged into another
//! report are left out: they are the same incident.

use kernel::error::AppResult;
use kernel::figures::{FigureSource, Measure, Period, Unit, aggregate, int};
use sea_orm::{DatabaseConnection, Value};

use crate::community::rules::DIRECTORY_ROLES;
use crate::model::Status;

/// The built-in category codes the indicators read (`store::BUILT_IN`). A code never changes
/// once created (it is the Open311 `service_code`), so they are safe to key on.
const ENVIRONMENT: &str = "environment";
const SECURITY: &str = "security";

/// The room's figure sources, registered through `Room::figures`.
pub fn sources() -> Vec<FigureSource> {
    vec![
        FigureSource {
            key: "voice.officials_public",
            indicators: &["3.1"],
            unit: Unit::Percent,
            label: "fig.voice.officials_public",
            measure: |db, c, p| Box::pin(officials_public(db, c, p)),
        },
        FigureSource {
            key: "voice.team_members",
            indicators: &["3.2"],
            unit: Unit::Count,
            label: "fig.voice.team_members",
            measure: |db, c, p| Box::pin(team_members(db, c, p)),
        },
        FigureSource {
            key: "voice.forum_topics",
            indicators: &["3.3"],
            unit: Unit::Count,
            label: "fig.voice.forum_topics",
            measure: |db, c, p| Box::pin(forum_topics(db, c, p)),
        },
        FigureSource {
            key: "voice.forum_replies",
            indicators: &["3.3"],
            unit: Unit::Count,
            label: "fig.voice.forum_replies",
            measure: |db, c, p| Box::pin(forum_replies(db, c, p)),
        },
        FigureSource {
            key: "voice.environment_reports",
            indicators: &["16.3"],
            unit: Unit::Count,
            label: "fig.voice.environment_reports",
            measure: |db, c, p| Box::pin(environment_reports(db, c, p)),
        },
        FigureSource {
            key: "voice.security_handled",
            indicators: &["18.2"],
            unit: Unit::Percent,
            label: "fig.voice.security_handled",
            measure: |db, c, p| Box::pin(security_handled(db, c, p)),
        },
        FigureSource {
            key: "voice.satisfaction",
            indicators: &["1.2"],
            unit: Unit::Score,
            label: "fig.voice.satisfaction",
            measure: |db, c, p| Box::pin(satisfaction(db, c, p)),
        },
    ]
}

/// 3.1 "contact details of *all* officials public": of the commune's officials (active accounts
/// holding a leader, commune-admin or official grant on the commune, each person once), the
/// share shown in the public directory with a phone or an email. One the commune admin hid
/// counts as not public, so hiding people cannot raise the share. The directory keeps no
/// history, so this is today's directory whatever the period.
pub async fn officials_public(
    db: &DatabaseConnection,
    commune: &str,
    _period: Period,
) -> AppResult<Measure> {
    let roles = (0..DIRECTORY_ROLES.len())
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        r#"SELECT COUNT(DISTINCT g."user_id") AS whole,
                  COUNT(DISTINCT CASE WHEN p."visible" = $2
                        AND (COALESCE(p."public_phone", '') <> '' OR COALESCE(p."public_email", '') <> '')
                        THEN g."user_id" END) AS part
           FROM "role_grant" g
           JOIN "app_user" u ON u."id" = g."user_id"
           LEFT JOIN "official_profile" p ON p."commune_code" = g."unit_code" AND p."user_id" = g."user_id"
           WHERE g."unit_code" = $1 AND u."disabled" = $3 AND g."role" IN ({roles})"#
    );
    let mut values: Vec<Value> = vec![commune.into(), true.into(), false.into()];
    values.extend(DIRECTORY_ROLES.iter().map(|r| Value::from(r.as_str())));
    let row = aggregate(db, &sql, values).await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 3.2: members of the community digital technology team (the local action group) who had
/// joined by the end of the period and are still on it (leaving deletes the member).
pub async fn team_members(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (_, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "community_member"
           WHERE "commune_code" = $1 AND "created_at" < $2"#,
        vec![commune.into(), end.into()],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 3.3: topics opened in the commune's forum in the period, without those moderators hid.
pub async fn forum_topics(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "forum_topic"
           WHERE "commune_code" = $1 AND "created_at" >= $2 AND "created_at" < $3
             AND "hidden" = $4"#,
        vec![commune.into(), start.into(), end.into(), false.into()],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 3.3: replies written in the commune's forum in the period (not the topics' opening posts),
/// without those moderators hid: the exchange the indicator asks for.
pub async fn forum_replies(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "forum_post"
           WHERE "commune_code" = $1 AND "created_at" >= $2 AND "created_at" < $3
             AND "opening" = $4 AND "hidden" = $4"#,
        vec![commune.into(), start.into(), end.into(), false.into()],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 16.3: reports received in the period in the environment category (waste, straw burning,
/// farm discharge), which is how the commune follows straw burning with IT.
pub async fn environment_reports(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n
           FROM "feedback" f JOIN "feedback_category" c ON c."id" = f."category_id"
           WHERE f."commune_code" = $1 AND f."created_at" >= $2 AND f."created_at" < $3
             AND c."commune_code" = $1 AND c."code" = $4 AND f."status" <> $5"#,
        vec![
            commune.into(),
            start.into(),
            end.into(),
            ENVIRONMENT.into(),
            Status::Merged.as_str().into(),
        ],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// 18.2 "the commune handles them": of the security and order reports received in the period,
/// the share answered (answered, or answered and then closed). Rejected and still open reports
/// count in the whole, not in the part.
pub async fn security_handled(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS whole,
                  COUNT(CASE WHEN f."status" IN ($6, $7) THEN 1 END) AS part
           FROM "feedback" f JOIN "feedback_category" c ON c."id" = f."category_id"
           WHERE f."commune_code" = $1 AND f."created_at" >= $2 AND f."created_at" < $3
             AND c."commune_code" = $1 AND c."code" = $4 AND f."status" <> $5"#,
        vec![
            commune.into(),
            start.into(),
            end.into(),
            SECURITY.into(),
            Status::Merged.as_str().into(),
            Status::Answered.as_str().into(),
            Status::Closed.as_str().into(),
        ],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

/// 1.2 for the commune's handling of feedback: the reporters' mean rating (1–5) of the answers
/// to the period's reports, over those rated.
pub async fn satisfaction(
    db: &DatabaseConnection,
    commune: &str,
    period: Period,
) -> AppResult<Measure> {
    let (start, end) = period.bounds();
    let row = aggregate(
        db,
        r#"SELECT COUNT("rating") AS n, SUM("rating") AS total FROM "feedback"
           WHERE "commune_code" = $1 AND "created_at" >= $2 AND "created_at" < $3"#,
        vec![commune.into(), start.into(), end.into()],
    )
    .await?;
    Ok(Measure::mean(int(&row, "total")? as f64, int(&row, "n")?))
}
