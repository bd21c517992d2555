//! The commune's map area: its boundary and its villages' shapes (GeoJSON polygons, both
//! optional), drawn by the map widget when there are no tiles and used to place a report in
//! a village without asking anyone for coordinates.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{cascade_fk, commune_fk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_map_area"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("commune_area")
                .col(string("commune_code").primary_key())
                // A GeoJSON geometry: Polygon or MultiPolygon, checked and rounded on the way in.
                .col(text("geometry"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut commune_fk("commune_area"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("village_area")
                .col(big_integer("village_id").primary_key())
                .col(string("commune_code"))
                .col(text("geometry"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut cascade_fk("village_area", "village_id", "village"))
                .foreign_key(&mut commune_fk("village_area"))
                .to_owned(),
        )
        .await?;
        m.create_index(super::index(
            "village_area",
            "ix_village_area_commune",
            &["commune_code"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["village_area", "commune_area"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
