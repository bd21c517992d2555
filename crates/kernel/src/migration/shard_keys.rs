//! Steps for the migrations that give commune-owned tables their shard keys (issue 12,
//! [`crate::placement`]): a `commune_code` on child tables that lacked one, the primary key
//! (`commune_code`, …), unique indexes that start with `commune_code`, and foreign keys between
//! commune-owned tables by (`commune_code`, id).
//!
//! Keys change on PostgreSQL only. SQLite keeps its rowid keys: a SQLite database is one
//! server and never sharded, and changing a key there means rebuilding the table; its
//! `commune_code` columns and unique indexes change like PostgreSQL's, so queries and
//! uniqueness are the same on both.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sea_orm_migration::SchemaManager;

fn is_pg(m: &SchemaManager<'_>) -> bool {
    m.get_database_backend() == DbBackend::Postgres
}

async fn run(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    m.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

async fn has_column(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<bool, DbErr> {
    m.has_column(table, column).await
}

/// Adds `commune_code` to `table` and fills it from the parent row each row belongs to
/// (`table.parent_col` = `parent.id`). NOT NULL on PostgreSQL; on SQLite a column added to a
/// table with rows cannot be NOT NULL without a default, so there the code that writes it
/// is what keeps it filled (every test runs on PostgreSQL too).
pub async fn add_commune_column(
    m: &SchemaManager<'_>,
    table: &str,
    parent_col: &str,
    parent: &str,
) -> Result<(), DbErr> {
    if has_column(m, table, "commune_code").await? {
        return Ok(());
    }
    // SQLite cannot drop a column that a foreign key names, and `down` drops this one; the
    // parent row's own key to its commune says the same there.
    let references = if is_pg(m) {
        " REFERENCES commune (code) ON DELETE CASCADE"
    } else {
        ""
    };
    run(
        m,
        &format!("ALTER TABLE \"{table}\" ADD COLUMN commune_code varchar(5){references}"),
    )
    .await?;
    run(
        m,
        &format!(
            "UPDATE \"{table}\" SET commune_code = (SELECT p.commune_code FROM \"{parent}\" p WHERE p.id = \"{table}\".\"{parent_col}\")"
        ),
    )
    .await?;
    if is_pg(m) {
        run(
            m,
            &format!("ALTER TABLE \"{table}\" ALTER COLUMN commune_code SET NOT NULL"),
        )
        .await?;
    }
    Ok(())
}

/// A foreign key pointing at a table whose primary key is about to change.
struct Dependent {
    table: String,
    name: String,
    columns: Vec<String>,
    /// `confdeltype`: c cascade, r restrict, n set null, d set default, a no action.
    on_delete: String,
}

impl Dependent {
    /// The delete action of the key by (`commune_code`, …): SET NULL names its own columns
    /// (PostgreSQL 15), so that `commune_code` itself is never set to NULL.
    fn action(&self, with_commune: bool) -> String {
        let own: Vec<&str> = self
            .columns
            .iter()
            .map(String::as_str)
            .filter(|c| *c != "commune_code")
            .collect();
        match (self.on_delete.as_str(), with_commune) {
            ("c", _) => "CASCADE".into(),
            ("r", _) => "RESTRICT".into(),
            ("n", true) => format!("SET NULL ({})", own.join(", ")),
            ("n", false) => "SET NULL".into(),
            _ => "NO ACTION".into(),
        }
    }
}

async fn dependents(m: &SchemaManager<'_>, table: &str) -> Result<Vec<Dependent>, DbErr> {
    let sql = format!(
        "SELECT cl.relname AS t, con.conname AS name, con.confdeltype::text AS del,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
               FROM unnest(con.conkey) WITH ORDINALITY k(att, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att) AS cols
         FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
         WHERE con.contype = 'f' AND con.confrelid = '\"{table}\"'::regclass
         ORDER BY cl.relname, con.conname"
    );
    let rows = m
        .get_connection()
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Dependent {
            table: r.try_get("", "t")?,
            name: r.try_get("", "name")?,
            columns: r
                .try_get::<String>("", "cols")?
                .split(',')
                .map(str::to_owned)
                .collect(),
            on_delete: r.try_get("", "del")?,
        });
    }
    Ok(out)
}

/// Makes `table`'s primary key (`commune_code`, `cols`…) on PostgreSQL. Foreign keys that
/// pointed at the old key come back by (`commune_code`, …) from tables that have a
/// `commune_code`; from tables that have none they are gone, and the application checks that
/// reference, as it must on Citus.
pub async fn primary_key(m: &SchemaManager<'_>, table: &str, cols: &[&str]) -> Result<(), DbErr> {
    swap_primary_key(m, table, cols, true).await
}

/// The way back: `table`'s primary key is `cols` alone again, and the keys pointing at it go
/// by those columns (migrations' `down`).
pub async fn primary_key_without_commune(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    swap_primary_key(m, table, cols, false).await
}

async fn swap_primary_key(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    with_commune: bool,
) -> Result<(), DbErr> {
    if !is_pg(m) {
        return Ok(());
    }
    let deps = dependents(m, table).await?;
    let pkey = m
        .get_connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT conname AS name FROM pg_constraint WHERE contype = 'p' AND conrelid = '\"{table}\"'::regclass"
            ),
        ))
        .await?
        .map(|r| r.try_get::<String>("", "name"))
        .transpose()?;
    if let Some(name) = pkey {
        run(
            m,
            &format!("ALTER TABLE \"{table}\" DROP CONSTRAINT \"{name}\" CASCADE"),
        )
        .await?;
    }
    let key = |c: &[&str]| {
        let mut all: Vec<&str> = if with_commune {
            vec!["commune_code"]
        } else {
            vec![]
        };
        all.extend(c.iter().filter(|c| **c != "commune_code"));
        all.join(", ")
    };
    run(
        m,
        &format!("ALTER TABLE \"{table}\" ADD PRIMARY KEY ({})", key(cols)),
    )
    .await?;
    for d in deps {
        if d.table == table || (with_commune && !has_column(m, &d.table, "commune_code").await?) {
            continue;
        }
        let own: Vec<&str> = d.columns.iter().map(String::as_str).collect();
        run(
            m,
            &format!(
                "ALTER TABLE \"{}\" ADD CONSTRAINT \"{}\" FOREIGN KEY ({}) REFERENCES \"{table}\" ({}) ON DELETE {}",
                d.table,
                d.name,
                key(&own),
                key(cols),
                d.action(with_commune)
            ),
        )
        .await?;
    }
    Ok(())
}

/// Drops the `commune_code` [`add_commune_column`] added (migrations' `down`).
pub async fn drop_commune_column(m: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    run(
        m,
        &format!("ALTER TABLE \"{table}\" DROP COLUMN commune_code"),
    )
    .await
}

/// Replaces unique index `name` with one on (`commune_code`, `cols`…), on both backends: a
/// code unique in its commune. Codes that must be unique in the whole country (receipts)
/// carry their commune's code, so unique within the commune is unique everywhere.
pub async fn unique(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    replace_unique(m, table, name, &[&["commune_code"], cols].concat()).await
}

/// The way back from [`unique`]: the index on `cols` alone (migrations' `down`).
pub async fn unique_without_commune(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    replace_unique(m, table, name, cols).await
}

async fn replace_unique(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    run(m, &format!("DROP INDEX IF EXISTS \"{name}\"")).await?;
    run(
        m,
        &format!(
            "CREATE UNIQUE INDEX \"{name}\" ON \"{table}\" ({})",
            cols.join(", ")
        ),
    )
    .await
}

/// A foreign key from `table` (`commune_code`, `cols`…) to `parent` (`commune_code`, id), on
/// PostgreSQL (SQLite keeps its key by id, which says the same there).
pub async fn foreign_key(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
    parent: &str,
    on_delete: &str,
) -> Result<(), DbErr> {
    let key = [&["commune_code"], cols].concat();
    replace_foreign_key(
        m,
        table,
        name,
        &key,
        parent,
        &["commune_code", "id"],
        on_delete,
    )
    .await
}

/// The way back from [`foreign_key`]: the key by `cols` to `parent` (id) (migrations' `down`).
pub async fn foreign_key_without_commune(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
    parent: &str,
    on_delete: &str,
) -> Result<(), DbErr> {
    replace_foreign_key(m, table, name, cols, parent, &["id"], on_delete).await
}

async fn replace_foreign_key(
    m: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
    parent: &str,
    parent_cols: &[&str],
    on_delete: &str,
) -> Result<(), DbErr> {
    if !is_pg(m) {
        return Ok(());
    }
    run(
        m,
        &format!("ALTER TABLE \"{table}\" DROP CONSTRAINT IF EXISTS \"{name}\""),
    )
    .await?;
    run(
        m,
        &format!(
            "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" FOREIGN KEY ({}) REFERENCES \"{parent}\" ({}) ON DELETE {on_delete}",
            cols.join(", "),
            parent_cols.join(", ")
        ),
    )
    .await
}
