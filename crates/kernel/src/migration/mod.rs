//! The one migration set, applied to SQLite and PostgreSQL alike on start.

use sea_orm_migration::prelude::*;

mod m0001_kernel;

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
        vec![Box::new(m0001_kernel::Migration)]
    }
}
