//! A dossier carries its history as tracking shows it (`dossier.history`, a JSON list kept in
//! step with `dossier_event` by `store::event`), so that tracking, the room's most frequent
//! request, reads one row of one table: on Citus that is a fast-path query, planned without
//! the join planner. The events stay the record; this copies them, filled here for dossiers
//! written before.

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
        let fill = format!(
            "UPDATE dossier SET history = ({})",
            crate::store::history_sql(m.get_database_backend())
        );
        db.execute_unprepared(&fill).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE dossier DROP COLUMN history")
            .await?;
        Ok(())
    }
}
