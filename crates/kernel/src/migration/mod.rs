//! The one migration set, applied to SQLite and PostgreSQL alike on start.
//!
//! Migrations run in name order across the kernel and every room (`xaso::Migrations`), so a
//! migration that changes a key other rooms point at runs after the tables that point at it.
//! A new migration takes the next number above the highest in use, whichever room it is in:
//! m1000 and up since the shard keys (before them the kernel had m00xx, services m01xx,
//! voice m02xx and notices m03xx).

use sea_orm_migration::prelude::*;

mod m0001_kernel;
mod m0002_delivery;
mod m0003_calendar;
mod m0004_payments;
mod m0005_message_texts;
mod m0006_commune_contacts;
mod m0007_map_area;
mod m1000_shard_keys;
mod m1004_shared_state;
mod m1005_message_shards;
pub mod shard_keys;

/// The foreign key every commune-owned table carries: its rows go with their commune.
pub fn commune_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "commune_code")
        .to("commune", "code")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key from `table.col` to `to.id` whose rows go with the row they point to.
pub fn cascade_fk(
    table: &'static str,
    col: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index on `cols` of `table`, shared by every room's migrations.
pub fn index(
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_kernel::Migration),
            Box::new(m0002_delivery::Migration),
            Box::new(m0003_calendar::Migration),
            Box::new(m0004_payments::Migration),
            Box::new(m0005_message_texts::Migration),
            Box::new(m0006_commune_contacts::Migration),
            Box::new(m0007_map_area::Migration),
            Box::new(m1000_shard_keys::Migration),
            Box::new(m1004_shared_state::Migration),
            Box::new(m1005_message_shards::Migration),
        ]
    }
}
