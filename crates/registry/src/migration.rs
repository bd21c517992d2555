//! The register's tables: households, their members, and the dated observations of their
//! digital and environmental attributes (the household keeps the latest of each, for lists
//! and the indicators; the observations are the history).

use kernel::migration::{child_fk, commune_table, index as idx};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::store::SEARCH;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1007_registry"
    }
}

/// The attribute columns an observation and a household both carry (NULL: not observed).
fn facts(t: &mut TableCreateStatement) {
    t.col(string_null("internet"))
        .col(integer_null("smartphones"))
        .col(boolean_null("computer"))
        .col(boolean_null("online_payment"))
        .col(boolean_null("ecommerce"))
        .col(boolean_null("health_app"))
        .col(boolean_null("clean_energy"))
        .col(boolean_null("waste_sorting"))
        .col(boolean_null("wastewater_treated"));
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut t = commune_table(b, "household");
        t.col(string_len("code", 40))
            .col(big_integer_null("village_id"))
            .col(string_len("head_name", 120))
            // fold_vi of the head's name: the likely-duplicates check compares it.
            .col(string_len("head_folded", 120))
            .col(integer_null("head_birth_year"))
            .col(string_len_null("head_sex", 1))
            // HMAC of the national ID under the server secret, and its last four digits:
            // the number itself is never stored.
            .col(string_len_null("head_id_hash", 64))
            .col(string_len_null("head_id_last4", 4))
            .col(integer("members"))
            .col(string_len("address", 300))
            .col(string_len_null("phone", 15))
            .col(string_len_null("ethnicity", 60))
            .col(string_len("poverty", 10))
            .col(double_null("lat"))
            .col(double_null("lon"))
            .col(string_len_null("plus_code", 12))
            .col(text("search_folded"))
            // The date of the latest observation applied to the attribute columns below.
            .col(date_null("observed_on"));
        facts(&mut t);
        t.col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "household",
            "ux_household_code",
            &["commune_code", "code"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "household",
            "ix_household_village",
            &["commune_code", "village_id", "head_folded"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "household",
            "ix_household_phone",
            &["commune_code", "phone"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "household_member");
        t.col(big_integer("household_id"))
            .col(string_len("name", 120))
            .col(integer_null("birth_year"))
            .col(string_len_null("sex", 1))
            .col(string_len("relation", 20))
            .col(string_len_null("id_hash", 64))
            .col(string_len_null("id_last4", 4))
            .foreign_key(&mut child_fk(
                b,
                "household_member",
                "household_id",
                "household",
            ));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_member",
            "ix_household_member_household",
            &["commune_code", "household_id"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "household_observation");
        t.col(big_integer("household_id"))
            .col(date("observed_on"))
            // import, survey, official, resident
            .col(string_len("source", 10))
            .col(big_integer_null("recorded_by"))
            .col(timestamp_with_time_zone("recorded_at"));
        facts(&mut t);
        t.foreign_key(&mut child_fk(
            b,
            "household_observation",
            "household_id",
            "household",
        ));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_observation",
            "ix_household_observation",
            &["commune_code", "household_id", "observed_on"],
            false,
        ))
        .await?;

        // An uploaded file, its preview and its application: the page shows their progress.
        let mut t = commune_table(b, "household_import");
        t.col(string_len("file_name", 200))
            .col(blob("file"))
            .col(string_len("locale", 5))
            // previewing, previewed, applying, applied, failed
            .col(string_len("status", 10))
            .col(big_integer("rows_total"))
            .col(big_integer("rows_done"))
            .col(text_null("report"))
            .col(big_integer("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("finished_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_import",
            "ix_household_import_commune",
            &["commune_code", "created_at"],
            false,
        ))
        .await?;
        SEARCH.create(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        SEARCH.drop(m.get_connection()).await?;
        for t in [
            "household_import",
            "household_observation",
            "household_member",
            "household",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
