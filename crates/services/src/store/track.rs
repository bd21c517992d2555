//! Tracking's one query: dossier, procedure name and history joined in one round trip
//! (tracking is the room's most frequent request, and on a small server each query counts).

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

use crate::entity::{dossier, dossier_event};

/// A dossier as tracking shows it: the dossier, its procedure's name and its history.
pub struct Tracked {
    pub dossier: dossier::Model,
    pub procedure: String,
    pub events: Vec<dossier_event::Model>,
}

/// The dossier with this receipt code, its procedure's name and its history; `None` when no
/// dossier has that code.
pub async fn track_full(
    db: &impl ConnectionTrait,
    receipt: &str,
) -> Result<Option<Tracked>, DbErr> {
    let sql = r#"SELECT d.*, p."name" AS p_name, e."id" AS e_id, e."dossier_id" AS e_dossier_id, e."commune_code" AS e_commune_code,
        e."at" AS e_at, e."actor_user_id" AS e_actor_user_id, e."actor_name" AS e_actor_name, e."action" AS e_action,
        e."from_status" AS e_from_status, e."to_status" AS e_to_status, e."note" AS e_note
        FROM "dossier" d JOIN "procedure" p ON p."id" = d."procedure_id"
        LEFT JOIN "dossier_event" e ON e."dossier_id" = d."id"
        WHERE d."receipt_code" = $1 ORDER BY e."id""#;
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [receipt.trim().to_ascii_uppercase().into()],
    );
    let rows = db.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let dossier = dossier::Model::from_query_result(first, "")?;
    let procedure: String = first.try_get("", "p_name")?;
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.try_get::<Option<i64>>("", "e_id")?.is_some() {
            events.push(dossier_event::Model::from_query_result(r, "e_")?);
        }
    }
    Ok(Some(Tracked {
        dossier,
        procedure,
        events,
    }))
}
