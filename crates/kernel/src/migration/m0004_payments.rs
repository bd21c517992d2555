//! Payments move to the kernel (`kernel::payments`): bank accounts per owner (a commune, a
//! seller, a school) and one payment record table. The commune accounts the services room kept
//! in `payment_account` are copied over when that table exists (databases made before); on a
//! new database the services room's migrations come after this one and its later migration
//! drops the old table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{commune_fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_payments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bank_account")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string_len("owner_kind", 20))
                .col(string_len("owner_id", 40))
                .col(string_len("bank_bin", 6))
                .col(string_len("account_number", 19))
                .col(string_len("account_name", 100))
                .col(string_len("note", 200).default(""))
                .foreign_key(&mut commune_fk("bank_account"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "bank_account",
            "ux_bank_account_owner",
            &["commune_code", "owner_kind", "owner_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("payment")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string_len("ref_kind", 20))
                .col(big_integer("ref_id"))
                .col(big_integer_null("account_id"))
                .col(big_integer("amount_vnd"))
                .col(string_len("reference", 60))
                .col(string_len_null("method", 20))
                .col(string_len("status", 12))
                .col(big_integer_null("confirmed_by"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("payment"))
                .foreign_key(
                    ForeignKey::create()
                        .from("payment", "account_id")
                        .to("bank_account", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("payment", "confirmed_by")
                        .to("app_user", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "payment",
            "ix_payment_ref",
            &["commune_code", "ref_kind", "ref_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "payment",
            "ix_payment_status",
            &["commune_code", "status"],
            false,
        ))
        .await?;

        if m.has_table("payment_account").await? {
            m.get_connection()
                .execute_unprepared(
                    "INSERT INTO bank_account \
                     (commune_code, owner_kind, owner_id, bank_bin, account_number, account_name, note) \
                     SELECT commune_code, 'commune', commune_code, bank_bin, account_number, account_name, '' \
                     FROM payment_account",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["payment", "bank_account"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
