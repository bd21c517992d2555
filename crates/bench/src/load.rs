//! Closed-loop load generator: N keep-alive connections hammer one request (or a family of
//! requests) for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::{Conn, RequestSpec};
use crate::stats::Latency;

/// A request that takes this long is counted as an I/O error rather than waited on forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What to load and for how long.
#[derive(Debug, Clone)]
pub struct Plan {
    pub addr: SocketAddr,
    /// More processes of the same deployment: connection `i` goes to `[addr, also…][i % n]`,
    /// as a round-robin balancer in front of them would send it. Usually empty.
    pub also: Vec<SocketAddr>,
    /// The Host header of every request, whichever process gets it.
    pub host: String,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

impl Plan {
    /// The process connection `i` talks to.
    pub fn addr_for(&self, connection: usize) -> SocketAddr {
        match connection % (1 + self.also.len()) {
            0 => self.addr,
            k => self.also[k - 1],
        }
    }
}

/// Builds the request for one pseudo-random number (e.g. which dossier to track).
pub type MakeRequest = dyn Fn(u64) -> RequestSpec + Send + Sync;

/// What the connections send.
#[derive(Clone)]
pub enum Requests {
    /// The same request every time, encoded once.
    Same(RequestSpec),
    /// A fresh request each time from a per-connection pseudo-random sequence, so a
    /// server cache of one hot row cannot stand in for the real lookup.
    Varying(Arc<MakeRequest>),
}

/// One measurement: a name for the tables, the requests and the status that counts as success.
#[derive(Clone)]
pub struct Load {
    pub label: String,
    pub requests: Requests,
    pub expect_status: u16,
}

impl Load {
    /// `GET path`, expecting 200, labelled by its path.
    pub fn get(path: &str) -> Self {
        Load {
            label: path.to_owned(),
            requests: Requests::Same(RequestSpec::get(path)),
            expect_status: 200,
        }
    }
}

/// Figures for one load.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub label: String,
    pub requests: usize,
    pub rps: f64,
    pub latency: Latency,
    /// Responses whose status was not the expected one.
    pub unexpected: u64,
    /// The first unexpected response: status and the start of its body, to explain it.
    pub first_unexpected: Option<String>,
    /// Connect failures, timeouts, malformed or cut responses.
    pub io_errors: u64,
    pub mean_body_bytes: f64,
}

impl Outcome {
    pub fn errors(&self) -> u64 {
        self.unexpected + self.io_errors
    }
}

/// What one connection saw during the measured window.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    unexpected: u64,
    first_unexpected: Option<String>,
    io_errors: u64,
    body_bytes: u64,
    last_done: Option<Instant>,
}

/// Runs the warm-up then the measured window for `load` and summarises it.
pub async fn run(plan: &Plan, load: &Load) -> Outcome {
    let measure_from = Instant::now() + plan.warmup;
    let until = measure_from + plan.duration;
    let tasks: Vec<_> = (0..plan.connections)
        .map(|i| {
            let source = match &load.requests {
                Requests::Same(spec) => Source::Same(spec.encode(&plan.host).into()),
                Requests::Varying(make) => Source::Varying {
                    make: make.clone(),
                    host: plan.host.clone(),
                    rng: SplitMix64(i as u64),
                    buf: Vec::with_capacity(512),
                },
            };
            let window = Window {
                measure_from,
                until,
                expect_status: load.expect_status,
            };
            tokio::spawn(drive(plan.addr_for(i), source, window))
        })
        .collect();
    let mut tallies = Vec::with_capacity(tasks.len());
    for t in tasks {
        // A panicking connection task is a bug in this crate; surface it.
        tallies.push(t.await.expect("load connection task panicked"));
    }
    summarise(&load.label, measure_from, tallies)
}

/// One connection's requests.
enum Source {
    Same(Arc<[u8]>),
    Varying {
        make: Arc<MakeRequest>,
        host: String,
        rng: SplitMix64,
        /// Reused for every request of this connection.
        buf: Vec<u8>,
    },
}

impl Source {
    fn next(&mut self) -> &[u8] {
        match self {
            Source::Same(bytes) => bytes,
            Source::Varying {
                make,
                host,
                rng,
                buf,
            } => {
                make(rng.next()).encode_into(host, buf);
                buf
            }
        }
    }
}

/// When to record and what counts as success.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    until: Instant,
    expect_status: u16,
}

/// One connection's loop: send, wait for the full response, repeat until `until`.
/// Only requests started at or after `measure_from` are recorded, so the warm-up
/// (connection set-up, caches, allocator growth) stays out of the figures.
async fn drive(addr: SocketAddr, mut source: Source, window: Window) -> Tally {
    let Window {
        measure_from,
        until,
        expect_status,
    } = window;
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
        let request = source.next();
        let sent = Instant::now();
        let result = tokio::time::timeout(REQUEST_TIMEOUT, c.send(request)).await;
        let done = Instant::now();
        match result {
            Ok(Ok(res)) => {
                if measured {
                    tally.record(res.body_len, done - sent, done);
                    if res.status != expect_status {
                        tally.unexpected(res.status, c.body());
                    }
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
    fn record(&mut self, body_len: usize, took: Duration, done: Instant) {
        self.latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        self.body_bytes += body_len as u64;
        self.last_done = Some(self.last_done.map_or(done, |d| d.max(done)));
    }

    fn unexpected(&mut self, status: u16, body: &[u8]) {
        self.unexpected += 1;
        if self.first_unexpected.is_none() {
            self.first_unexpected = Some(describe(status, body));
        }
    }
}

/// Sends one request on a fresh connection, outside any measurement (preflights, logins);
/// returns the status and the body.
pub async fn fetch(plan: &Plan, spec: &RequestSpec) -> anyhow::Result<(u16, Vec<u8>)> {
    use anyhow::Context as _;
    let mut conn = Conn::connect(plan.addr).await?;
    let res = conn
        .send(&spec.encode(&plan.host))
        .await
        .with_context(|| format!("{} {}", spec.method, spec.path))?;
    Ok((res.status, conn.body().to_vec()))
}

/// `422 {"error":"…"}`: a status and the start of its body, on one line.
pub fn describe(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    format!(
        "{status} {}",
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// A tiny, fast, well-mixed pseudo-random sequence (SplitMix64), seeded per connection so
/// runs are reproducible and connections do not all ask for the same thing.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Merges the connections' tallies. Throughput divides by the real window, from
/// the start of measurement to the last recorded completion, because requests
/// started just before the deadline finish a little after it.
fn summarise(label: &str, measure_from: Instant, tallies: Vec<Tally>) -> Outcome {
    let requests: usize = tallies.iter().map(|t| t.latencies_us.len()).sum();
    let mut all = Vec::with_capacity(requests);
    let (mut unexpected, mut io_errors, mut body_bytes) = (0, 0, 0);
    let mut first_unexpected = None;
    let mut last_done = measure_from;
    for t in tallies {
        all.extend_from_slice(&t.latencies_us);
        unexpected += t.unexpected;
        first_unexpected = first_unexpected.or(t.first_unexpected);
        io_errors += t.io_errors;
        body_bytes += t.body_bytes;
        last_done = last_done.max(t.last_done.unwrap_or(measure_from));
    }
    let window = (last_done - measure_from).as_secs_f64();
    Outcome {
        label: label.to_owned(),
        requests,
        rps: if window > 0.0 {
            requests as f64 / window
        } else {
            0.0
        },
        latency: Latency::of(&mut all),
        unexpected,
        first_unexpected,
        io_errors,
        mean_body_bytes: if requests > 0 {
            body_bytes as f64 / requests as f64
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_seeded_and_spread() {
        let (mut a, mut b) = (SplitMix64(0), SplitMix64(1));
        let xs: Vec<u64> = (0..1000).map(|_| a.next() % 100).collect();
        assert_ne!(
            xs[..10],
            (0..10).map(|_| b.next() % 100).collect::<Vec<_>>()[..]
        );
        // Every bucket of 1..=100 is hit in a thousand draws.
        assert!((0..100).all(|k| xs.contains(&k)));
    }

    #[test]
    fn connections_alternate_between_processes() {
        let addr = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let mut plan = Plan {
            addr: addr(1),
            also: Vec::new(),
            host: "127.0.0.1:1".into(),
            connections: 4,
            warmup: Duration::ZERO,
            duration: Duration::ZERO,
        };
        assert!((0..4).all(|i| plan.addr_for(i) == addr(1)));
        plan.also = vec![addr(2)];
        let ports: Vec<u16> = (0..5).map(|i| plan.addr_for(i).port()).collect();
        assert_eq!(ports, [1, 2, 1, 2, 1]);
        plan.also.push(addr(3));
        let ports: Vec<u16> = (0..4).map(|i| plan.addr_for(i).port()).collect();
        assert_eq!(ports, [1, 2, 3, 1]);
    }

    #[test]
    fn describes_unexpected_responses_on_one_line() {
        assert_eq!(
            describe(422, b"{\"error\":\n \"x\"}"),
            "422 {\"error\": \"x\"}"
        );
        assert_eq!(describe(500, &[b'a'; 300]).len(), 4 + 200);
    }
}
