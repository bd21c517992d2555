//! Database connection for both backends, with SQLite tuned for a small server.
//!
//! Durability choice for SQLite: WAL journal with `synchronous=FULL`. Every acknowledged
//! write (a dossier, a payment confirmation) survives a power cut, at the price of one fsync of
//! the WAL per commit; readers never block the writer. `busy_timeout` makes concurrent writers
//! wait instead of failing, and foreign keys are enforced on every pooled connection.
//!
//! On PostgreSQL (and a Citus coordinator) no statement waits for ever: a statement is
//! cancelled after [`STATEMENT_TIMEOUT`], and a coordinator gives up on a worker that does not
//! answer within [`NODE_CONNECTION_TIMEOUT`]; `AppError` turns both into a 503 "try again in a
//! few minutes" for the commune whose data is out of reach, while the others keep working.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, Some(STATEMENT_TIMEOUT)).await
}

/// A connection for migrations: no statement timeout (placing a table with rows on a
/// cluster, or indexing a large one, may take minutes).
pub async fn connect_for_migrations(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, None).await
}

async fn connect_with(
    url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 16 MiB of pages per connection instead of SQLite's 2 MiB: a register of a
            // million households is ~750 MB, and its imports spent half their time re-reading
            // index pages (xaso-bench --registry-only). Filled only as pages are read, so a
            // small commune's database costs no more memory than before.
            .pragma("cache_size", "-16384");
        // Several readers, one writer at a time: SQLite serialises writes anyway. Each pooled
        // connection has its own worker thread; on a 2-core server 4 measured best for tracking
        // (2: 6.5k req/s, 4: 9.5k, 8: 8.3k with 100,000 dossiers, `xaso-bench`).
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        // Options given in the URL (`options[search_path]=…`) come first; these add to them.
        let opts = PgConnectOptions::from_str(url)?
            .options([
                (
                    "statement_timeout",
                    // 0: none.
                    format!("{}", statement_timeout.map_or(0, |t| t.as_millis())),
                ),
                // A placeholder setting on plain PostgreSQL, read by Citus on a coordinator.
                (
                    "citus.node_connection_timeout",
                    format!("{}", NODE_CONNECTION_TIMEOUT.as_millis()),
                ),
            ])
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(pg_connections(
                std::env::var(CONNECTIONS_VAR).ok().as_deref(),
            )?)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
    }
}

/// The environment variable that sets how many connections a process keeps to PostgreSQL.
pub const CONNECTIONS_VAR: &str = "XASO_DB_CONNECTIONS";
/// Connections per process to PostgreSQL when [`CONNECTIONS_VAR`] does not say.
pub const DEFAULT_PG_CONNECTIONS: u32 = 32;

/// The pool size [`CONNECTIONS_VAR`] asks for. On a Citus coordinator fewer connections serve
/// more: each one also holds connections to the workers, and on a small cluster the backends
/// then compete for the same cores (docs/citus.md, "Connections").
fn pg_connections(setting: Option<&str>) -> anyhow::Result<u32> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_PG_CONNECTIONS),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => anyhow::bail!(
                "{CONNECTIONS_VAR} must be a number of connections from 1 to 1000, not {s:?}"
            ),
        },
    }
}

/// The longest one statement may run on PostgreSQL (imports and reports are jobs of many
/// statements, none this long).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a Citus coordinator waits for a worker to accept a connection.
pub const NODE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and then writes fails with
/// SQLITE_BUSY, without waiting, when another writer committed since its read (its snapshot
/// can no longer become a write). Taken at BEGIN, the lock is simply waited for
/// (`busy_timeout`). PostgreSQL starts an ordinary transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(WRITE).await
}

/// The options of [`begin_write`], for code generic over the connection.
pub const WRITE: TransactionOptions = TransactionOptions {
    isolation_level: None,
    access_mode: None,
    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
};

/// Applies every pending kernel migration; safe to call on each start.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrate_with::<Migrator>(db).await
}

/// Applies every pending migration of a migrator that combines the kernel's with the rooms'.
pub async fn migrate_with<M: MigratorTrait>(db: &DatabaseConnection) -> anyhow::Result<()> {
    M::up(db, None).await?;
    Ok(())
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// Writes a consistent online copy of a SQLite database to `dest` (`VACUUM INTO`, which reads
/// one snapshot while the server keeps running).
pub async fn backup_sqlite(db: &DatabaseConnection, dest: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        db.get_database_backend() == DbBackend::Sqlite,
        "backup is only for SQLite"
    );
    anyhow::ensure!(!dest.exists(), "{} already exists", dest.display());
    let path = dest.to_string_lossy().replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{path}'"))
        .await?;
    Ok(())
}

/// A sea-query statement (e.g. an `INSERT … SELECT` the entity API cannot express) built for
/// the connection's backend.
pub fn statement(
    db: &impl sea_orm::ConnectionTrait,
    q: &impl sea_orm::sea_query::QueryStatementWriter,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let (sql, values) = match backend {
        sea_orm::DbBackend::Postgres => q.build(sea_orm::sea_query::PostgresQueryBuilder),
        _ => q.build(sea_orm::sea_query::SqliteQueryBuilder),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_comes_from_the_environment_or_the_default() {
        assert_eq!(pg_connections(None).unwrap(), DEFAULT_PG_CONNECTIONS);
        assert_eq!(pg_connections(Some(" ")).unwrap(), DEFAULT_PG_CONNECTIONS);
        assert_eq!(pg_connections(Some("8")).unwrap(), 8);
        for bad in ["0", "-1", "tám", "5000"] {
            let e = pg_connections(Some(bad)).unwrap_err().to_string();
            assert!(e.contains(CONNECTIONS_VAR), "{e}");
        }
    }
}
