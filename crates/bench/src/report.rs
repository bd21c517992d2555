//! Printing: the throughput table, the targets with PASS/FAIL, and how the figures were produced.

use std::time::Duration;

use crate::load::{Outcome, Plan};
use crate::stats::ms;

/// Startup times of the spawned server.
#[derive(Debug, Clone, Copy)]
pub struct Startup {
    /// Fresh data directory: first migration and demo seed included.
    pub fresh: Duration,
    /// Same data directory again: nothing to migrate or seed.
    pub restart: Duration,
}

/// Everything measured in one run. Startup and memory are absent with `--url`.
pub struct Figures {
    pub startup: Option<Startup>,
    pub idle_rss_bytes: Option<u64>,
    pub loaded_rss_bytes: Option<u64>,
    pub healthz: Outcome,
    pub home: Outcome,
    pub root: Outcome,
}

/// The platform's speed targets.
const FRESH_START_MAX: Duration = Duration::from_secs(3);
const RESTART_MAX: Duration = Duration::from_secs(1);
const IDLE_RSS_MAX_BYTES: u64 = 40_000_000;
const HOME_RATIO_MIN: f64 = 0.40;
const HOME_P99_MAX_US: u32 = 20_000;

enum Verdict {
    Pass,
    Fail,
    /// The value may meet the goal, but some requests failed, so it proves nothing.
    Errors,
    Skipped,
}

struct Check {
    name: &'static str,
    measured: String,
    goal: &'static str,
    verdict: Verdict,
}

pub fn print_throughput(plan: &Plan, outcomes: &[&Outcome]) {
    println!(
        "\nThroughput: {} keep-alive connections, {:.1} s warm-up, {:.1} s measured per path",
        plan.connections,
        plan.warmup.as_secs_f64(),
        plan.duration.as_secs_f64()
    );
    println!(
        "  {:<10} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}",
        "path", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "body B", "non-200", "io-err"
    );
    for o in outcomes {
        println!(
            "  {:<10} {:>9} {:>10.1} {:>8} {:>8} {:>8} {:>8.0} {:>7} {:>6}",
            o.path,
            o.requests,
            o.rps,
            ms(o.latency.p50_us),
            ms(o.latency.p99_us),
            ms(o.latency.max_us),
            o.mean_body_bytes,
            o.non_200,
            o.io_errors
        );
    }
}

pub fn print_summary(f: &Figures, bench_command: &str, server_command: Option<&str>) {
    let home_ratio = ratio(&f.home, &f.healthz);
    let root_ratio = ratio(&f.root, &f.healthz);
    println!(
        "\nRatios: {} ÷ /healthz = {home_ratio:.3}   / ÷ /healthz = {root_ratio:.3}",
        f.home.path
    );
    if let Some(rss) = f.loaded_rss_bytes {
        println!("Resident memory right after the load: {}", mb(rss));
    }
    println!("\nSummary");
    println!(
        "  {:<46} {:>14}  {:<10} Result",
        "Target", "Measured", "Goal"
    );
    for c in checks(f, home_ratio) {
        let verdict = match c.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Errors => "FAIL (request errors)",
            Verdict::Skipped => "skipped (--url)",
        };
        println!(
            "  {:<46} {:>14}  {:<10} {verdict}",
            c.name, c.measured, c.goal
        );
    }
    println!("\nCommand: {bench_command}");
    if let Some(cmd) = server_command {
        println!("Server:  {cmd}");
    }
    println!(
        "Machine: {} CPU(s) shared by server and load generator",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

fn checks(f: &Figures, home_ratio: f64) -> Vec<Check> {
    let startup = |name, pick: fn(&Startup) -> Duration, max: Duration, goal| match &f.startup {
        Some(s) => Check {
            name,
            measured: format!("{} ms", pick(s).as_millis()),
            goal,
            verdict: verdict(pick(s) < max, 0),
        },
        None => skipped(name, goal),
    };
    let home_errors = f.home.errors() + f.healthz.errors();
    vec![
        startup(
            "startup, fresh data dir (migrate + demo seed)",
            |s| s.fresh,
            FRESH_START_MAX,
            "< 3000 ms",
        ),
        startup(
            "startup, existing database",
            |s| s.restart,
            RESTART_MAX,
            "< 1000 ms",
        ),
        match f.idle_rss_bytes {
            Some(rss) => Check {
                name: "idle resident memory (VmRSS)",
                measured: mb(rss),
                goal: "< 40 MB",
                verdict: verdict(rss < IDLE_RSS_MAX_BYTES, 0),
            },
            None => skipped("idle resident memory (VmRSS)", "< 40 MB"),
        },
        Check {
            name: "home req/s ÷ /healthz req/s",
            measured: format!("{home_ratio:.3}"),
            goal: ">= 0.40",
            verdict: verdict(home_ratio >= HOME_RATIO_MIN, home_errors),
        },
        Check {
            name: "home p99 latency",
            measured: format!("{} ms", ms(f.home.latency.p99_us)),
            goal: "< 20 ms",
            verdict: verdict(f.home.latency.p99_us < HOME_P99_MAX_US, f.home.errors()),
        },
    ]
}

fn verdict(met: bool, errors: u64) -> Verdict {
    match (met, errors) {
        (false, _) => Verdict::Fail,
        (true, 0) => Verdict::Pass,
        (true, _) => Verdict::Errors,
    }
}

fn skipped(name: &'static str, goal: &'static str) -> Check {
    Check {
        name,
        measured: "-".into(),
        goal,
        verdict: Verdict::Skipped,
    }
}

fn ratio(a: &Outcome, b: &Outcome) -> f64 {
    if b.rps > 0.0 { a.rps / b.rps } else { 0.0 }
}

/// Decimal megabytes, the unit the target is stated in.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
