//! Citus, the PostgreSQL extension that shards tables across nodes: the schema as the
//! placement rules read it, whether the database is a Citus coordinator, and distributing
//! the declared tables there after every migration (idempotent, no hand-run SQL).

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::placement::{self, ForeignKey, Placement, SHARD_COLUMN, Schema, Table};

/// Whether `db` is the coordinator of a Citus cluster (PostgreSQL with the `citus` extension
/// and workers registered). False on SQLite and plain PostgreSQL.
pub async fn is_coordinator(db: &impl ConnectionTrait) -> Result<bool, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let has = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_extension WHERE extname = 'citus'",
        ))
        .await?
        .is_some();
    if !has {
        return Ok(false);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT citus_is_coordinator() AS c",
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<bool>("", "c").ok()) == Some(true))
}

fn split(cols: Option<String>) -> Vec<String> {
    cols.map(|c| c.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The tables of the current schema with their columns, keys, unique indexes and foreign keys
/// (PostgreSQL; SQLite keeps its rowid keys and is never distributed).
pub async fn read_schema(db: &impl ConnectionTrait) -> Result<Schema, sea_orm::DbErr> {
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let mut schema = Schema::default();
    for r in db
        .query_all_raw(pg("SELECT c.relname AS t, a.attname AS col
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
            ORDER BY c.relname, a.attnum"))
        .await?
    {
        let t: String = r.try_get("", "t")?;
        let col: String = r.try_get("", "col")?;
        schema.tables.entry(t).or_default().columns.push(col);
    }
    let cols = |arr: &str, rel: &str| {
        format!(
            "(SELECT string_agg(a.attname, ',' ORDER BY k.ord)
               FROM unnest({arr}) WITH ORDINALITY k(att, ord)
               JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.att)"
        )
    };
    let constraints = format!(
        "SELECT cl.relname AS t, con.conname AS name, con.contype::text AS kind,
                con.confdeltype::text AS del, {} AS cols, rcl.relname AS ref, {} AS ref_cols
         FROM pg_constraint con
         JOIN pg_class cl ON cl.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = cl.relnamespace
         LEFT JOIN pg_class rcl ON rcl.oid = con.confrelid
         WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')
         ORDER BY cl.relname, con.conname",
        cols("con.conkey", "con.conrelid"),
        cols("con.confkey", "con.confrelid"),
    );
    for r in db.query_all_raw(pg(&constraints)).await? {
        let t: String = r.try_get("", "t")?;
        let Some(shape) = schema.tables.get_mut(&t) else {
            continue;
        };
        let kind: String = r.try_get("", "kind")?;
        let columns = split(r.try_get("", "cols")?);
        if kind == "p" {
            shape.primary_key = columns;
        } else {
            shape.foreign_keys.push(ForeignKey {
                name: r.try_get("", "name")?,
                columns,
                references: r.try_get::<Option<String>>("", "ref")?.unwrap_or_default(),
                referenced_columns: split(r.try_get("", "ref_cols")?),
                on_delete: r
                    .try_get::<String>("", "del")?
                    .chars()
                    .next()
                    .unwrap_or('a'),
            });
        }
    }
    // Unique indexes, whether made as constraints or as indexes; an expression part (an
    // index on lower(x)) has no column and is left out of the list.
    let unique = format!(
        "SELECT t.relname AS t, i.relname AS name, {} AS cols
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary
         ORDER BY t.relname, i.relname",
        cols("x.indkey::int2[]", "x.indrelid"),
    );
    for r in db.query_all_raw(pg(&unique)).await? {
        let t: String = r.try_get("", "t")?;
        if let Some(shape) = schema.tables.get_mut(&t) {
            shape
                .unique
                .push((r.try_get("", "name")?, split(r.try_get("", "cols")?)));
        }
    }
    Ok(schema)
}

/// What [`distribute`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Distributed {
    pub reference: Vec<String>,
    pub sharded: Vec<String>,
    /// Foreign keys Citus cannot enforce, dropped (table.constraint).
    pub dropped_keys: Vec<String>,
}

/// On a Citus coordinator: makes every declared reference table a reference table and shards
/// every commune-owned table by `commune_code`, co-located, skipping tables already placed.
/// Foreign keys Citus cannot enforce (to or from a coordinator table) are dropped first; the
/// application checks those references. Does nothing elsewhere. Run after each migration.
pub async fn distribute(
    db: &DatabaseConnection,
    declared: &[Table],
) -> anyhow::Result<Option<Distributed>> {
    if !is_coordinator(db).await? {
        return Ok(None);
    }
    let schema = read_schema(db).await?;
    let placed = |t: &str| {
        declared
            .iter()
            .find(|(name, _)| *name == t)
            .map_or(Placement::Coordinator, |(_, p)| *p)
    };
    let already: BTreeSet<String> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname AS t FROM pg_dist_partition p
             JOIN pg_class c ON c.oid = p.logicalrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema()",
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String>("", "t").ok())
        .collect();
    let mut done = Distributed::default();
    let txn = db.begin().await?;
    let exec = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
    // Distributing a table with a key to a reference table in a transaction that already
    // used several connections per node fails unless the transaction is sequential.
    txn.execute_raw(exec(
        "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'".into(),
    ))
    .await?;
    // Keys from commune tables to reference tables are set aside while the tables are
    // placed: a plain table that points at a new reference table becomes a "Citus local"
    // table, which cannot then be sharded when it has an identity column. They come back once
    // both sides are placed.
    let mut set_aside: Vec<(String, String, String)> = Vec::new();
    for (table, shape) in &schema.tables {
        for fk in &shape.foreign_keys {
            let (from, to) = (placed(table), placed(&fk.references));
            let keep = fk.kept_on_citus(from, to);
            let later = keep && to == Placement::Reference && !already.contains(table);
            if keep && !later {
                continue;
            }
            if later {
                let def = txn
                    .query_one_raw(exec(format!(
                        "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = '{}' AND conrelid = '\"{table}\"'::regclass",
                        fk.name
                    )))
                    .await?
                    .map(|r| r.try_get::<String>("", "def"))
                    .transpose()?
                    .unwrap_or_default();
                set_aside.push((table.clone(), fk.name.clone(), def));
            } else {
                done.dropped_keys.push(format!("{table}.{}", fk.name));
            }
            txn.execute_raw(exec(format!(
                "ALTER TABLE \"{table}\" DROP CONSTRAINT \"{}\"",
                fk.name
            )))
            .await?;
        }
    }
    for t in placement::order(&schema, declared, Placement::Reference) {
        if schema.tables.contains_key(t) && !already.contains(t) {
            txn.execute_raw(exec(format!("SELECT create_reference_table('\"{t}\"')")))
                .await?;
            done.reference.push(t.to_owned());
        }
    }
    let mut anchor = declared
        .iter()
        .find(|(t, p)| *p == Placement::Commune && already.contains(*t))
        .map(|(t, _)| (*t).to_owned());
    for t in placement::order(&schema, declared, Placement::Commune) {
        if !schema.tables.contains_key(t) || already.contains(t) {
            continue;
        }
        let colocate = anchor.as_deref().unwrap_or("none");
        txn.execute_raw(exec(format!(
            "SELECT create_distributed_table('\"{t}\"', '{SHARD_COLUMN}', colocate_with => '{colocate}')"
        )))
        .await?;
        anchor.get_or_insert_with(|| t.to_owned());
        done.sharded.push(t.to_owned());
    }
    for (table, name, def) in set_aside {
        txn.execute_raw(exec(format!(
            "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" {def}"
        )))
        .await?;
    }
    txn.commit().await?;
    // The coordinator kept its own copy of the rows it had before; the shards have them now.
    for t in done.reference.iter().chain(&done.sharded) {
        db.execute_raw(exec(format!(
            "SELECT truncate_local_data_after_distributing_table('\"{t}\"')"
        )))
        .await?;
    }
    Ok(Some(done))
}
