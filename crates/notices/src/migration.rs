//! The notices tables (see `entity`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use kernel::migration::{cascade_fk as cascade, commune_fk, index as idx};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0300_notices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("notice")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("category"))
                .col(string("title"))
                .col(text("body_md"))
                .col(text("body_html"))
                .col(text("search_folded"))
                .col(text("audience"))
                .col(string("status"))
                .col(timestamp_with_time_zone("publish_at"))
                .col(timestamp_with_time_zone_null("published_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("event_start"))
                .col(timestamp_with_time_zone_null("event_end"))
                .col(string_null("location"))
                .col(boolean("pinned"))
                .col(big_integer("author_user_id"))
                .col(string("author_name"))
                .col(integer("recipient_count"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut commune_fk("notice"))
                .to_owned(),
        )
        .await?;
        // The board: published, pinned first, newest first.
        m.create_index(idx(
            "notice",
            "ix_notice_board",
            &["commune_code", "status", "pinned", "publish_at"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "notice",
            "ix_notice_due",
            &["status", "publish_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("notice_recipient")
                .col(big_integer("notice_id"))
                .col(big_integer("user_id"))
                .col(big_integer_null("village_id"))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(timestamp_with_time_zone_null("ack_at"))
                .primary_key(Index::create().col("notice_id").col("user_id"))
                .foreign_key(&mut cascade("notice_recipient", "notice_id", "notice"))
                .foreign_key(&mut cascade("notice_recipient", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "notice_recipient",
            "ix_notice_recipient_user",
            &["user_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("notice_attachment")
                .col(big_pk_auto("id"))
                .col(big_integer("notice_id"))
                .col(big_integer("attachment_id"))
                .col(string("name"))
                .foreign_key(&mut cascade("notice_attachment", "notice_id", "notice"))
                .foreign_key(&mut cascade(
                    "notice_attachment",
                    "attachment_id",
                    "attachment",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "notice_attachment",
            "ix_notice_attachment",
            &["notice_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("notice_topic")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("name"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("notice_topic"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "notice_topic",
            "ux_notice_topic",
            &["commune_code", "name"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("notice_subscription")
                .col(big_integer("topic_id"))
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("topic_id").col("user_id"))
                .foreign_key(&mut cascade(
                    "notice_subscription",
                    "topic_id",
                    "notice_topic",
                ))
                .foreign_key(&mut cascade("notice_subscription", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("notice_bulletin")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string_len("day", 10))
                .col(text("script"))
                .col(text("notice_ids"))
                .col(string("audio_status"))
                .col(text_null("audio_error"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("notice_bulletin"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "notice_bulletin",
            "ix_notice_bulletin_day",
            &["commune_code", "day"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "notice_bulletin",
            "notice_subscription",
            "notice_topic",
            "notice_attachment",
            "notice_recipient",
            "notice",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
