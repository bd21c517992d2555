//! Delivery channels: outbox priority and the record a message belongs to (a notice's reach),
//! per-user channel preferences and quiet hours, Web Push subscriptions, one-time codes, and
//! when a user's phone number was verified.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_delivery"
    }
}

fn user_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "user_id")
        .to("app_user", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new("priority")
                .small_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new("ref_kind").string().null().to_owned(),
            ColumnDef::new("ref_id").big_integer().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table("outbox").add_column(col).to_owned())
                .await?;
        }
        m.create_index(index(
            "outbox",
            "ix_outbox_ref",
            &["ref_kind", "ref_id", "channel", "status"],
            false,
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table("app_user")
                .add_column(
                    ColumnDef::new("phone_verified_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("notify_pref")
                .col(big_integer("user_id").primary_key())
                .col(boolean("push"))
                .col(boolean("email"))
                .col(boolean("sms"))
                .col(boolean("zalo"))
                .col(string_null("zalo_user_id"))
                // Minutes after local midnight (Asia/Ho_Chi_Minh); both null means none.
                .col(small_integer_null("quiet_from"))
                .col(small_integer_null("quiet_to"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut user_fk("notify_pref"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("push_subscription")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(text("endpoint"))
                .col(string("p256dh"))
                .col(string("auth"))
                .col(string_null("user_agent"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_success_at"))
                .foreign_key(&mut user_fk("push_subscription"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "push_subscription",
            "ix_push_subscription_user",
            &["user_id"],
            false,
        ))
        .await?;
        // One row per browser: two sign-ins racing to subscribe the same endpoint must not
        // both insert (each message would reach that phone twice).
        m.create_index(index(
            "push_subscription",
            "ux_push_subscription_endpoint",
            &["endpoint"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("otp_code")
                .col(big_pk_auto("id"))
                .col(string("purpose"))
                .col(string("phone"))
                .col(string("code_hash"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("consumed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "otp_code",
            "ix_otp_phone",
            &["phone", "purpose", "created_at"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["otp_code", "push_subscription", "notify_pref"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_outbox_ref")
                .table("outbox")
                .to_owned(),
        )
        .await?;
        for col in ["priority", "ref_kind", "ref_id"] {
            m.alter_table(Table::alter().table("outbox").drop_column(col).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table("app_user")
                .drop_column("phone_verified_at")
                .to_owned(),
        )
        .await
    }
}
