//! Tracking's one query: a dossier read by its receipt, with its history in the same row
//! (`dossier.history`, rebuilt from `dossier_event` by [`append_history`] with each event). Tracking is
//! the room's most frequent request; one row of one table is the cheapest read on every
//! backend, and on Citus a fast-path query, planned without the join planner.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement};

use crate::entity::{dossier, dossier_event};

/// A dossier as tracking shows it: the dossier and its history.
pub struct Tracked {
    pub dossier: dossier::Model,
    pub events: Vec<dossier_event::Model>,
}

/// One event as `dossier.history` keeps it; the fields of `dossier_event` but its keys.
#[derive(serde::Deserialize)]
struct HistoryLine {
    id: i64,
    /// As the database prints a timestamp into JSON ([`parse_time`]).
    at: String,
    actor_user_id: Option<i64>,
    actor_name: String,
    action: String,
    from_status: Option<String>,
    to_status: String,
    note: Option<String>,
}

impl HistoryLine {
    fn into_event(self, d: &dossier::Model) -> Result<dossier_event::Model, DbErr> {
        let at = parse_time(&self.at)
            .ok_or_else(|| DbErr::Custom(format!("history of {}: time {}", d.id, self.at)))?;
        Ok(dossier_event::Model {
            commune_code: d.commune_code.clone(),
            id: self.id,
            dossier_id: d.id,
            at,
            actor_user_id: self.actor_user_id,
            actor_name: self.actor_name,
            action: self.action,
            from_status: self.from_status,
            to_status: self.to_status,
            note: self.note,
        })
    }
}

/// A time as a database prints it: RFC 3339 (PostgreSQL's JSON), SQLite's
/// `2025-01-01 07:00:00.123+00:00` (a space for the `T`), with a space before the offset, or
/// without an offset (`CURRENT_TIMESTAMP`, UTC).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let iso = match s.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &s[..10], &s[11..]),
        _ => s.to_owned(),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&iso) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %:z") {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// The history of a dossier rebuilt from its events, as SQL over `dossier_event e` (the
/// same fields, in the same order, as [`HistoryLine`]); the migration that added the column
/// fills it with the same expression.
pub fn history_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            r#"SELECT json_agg(json_build_object('id', e.id, 'at', e.at, 'actor_user_id', e.actor_user_id,
                'actor_name', e.actor_name, 'action', e.action, 'from_status', e.from_status,
                'to_status', e.to_status, 'note', e.note) ORDER BY e.id)::text
            FROM dossier_event e
            WHERE e.commune_code = dossier.commune_code AND e.dossier_id = dossier.id"#
        }
        _ => {
            r#"SELECT json_group_array(json_object('id', e.id, 'at', e.at, 'actor_user_id', e.actor_user_id,
                'actor_name', e.actor_name, 'action', e.action, 'from_status', e.from_status,
                'to_status', e.to_status, 'note', e.note))
            FROM (SELECT * FROM dossier_event WHERE commune_code = dossier.commune_code
                  AND dossier_id = dossier.id ORDER BY id) e"#
        }
    }
}

/// Brings `e`'s dossier's history up to date; call in the transaction that wrote the event.
/// The history is rebuilt from the events rather than appended to, so a line a writer missed
/// (an older process during an upgrade) comes back with the next event. One dossier's events
/// are a handful of rows on one shard.
pub async fn append_history(
    db: &impl ConnectionTrait,
    e: &dossier_event::Model,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let (commune, id) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
    let sql = format!(
        r#"UPDATE dossier SET history = ({}) WHERE commune_code = {commune} AND id = {id}"#,
        history_sql(backend)
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [e.commune_code.as_str().into(), e.dossier_id.into()],
    ))
    .await?;
    Ok(())
}

/// The dossier with this receipt code and its history; `None` when no dossier has that code.
pub async fn track_full(
    db: &impl ConnectionTrait,
    receipt: &str,
) -> Result<Option<Tracked>, DbErr> {
    let receipt = receipt.trim().to_ascii_uppercase();
    // The receipt names its commune: the query goes to that commune's rows (one shard).
    let Some(commune) = kernel::placement::commune_in_code(&receipt, "") else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            r#"SELECT * FROM "dossier" WHERE "commune_code" = $1 AND "receipt_code" = $2"#
        }
        _ => r#"SELECT * FROM "dossier" WHERE "commune_code" = ?1 AND "receipt_code" = ?2"#,
    };
    let stmt =
        Statement::from_sql_and_values(backend, sql, [commune.into(), receipt.as_str().into()]);
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let dossier = dossier::Model::from_query_result(&row, "")?;
    let history: Option<String> = row.try_get("", "history")?;
    let lines: Vec<HistoryLine> = match history.as_deref() {
        Some(h) => serde_json::from_str(h)
            .map_err(|e| DbErr::Custom(format!("history of dossier {}: {e}", dossier.id)))?,
        None => Vec::new(),
    };
    let events = lines
        .into_iter()
        .map(|l| l.into_event(&dossier))
        .collect::<Result<_, _>>()?;
    Ok(Some(Tracked { dossier, events }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_each_database_prints_them() {
        let want = DateTime::parse_from_rfc3339("2025-01-01T00:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        for s in [
            "2025-01-01T00:00:00.5Z",
            "2025-01-01T07:00:00.5+07:00",
            "2025-01-01 00:00:00.500+00:00",
            "2025-01-01T00:00:00.500000+00:00",
            "2025-01-01 00:00:00.500000 +00:00",
            "2025-01-01 00:00:00.5",
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_time("hôm qua"), None);
    }
}
