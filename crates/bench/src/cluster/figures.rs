//! The cluster part's figures: one backend's outcomes, the side-by-side table and the targets.

use super::{Backend, FAN_OUT_MAX_MS, RATIO_MIN, Setup};
use crate::load::{Outcome, Plan};
use crate::stats::ms;

/// One backend's figures.
pub(super) struct Measured {
    pub(super) fan_out_ms: f64,
    pub(super) seed_command: String,
    pub(super) server_commands: [String; 2],
    /// One process running: the figures Citus is compared with PostgreSQL on.
    pub(super) track: Outcome,
    pub(super) inbox: Outcome,
    /// With the second process running: loads on the first alone, then on both alternately.
    pub(super) home_one: Outcome,
    pub(super) home_two: Outcome,
    pub(super) inbox_one: Outcome,
    pub(super) inbox_two: Outcome,
}

pub(super) fn print_report(
    setup: &Setup<'_>,
    pg: &Measured,
    citus: &Measured,
    base: &Plan,
    bench_command: &str,
) {
    println!(
        "\nCluster (issue 12), {} dossiers, {} connections: PostgreSQL against Citus",
        setup.dossiers, base.connections
    );
    println!(
        "  {:<56} {:>11} {:>8} {:>11} {:>8} {:>8}",
        "load", "PG req/s", "p99 ms", "Citus req/s", "p99 ms", "Citus÷PG"
    );
    let pairs = [
        (&pg.track, &citus.track),
        (&pg.inbox, &citus.inbox),
        (&pg.home_one, &citus.home_one),
        (&pg.home_two, &citus.home_two),
        (&pg.inbox_one, &citus.inbox_one),
        (&pg.inbox_two, &citus.inbox_two),
    ];
    for (p, c) in pairs {
        println!(
            "  {:<56} {:>11.1} {:>8} {:>11.1} {:>8} {:>8.2}",
            p.label,
            p.rps,
            ms(p.latency.p99_us),
            c.rps,
            ms(c.latency.p99_us),
            ratio(c, p)
        );
    }
    // A time, not a rate: in the milliseconds columns.
    println!(
        "  {:<56} {:>11} {:>8.0} {:>11} {:>8.0}",
        format!("notice fan-out to {} people (bench-data)", setup.people),
        "",
        pg.fan_out_ms,
        "",
        citus.fan_out_ms
    );
    println!("\nCluster targets (issue 12):");
    for line in target_lines(setup.people, pg, citus) {
        println!("  {line}");
    }
    println!("\nCommand: {bench_command}");
    for m in [pg, citus] {
        println!("Data:    {}", m.seed_command);
        println!(
            "Servers: {}\n         {}",
            m.server_commands[0], m.server_commands[1]
        );
    }
}

/// The targets with PASS/FAIL, then the two-process figures, which have none.
fn target_lines(people: u64, pg: &Measured, citus: &Measured) -> Vec<String> {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut lines = Vec::new();
    for (what, p, c) in [
        ("tracking", &pg.track, &citus.track),
        ("desk inbox", &pg.inbox, &citus.inbox),
    ] {
        let r = ratio(c, p);
        lines.push(format!(
            "{what} on Citus / on PostgreSQL: {r:.2} ({:.0} ÷ {:.0} req/s) | >= {RATIO_MIN:.2} | {}",
            c.rps,
            p.rps,
            verdict(r >= RATIO_MIN, p.errors() + c.errors())
        ));
    }
    lines.push(format!(
        "notice fan-out to {people} people on Citus: {:.0} ms | <= {FAN_OUT_MAX_MS:.0} ms | {}",
        citus.fan_out_ms,
        verdict(citus.fan_out_ms <= FAN_OUT_MAX_MS, 0)
    ));
    lines.push(format!(
        "notice fan-out to {people} people on PostgreSQL: {:.0} ms (no target)",
        pg.fan_out_ms
    ));
    for (backend, m) in [(Backend::Postgres, pg), (Backend::Citus, citus)] {
        for (what, one, two) in [
            ("home page", &m.home_one, &m.home_two),
            ("desk inbox", &m.inbox_one, &m.inbox_two),
        ] {
            let errors = one.errors() + two.errors();
            lines.push(format!(
                "{what}, two processes / one process, {}: {:.2} ({:.0} ÷ {:.0} req/s{}) (no target: on {cpus} CPU(s) this shows overhead, not scaling)",
                backend.name(),
                ratio(two, one),
                two.rps,
                one.rps,
                if errors > 0 { ", with request errors" } else { "" }
            ));
        }
    }
    lines
}

fn ratio(a: &Outcome, b: &Outcome) -> f64 {
    if b.rps > 0.0 { a.rps / b.rps } else { 0.0 }
}

/// A figure that meets its target proves nothing if some of its requests failed.
fn verdict(met: bool, errors: u64) -> &'static str {
    match (met, errors) {
        (false, _) => "FAIL",
        (true, 0) => "PASS",
        (true, _) => "FAIL (request errors)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Latency;

    fn outcome(rps: f64, io_errors: u64) -> Outcome {
        Outcome {
            label: "x".into(),
            requests: 100,
            rps,
            latency: Latency {
                p50_us: 1_000,
                p99_us: 2_000,
                max_us: 3_000,
            },
            unexpected: 0,
            first_unexpected: None,
            io_errors,
            mean_body_bytes: 0.0,
        }
    }

    fn measured(rps: f64, fan_out_ms: f64, io_errors: u64) -> Measured {
        Measured {
            fan_out_ms,
            seed_command: String::new(),
            server_commands: [String::new(), String::new()],
            track: outcome(rps, 0),
            inbox: outcome(rps, io_errors),
            home_one: outcome(1_000.0, 0),
            home_two: outcome(900.0, 0),
            inbox_one: outcome(1_000.0, 0),
            inbox_two: outcome(1_100.0, io_errors),
        }
    }

    #[test]
    fn targets_compare_citus_with_postgres() {
        let lines = target_lines(
            100_000,
            &measured(1_000.0, 900.0, 0),
            &measured(500.0, 5000.0, 2),
        );
        assert_eq!(
            lines[..3],
            [
                "tracking on Citus / on PostgreSQL: 0.50 (500 ÷ 1000 req/s) | >= 0.50 | PASS",
                "desk inbox on Citus / on PostgreSQL: 0.50 (500 ÷ 1000 req/s) | >= 0.50 | FAIL (request errors)",
                "notice fan-out to 100000 people on Citus: 5000 ms | <= 5000 ms | PASS",
            ]
        );
        assert!(lines[4].starts_with(
            "home page, two processes / one process, PostgreSQL: 0.90 (900 ÷ 1000 req/s) (no target"
        ));
        assert!(lines[7].starts_with("desk inbox, two processes / one process, Citus: 1.10 (1100 ÷ 1000 req/s, with request errors)"));
        assert_eq!(lines.len(), 8);
        let slow = target_lines(1, &measured(1_000.0, 1.0, 0), &measured(499.0, 5001.0, 0));
        assert!(slow[0].ends_with("| FAIL") && slow[2].ends_with("| FAIL"));
    }
}
