//! The commune's saved column mapping: how the headers of its own spreadsheets read as the
//! register's fields (or are left out), applied to every import after it is saved.

use kernel::migration::{commune_table, index as idx};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1010_import_columns"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut t = commune_table(b, "household_column");
        // The header folded (no accents, lower case, single spaces), as `columns` matches it.
        t.col(string_len("header", 120))
            // The header as an official last saw it, for the page.
            .col(string_len("written", 120))
            // A field of `columns::FIELDS`, or `ignore`.
            .col(string_len("field", 24))
            .col(big_integer("updated_by"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_column",
            "ux_household_column",
            &["commune_code", "header"],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("household_column").to_owned())
            .await
    }
}
