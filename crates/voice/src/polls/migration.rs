//! The polls tables: polls, their questions, answer sheets (one per person) and answers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use kernel::migration::{commune_fk, index as idx};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0202_voice_polls"
    }
}

fn cascade(
    from: &'static str,
    col: &'static str,
    to: &'static str,
    to_col: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("poll")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("title"))
                .col(text("description"))
                .col(text("audience"))
                .col(timestamp_with_time_zone("opens_at"))
                .col(timestamp_with_time_zone("closes_at"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("poll"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "poll",
            "ix_poll_commune",
            &["commune_code", "closes_at"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("poll_question")
                .col(big_pk_auto("id"))
                .col(big_integer("poll_id"))
                .col(integer("position"))
                .col(string("kind"))
                .col(text("text"))
                .col(text("options"))
                .col(boolean("required"))
                .col(integer("scale"))
                .foreign_key(&mut cascade("poll_question", "poll_id", "poll", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "poll_question",
            "ix_poll_question",
            &["poll_id", "position"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("poll_response")
                .col(big_pk_auto("id"))
                .col(big_integer("poll_id"))
                .col(big_integer("user_id"))
                .col(big_integer_null("village_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut cascade("poll_response", "poll_id", "poll", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "poll_response",
            "ux_poll_response_user",
            &["poll_id", "user_id"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("poll_answer")
                .col(big_pk_auto("id"))
                .col(big_integer("response_id"))
                .col(big_integer("poll_id"))
                .col(big_integer("question_id"))
                .col(integer_null("choice"))
                .col(integer_null("rating"))
                .col(text_null("text"))
                .foreign_key(&mut cascade(
                    "poll_answer",
                    "response_id",
                    "poll_response",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "poll_answer",
            "ix_poll_answer_poll",
            &["poll_id", "question_id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["poll_answer", "poll_response", "poll_question", "poll"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
