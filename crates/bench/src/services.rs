//! The services room at scale: bulk-load synthetic dossiers with `xaso bench-data`, restart
//! the server on them, and load tracking, submission and the desk inbox.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::http::RequestSpec;
use crate::load::{self, Load, Plan, Requests, describe, fetch};
use crate::report::{self, Services};
use crate::server::{self, Server, Synthetic};

/// What `xaso bench-data` creates (crates/services/src/benchdata.rs).
const COMMUNE: &str = "17071";
const APPLICANT_PHONE: &str = "0900000001";
pub const OFFICIAL_PHONE: &str = "0900000002";
const PROCEDURE_CODE: &str = "BENCH-01";
/// Password of both load-test accounts; the data directory is a throwaway temporary one.
pub const PASSWORD: &str = "thu-tai-bench-2025";

/// `17071-250101-00042`: the receipt code of synthetic dossier `n`.
fn receipt(n: u64) -> String {
    format!("{COMMUNE}-250101-{n:05}")
}

/// Seeds `dossiers` into `data` (no server may be running on it), restarts the server there
/// and measures the three services-room loads with `base`'s connections and durations.
pub async fn run(
    xaso: &Path,
    data: &Path,
    logs: &Path,
    dossiers: u64,
    base: &Plan,
) -> Result<Services> {
    println!("\nServices room: loading {dossiers} dossiers with `xaso bench-data` …");
    let seeded = server::bench_data(
        xaso,
        data,
        &Synthetic {
            dossiers,
            feedback: 0,
            password: PASSWORD,
        },
    )?;
    println!(
        "Data ready in {} ms (wall clock of the whole command); it said: {}",
        seeded.took.as_millis(),
        seeded.output
    );

    let mut server = Server::spawn(xaso, data, &logs.join("services.log"))?;
    let startup = server.wait_ready().await?;
    println!(
        "Startup with {dossiers} dossiers in the database: {} ms",
        startup.as_millis()
    );
    let plan = Plan {
        addr: server.addr,
        host: server.addr.to_string(),
        ..base.clone()
    };

    let citizen = token(&plan, APPLICANT_PHONE).await?;
    let official = token(&plan, OFFICIAL_PHONE).await?;
    let procedure_id = bench_procedure(&plan).await?;

    let loads = loads(dossiers, &citizen, &official, procedure_id);
    preflight(&plan, &loads).await?;
    let [track, submit, inbox] = &loads;
    let track = load::run(&plan, track).await;
    let submit = load::run(&plan, submit).await;
    let inbox_load = inbox;
    let inbox = load::run(&plan, inbox_load).await;
    let desk_plan = Plan {
        connections: 8,
        ..plan.clone()
    };
    let inbox_desk = load::run(&desk_plan, inbox_load).await;
    report::print_throughput(
        &format!("Desk inbox with {} connections", desk_plan.connections),
        &desk_plan,
        &[&inbox_desk],
    );
    report::print_throughput(
        &format!(
            "Services room, {dossiers} dossiers (submissions are writes: SQLite WAL, synchronous=FULL)"
        ),
        &plan,
        &[&track, &submit, &inbox],
    );
    println!(
        "Resident memory after the services load: {}",
        report::mb(server.rss_bytes()?)
    );
    let server_command = server.command.clone();
    server.stop().await?;

    Ok(Services {
        dossiers,
        seed_command: seeded.command,
        seed_time: seeded.took,
        server_command,
        startup,
        track,
        submit,
        inbox,
        inbox_desk,
    })
}

/// Tracking with a pseudo-random receipt per request, a JSON submission as the citizen,
/// and the desk inbox page as the official.
pub fn loads(dossiers: u64, citizen: &str, official: &str, procedure_id: i64) -> [Load; 3] {
    let submission = serde_json::json!({
        "procedure_id": procedure_id,
        "applicant_name": "Người dân thử tải",
        "applicant_phone": APPLICANT_PHONE,
        "data": {},
        "documents": [],
    })
    .to_string();
    [
        Load {
            label: "GET /api/v1/track (random receipt)".into(),
            requests: Requests::Varying(Arc::new(move |r| {
                RequestSpec::get(format!(
                    "/api/v1/track?receipt={}&phone={APPLICANT_PHONE}",
                    receipt(1 + r % dossiers)
                ))
            })),
            expect_status: 200,
        },
        Load {
            label: format!("POST /api/v1/communes/{COMMUNE}/dossiers"),
            requests: Requests::Same(
                RequestSpec::post_json(format!("/api/v1/communes/{COMMUNE}/dossiers"), &submission)
                    .bearer(citizen),
            ),
            expect_status: 201,
        },
        Load {
            label: format!("GET /c/{COMMUNE}/office/dossiers"),
            requests: Requests::Same(
                RequestSpec::get(format!("/c/{COMMUNE}/office/dossiers")).bearer(official),
            ),
            expect_status: 200,
        },
    ]
}

/// A bearer token for `phone` (one login attempt; the throttle allows 30 per 5 minutes).
pub async fn token(plan: &Plan, phone: &str) -> Result<String> {
    let body = serde_json::json!({ "phone": phone, "password": PASSWORD, "name": "bench" });
    let spec = RequestSpec::post_json("/api/v1/auth/token", &body.to_string());
    let (status, body) = fetch(plan, &spec).await?;
    if status != 201 {
        bail!(
            "POST /api/v1/auth/token for {phone}: {}",
            describe(status, &body)
        );
    }
    let v: Value = serde_json::from_slice(&body).context("token response is not JSON")?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .context("token response has no \"token\"")
}

/// The id of procedure BENCH-01, found through the public catalogue search.
async fn bench_procedure(plan: &Plan) -> Result<i64> {
    let path = format!("/api/v1/communes/{COMMUNE}/procedures?q={PROCEDURE_CODE}");
    let (status, body) = fetch(plan, &RequestSpec::get(path.as_str())).await?;
    if status != 200 {
        bail!("GET {path}: {}", describe(status, &body));
    }
    let v: Value = serde_json::from_slice(&body).context("procedure list is not JSON")?;
    v.as_array()
        .into_iter()
        .flatten()
        .find(|p| p["code"] == PROCEDURE_CODE)
        .and_then(|p| p["id"].as_i64())
        .with_context(|| format!("GET {path}: no procedure {PROCEDURE_CODE} in the answer"))
}

/// One request of each load, so a wrong token or route shows up as one clear message
/// rather than seconds of errors. It is not fatal: the summary will say FAIL.
pub async fn preflight(plan: &Plan, loads: &[Load]) -> Result<()> {
    for l in loads {
        let spec = match &l.requests {
            Requests::Same(spec) => spec.clone(),
            Requests::Varying(make) => make(0),
        };
        let (status, body) = fetch(plan, &spec).await?;
        if status != l.expect_status {
            eprintln!(
                "warning: {} answered {} (expected {})",
                l.label,
                describe(status, &body),
                l.expect_status
            );
        } else if l.label.contains("/office/") && !body.starts_with(b"<!") {
            eprintln!("warning: {} did not answer an HTML page", l.label);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_match_bench_data() {
        assert_eq!(receipt(1), "17071-250101-00001");
        assert_eq!(receipt(100_000), "17071-250101-100000");
    }

    #[test]
    fn tracking_covers_every_dossier() {
        let [track, ..] = loads(3, "c", "o", 7);
        let Requests::Varying(make) = track.requests else {
            panic!("tracking must vary");
        };
        let paths: Vec<String> = (0..3).map(|r| make(r).path).collect();
        assert_eq!(
            paths,
            [1, 2, 3]
                .map(|n| format!("/api/v1/track?receipt=17071-250101-0000{n}&phone=0900000001"))
        );
    }
}
