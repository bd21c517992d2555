//! Scratch databases for the parts measured on both backends: a SQLite file in a temporary
//! directory, and a PostgreSQL database made next to `--pg-url` and dropped after.

use anyhow::{Context, Result};
use sea_orm::ConnectionTrait;

/// Runs `measure(backend, url)` on a fresh SQLite database, then on a fresh PostgreSQL
/// database `xaso_bench_<name>` when `pg_url` names a server.
pub async fn on_each_backend(
    name: &str,
    pg_url: Option<&str>,
    measure: impl AsyncFn(&'static str, &str) -> Result<()>,
) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("xaso-bench-{name}-"))
        .tempdir()?;
    let url = format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display());
    measure("SQLite", &url).await?;
    let Some(base) = pg_url else {
        return Ok(());
    };
    let (prefix, _) = base
        .rsplit_once('/')
        .context("--pg-url must end with /DATABASE")?;
    let admin = kernel::db::connect(base).await?;
    let db = format!("xaso_bench_{name}");
    let drop = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
    admin.execute_unprepared(&drop).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {db}"))
        .await?;
    let res = measure("PostgreSQL", &format!("{prefix}/{db}")).await;
    admin.execute_unprepared(&drop).await.ok();
    res
}
