//! The outbox and the in-app inbox become commune-owned (issue 12): they are the tables that
//! grow by a row per resident with every notice, so on Citus they live beside the commune's
//! other rows on its worker instead of on the coordinator. Their keys start with
//! `commune_code`, and `inbox_commune` remembers, on the coordinator, the communes a person has
//! inbox items from besides their home commune, so reading an inbox names its communes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shard_keys as keys;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1005_message_shards"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox", "inbox_item"] {
            keys::primary_key(m, table, &["id"]).await?;
        }
        keys::unique(m, "inbox_item", "ux_inbox_outbox", &["outbox_id"]).await?;
        m.create_table(
            Table::create()
                .table("inbox_commune")
                .col(big_integer("user_id"))
                .col(string_len("commune_code", 5))
                .primary_key(Index::create().col("user_id").col("commune_code"))
                .foreign_key(
                    ForeignKey::create()
                        .from("inbox_commune", "user_id")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO inbox_commune (user_id, commune_code) \
                 SELECT DISTINCT i.user_id, i.commune_code FROM inbox_item i \
                 JOIN app_user u ON u.id = i.user_id \
                 WHERE u.commune_code IS NULL OR u.commune_code <> i.commune_code",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("inbox_commune").to_owned())
            .await?;
        keys::unique_without_commune(m, "inbox_item", "ux_inbox_outbox", &["outbox_id"]).await?;
        for table in ["inbox_item", "outbox"] {
            keys::primary_key_without_commune(m, table, &["id"]).await?;
        }
        Ok(())
    }
}
