//! The working-day calendar's table moves to the kernel (`kernel::time`): the government's
//! yearly overrides. Databases made before already have it (created by the services room's
//! first migration), hence `IF NOT EXISTS`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_calendar"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("holiday_override")
                .if_not_exists()
                .col(date("day").primary_key())
                .col(boolean("day_off"))
                .col(string("name"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("holiday_override").to_owned())
            .await
    }
}
