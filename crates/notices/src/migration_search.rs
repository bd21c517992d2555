//! The notices' full-text index (`kernel::search`) over `search_folded`.

use kernel::search::Index;
use sea_orm_migration::prelude::*;

/// Title and plain text of a notice, folded; the board search reads it.
pub const SEARCH: Index = Index::new("notice", "search_folded");

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0301_notices_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        SEARCH.create(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        SEARCH.drop(m.get_connection()).await
    }
}
