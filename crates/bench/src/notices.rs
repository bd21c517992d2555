//! The notices room at scale (issue 5): `xaso bench-data --notice-people N --notices M` loads
//! N residents and M board notices into a data directory of its own and times one notice's
//! fan-out to all of them (recipients, inboxes, outbox) on SQLite — and on PostgreSQL when a
//! server URL is given; then the server starts there and the public notice board is loaded.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::load::{self, Load, Plan};
use crate::report;
use crate::server::{self, Server};
use crate::services::PASSWORD;

const BOARD_PATH: &str = "/c/17071/notices";
const FAN_OUT_TARGET_MS: f64 = 5000.0;
const BOARD_P99_TARGET_MS: f64 = 30.0;

fn bench_data_args(people: u64, notices: u64) -> Vec<String> {
    [
        "bench-data",
        "--dossiers",
        "1",
        "--password",
        PASSWORD,
        "--notice-people",
        &people.to_string(),
        "--notices",
        &notices.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// "… notice fan-out to 100003 people: 2345 ms …" → 2345.
pub fn fan_out_ms(line: &str) -> Option<f64> {
    let rest = line.split("notice fan-out to ").nth(1)?;
    let ms = rest.split(": ").nth(1)?.split(" ms").next()?;
    ms.trim().parse().ok()
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// A fresh database next to `base` (a PostgreSQL URL), made with `psql`.
fn fresh_pg(base: &str) -> Result<String> {
    let (prefix, _) = base
        .rsplit_once('/')
        .context("the PostgreSQL URL has no database")?;
    let name = "xaso_bench_notices";
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        let st = Command::new("psql")
            .args([base, "-q", "-c", &sql])
            .status()
            .context("psql is needed for the PostgreSQL fan-out")?;
        if !st.success() {
            bail!("psql failed: {sql}");
        }
    }
    Ok(format!("{prefix}/{name}"))
}

pub async fn run(
    xaso: &Path,
    data: &Path,
    logs: &Path,
    people: u64,
    notices: u64,
    pg_url: Option<&str>,
    base: &Plan,
) -> Result<()> {
    println!("\nNotices room: {people} residents and {notices} notices with `xaso bench-data` …");
    let mut rows = Vec::new();
    let sqlite = server::run_xaso(xaso, data, &bench_data_args(people, notices))?;
    println!("SQLite: {}\n  ({})", sqlite.output, sqlite.command);
    let ms = fan_out_ms(&sqlite.output).context("no fan-out figure in the output")?;
    rows.push((format!("notice fan-out to {people} people, SQLite"), ms));
    if let Some(url) = pg_url {
        let db = fresh_pg(url)?;
        let pg_dir = data.with_extension("pg");
        let mut args = vec!["--database-url".to_owned(), db];
        args.extend(bench_data_args(people, 0));
        let pg = server::run_xaso(xaso, &pg_dir, &args)?;
        println!("PostgreSQL: {}\n  ({})", pg.output, pg.command);
        let ms = fan_out_ms(&pg.output).context("no fan-out figure in the PostgreSQL output")?;
        rows.push((format!("notice fan-out to {people} people, PostgreSQL"), ms));
    } else {
        println!("PostgreSQL fan-out skipped: pass --pg-url postgres://user@host/db (psql needed)");
    }

    let mut srv = Server::spawn(xaso, data, &logs.join("notices.log"))?;
    srv.wait_ready().await?;
    let plan = Plan {
        addr: srv.addr,
        host: srv.addr.to_string(),
        ..base.clone()
    };
    let few = Plan {
        connections: 8,
        ..plan.clone()
    };
    let board = Load::get(BOARD_PATH);
    let board_all = load::run(&plan, &board).await;
    let board_few = load::run(&few, &board).await;
    report::print_throughput(
        &format!("Notice board, {notices} notices and {people} residents"),
        &plan,
        &[&board_all],
    );
    report::print_throughput("Notice board with 8 connections", &few, &[&board_few]);
    srv.stop().await?;

    println!("\nNotices targets (issue 5):");
    for (what, ms) in &rows {
        println!(
            "  {what}: {ms:.0} ms | <= {FAN_OUT_TARGET_MS:.0} ms | {} (ratio {:.2})",
            verdict(*ms <= FAN_OUT_TARGET_MS),
            ms / FAN_OUT_TARGET_MS
        );
    }
    for (label, o) in [("64", &board_all), ("8", &board_few)] {
        let p99 = o.latency.p99_us as f64 / 1000.0;
        let ok = p99 < BOARD_P99_TARGET_MS && o.errors() == 0;
        println!(
            "  notice board p99, {label} connections: {p99:.2} ms ({:.0} req/s) | < {BOARD_P99_TARGET_MS:.0} ms | {}",
            o.rps,
            verdict(ok)
        );
    }
    Ok(())
}
