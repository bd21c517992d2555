//! Kernel tables: tenants (communes, districts, villages), accounts, sessions, tokens, audit,
//! jobs, attachments, the notification outbox and inbox, and system settings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_kernel"
    }
}

fn fk(
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("system_setting")
                .col(string("key").primary_key())
                .col(text("value"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("district")
                .col(string_len("code", 3).primary_key())
                .col(string_len("province_code", 2))
                .col(string("name"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("commune")
                .col(string_len("code", 5).primary_key())
                .col(string("name"))
                .col(string("unit_type"))
                .col(string_len("province_code", 2))
                .col(string_len_null("district_code", 3))
                .col(string("brand_color"))
                .col(string_null("tagline"))
                .col(big_integer_null("logo_attachment_id"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("commune", "district_code")
                        .to("district", "code")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("village")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("name"))
                .col(string("kind"))
                .col(string("folded_name"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(("village", "commune_code"), ("commune", "code")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "village",
            "ux_village_commune_name",
            &["commune_code", "folded_name"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("app_user")
                .col(big_pk_auto("id"))
                .col(string_null("phone"))
                .col(string("full_name"))
                .col(string_null("email"))
                .col(string("password_hash"))
                .col(string_len_null("commune_code", 5))
                .col(big_integer_null("village_id"))
                .col(string("locale"))
                .col(integer("failed_logins"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(boolean("disabled"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("app_user", "commune_code")
                        .to("commune", "code")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("app_user", "village_id")
                        .to("village", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("app_user", "ux_app_user_phone", &["phone"], true))
            .await?;
        m.create_index(index(
            "app_user",
            "ix_app_user_commune",
            &["commune_code"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("role_grant")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string("role"))
                .col(string_len("unit_code", 5))
                .col(big_integer_null("village_id"))
                .col(string_null("department"))
                .col(big_integer_null("granted_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(("role_grant", "user_id"), ("app_user", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "role_grant",
            "ux_role_grant",
            &["user_id", "role", "unit_code"],
            true,
        ))
        .await?;
        m.create_index(index(
            "role_grant",
            "ix_role_grant_unit",
            &["unit_code"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("session")
                .col(string("id_hash").primary_key())
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .foreign_key(&mut fk(("session", "user_id"), ("app_user", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("session", "ix_session_user", &["user_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("api_token")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string("token_hash"))
                .col(string("prefix"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk(("api_token", "user_id"), ("app_user", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "api_token",
            "ux_api_token_hash",
            &["token_hash"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("actor_user_id"))
                .col(string("actor_name"))
                .col(string("actor_role"))
                .col(string_len("unit_code", 5))
                .col(string("action"))
                .col(string("object_type"))
                .col(string("object_id"))
                .col(text("summary"))
                .col(string_null("request_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "audit_log",
            "ix_audit_unit_at",
            &["unit_code", "at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("job")
                .col(big_pk_auto("id"))
                .col(string("kind"))
                .col(text("payload"))
                .col(string_null("dedup_key"))
                .col(string_len_null("commune_code", 5))
                .col(string("status"))
                .col(integer("attempts"))
                .col(integer("max_attempts"))
                .col(timestamp_with_time_zone("run_at"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("job", "ux_job_dedup", &["dedup_key"], true))
            .await?;
        m.create_index(index("job", "ix_job_due", &["status", "run_at"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("attachment")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string_len("sha256", 64))
                .col(string("mime"))
                .col(big_integer("size_bytes"))
                .col(integer_null("width"))
                .col(integer_null("height"))
                .col(string("original_name"))
                .col(big_integer_null("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(("attachment", "commune_code"), ("commune", "code")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "attachment",
            "ix_attachment_sha",
            &["commune_code", "sha256"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("user_id"))
                .col(string("channel"))
                .col(string("title"))
                .col(text("body"))
                .col(string_null("link"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(&mut fk(("outbox", "user_id"), ("app_user", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "outbox",
            "ix_outbox_due",
            &["status", "next_attempt_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("inbox_item")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("user_id"))
                .col(big_integer_null("outbox_id"))
                .col(string("title"))
                .col(text("body"))
                .col(string_null("link"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("read_at"))
                .foreign_key(&mut fk(("inbox_item", "user_id"), ("app_user", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "inbox_item",
            "ix_inbox_user_read",
            &["user_id", "read_at"],
            false,
        ))
        .await?;
        m.create_index(index("inbox_item", "ux_inbox_outbox", &["outbox_id"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "inbox_item",
            "outbox",
            "attachment",
            "job",
            "audit_log",
            "api_token",
            "session",
            "role_grant",
            "app_user",
            "village",
            "commune",
            "district",
            "system_setting",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
