//! The cluster part (issue 12): the same loads on plain PostgreSQL and on Citus, a notice's fan-out on both, and two `xaso serve` processes on one database against one.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

mod figures;

use crate::load::{self, Load, Outcome, Plan};
use crate::notices::fan_out_ms;
use crate::report;
use crate::server::{self, Server};
use crate::services::{self, OFFICIAL_PHONE, PASSWORD};
use figures::{Measured, print_report};

/// The database (PostgreSQL) or schema (Citus) the part makes, and drops when done.
const PLACE: &str = "xaso_bench_cluster";
/// Shards per distributed table: more than the tests' 4 (a bench table holds 100,000 rows),
/// few enough that placing thirty-odd tables stays quick.
const SHARD_COUNT: u32 = 8;
const RATIO_MIN: f64 = 0.50;
const FAN_OUT_MAX_MS: f64 = 5000.0;

/// Where the part runs and how much data it loads.
struct Setup<'a> {
    xaso: &'a Path,
    /// Where the servers' data directories and logs go.
    dir: &'a Path,
    dossiers: u64,
    people: u64,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Backend {
    Postgres,
    Citus,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Citus => "Citus",
        }
    }
}

/// A fresh place for one backend's data: the statements that make it (run on the server's
/// own URL), the URL xaso is given, and the statement that removes it.
#[derive(Debug, PartialEq)]
struct Place {
    create: [String; 2],
    url: String,
    drop: String,
}

/// On PostgreSQL a database of its own next to `base`; on Citus a schema of its own in the
/// coordinator's database (a new database would need the extension and the workers registered
/// again), chosen through `search_path` as the tests do (tests/it/common/mod.rs).
fn place(backend: Backend, base: &str) -> Result<Place> {
    Ok(match backend {
        Backend::Postgres => {
            let drop = format!("DROP DATABASE IF EXISTS {PLACE} WITH (FORCE)");
            Place {
                create: [drop.clone(), format!("CREATE DATABASE {PLACE}")],
                url: sibling_database(base, PLACE)?,
                drop,
            }
        }
        Backend::Citus => {
            let drop = format!("DROP SCHEMA IF EXISTS {PLACE} CASCADE");
            let sep = if base.contains('?') { '&' } else { '?' };
            Place {
                create: [drop.clone(), format!("CREATE SCHEMA {PLACE}")],
                url: format!(
                    "{base}{sep}options[search_path]={PLACE}&options[citus.shard_count]={SHARD_COUNT}"
                ),
                drop,
            }
        }
    })
}

/// `postgres://u@h:5432/test?sslmode=disable` → `postgres://u@h:5432/NAME?sslmode=disable`.
fn sibling_database(base: &str, name: &str) -> Result<String> {
    let (url, query) = match base.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (base, String::new()),
    };
    let authority = url
        .find("://")
        .context("the PostgreSQL URL has no scheme")?
        + 3;
    let path = url[authority..]
        .find('/')
        .context("the PostgreSQL URL names no database")?;
    Ok(format!("{}/{name}{query}", &url[..authority + path]))
}

/// Both servers' URLs, or why the part does not run.
fn backends<'a>(
    skip: bool,
    pg_url: Option<&'a str>,
    citus_url: Option<&'a str>,
) -> Result<(&'a str, &'a str), &'static str> {
    match (skip, pg_url, citus_url) {
        (true, ..) => Err("--skip-cluster"),
        (_, _, None) => Err(
            "no Citus coordinator: pass --citus-url postgres://postgres@127.0.0.1:9700/xaso (or set XASO_BENCH_CITUS_URL)",
        ),
        (_, None, _) => Err(
            "no plain PostgreSQL to compare with: pass --pg-url postgres://user@host/db (or set XASO_BENCH_PG_URL)",
        ),
        (_, Some(pg), Some(citus)) => Ok((pg, citus)),
    }
}

fn bench_data_args(database_url: &str, dossiers: u64, people: u64) -> Vec<String> {
    [
        "--database-url",
        database_url,
        "bench-data",
        "--dossiers",
        &dossiers.to_string(),
        "--password",
        PASSWORD,
        "--notice-people",
        &people.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `--only-cluster`: the part alone, in a temporary directory of its own.
pub async fn run_alone(args: &crate::Args, bench_command: &str) -> Result<()> {
    let xaso = crate::xaso_binary(args)?;
    let dir = crate::scratch_dir()?;
    // The part starts its own servers: only the plan's connections and durations count.
    let anywhere = crate::Target {
        addr: ([127, 0, 0, 1], 0).into(),
        host: String::new(),
    };
    let base = crate::plan(args, &anywhere)?;
    run(args, &xaso, dir.path(), &base, bench_command).await
}

/// Runs the part on plain PostgreSQL, then on Citus, and prints their figures side by side;
/// `base` gives the connections and durations (its address is replaced).
pub async fn run(
    args: &crate::Args,
    xaso: &Path,
    dir: &Path,
    base: &Plan,
    bench_command: &str,
) -> Result<()> {
    let urls = backends(
        args.skip_cluster,
        args.pg_url.as_deref(),
        args.citus_url.as_deref(),
    );
    let (pg_url, citus_url) = match urls {
        Ok(urls) => urls,
        Err(why) => {
            println!("\nCluster part skipped: {why}");
            return Ok(());
        }
    };
    if args.dossiers == 0 || args.notice_people == 0 {
        bail!("the cluster part needs --dossiers and --notice-people of at least 1");
    }
    let setup = Setup {
        xaso,
        dir,
        dossiers: args.dossiers,
        people: args.notice_people,
    };
    let pg = on_backend(&setup, Backend::Postgres, pg_url, base).await?;
    let citus = on_backend(&setup, Backend::Citus, citus_url, base).await?;
    print_report(&setup, &pg, &citus, base, bench_command);
    Ok(())
}

/// Makes the backend's place, measures there, and removes the place even if measuring failed
/// (the servers are stopped, or killed on drop, by then).
async fn on_backend(
    setup: &Setup<'_>,
    backend: Backend,
    server_url: &str,
    base: &Plan,
) -> Result<Measured> {
    let place = place(backend, server_url)?;
    for sql in &place.create {
        psql(server_url, sql)?;
    }
    let measured = measure(setup, backend, &place.url, base).await;
    if let Err(e) = psql(server_url, &place.drop) {
        eprintln!("warning: {e:#}");
    }
    measured
}

fn psql(url: &str, sql: &str) -> Result<()> {
    let status = Command::new("psql")
        .args([url, "-q", "-c", sql])
        // DROP … CASCADE lists every table it drops otherwise.
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .status()
        .context("psql is needed for the cluster part")?;
    if !status.success() {
        bail!("psql failed on {url}: {sql}");
    }
    Ok(())
}

async fn measure(setup: &Setup<'_>, backend: Backend, url: &str, base: &Plan) -> Result<Measured> {
    let name = backend.name();
    let file = |n: u8| setup.dir.join(format!("cluster-{name}-{n}"));
    println!(
        "\nCluster, {name}: {} dossiers and {} residents with `xaso bench-data` …",
        setup.dossiers, setup.people
    );
    let args = bench_data_args(url, setup.dossiers, setup.people);
    let seeded = server::run_xaso(setup.xaso, &file(1), &args)?;
    println!("{name}: {}\n  ({})", seeded.output, seeded.command);
    let fan_out_ms = fan_out_ms(&seeded.output)
        .with_context(|| format!("no fan-out figure in the {name} output"))?;

    let mut first = Server::spawn_on(setup.xaso, &file(1), &file(1).with_extension("log"), url)?;
    first.wait_ready().await?;
    let one = Plan {
        addr: first.addr,
        also: Vec::new(),
        host: first.addr.to_string(),
        ..base.clone()
    };
    let official = services::token(&one, OFFICIAL_PHONE).await?;
    // Only tracking and the inbox are loaded: no citizen token or procedure is needed.
    let [track, _, inbox] = services::loads(setup.dossiers, "", &official, 0);
    let home = Load {
        label: format!("GET {}", crate::HOME_PATH),
        ..Load::get(crate::HOME_PATH)
    };
    let loads = [track, inbox, home];
    services::preflight(&one, &loads).await?;
    let [track, inbox, home] = &loads;
    let track_out = load::run(&one, track).await;
    let inbox_out = load::run(&one, inbox).await;

    let mut second = Server::spawn_on(setup.xaso, &file(2), &file(2).with_extension("log"), url)?;
    second.wait_ready().await?;
    // The second process must take the first one's session: it is a row in the shared database.
    let second_only = Plan {
        addr: second.addr,
        ..one.clone()
    };
    services::preflight(&second_only, &loads[1..]).await?;
    let two = Plan {
        also: vec![second.addr],
        ..one.clone()
    };
    let (alone, both) = ("first process only", "both processes alternating");
    let home_one = relabel(load::run(&one, home).await, alone);
    let home_two = relabel(load::run(&two, home).await, both);
    let inbox_one = relabel(load::run(&one, inbox).await, alone);
    let inbox_two = relabel(load::run(&two, inbox).await, both);
    report::print_throughput(
        &format!(
            "Cluster, {name}, {} dossiers (tracking and inbox with one process; then a second one on the same database, loaded alone or alternating with the first)",
            setup.dossiers
        ),
        &one,
        &[
            &track_out, &inbox_out, &home_one, &home_two, &inbox_one, &inbox_two,
        ],
    );
    let server_commands = [first.command.clone(), second.command.clone()];
    second.stop().await?;
    first.stop().await?;
    Ok(Measured {
        fan_out_ms,
        seed_command: seeded.command,
        server_commands,
        track: track_out,
        inbox: inbox_out,
        home_one,
        home_two,
        inbox_one,
        inbox_two,
    })
}

fn relabel(mut o: Outcome, how: &str) -> Outcome {
    o.label = format!("{}, {how}", o.label);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_a_database_next_to_the_url() {
        let p = place(Backend::Postgres, "postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(
            p.url,
            "postgres://postgres@127.0.0.1:5432/xaso_bench_cluster"
        );
        assert_eq!(
            p.create,
            [
                "DROP DATABASE IF EXISTS xaso_bench_cluster WITH (FORCE)",
                "CREATE DATABASE xaso_bench_cluster"
            ]
        );
        assert_eq!(p.drop, p.create[0]);
        assert_eq!(
            sibling_database("postgres://u:p@h/db?sslmode=disable", "x").unwrap(),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert!(sibling_database("postgres://u@h:5432", "x").is_err());
        assert!(sibling_database("u@h/db", "x").is_err());
    }

    #[test]
    fn citus_gets_a_schema_in_the_coordinators_database() {
        let p = place(Backend::Citus, "postgres://postgres@127.0.0.1:9700/xaso").unwrap();
        assert_eq!(
            p.url,
            "postgres://postgres@127.0.0.1:9700/xaso?options[search_path]=xaso_bench_cluster&options[citus.shard_count]=8"
        );
        assert_eq!(p.create[1], "CREATE SCHEMA xaso_bench_cluster");
        assert_eq!(p.drop, "DROP SCHEMA IF EXISTS xaso_bench_cluster CASCADE");
        let q = place(Backend::Citus, "postgres://h/xaso?sslmode=disable").unwrap();
        assert!(
            q.url
                .starts_with("postgres://h/xaso?sslmode=disable&options[search_path]=")
        );
    }

    #[test]
    fn runs_only_with_both_urls() {
        let (pg, citus) = (Some("postgres://a/b"), Some("postgres://c/d"));
        assert_eq!(
            backends(false, pg, citus),
            Ok(("postgres://a/b", "postgres://c/d"))
        );
        assert_eq!(backends(true, pg, citus), Err("--skip-cluster"));
        assert!(
            backends(false, pg, None)
                .unwrap_err()
                .contains("--citus-url")
        );
        assert!(
            backends(false, None, citus)
                .unwrap_err()
                .contains("--pg-url")
        );
    }

    #[test]
    fn bench_data_runs_on_the_given_database() {
        assert_eq!(
            bench_data_args("postgres://h/x", 100, 7).join(" "),
            format!(
                "--database-url postgres://h/x bench-data --dossiers 100 --password {PASSWORD} --notice-people 7"
            )
        );
    }

    #[test]
    fn flags_choose_the_cluster_part() {
        use clap::Parser;
        let parse = |argv: &[&str]| crate::Args::try_parse_from([&["xaso-bench"], argv].concat());
        let args = parse(&["--citus-url", "postgres://c/xaso", "--only-cluster"]).unwrap();
        assert_eq!(args.citus_url.as_deref(), Some("postgres://c/xaso"));
        assert!(args.only_cluster && !args.skip_cluster);
        assert!(parse(&["--skip-cluster"]).unwrap().skip_cluster);
        assert!(parse(&["--only-cluster", "--skip-cluster"]).is_err());
        assert!(parse(&["--only-cluster", "--url", "http://127.0.0.1:8080"]).is_err());
    }
}
