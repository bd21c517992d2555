//! What several `xaso serve` processes on one database must share rather than keep each in its
//! own memory or disk: the counters behind login, OTP and look-up throttling, the delivery
//! channels' rate buckets, and the bytes of attachments (a photo uploaded through one process
//! downloads through another).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::commune_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1004_shared_state"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rate_counter")
                // What is counted and for whom: `login|203.0.113.7`.
                .col(string("key").primary_key())
                // Milliseconds since 1970 (the same integer on every backend).
                .col(big_integer("window_start_ms"))
                .col(integer("hits"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("rate_bucket")
                // The channel: `sms`, `zalo`.
                .col(string("key").primary_key())
                // When the messages already let through will have drained at the channel's
                // rate, in microseconds since 1970 (a virtual clock, GCRA).
                .col(big_integer("drained_at_us"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("file_blob")
                .col(string("commune_code"))
                .col(string("sha256"))
                .col(binary("bytes"))
                .primary_key(Index::create().col("commune_code").col("sha256"))
                .foreign_key(&mut commune_fk("file_blob"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["file_blob", "rate_bucket", "rate_counter"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
