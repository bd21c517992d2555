//! The voice room's tables: feedback categories, feedback with its photos and history, and
//! Open311 API keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use kernel::migration::{commune_fk, index as idx};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0200_voice_feedback"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("feedback_category")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("code"))
                .col(string("name"))
                .col(text("description"))
                .col(integer("deadline_days"))
                .col(string("department"))
                .col(boolean("restricted"))
                .col(boolean("active"))
                .col(integer("sort"))
                .foreign_key(&mut commune_fk("feedback_category"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "feedback_category",
            "ux_feedback_category_code",
            &["commune_code", "code"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("feedback")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("receipt_code"))
                .col(big_integer("category_id"))
                .col(text("text"))
                .col(string("status"))
                .col(string("source"))
                .col(boolean("anonymous"))
                .col(big_integer_null("reporter_user_id"))
                .col(string_null("reporter_name"))
                .col(string_null("reporter_phone"))
                .col(string_null("reporter_email"))
                .col(double_null("lat"))
                .col(double_null("lon"))
                .col(big_integer_null("village_id"))
                .col(text_null("address"))
                .col(string_null("department"))
                .col(big_integer_null("assignee_id"))
                .col(text_null("answer"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(big_integer_null("merged_into_id"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(integer_null("rating"))
                .col(text_null("rating_comment"))
                .col(integer("version"))
                .foreign_key(&mut commune_fk("feedback"))
                .foreign_key(
                    ForeignKey::create()
                        .from("feedback", "category_id")
                        .to("feedback_category", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "feedback",
            "ux_feedback_receipt",
            &["receipt_code"],
            true,
        ))
        .await?;
        // The triage inbox and Open311 lists read a commune's newest first.
        m.create_index(idx(
            "feedback",
            "ix_feedback_commune_created",
            &["commune_code", "created_at", "id"],
            false,
        ))
        .await?;
        // The public board lists a commune's answered reports, newest answer first: walking
        // this index backwards needs no sort, whatever the number of reports.
        m.create_index(idx(
            "feedback",
            "ix_feedback_board",
            &["commune_code", "answered_at", "id"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "feedback",
            "ix_feedback_reporter",
            &["reporter_user_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("feedback_photo")
                .col(big_pk_auto("id"))
                .col(big_integer("feedback_id"))
                .col(big_integer("attachment_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("feedback_photo", "feedback_id")
                        .to("feedback", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "feedback_photo",
            "ix_feedback_photo",
            &["feedback_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("feedback_event")
                .col(big_pk_auto("id"))
                .col(big_integer("feedback_id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("actor_user_id"))
                .col(string("actor_name"))
                .col(string("action"))
                .col(string("status"))
                .col(text_null("note"))
                .foreign_key(
                    ForeignKey::create()
                        .from("feedback_event", "feedback_id")
                        .to("feedback", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "feedback_event",
            "ix_feedback_event",
            &["feedback_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("open311_key")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("name"))
                .col(string("key_hash"))
                .col(string("key_prefix"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .foreign_key(&mut commune_fk("open311_key"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx("open311_key", "ux_open311_key", &["key_hash"], true))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "open311_key",
            "feedback_event",
            "feedback_photo",
            "feedback",
            "feedback_category",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
