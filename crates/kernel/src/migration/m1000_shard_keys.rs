//! The kernel's commune-owned tables get their shard keys (issue 12, `crate::placement`):
//! primary keys start with `commune_code`, and keys pointing at them come back by
//! (`commune_code`, id). Runs after every room's earlier migrations, whose tables point at
//! villages and attachments (migrations run in name order across rooms).

use sea_orm_migration::prelude::*;

use super::shard_keys as keys;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1000_shard_keys"
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
        for table in ["village", "attachment", "bank_account", "payment"] {
            keys::primary_key(m, table, &["id"]).await?;
        }
        keys::primary_key(m, "village_area", &["village_id"]).await?;
        // A payment keeps its bank account: accounts are changed in place, never deleted.
        keys::foreign_key(
            m,
            "payment",
            "payment_account_id_fkey",
            &["account_id"],
            "bank_account",
            "RESTRICT",
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        keys::primary_key_without_commune(m, "village_area", &["village_id"]).await?;
        for table in ["payment", "bank_account", "attachment", "village"] {
            keys::primary_key_without_commune(m, table, &["id"]).await?;
        }
        keys::foreign_key_without_commune(
            m,
            "payment",
            "payment_account_id_fkey",
            &["account_id"],
            "bank_account",
            "SET NULL",
        )
        .await
    }
}
