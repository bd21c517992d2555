//! The register part's figures: what each import reported, the tables side by side per backend,
//! and the targets (issue 13) with their ratio and PASS/FAIL.

use std::time::Duration;

use super::{DEMO_HOUSEHOLDS, KINDS, MAP_HOUSEHOLDS};
use crate::load::{Outcome, Plan};
use crate::report::mb;
use crate::stats::ms;

const SQLITE_RPS_MIN: f64 = 50_000.0;
const POSTGRES_RPS_MIN: f64 = 20_000.0;
const PEAK_MAX_BYTES: u64 = 300_000_000;
const SEARCH_P99_MAX_US: u32 = 300_000;
const MAP_P99_MAX_US: u32 = 100_000;

/// What `xaso import households` printed: `… 1000 dòng — 998 mới, 0 cập nhật, 0 giữ nguyên,
/// 2 bị từ chối (…)`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Counts {
    pub(super) rows: u64,
    pub(super) new: u64,
    pub(super) updated: u64,
    pub(super) unchanged: u64,
    pub(super) refused: u64,
}

/// The counts in the import's last line, or `None` when it is not that line.
pub(super) fn counts(line: &str) -> Option<Counts> {
    let (head, tail) = line.rsplit_once(" dòng — ")?;
    let number = |s: &str, word: &str| -> Option<u64> {
        let (n, rest) = s.trim().split_once(' ')?;
        rest.starts_with(word).then(|| n.parse().ok())?
    };
    let parts: Vec<&str> = tail.splitn(4, ", ").collect();
    let [new, updated, unchanged, refused] = parts[..] else {
        return None;
    };
    Some(Counts {
        rows: head.rsplit(' ').next()?.parse().ok()?,
        new: number(new, "mới")?,
        updated: number(updated, "cập nhật")?,
        unchanged: number(unchanged, "giữ nguyên")?,
        refused: number(refused, "bị từ chối")?,
    })
}

/// One `xaso import households` run.
pub(super) struct Import {
    pub(super) what: String,
    /// Wall clock of the whole command: start-up, migrations check, reading, writing.
    pub(super) took: Duration,
    pub(super) peak_bytes: u64,
    pub(super) counts: Counts,
    /// Its last line, as printed.
    pub(super) said: String,
    pub(super) command: String,
}

impl Import {
    pub(super) fn rate(&self) -> f64 {
        self.counts.rows as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// One backend's big register: its imports and searches.
pub(super) struct Register {
    pub(super) backend: &'static str,
    pub(super) first: Import,
    pub(super) again: Import,
    pub(super) startup: Duration,
    /// One per [`KINDS`], then all kinds in turn.
    pub(super) searches: Vec<Outcome>,
    pub(super) server_command: String,
}

/// One backend's map layer on [`MAP_HOUSEHOLDS`] households.
pub(super) struct MapLayer {
    pub(super) backend: &'static str,
    pub(super) features: usize,
    pub(super) outcome: Outcome,
    pub(super) server_command: String,
}

/// A target's row.
struct Check {
    name: String,
    measured: String,
    goal: String,
    /// Measured ÷ goal; none for a yes-or-no target.
    ratio: Option<f64>,
    verdict: &'static str,
}

fn verdict(met: bool, errors: u64) -> &'static str {
    match (met, errors) {
        (false, _) => "FAIL",
        (true, 0) => "PASS",
        (true, _) => "FAIL (request errors)",
    }
}

/// `surname q=nguyen|…` → `surname`; `overall: …` → `overall`.
fn kind_name(label: &str) -> &str {
    label
        .split([':'])
        .next()
        .unwrap_or(label)
        .split(" q=")
        .next()
        .unwrap_or(label)
}

pub(super) fn print_report(
    households: u64,
    registers: &[Register],
    maps: &[MapLayer],
    plan: &Plan,
    bench_command: &str,
) {
    println!(
        "\nHousehold register (issue 13): {households} households imported into the demo's {DEMO_HOUSEHOLDS}"
    );
    println!(
        "  {:<11} {:<16} {:>9} {:>8} {:>10} {:>9} {:>9} {:>8} {:>10} {:>8}",
        "backend",
        "import",
        "rows",
        "s",
        "rows/s",
        "peak MB",
        "new",
        "updated",
        "unchanged",
        "refused"
    );
    for r in registers {
        for i in [&r.first, &r.again] {
            let c = &i.counts;
            println!(
                "  {:<11} {:<16} {:>9} {:>8.1} {:>10.0} {:>9.1} {:>9} {:>8} {:>10} {:>8}",
                r.backend,
                i.what,
                c.rows,
                i.took.as_secs_f64(),
                i.rate(),
                i.peak_bytes as f64 / 1e6,
                c.new,
                c.updated,
                c.unchanged,
                c.refused
            );
        }
    }
    println!("  (s and rows/s: wall clock of the whole command; peak: the child's VmHWM)");

    println!(
        "\nHousehold search, {} households, {} connections (ms)",
        households + DEMO_HOUSEHOLDS,
        plan.connections
    );
    print!("  {:<24}", "query kind");
    for r in registers {
        print!(
            " {:>16} {:>9} {:>9}",
            format!("{} p50", r.backend),
            "p99",
            "req/s"
        );
    }
    println!();
    for k in 0..=KINDS.len() {
        let Some(first) = registers.first().and_then(|r| r.searches.get(k)) else {
            break;
        };
        print!("  {:<24}", kind_name(&first.label));
        for r in registers {
            let o = &r.searches[k];
            print!(
                " {:>16} {:>9} {:>9.1}",
                ms(o.latency.p50_us),
                ms(o.latency.p99_us),
                o.rps
            );
        }
        println!();
    }

    println!(
        "\nRegister targets (issue 13): ratio = measured ÷ goal (rates pass at >= 1, times and memory below 1)"
    );
    println!(
        "  {:<58} {:>18}  {:<14} {:>6}  Result",
        "Target", "Measured", "Goal", "Ratio"
    );
    for c in checks(registers, maps) {
        println!(
            "  {:<58} {:>18}  {:<14} {:>6}  {}",
            c.name,
            c.measured,
            c.goal,
            c.ratio.map_or("-".to_owned(), |r| format!("{r:.2}")),
            c.verdict
        );
    }

    println!("\nCommand: {bench_command}");
    for r in registers {
        println!("Import:  {} ({})", r.first.command, r.backend);
        println!(
            "Server:  {} (ready in {} ms)",
            r.server_command,
            r.startup.as_millis()
        );
    }
    for m in maps {
        println!("Server:  {} (map layer, {})", m.server_command, m.backend);
    }
    println!(
        "Machine: {} CPU(s) shared by the server, the import and the load generator (load average {} at the end)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        super::load_average()
    );
}

fn checks(registers: &[Register], maps: &[MapLayer]) -> Vec<Check> {
    let mut out = Vec::new();
    for r in registers {
        let (min, goal) = if r.backend == "SQLite" {
            (SQLITE_RPS_MIN, ">= 50000")
        } else {
            (POSTGRES_RPS_MIN, ">= 20000")
        };
        let first = &r.first;
        let rate = first.rate();
        out.push(Check {
            name: format!(
                "import rows/s, {} ({} households)",
                r.backend, first.counts.rows
            ),
            // Rounded down, so a rate shown as the goal has met it.
            measured: format!("{:.0}", rate.floor()),
            goal: goal.to_owned(),
            ratio: Some(rate / min),
            verdict: verdict(rate >= min && first.counts.refused == 0, 0),
        });
        for i in [first, &r.again] {
            out.push(Check {
                name: format!("import peak memory (VmHWM), {}, {}", r.backend, i.what),
                measured: mb(i.peak_bytes),
                goal: "< 300 MB".to_owned(),
                ratio: Some(i.peak_bytes as f64 / PEAK_MAX_BYTES as f64),
                verdict: verdict(i.peak_bytes < PEAK_MAX_BYTES, 0),
            });
        }
        let again = &r.again.counts;
        out.push(Check {
            name: format!(
                "same file again, {} ({:.0} rows/s)",
                r.backend,
                r.again.rate()
            ),
            measured: format!("{} unchanged", again.unchanged),
            goal: format!("{} unchanged", again.rows),
            ratio: None,
            verdict: verdict(again.unchanged == again.rows && again.rows > 0, 0),
        });
        for o in &r.searches {
            out.push(Check {
                name: format!("search p99, {}, {}", kind_name(&o.label), r.backend),
                measured: format!("{} ms", ms(o.latency.p99_us)),
                goal: "< 300 ms".to_owned(),
                ratio: Some(f64::from(o.latency.p99_us) / f64::from(SEARCH_P99_MAX_US)),
                verdict: verdict(o.latency.p99_us < SEARCH_P99_MAX_US, o.errors()),
            });
        }
    }
    for m in maps {
        let o = &m.outcome;
        out.push(Check {
            name: format!(
                "map household layer p99, {} ({} of {MAP_HOUSEHOLDS} pins)",
                m.backend, m.features
            ),
            measured: format!("{} ms", ms(o.latency.p99_us)),
            goal: "< 100 ms".to_owned(),
            ratio: Some(f64::from(o.latency.p99_us) / f64::from(MAP_P99_MAX_US)),
            verdict: verdict(o.latency.p99_us < MAP_P99_MAX_US, o.errors()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_import_line() {
        let line = "/tmp/x y: z/h.csv: 1000300 dòng — 998 mới, 1 cập nhật, 1000000 giữ nguyên, 2 bị từ chối (12.5 s, 80024 dòng/s)";
        assert_eq!(
            counts(line),
            Some(Counts {
                rows: 1_000_300,
                new: 998,
                updated: 1,
                unchanged: 1_000_000,
                refused: 2
            })
        );
        let dry = "h.csv: 5 dòng — 5 mới, 0 cập nhật, 0 giữ nguyên, 0 bị từ chối; chưa ghi gì (--dry-run) (0.1 s, 50 dòng/s)";
        assert_eq!(counts(dry).map(|c| c.new), Some(5));
        assert_eq!(counts("Database is up to date (SQLite)."), None);
        assert_eq!(counts("h.csv: 5 dòng — 5 mới"), None);
    }

    #[test]
    fn kinds_are_named_without_their_queries() {
        assert_eq!(kind_name(KINDS[1].label), "surname + given prefix");
        assert_eq!(kind_name("overall: the five kinds in turn"), "overall");
    }
}
