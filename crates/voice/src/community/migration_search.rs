//! The forum's full-text index (`kernel::search`) over the topics' folded titles
//! (`title_folded`, already filled with `fold_vi` of every title), so a title search reads the
//! index instead of a `LIKE` per word over every topic.

use kernel::search::Index;
use sea_orm_migration::prelude::*;

/// `fold_vi` of a topic's title; the forum's list and its API search it.
pub const SEARCH: Index = Index::new("forum_topic", "title_folded");

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0205_voice_forum_search"
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
