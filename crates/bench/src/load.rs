//! Closed-loop load generator: N keep-alive connections hammer one path for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::{Conn, get_request};
use crate::stats::Latency;

/// A request that takes this long is counted as an I/O error rather than waited on forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What to load and for how long.
#[derive(Debug, Clone)]
pub struct Plan {
    pub addr: SocketAddr,
    pub host: String,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Figures for one path.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub path: String,
    pub requests: usize,
    pub rps: f64,
    pub latency: Latency,
    /// Responses whose status was not 200.
    pub non_200: u64,
    /// Connect failures, timeouts, malformed or cut responses.
    pub io_errors: u64,
    pub mean_body_bytes: f64,
}

impl Outcome {
    pub fn errors(&self) -> u64 {
        self.non_200 + self.io_errors
    }
}

/// What one connection saw during the measured window.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    non_200: u64,
    io_errors: u64,
    body_bytes: u64,
    last_done: Option<Instant>,
}

/// Runs the warm-up then the measured window against `path` and summarises it.
pub async fn run(plan: &Plan, path: &str) -> Outcome {
    let request: Arc<[u8]> = get_request(&plan.host, path).into();
    let measure_from = Instant::now() + plan.warmup;
    let until = measure_from + plan.duration;
    let tasks: Vec<_> = (0..plan.connections)
        .map(|_| tokio::spawn(drive(plan.addr, request.clone(), measure_from, until)))
        .collect();
    let mut tallies = Vec::with_capacity(tasks.len());
    for t in tasks {
        // A panicking connection task is a bug in this crate; surface it.
        tallies.push(t.await.expect("load connection task panicked"));
    }
    summarise(path, measure_from, tallies)
}

/// One connection's loop: send, wait for the full response, repeat until `until`.
/// Only requests started at or after `measure_from` are recorded, so the warm-up
/// (connection set-up, caches, allocator growth) stays out of the figures.
async fn drive(
    addr: SocketAddr,
    request: Arc<[u8]>,
    measure_from: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally {
        latencies_us: Vec::with_capacity(16 * 1024),
        ..Tally::default()
    };
    let mut conn: Option<Conn> = None;
    loop {
        let started = Instant::now();
        if started >= until {
            return tally;
        }
        let measured = started >= measure_from;
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::connect(addr).await {
                Ok(c) => conn.insert(c),
                Err(_) => {
                    tally.io_errors += u64::from(measured);
                    // Avoid a hot spin while the server refuses connections.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let result = tokio::time::timeout(REQUEST_TIMEOUT, c.send(&request)).await;
        let done = Instant::now();
        match result {
            Ok(Ok(res)) => {
                if measured {
                    tally.record(res.status, res.body_len, done - sent, done);
                }
                if !res.keep_alive {
                    conn = None;
                }
            }
            _ => {
                tally.io_errors += u64::from(measured);
                conn = None;
            }
        }
    }
}

impl Tally {
    fn record(&mut self, status: u16, body_len: usize, took: Duration, done: Instant) {
        self.latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        self.non_200 += u64::from(status != 200);
        self.body_bytes += body_len as u64;
        self.last_done = Some(self.last_done.map_or(done, |d| d.max(done)));
    }
}

/// Merges the connections' tallies. Throughput divides by the real window, from
/// the start of measurement to the last recorded completion, because requests
/// started just before the deadline finish a little after it.
fn summarise(path: &str, measure_from: Instant, tallies: Vec<Tally>) -> Outcome {
    let requests: usize = tallies.iter().map(|t| t.latencies_us.len()).sum();
    let mut all = Vec::with_capacity(requests);
    let (mut non_200, mut io_errors, mut body_bytes) = (0, 0, 0);
    let mut last_done = measure_from;
    for t in tallies {
        all.extend_from_slice(&t.latencies_us);
        non_200 += t.non_200;
        io_errors += t.io_errors;
        body_bytes += t.body_bytes;
        last_done = last_done.max(t.last_done.unwrap_or(measure_from));
    }
    let window = (last_done - measure_from).as_secs_f64();
    Outcome {
        path: path.to_owned(),
        requests,
        rps: if window > 0.0 {
            requests as f64 / window
        } else {
            0.0
        },
        latency: Latency::of(&mut all),
        non_200,
        io_errors,
        mean_body_bytes: if requests > 0 {
            body_bytes as f64 / requests as f64
        } else {
            0.0
        },
    }
}
