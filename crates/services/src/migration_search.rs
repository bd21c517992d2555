//! The procedure catalogue's full-text index (`kernel::search`) over `folded_name`.

use kernel::search::Index;
use sea_orm_migration::prelude::*;

/// Name, field and code of a procedure, folded; the catalogue search reads it.
pub const SEARCH: Index = Index::new("procedure", "folded_name");

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0102_services_search"
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
