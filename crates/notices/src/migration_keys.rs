//! The notices room's shard keys (issue 12): notices, topics, bulletins, attachments,
//! recipients and subscriptions keyed by (`commune_code`, …), child rows given the commune of
//! their notice or topic.

use kernel::migration::shard_keys as keys;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1003_notices_shard_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: a key and the indexes it replaces change together, on
    /// one connection (SQLite's pooled connections may otherwise see a dropped index still).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        keys::add_commune_column(m, "notice_attachment", "notice_id", "notice").await?;
        keys::add_commune_column(m, "notice_recipient", "notice_id", "notice").await?;
        keys::add_commune_column(m, "notice_subscription", "topic_id", "notice_topic").await?;
        for table in [
            "notice",
            "notice_topic",
            "notice_bulletin",
            "notice_attachment",
        ] {
            keys::primary_key(m, table, &["id"]).await?;
        }
        keys::primary_key(m, "notice_recipient", &["notice_id", "user_id"]).await?;
        keys::primary_key(m, "notice_subscription", &["topic_id", "user_id"]).await?;
        // Dropped by the kernel's attachment key (m1000) while this table had no commune_code.
        keys::foreign_key(
            m,
            "notice_attachment",
            "notice_attachment_attachment_id_fkey",
            &["attachment_id"],
            "attachment",
            "CASCADE",
        )
        .await
    }

    /// Back to the keys by id; the attachment key comes back with the kernel's own `down`
    /// or the next `up`.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        keys::primary_key_without_commune(m, "notice_subscription", &["topic_id", "user_id"])
            .await?;
        keys::primary_key_without_commune(m, "notice_recipient", &["notice_id", "user_id"]).await?;
        for table in [
            "notice_attachment",
            "notice_bulletin",
            "notice_topic",
            "notice",
        ] {
            keys::primary_key_without_commune(m, table, &["id"]).await?;
        }
        m.get_connection()
            .execute_unprepared(
                "ALTER TABLE notice_attachment DROP CONSTRAINT IF EXISTS notice_attachment_attachment_id_fkey",
            )
            .await
            .ok();
        for table in [
            "notice_attachment",
            "notice_recipient",
            "notice_subscription",
        ] {
            keys::drop_commune_column(m, table).await?;
        }
        Ok(())
    }
}
