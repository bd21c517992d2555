//! Every public page of the demo commune against a small static file served by the same
//! process in the same run (issue 11's bar): each page at ≥ 0.4 of `/sw.js`'s request rate,
//! with p99 under 20 ms, at the plan's connections (64 by default). Ratios, not absolute
//! rates, so the verdict holds on a busy or a quiet machine alike.

use anyhow::{Context, Result};

use crate::http::{Conn, get_request};
use crate::load::{self, Load, Outcome, Plan};
use crate::report::{self, PAGE_P99_MAX_US, PAGE_RATIO_MIN, Pages};

/// The small static file every page is compared with.
pub const STATIC_PATH: &str = "/sw.js";

/// The public pages of the demo commune a citizen opens without signing in (the report form
/// asks to sign in first, so it is not one of them).
fn public_pages(commune: &str, procedure: Option<i64>) -> Vec<String> {
    let mut pages: Vec<String> = [
        "",
        "/services",
        "/track",
        "/feedback",
        "/polls",
        "/forum",
        "/directory",
        "/notices",
    ]
    .iter()
    .map(|p| format!("/c/{commune}{p}"))
    .collect();
    if let Some(id) = procedure {
        pages.insert(2, format!("/c/{commune}/services/{id}"));
    }
    pages.push("/".into());
    pages
}

/// The first procedure of the commune's catalogue, read from its API, for the procedure page.
async fn first_procedure(plan: &Plan, commune: &str) -> Result<Option<i64>> {
    let mut conn = Conn::connect(plan.addr).await?;
    let path = format!("/api/v1/communes/{commune}/procedures");
    let res = conn.send(&get_request(&plan.host, &path)).await?;
    if res.status != 200 {
        eprintln!("warning: GET {path} answered {}", res.status);
        return Ok(None);
    }
    let list: serde_json::Value =
        serde_json::from_slice(conn.body()).context("the procedure list is not JSON")?;
    Ok(list
        .as_array()
        .and_then(|a| a.first())
        .and_then(|p| p["id"].as_i64()))
}

/// One page's figures beside the static file's.
struct Row<'a> {
    page: &'a Outcome,
    ratio: f64,
}

impl Row<'_> {
    fn passes(&self) -> bool {
        self.ratio >= PAGE_RATIO_MIN
            && self.page.latency.p99_us < PAGE_P99_MAX_US
            && self.page.errors() == 0
    }
}

/// Loads the static file, then each public page, one after the other, and prints the table
/// with each page's ratio and verdict. Answers the worst page's figures for the summary.
pub async fn run(plan: &Plan, commune: &str) -> Result<Pages> {
    let procedure = first_procedure(plan, commune).await?;
    let reference = load::run(plan, &Load::get(STATIC_PATH)).await;
    let mut pages = Vec::new();
    for path in public_pages(commune, procedure) {
        pages.push(load::run(plan, &Load::get(&path)).await);
    }
    let mut all: Vec<&Outcome> = vec![&reference];
    all.extend(pages.iter());
    report::print_throughput("Public pages against a static file", plan, &all);

    println!(
        "\n  Bar: each page ≥ {PAGE_RATIO_MIN} of {STATIC_PATH}'s rate ({:.0} req/s here), p99 < {} ms",
        reference.rps,
        PAGE_P99_MAX_US / 1000
    );
    let rows: Vec<Row> = pages
        .iter()
        .map(|p| Row {
            page: p,
            ratio: if reference.rps > 0.0 {
                p.rps / reference.rps
            } else {
                0.0
            },
        })
        .collect();
    let w = rows
        .iter()
        .map(|r| r.page.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    println!(
        "  {:<w$} {:>10} {:>7} {:>8}  verdict",
        "page", "req/s", "ratio", "p99 ms"
    );
    for r in &rows {
        println!(
            "  {:<w$} {:>10.1} {:>7.2} {:>8.2}  {}",
            r.page.label,
            r.page.rps,
            r.ratio,
            r.page.latency.p99_us as f64 / 1000.0,
            if r.passes() { "PASS" } else { "FAIL" }
        );
    }
    let failed = rows.iter().filter(|r| !r.passes()).count();
    println!(
        "  {} of {} public pages pass",
        rows.len() - failed,
        rows.len()
    );
    let slowest = rows
        .iter()
        .min_by(|a, b| a.ratio.total_cmp(&b.ratio))
        .context("no public page was loaded")?;
    let worst = rows
        .iter()
        .max_by_key(|r| r.page.latency.p99_us)
        .context("no public page was loaded")?;
    Ok(Pages {
        count: rows.len(),
        slowest: (slowest.page.label.clone(), slowest.ratio),
        worst_p99: (worst.page.label.clone(), worst.page.latency.p99_us),
        errors: rows.iter().map(|r| r.page.errors()).sum::<u64>() + reference.errors(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_list_covers_the_front_door_and_every_public_room() {
        let pages = public_pages("17071", Some(7));
        assert_eq!(pages[0], "/c/17071");
        assert!(pages.contains(&"/c/17071/services/7".to_owned()));
        assert!(pages.contains(&"/c/17071/polls".to_owned()));
        assert!(pages.contains(&"/".to_owned()));
        assert_eq!(public_pages("17071", None).len(), pages.len() - 1);
    }
}
