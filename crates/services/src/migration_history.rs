//! A dossier carries its history as tracking shows it (`dossier.history`, a JSON list kept in
//! step with `dossier_event` by `store::event`), so that tracking, the room's most frequent
//! request, reads one row of one table: on Citus that is a fast-path query, planned without
//! the join planner. The events stay the record; this copies them, filled here for dossiers
//! written before.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub struct DossierHistory;

impl MigrationName for DossierHistory {
    fn name(&self) -> &str {
        "m1006_dossier_history"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DossierHistory {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE dossier ADD COLUMN history TEXT")
            .await?;
        // The same fields, in the same order, as `store::track::HistoryLine`.
        let fill = match m.get_database_backend() {
            DbBackend::Postgres => {
                r#"UPDATE dossier SET history = (
                    SELECT json_agg(json_build_object('id', e.id, 'at', e.at, 'actor_user_id', e.actor_user_id,
                        'actor_name', e.actor_name, 'action', e.action, 'from_status', e.from_status,
                        'to_status', e.to_status, 'note', e.note) ORDER BY e.id)::text
                    FROM dossier_event e
                    WHERE e.commune_code = dossier.commune_code AND e.dossier_id = dossier.id)"#
            }
            _ => {
                r#"UPDATE dossier SET history = (
                    SELECT json_group_array(json_object('id', e.id, 'at', e.at, 'actor_user_id', e.actor_user_id,
                        'actor_name', e.actor_name, 'action', e.action, 'from_status', e.from_status,
                        'to_status', e.to_status, 'note', e.note))
                    FROM (SELECT * FROM dossier_event WHERE commune_code = dossier.commune_code
                          AND dossier_id = dossier.id ORDER BY id) e)"#
            }
        };
        db.execute_unprepared(fill).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE dossier DROP COLUMN history")
            .await?;
        Ok(())
    }
}
