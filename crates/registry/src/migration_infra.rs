//! The commune's infrastructure and sensors (and the household pairs officials judged distinct): public wifi points, security cameras and
//! waste-water sources on the map, mobile coverage and fibre per village, sensors with their
//! readings (raw, and hourly and daily roll-ups kept as readings arrive) and their alerts.

use kernel::migration::{child_fk, commune_table, index as idx};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1008_infrastructure"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut t = commune_table(b, "infra_point");
        // wifi, camera, wastewater
        t.col(string_len("kind", 12))
            .col(string_len("name", 120))
            .col(big_integer_null("village_id"))
            .col(double("lat"))
            .col(double("lon"))
            // working, broken, planned
            .col(string_len("status", 10))
            .col(string_len("note", 300))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "infra_point",
            "ix_infra_point_kind",
            &["commune_code", "kind"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "village_coverage");
        t.col(big_integer("village_id"))
            // full, partial, none
            .col(string_len("mobile", 8))
            .col(boolean("fibre"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "village_coverage",
            "ux_village_coverage",
            &["commune_code", "village_id"],
            true,
        ))
        .await?;

        let mut t = commune_table(b, "sensor");
        t.col(string_len("device", 40))
            .col(string_len("name", 120))
            // water_level, rainfall, temperature, air_quality, soil_moisture
            .col(string_len("kind", 16))
            .col(big_integer_null("village_id"))
            .col(double("lat"))
            .col(double("lon"))
            .col(double_null("alert_above"))
            .col(double_null("alert_below"))
            // SHA-256 of the device's token for the HTTP API.
            .col(string_len("token_hash", 64))
            .col(integer("silent_after_min"))
            .col(double_null("last_value"))
            .col(timestamp_with_time_zone_null("last_at"))
            // new, ok, alert, silent
            .col(string_len("state", 8))
            .col(timestamp_with_time_zone("created_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "sensor",
            "ux_sensor_device",
            &["commune_code", "device"],
            true,
        ))
        .await?;

        let mut t = commune_table(b, "sensor_reading");
        t.col(big_integer("sensor_id"))
            .col(timestamp_with_time_zone("at"))
            .col(double("value"))
            .foreign_key(&mut child_fk(b, "sensor_reading", "sensor_id", "sensor"));
        m.create_table(t).await?;
        m.create_index(idx(
            "sensor_reading",
            "ix_sensor_reading_at",
            &["commune_code", "sensor_id", "at"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "sensor_rollup");
        t.col(big_integer("sensor_id"))
            // hour, day
            .col(string_len("period", 4))
            .col(timestamp_with_time_zone("start"))
            .col(big_integer("n"))
            .col(double("total"))
            .col(double("low"))
            .col(double("high"))
            .foreign_key(&mut child_fk(b, "sensor_rollup", "sensor_id", "sensor"));
        m.create_table(t).await?;
        m.create_index(idx(
            "sensor_rollup",
            "ux_sensor_rollup",
            &["commune_code", "sensor_id", "period", "start"],
            true,
        ))
        .await?;

        let mut t = commune_table(b, "sensor_alert");
        t.col(big_integer("sensor_id"))
            // above, below, silent
            .col(string_len("kind", 8))
            .col(double_null("value"))
            .col(timestamp_with_time_zone("opened_at"))
            .col(timestamp_with_time_zone_null("closed_at"))
            .foreign_key(&mut child_fk(b, "sensor_alert", "sensor_id", "sensor"));
        m.create_table(t).await?;
        m.create_index(idx(
            "sensor_alert",
            "ix_sensor_alert_open",
            &["commune_code", "sensor_id", "closed_at"],
            false,
        ))
        .await?;

        // Pairs an official said are two households, not one: never flagged again.
        let mut t = commune_table(b, "household_pair");
        t.col(big_integer("first_id"))
            .col(big_integer("second_id"))
            .col(big_integer("decided_by"))
            .col(timestamp_with_time_zone("decided_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_pair",
            "ux_household_pair",
            &["commune_code", "first_id", "second_id"],
            true,
        ))
        .await?;

        // A resident's request to correct their household's record, and its answer.
        let mut t = commune_table(b, "household_change");
        t.col(big_integer("household_id"))
            .col(big_integer("requested_by"))
            // The proposed values (JSON: address, phone, members, internet, smartphones).
            .col(text("proposal"))
            .col(string_len("note", 500))
            // open, accepted, refused
            .col(string_len("status", 10))
            .col(big_integer_null("decided_by"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(string_len("answer", 500))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut child_fk(
                b,
                "household_change",
                "household_id",
                "household",
            ));
        m.create_table(t).await?;
        m.create_index(idx(
            "household_change",
            "ix_household_change_status",
            &["commune_code", "status", "created_at"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "household_change",
            "household_pair",
            "sensor_alert",
            "sensor_rollup",
            "sensor_reading",
            "sensor",
            "village_coverage",
            "infra_point",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
