//! The voice room's shard keys (issue 12): feedback, polls, the forum and the directory keyed
//! by (`commune_code`, id), child rows given the commune of their parent, and codes unique
//! within their commune (a feedback receipt carries its commune's code).

use kernel::migration::shard_keys as keys;
use sea_orm_migration::prelude::*;

pub struct Migration;

/// The child tables that had no commune of their own.
const CHILDREN: [&str; 5] = [
    "feedback_event",
    "feedback_photo",
    "poll_question",
    "poll_response",
    "poll_answer",
];

const TABLES: [&str; 14] = [
    "feedback_category",
    "feedback",
    "feedback_event",
    "feedback_photo",
    "official_profile",
    "community_member",
    "community_member_village",
    "forum_topic",
    "forum_post",
    "forum_report",
    "poll",
    "poll_question",
    "poll_response",
    "poll_answer",
];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1002_voice_shard_keys"
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
        keys::add_commune_column(m, "feedback_event", "feedback_id", "feedback").await?;
        keys::add_commune_column(m, "feedback_photo", "feedback_id", "feedback").await?;
        keys::add_commune_column(m, "poll_question", "poll_id", "poll").await?;
        keys::add_commune_column(m, "poll_response", "poll_id", "poll").await?;
        keys::add_commune_column(m, "poll_answer", "poll_id", "poll").await?;
        for table in TABLES {
            keys::primary_key(m, table, &["id"]).await?;
        }
        keys::unique(m, "feedback", "ux_feedback_receipt", &["receipt_code"]).await?;
        keys::unique(
            m,
            "community_member_village",
            "ux_community_member_village",
            &["member_id", "village_id"],
        )
        .await?;
        keys::unique(
            m,
            "forum_report",
            "ux_forum_report",
            &["post_id", "user_id"],
        )
        .await?;
        keys::unique(
            m,
            "poll_response",
            "ux_poll_response_user",
            &["poll_id", "user_id"],
        )
        .await
    }

    /// Back to the keys by id. The commune's code stays on the parent rows; the child tables
    /// lose the one this migration gave them.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        keys::unique_without_commune(m, "feedback", "ux_feedback_receipt", &["receipt_code"])
            .await?;
        keys::unique_without_commune(
            m,
            "community_member_village",
            "ux_community_member_village",
            &["member_id", "village_id"],
        )
        .await?;
        keys::unique_without_commune(
            m,
            "forum_report",
            "ux_forum_report",
            &["post_id", "user_id"],
        )
        .await?;
        keys::unique_without_commune(
            m,
            "poll_response",
            "ux_poll_response_user",
            &["poll_id", "user_id"],
        )
        .await?;
        for table in TABLES.iter().rev() {
            keys::primary_key_without_commune(m, table, &["id"]).await?;
        }
        for table in CHILDREN {
            keys::drop_commune_column(m, table).await?;
        }
        Ok(())
    }
}
