//! `xaso-bench`: measures Xã Số's speed targets (startup, idle memory, throughput, and the
//! services, voice and register rooms on large databases, Citus against PostgreSQL) in one run.

mod cluster;
mod http;
mod load;
mod memory;
mod notices;
mod outbox;
mod pages;
mod registry;
mod report;
mod scratch;
mod search;
mod server;
mod services;
mod stats;
mod voice;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::http::{Conn, get_request};
use crate::load::{Load, Outcome, Plan};
use crate::report::{Figures, Part, Startup};
use crate::server::Server;

/// The commune whose home page the demo seeds.
const HOME_PATH: &str = "/c/17071";
/// Idle time before memory is read, so start-up and first-request garbage has settled.
pub const IDLE_BEFORE_RSS: Duration = Duration::from_secs(2);

#[derive(Parser)]
#[command(
    name = "xaso-bench",
    about = "Measure Xã Số's startup, idle memory, throughput, services-room, voice-room, cluster and household-register targets in one run"
)]
struct Args {
    /// The xaso binary to start [default: `xaso` next to this binary, i.e. target/release/xaso].
    #[arg(long)]
    xaso: Option<PathBuf>,
    /// Benchmark an already running server, e.g. http://127.0.0.1:8080 (skips startup and memory).
    #[arg(long)]
    url: Option<String>,
    /// Seconds measured per path.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of unrecorded warm-up before each measurement.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Skip the public-pages part (every public page of the demo commune against /sw.js).
    #[arg(long)]
    skip_pages: bool,
    /// Skip the services-room part (bulk data load, tracking, submission, desk inbox).
    #[arg(long)]
    skip_services: bool,
    /// Synthetic dossiers loaded for the services-room and cluster parts.
    #[arg(long, default_value_t = 100_000)]
    dossiers: u64,
    /// Skip the voice-room part (bulk feedback load, Open311 list and submission, public board).
    #[arg(long)]
    skip_voice: bool,
    /// Synthetic feedback reports loaded for the voice-room part.
    #[arg(long, default_value_t = 200_000)]
    feedback: u64,
    /// Skip the notices part (fan-out of one notice to many residents, the notice board).
    #[arg(long)]
    skip_notices: bool,
    /// Residents a notice fans out to in the notices and cluster parts.
    #[arg(long, default_value_t = 100_000)]
    notice_people: u64,
    /// Notices on the board in the notices part.
    #[arg(long, default_value_t = 5_000)]
    notices: u64,
    /// A PostgreSQL server for the PostgreSQL fan-out, e.g. postgres://postgres@127.0.0.1/test
    /// (a database `xaso_bench_notices` is made next to it with psql).
    #[arg(long, env = "XASO_BENCH_PG_URL")]
    pg_url: Option<String>,
    /// A Citus coordinator for the cluster part, e.g. postgres://postgres@127.0.0.1:9700/xaso
    /// (a schema `xaso_bench_cluster` is made in its database with psql; needs --pg-url too).
    #[arg(long, env = "XASO_BENCH_CITUS_URL")]
    citus_url: Option<String>,
    /// Skip the cluster part (Citus against PostgreSQL, two server processes against one).
    #[arg(long)]
    skip_cluster: bool,
    /// Run only the cluster part.
    #[arg(long, conflicts_with_all = ["search_only", "skip_cluster", "url"])]
    only_cluster: bool,
    /// Run only the household-register part (issue 13): an import of --households rows,
    /// household search on them and the map's household layer on 5,000.
    #[arg(long, conflicts_with_all = ["search_only", "only_cluster", "url"])]
    registry_only: bool,
    /// Synthetic households imported in the register part.
    #[arg(long, default_value_t = 1_000_000)]
    households: u64,
    /// Skip the memory part (idle after the first start, peak under sustained sign-ins).
    #[arg(long)]
    skip_memory: bool,
    /// Skip the outbox part (pending SMS delivered to a local HTTP gateway sink).
    #[arg(long)]
    skip_outbox: bool,
    /// Pending SMS seeded for the outbox part.
    #[arg(long, default_value_t = 50_000)]
    outbox_messages: u64,
    /// Skip the search part (kernel::search against the old LIKE filters on the same rows).
    #[arg(long)]
    skip_search: bool,
    /// Run only the search part (in-process: no xaso binary needed).
    #[arg(long)]
    search_only: bool,
    /// Folded texts seeded for the search part.
    #[arg(long, default_value_t = 50_000)]
    search_rows: u64,
}

/// Where the load goes: a socket address and the Host header that names it.
struct Target {
    addr: SocketAddr,
    host: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    // A failed target is a finding, reported with exit code 0; only a broken run is an error.
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: xaso-bench is a debug build; use --release for meaningful figures");
    }
    let bench_command = command_line();
    if args.search_only {
        return search::run(args.search_rows, args.pg_url.as_deref()).await;
    }
    if args.only_cluster {
        return cluster::run_alone(&args, &bench_command).await;
    }
    if args.registry_only {
        return registry::run_alone(&args, &bench_command).await;
    }
    match &args.url {
        Some(url) => bench_running(&args, url, &bench_command).await?,
        None => bench_spawned(&args, &bench_command).await?,
    }
    // In-process (the kernel's dispatcher and a sink of its own): no server needed.
    if !args.skip_outbox {
        outbox::run(args.outbox_messages, args.pg_url.as_deref()).await?;
    }
    if !args.skip_search {
        search::run(args.search_rows, args.pg_url.as_deref()).await?;
    }
    Ok(())
}

/// This run's command line, and the `cargo run` form that reproduces it.
fn command_line() -> String {
    let argv: Vec<String> = std::env::args().collect();
    let cargo = match argv.get(1..).unwrap_or_default() {
        [] => "cargo run --release -p xaso-bench".to_owned(),
        rest => format!("cargo run --release -p xaso-bench -- {}", rest.join(" ")),
    };
    format!("{}\n  (same as: {cargo})", argv.join(" "))
}

/// `--url`: only throughput, against a server someone else started.
async fn bench_running(args: &Args, url: &str, bench_command: &str) -> Result<()> {
    let target = parse_url(url)?;
    println!("Benchmarking the running server at {url}");
    preflight(&target).await?;
    let (healthz, home, root) = throughput(args, &target).await?;
    let pages = public_pages(args, &target).await?;
    if !(args.skip_services && args.skip_voice) {
        println!(
            "\nServices and voice rooms skipped: they load their own data with `xaso bench-data`, so they need a server this run starts (drop --url)"
        );
    }
    if !args.skip_cluster {
        println!("\nCluster part skipped: it starts its own servers (drop --url)");
    }
    let figures = Figures {
        startup: None,
        idle_rss_bytes: None,
        loaded_rss_bytes: None,
        healthz,
        home,
        root,
        services: Part::Skipped(if args.skip_services {
            "--skip-services"
        } else {
            "--url"
        }),
        voice: Part::Skipped(if args.skip_voice {
            "--skip-voice"
        } else {
            "--url"
        }),
        pages,
    };
    report::print_summary(&figures, bench_command, None);
    Ok(())
}

/// Default: start the server twice on a temporary data directory, then load the second one;
/// then bulk-load dossiers into the same directory, restart and load the services room;
/// then bulk-load feedback into a directory of its own, restart and load the voice room.
async fn bench_spawned(args: &Args, bench_command: &str) -> Result<()> {
    if !args.skip_services && args.dossiers == 0 {
        bail!("--dossiers must be at least 1 (or pass --skip-services)");
    }
    if !args.skip_voice && args.feedback == 0 {
        bail!("--feedback must be at least 1 (or pass --skip-voice)");
    }
    let xaso = xaso_binary(args)?;
    let dir = scratch_dir()?;
    let data = dir.path().join("data");
    println!("Server binary: {}", xaso.display());

    let mut first = Server::spawn(&xaso, &data, &dir.path().join("fresh.log"))?;
    let fresh = first.wait_ready().await?;
    println!(
        "Startup on a fresh data dir (migration + demo seed): {} ms",
        fresh.as_millis()
    );
    first.stop().await?;

    let mut server = Server::spawn(&xaso, &data, &dir.path().join("restart.log"))?;
    let restart = server.wait_ready().await?;
    println!(
        "Startup on the existing database: {} ms",
        restart.as_millis()
    );

    let target = Target {
        addr: server.addr,
        host: server.addr.to_string(),
    };
    preflight(&target).await?;
    tokio::time::sleep(IDLE_BEFORE_RSS).await;
    let idle_rss = server.rss_bytes()?;
    println!("Idle resident memory: {}", report::mb(idle_rss));

    let (healthz, home, root) = throughput(args, &target).await?;
    let pages = public_pages(args, &target).await?;
    let loaded_rss = server.rss_bytes()?;
    let server_command = server.command.clone();
    server.stop().await?;

    let base = plan(args, &target)?;
    if !args.skip_memory {
        memory::run(&xaso, dir.path(), &base).await?;
    }
    let services = if args.skip_services {
        Part::Skipped("--skip-services")
    } else {
        Part::Measured(Box::new(
            services::run(&xaso, &data, dir.path(), args.dossiers, &base).await?,
        ))
    };
    // A data directory of its own: the voice figures do not depend on whether the services
    // part ran or on the dossiers its submission load added, and each bulk load is timed alone.
    let voice = if args.skip_voice {
        Part::Skipped("--skip-voice")
    } else {
        let voice_data = dir.path().join("voice-data");
        Part::Measured(Box::new(
            voice::run(&xaso, &voice_data, dir.path(), args.feedback, &base).await?,
        ))
    };

    if !args.skip_notices {
        notices::run(
            &xaso,
            &dir.path().join("notices-data"),
            dir.path(),
            args.notice_people,
            args.notices,
            args.pg_url.as_deref(),
            &base,
        )
        .await?;
    }
    cluster::run(args, &xaso, dir.path(), &base, bench_command).await?;

    let figures = Figures {
        startup: Some(Startup { fresh, restart }),
        idle_rss_bytes: Some(idle_rss),
        loaded_rss_bytes: Some(loaded_rss),
        healthz,
        home,
        root,
        services,
        voice,
        pages,
    };
    report::print_summary(&figures, bench_command, Some(&server_command));
    Ok(())
}

/// A temporary directory for the servers' data and logs, removed at the end.
fn scratch_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("xaso-bench-")
        .tempdir()
        .context("cannot create a temporary directory")
}

/// Loads /healthz, the commune home page and / in turn, and prints their table.
async fn throughput(args: &Args, target: &Target) -> Result<(Outcome, Outcome, Outcome)> {
    let plan = plan(args, target)?;
    let healthz = load::run(&plan, &Load::get("/healthz")).await;
    let home = load::run(&plan, &Load::get(HOME_PATH)).await;
    let root = load::run(&plan, &Load::get("/")).await;
    report::print_throughput("Throughput", &plan, &[&healthz, &home, &root]);
    Ok((healthz, home, root))
}

/// Every public page of the demo commune against /sw.js, unless skipped.
async fn public_pages(args: &Args, target: &Target) -> Result<Part<report::Pages>> {
    if args.skip_pages {
        return Ok(Part::Skipped("--skip-pages"));
    }
    let commune = HOME_PATH.trim_start_matches("/c/");
    Ok(Part::Measured(Box::new(
        pages::run(&plan(args, target)?, commune).await?,
    )))
}

fn plan(args: &Args, target: &Target) -> Result<Plan> {
    if !(args.duration > 0.0 && args.warmup >= 0.0 && args.connections > 0) {
        bail!("--duration and --connections must be positive, --warmup not negative");
    }
    Ok(Plan {
        addr: target.addr,
        also: Vec::new(),
        host: target.host.clone(),
        connections: args.connections,
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
    })
}

/// A few requests on each path: they warm the server before the idle memory
/// reading (a server that has never served is not the idle state that matters),
/// and catch a missing demo commune before ten seconds of 404s do.
async fn preflight(target: &Target) -> Result<()> {
    let mut conn = Conn::connect(target.addr).await?;
    for path in ["/healthz", HOME_PATH, "/"] {
        let request = get_request(&target.host, path);
        for _ in 0..3 {
            let res = conn.send(&request).await?;
            if res.status != 200 {
                eprintln!("warning: GET {path} answered {}", res.status);
            }
            if !res.keep_alive {
                conn = Conn::connect(target.addr).await?;
            }
        }
        if path == "/healthz" && conn.body() != b"ok" {
            eprintln!("warning: /healthz body is not \"ok\"");
        }
    }
    Ok(())
}

/// The `--xaso` path, or `xaso` beside this executable (both live in target/<profile>/).
fn xaso_binary(args: &Args) -> Result<PathBuf> {
    let path = match &args.xaso {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("executable has no directory")?
            .join("xaso"),
    };
    if !path.is_file() {
        bail!(
            "xaso binary not found at {}; build it with `cargo build --release -p xaso` or pass --xaso PATH",
            path.display()
        );
    }
    Ok(path)
}

/// `http://host:port[/]` → address and Host header. Only plain HTTP: the bench speaks no TLS.
fn parse_url(url: &str) -> Result<Target> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--url must start with http:// (got {url})");
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        bail!("--url must be just http://HOST:PORT (got {url})");
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    Ok(Target {
        addr,
        host: authority.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_http_urls() {
        let t = parse_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.host, "127.0.0.1:8080");
        assert_eq!(parse_url("http://127.0.0.1").unwrap().addr.port(), 80);
        assert!(parse_url("https://127.0.0.1:8080").is_err());
        assert!(parse_url("http://127.0.0.1:8080/c/17071").is_err());
    }
}
