//! The voice room at scale (issue 4): bulk-load synthetic feedback with `xaso bench-data
//! --feedback N` into a data directory of its own, issue an Open311 key with
//! `xaso open311-key`, restart the server there and load the Open311 request list, the
//! public board page and Open311 submissions.
//!
//! The order matters: every submission adds a row and empties the server's cache of the
//! Open311 list, so the reads are measured first, each on its own.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use serde_json::Value;

use crate::http::RequestSpec;
use crate::load::{self, Load, Plan, Requests, describe, fetch};
use crate::report::{self, Voice};
use crate::server::{self, Server, Synthetic};
use crate::services::PASSWORD;

/// The demo commune, whose map area is 19.27–19.37 N, 105.12–105.24 E.
const COMMUNE: &str = "17071";
/// Open311 GeoReport v2 requests: `GET` lists the last 90 days (at most 1,000), `POST` adds one.
const REQUESTS_PATH: &str = "/open311/v2/requests.json";
/// The public board of answered reports.
const BOARD_PATH: &str = "/c/17071/feedback";
/// The name the load tool's Open311 key is issued under.
const KEY_NAME: &str = "bench";
/// The longest list one `GET requests` answers (the Open311 spec's page).
const LIST_MAX: usize = 1000;

/// Seeds `reports` into `data` (a directory of its own; no server may run on it), issues an
/// Open311 key, starts the server there and measures the voice room's loads with `base`'s
/// connections and durations.
pub async fn run(
    xaso: &Path,
    data: &Path,
    logs: &Path,
    reports: u64,
    base: &Plan,
) -> Result<Voice> {
    println!("\nVoice room: loading {reports} feedback reports with `xaso bench-data` …");
    let seeded = server::bench_data(
        xaso,
        data,
        &Synthetic {
            dossiers: 0,
            feedback: reports,
            password: PASSWORD,
        },
    )?;
    println!(
        "Data ready in {} ms (wall clock of the whole command, fresh data dir included); it said: {}",
        seeded.took.as_millis(),
        seeded.output
    );
    let key = server::open311_key(xaso, data, COMMUNE, KEY_NAME)?;

    let mut server = Server::spawn(xaso, data, &logs.join("voice.log"))?;
    let startup = server.wait_ready().await?;
    println!(
        "Startup with {reports} feedback reports in the database: {} ms",
        startup.as_millis()
    );
    let plan = Plan {
        addr: server.addr,
        host: server.addr.to_string(),
        ..base.clone()
    };

    let [list, board, post] = loads(&key.secret);
    preflight(&plan, &list, &board, &post).await?;
    let open311_list = load::run(&plan, &list).await;
    let board_all = load::run(&plan, &board).await;
    let few_plan = Plan {
        connections: 8,
        ..plan.clone()
    };
    let board_few = load::run(&few_plan, &board).await;
    let open311_post = load::run(&plan, &post).await;
    report::print_throughput(
        &format!("Feedback board with {} connections", few_plan.connections),
        &few_plan,
        &[&board_few],
    );
    report::print_throughput(
        &format!(
            "Voice room, {reports} feedback reports (Open311 submissions are writes: SQLite WAL, synchronous=FULL)"
        ),
        &plan,
        &[&open311_list, &board_all, &open311_post],
    );
    println!(
        "Resident memory after the voice load: {}",
        report::mb(server.rss_bytes()?)
    );
    let server_command = server.command.clone();
    server.stop().await?;

    Ok(Voice {
        reports,
        seed_command: seeded.command,
        seed_time: seeded.took,
        key_command: key.command,
        server_command,
        startup,
        open311_list,
        open311_post,
        board: board_all,
        board_few,
    })
}

/// The Open311 list (default window), the public board, and an Open311 submission with
/// `api_key` and a slightly different Vietnamese description each time.
fn loads(api_key: &str) -> [Load; 3] {
    let api_key = api_key.to_owned();
    [
        Load {
            label: format!("GET {REQUESTS_PATH} (90 days)"),
            requests: Requests::Same(RequestSpec::get(REQUESTS_PATH)),
            expect_status: 200,
        },
        Load::get(BOARD_PATH),
        Load {
            label: format!("POST {REQUESTS_PATH} (form)"),
            requests: Requests::Varying(Arc::new(move |r| {
                let description = description(r);
                RequestSpec::post_form(
                    REQUESTS_PATH,
                    &[
                        ("api_key", &api_key),
                        ("service_code", "infrastructure"),
                        ("lat", "19.33"),
                        ("long", "105.18"),
                        ("description", &description),
                    ],
                )
            })),
            expect_status: 201,
        },
    ]
}

/// A citizen's report about the commune's roads, lights, water or bridges; `r` picks the
/// wording, the hamlet and the number of days, so no two connections send the same text.
fn description(r: u64) -> String {
    let hamlet = 1 + r % 12;
    let days = 2 + (r >> 8) % 20;
    match (r >> 16) % 5 {
        0 => format!(
            "Đèn đường ở xóm {hamlet} bị hỏng đã {days} ngày, buổi tối đi lại rất tối và nguy hiểm. Đề nghị xã cho sửa sớm."
        ),
        1 => format!(
            "Đoạn đường liên thôn qua xóm {hamlet} có nhiều ổ gà sau đợt mưa {days} ngày trước, đã có người đi xe máy bị ngã. Đề nghị xã kiểm tra, vá đường."
        ),
        2 => format!(
            "Cống thoát nước đầu xóm {hamlet} bị tắc {days} ngày nay, nước tràn lên mặt đường mỗi khi mưa."
        ),
        3 => format!(
            "Đường ống nước sạch ở xóm {hamlet} bị vỡ, nước chảy ra đường đã {days} ngày mà chưa có ai đến sửa."
        ),
        _ => format!(
            "Cầu tràn sang xóm {hamlet} bị sạt một bên thành cầu sau lũ {days} ngày trước, xe chở nông sản không qua được."
        ),
    }
}

/// One request of each load, so a wrong key or route shows up as one clear message rather
/// than seconds of errors; also says how big the Open311 list is. Not fatal: the summary
/// will say FAIL.
async fn preflight(plan: &Plan, list: &Load, board: &Load, post: &Load) -> Result<()> {
    for l in [list, board, post] {
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
        } else if std::ptr::eq(l, list) {
            match list_len(&body) {
                Some(n) => {
                    println!(
                        "Open311 list: {n} requests in {:.0} KB",
                        body.len() as f64 / 1e3
                    );
                    if n != LIST_MAX {
                        eprintln!(
                            "warning: the Open311 list holds {n} requests, not the full {LIST_MAX}: too few reports in the last 90 days?"
                        );
                    }
                }
                None => eprintln!("warning: {} did not answer a JSON list", l.label),
            }
        } else if std::ptr::eq(l, board) && !body.starts_with(b"<!") {
            eprintln!("warning: {} did not answer an HTML page", l.label);
        }
    }
    Ok(())
}

/// How many requests an Open311 JSON list holds.
fn list_len(body: &[u8]) -> Option<usize> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Array(items) => Some(items.len()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_vary_and_stay_within_the_limits() {
        let texts: std::collections::HashSet<String> = (0..200u64)
            .map(|i| description(load::SplitMix64(i).next()))
            .collect();
        assert!(texts.len() > 150, "only {} distinct texts", texts.len());
        // Every wording shows up, and each is a real report the server accepts (≤ 4,000 chars).
        for start in ["Đèn đường", "Đoạn đường", "Cống", "Đường ống", "Cầu tràn"]
        {
            assert!(texts.iter().any(|t| t.starts_with(start)), "{start}");
        }
        assert!(texts.iter().all(|t| t.chars().count() < 200));
    }

    #[test]
    fn loads_ask_what_issue_4_measures() {
        let [list, board, post] = loads("o311_key");
        let Requests::Same(get) = &list.requests else {
            panic!("the list is one request");
        };
        assert_eq!((get.method, get.path.as_str()), ("GET", REQUESTS_PATH));
        assert_eq!(list.expect_status, 200);
        assert_eq!(board.label, "/c/17071/feedback");
        assert_eq!(post.expect_status, 201);
        let Requests::Varying(make) = post.requests else {
            panic!("submissions must vary");
        };
        let spec = make(3 << 16);
        assert_eq!((spec.method, spec.path.as_str()), ("POST", REQUESTS_PATH));
        let body = String::from_utf8(spec.body).unwrap();
        assert!(
            body.starts_with(
                "api_key=o311_key&service_code=infrastructure&lat=19.33&long=105.18&description=%C4%90%C6%B0%E1%BB%9Dng+%E1%BB%91ng+"
            ),
            "{body}"
        );
        assert_ne!(make(1).body, make(2).body);
    }

    #[test]
    fn counts_open311_lists() {
        assert_eq!(list_len(br#"[{"service_request_id":"PA1"},{}]"#), Some(2));
        assert_eq!(list_len(b"[]"), Some(0));
        assert_eq!(list_len(br#"[{"code":403}"#), None);
        assert_eq!(list_len(br#"{"a":1}"#), None);
    }
}
