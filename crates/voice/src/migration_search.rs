//! Feedback's full-text index (`kernel::search`): a folded column of what the reporter wrote
//! (text and address, both shown on the public board once answered), filled for the reports
//! already there, and its index.

use kernel::search::Index;
use sea_orm_migration::prelude::*;

/// `fold_vi` of a report's text and address; the triage list and the public board search it.
/// Never the reporter's name or phone: a board search must not reveal who wrote what.
pub const SEARCH: Index = Index::new("feedback", "search_folded");

/// What the folded column holds, as [`kernel::search::backfill`] and the store both fold it.
pub fn folded(text: &str, address: Option<&str>) -> String {
    kernel::text::fold_vi(&format!("{text} {}", address.unwrap_or_default()))
}

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0204_voice_feedback_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("feedback")
                .add_column(
                    ColumnDef::new("search_folded")
                        .text()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        kernel::search::backfill(db, "feedback", "search_folded", &["text", "address"]).await?;
        SEARCH.create(db).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        SEARCH.drop(m.get_connection()).await?;
        m.alter_table(
            Table::alter()
                .table("feedback")
                .drop_column("search_folded")
                .to_owned(),
        )
        .await
    }
}
