//! Topics shared with the whole province: a nullable province code on the forum's topics.

use sea_orm_migration::prelude::*;

use kernel::migration::index as idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0203_voice_forum_province"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("forum_topic")
                .add_column(ColumnDef::new("province_code").string_len(2).null())
                .to_owned(),
        )
        .await?;
        // The province list: pinned first, then latest activity.
        m.create_index(idx(
            "forum_topic",
            "ix_forum_topic_province",
            &["province_code", "pinned", "last_post_at"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_forum_topic_province")
                .table("forum_topic")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("forum_topic")
                .drop_column("province_code")
                .to_owned(),
        )
        .await
    }
}
