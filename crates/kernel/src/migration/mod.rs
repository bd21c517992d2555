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

/// A new commune-owned table with its keys as the house's rules want them (docs/citus.md):
/// `id` and `commune_code` (with [`commune_fk`]); on PostgreSQL the primary key is
/// (`commune_code`, `id`) so Citus can shard it by commune; SQLite keeps its rowid key (one
/// server, never sharded). Add the table's own columns to what this answers.
pub fn commune_table(backend: sea_orm::DbBackend, table: &'static str) -> TableCreateStatement {
    use sea_orm_migration::schema::{big_pk_auto, string_len};
    let mut t = Table::create();
    t.table(table);
    if backend == sea_orm::DbBackend::Postgres {
        t.col(
            ColumnDef::new("id")
                .big_integer()
                .not_null()
                .auto_increment(),
        )
        .col(string_len("commune_code", 5))
        .primary_key(Index::create().col("commune_code").col("id"));
    } else {
        t.col(big_pk_auto("id")).col(string_len("commune_code", 5));
    }
    t.foreign_key(&mut commune_fk(table));
    t
}

/// The key from a commune-owned child to its commune-owned parent, rows going with it: by
/// (`commune_code`, `col`) on PostgreSQL, by `col` on SQLite (where ids are rowids).
pub fn child_fk(
    backend: sea_orm::DbBackend,
    table: &'static str,
    col: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    if backend == sea_orm::DbBackend::Postgres {
        fk.from_tbl(table)
            .from_col("commune_code")
            .from_col(col)
            .to_tbl(parent)
            .to_col("commune_code")
            .to_col("id");
    } else {
        fk.from(table, col).to(parent, "id");
    }
    fk.on_delete(ForeignKeyAction::Cascade).to_owned()
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
