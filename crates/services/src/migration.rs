//! The services room's tables: procedures, dossiers, their documents and history (the payment
//! accounts and holiday overrides it once made now belong to the kernel), and the move of dossier
//! fees to kernel payment records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use kernel::migration::index as idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0100_services"
    }
}

/// The desk's inbox lists open dossiers by due date: without this index both databases sort
/// the whole commune's dossiers on every page view (measured: 3.7 s p99 at 100,000 dossiers).
pub struct InboxIndex;

impl MigrationName for InboxIndex {
    fn name(&self) -> &str {
        "m0101_services_inbox_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for InboxIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(idx(
            "dossier",
            "ix_dossier_due",
            &["commune_code", "due_date", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_dossier_due")
                .table("dossier")
                .to_owned(),
        )
        .await
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("procedure")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("code"))
                .col(string("name"))
                .col(string("folded_name"))
                .col(string("field"))
                .col(text("legal_basis"))
                .col(text("documents"))
                .col(text("form_fields"))
                .col(big_integer("fee_vnd"))
                .col(integer("processing_days"))
                .col(string("online_level"))
                .col(text("steps"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("procedure", "commune_code")
                        .to("commune", "code")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "procedure",
            "ux_procedure_code",
            &["commune_code", "code"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("dossier")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("receipt_code"))
                .col(big_integer("procedure_id"))
                .col(big_integer_null("applicant_user_id"))
                .col(string("applicant_name"))
                .col(string("applicant_phone"))
                .col(string("channel"))
                .col(string("status"))
                .col(text("data"))
                .col(timestamp_with_time_zone("received_at"))
                .col(date("due_date"))
                .col(big_integer_null("assignee_id"))
                .col(big_integer("fee_vnd"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(string_null("payment_method"))
                .col(big_integer_null("result_attachment_id"))
                .col(text_null("result_note"))
                .col(text_null("last_note"))
                .col(integer_null("rating"))
                .col(text_null("rating_comment"))
                .col(timestamp_with_time_zone_null("done_at"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("dossier", "commune_code")
                        .to("commune", "code")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("dossier", "procedure_id")
                        .to("procedure", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "dossier",
            "ux_dossier_receipt",
            &["receipt_code"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "dossier",
            "ix_dossier_inbox",
            &["commune_code", "status", "due_date"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "dossier",
            "ix_dossier_received",
            &["commune_code", "received_at"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "dossier",
            "ix_dossier_applicant",
            &["applicant_user_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("dossier_document")
                .col(big_pk_auto("id"))
                .col(big_integer("dossier_id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("attachment_id"))
                .col(string("document_name"))
                .foreign_key(
                    ForeignKey::create()
                        .from("dossier_document", "dossier_id")
                        .to("dossier", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "dossier_document",
            "ix_dossier_document",
            &["dossier_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("dossier_event")
                .col(big_pk_auto("id"))
                .col(big_integer("dossier_id"))
                .col(string_len("commune_code", 5))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("actor_user_id"))
                .col(string("actor_name"))
                .col(string("action"))
                .col(string_null("from_status"))
                .col(string("to_status"))
                .col(text_null("note"))
                .foreign_key(
                    ForeignKey::create()
                        .from("dossier_event", "dossier_id")
                        .to("dossier", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "dossier_event",
            "ix_dossier_event",
            &["dossier_id"],
            false,
        ))
        .await?;

        m.create_table(payment_account_table()).await?;

        // Owned by the kernel since `m0003_calendar` (which ran first on a new database).
        m.create_table(
            Table::create()
                .table("holiday_override")
                .if_not_exists()
                .col(date("day").primary_key())
                .col(boolean("day_off"))
                .col(string("name"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "payment_account",
            "dossier_event",
            "dossier_document",
            "dossier",
            "procedure",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

/// Dossier fees become kernel payment records (`kernel::payments`, table `payment`, made by the
/// kernel's `m0004_payments`, which also copied the commune accounts out of `payment_account`):
/// every dossier with a fee gets its record, paid as the dossier says, cancelled when the
/// dossier ended unpaid, due otherwise. The old account table is then dropped.
pub struct PaymentRecords;

impl MigrationName for PaymentRecords {
    fn name(&self) -> &str {
        "m0102_services_payment_records"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PaymentRecords {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO payment \
                 (commune_code, ref_kind, ref_id, account_id, amount_vnd, reference, method, status, \
                  confirmed_by, confirmed_at, created_at) \
                 SELECT d.commune_code, 'dossier', d.id, \
                  (SELECT b.id FROM bank_account b WHERE b.commune_code = d.commune_code \
                    AND b.owner_kind = 'commune' AND b.owner_id = d.commune_code), \
                  d.fee_vnd, d.receipt_code, d.payment_method, \
                  CASE WHEN d.paid_at IS NOT NULL THEN 'paid' \
                       WHEN d.status IN ('refused', 'closed') THEN 'cancelled' \
                       ELSE 'due' END, \
                  NULL, d.paid_at, d.received_at \
                 FROM dossier d WHERE d.fee_vnd > 0",
            )
            .await?;
        m.drop_table(
            Table::drop()
                .table("payment_account")
                .if_exists()
                .to_owned(),
        )
        .await
    }

    /// The commune accounts go back to `payment_account` and the dossiers' records go; the
    /// dossiers themselves kept their fee, payment method and time all along.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(payment_account_table()).await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO payment_account (commune_code, bank_bin, account_number, account_name) \
             SELECT commune_code, bank_bin, account_number, account_name FROM bank_account \
             WHERE owner_kind = 'commune' AND owner_id = commune_code",
        )
        .await?;
        db.execute_unprepared("DELETE FROM payment WHERE ref_kind = 'dossier'")
            .await?;
        Ok(())
    }
}

/// The commune's fee account before payments came to the kernel (`m0100`, and `m0102`'s way
/// down).
fn payment_account_table() -> TableCreateStatement {
    Table::create()
        .table("payment_account")
        .col(string_len("commune_code", 5).primary_key())
        .col(string("bank_bin"))
        .col(string("account_number"))
        .col(string("account_name"))
        .foreign_key(
            ForeignKey::create()
                .from("payment_account", "commune_code")
                .to("commune", "code")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// The services room's shard keys (issue 12): procedures, dossiers, their documents and
/// history keyed by (`commune_code`, id); a receipt code unique within its commune, which
/// makes it unique everywhere since it starts with the commune's code.
pub struct ShardKeys;

impl MigrationName for ShardKeys {
    fn name(&self) -> &str {
        "m1001_services_shard_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ShardKeys {
    /// One transaction on SQLite too: a key and the indexes it replaces change together, on
    /// one connection (SQLite's pooled connections may otherwise see a dropped index still).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use kernel::migration::shard_keys as keys;
        for table in ["procedure", "dossier", "dossier_document", "dossier_event"] {
            keys::primary_key(m, table, &["id"]).await?;
        }
        keys::unique(m, "dossier", "ux_dossier_receipt", &["receipt_code"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use kernel::migration::shard_keys as keys;
        keys::unique_without_commune(m, "dossier", "ux_dossier_receipt", &["receipt_code"]).await?;
        for table in ["dossier_event", "dossier_document", "dossier", "procedure"] {
            keys::primary_key_without_commune(m, table, &["id"]).await?;
        }
        Ok(())
    }
}
