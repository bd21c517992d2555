//! Tracking's one query: a dossier read by its receipt, with its history in the same row
//! (`dossier.history`, kept in step with `dossier_event` by [`append_history`]). Tracking is
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
#[derive(serde::Serialize, serde::Deserialize)]
struct HistoryLine {
    id: i64,
    /// RFC 3339 as written here; as each database prints a timestamp in lines the migration
    /// copied from older events.
    at: String,
    actor_user_id: Option<i64>,
    actor_name: String,
    action: String,
    from_status: Option<String>,
    to_status: String,
    note: Option<String>,
}

impl HistoryLine {
    fn of(e: &dossier_event::Model) -> Self {
        HistoryLine {
            id: e.id,
            at: e.at.to_rfc3339(),
            actor_user_id: e.actor_user_id,
            actor_name: e.actor_name.clone(),
            action: e.action.clone(),
            from_status: e.from_status.clone(),
            to_status: e.to_status.clone(),
            note: e.note.clone(),
        }
    }

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

/// RFC 3339, or SQLite's `2025-01-01 07:00:00.123+00:00` (a space for the `T`).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let iso = match s.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &s[..10], &s[11..]),
        _ => s.to_owned(),
    };
    DateTime::parse_from_rfc3339(&iso)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Adds `e` to its dossier's history; call in the transaction that wrote the event.
pub async fn append_history(
    db: &impl ConnectionTrait,
    e: &dossier_event::Model,
) -> Result<(), DbErr> {
    let line =
        serde_json::to_string(&HistoryLine::of(e)).map_err(|err| DbErr::Custom(err.to_string()))?;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            r#"UPDATE "dossier" SET "history" = (COALESCE("history", '[]')::jsonb || jsonb_build_array($1::jsonb))::text
               WHERE "commune_code" = $2 AND "id" = $3"#
        }
        _ => {
            r#"UPDATE "dossier" SET "history" = json_insert(COALESCE("history", '[]'), '$[#]', json(?1))
               WHERE "commune_code" = ?2 AND "id" = ?3"#
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            line.into(),
            e.commune_code.as_str().into(),
            e.dossier_id.into(),
        ],
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
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_time("hôm qua"), None);
    }
}
