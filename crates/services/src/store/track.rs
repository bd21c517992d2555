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
    let receipt = receipt.trim().to_ascii_uppercase();
    // The receipt names its commune: the query goes to that commune's rows (one shard).
    let Some(commune) = kernel::placement::commune_in_code(&receipt, "") else {
        return Ok(None);
    };
    let sql = r#"SELECT d.*, p."name" AS p_name, e."id" AS e_id, e."dossier_id" AS e_dossier_id, e."commune_code" AS e_commune_code,
        e."at" AS e_at, e."actor_user_id" AS e_actor_user_id, e."actor_name" AS e_actor_name, e."action" AS e_action,
        e."from_status" AS e_from_status, e."to_status" AS e_to_status, e."note" AS e_note
        FROM "dossier" d
        JOIN "procedure" p ON p."commune_code" = d."commune_code" AND p."id" = d."procedure_id"
        LEFT JOIN "dossier_event" e ON e."commune_code" = d."commune_code" AND e."dossier_id" = d."id"
        WHERE d."commune_code" = $1 AND d."receipt_code" = $2 ORDER BY e."id""#;
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [commune.into(), receipt.as_str().into()],
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
