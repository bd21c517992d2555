//! Operations: health, Prometheus metrics, structured request logs, login throttling by address.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

/// Latency buckets in seconds for the request histogram.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    requests_by_class: [AtomicU64; 5],
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_micros: AtomicU64,
    latency_count: AtomicU64,
    in_flight: AtomicU64,
}

impl Metrics {
    fn observe(&self, status: StatusCode, elapsed: Duration) {
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.requests_by_class[class].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::with_capacity(2048);
        out.push_str("# HELP xaso_http_requests_total HTTP requests answered, by status class.\n# TYPE xaso_http_requests_total counter\n");
        for (i, c) in self.requests_by_class.iter().enumerate() {
            out.push_str(&format!(
                "xaso_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP xaso_http_request_duration_seconds Time to answer a request.\n# TYPE xaso_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            out.push_str(&format!(
                "xaso_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}\n",
                self.latency_buckets[i].load(Ordering::Relaxed)
            ));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "xaso_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "xaso_http_request_duration_seconds_sum {}\n",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!(
            "xaso_http_request_duration_seconds_count {count}\n"
        ));
        out.push_str(&format!(
            "# TYPE xaso_http_in_flight gauge\nxaso_http_in_flight {}\n",
            self.in_flight.load(Ordering::Relaxed)
        ));
        for (name, help, v) in extra {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
            ));
        }
        out
    }
}

/// Logs every request as one JSON line with its id, and feeds the metrics.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let elapsed = start.elapsed();
    state.metrics.observe(res.status(), elapsed);
    // Every write, every error and every slow request has a log line with its request id; fast
    // successful reads are only counted in /metrics, or tracking and home-page traffic would
    // drown the log (and cost a formatted line each at thousands of requests a second).
    let quiet_read = matches!(method, axum::http::Method::GET | axum::http::Method::HEAD)
        && res.status().as_u16() < 400
        && elapsed < Duration::from_millis(250);
    if !quiet_read && path != "/healthz" && path != "/metrics" && !path.starts_with("/static/") {
        let rid = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // At debug level: request lines would bury the console (`XASO_LOG` turns them on).
        // A server error is a warning, so it reaches stderr with its request id.
        if res.status().is_server_error() {
            tracing::warn!(request_id = rid, method = %method, path = %path, status = res.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
        } else {
            tracing::debug!(request_id = rid, method = %method, path = %path, status = res.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
        }
    }
    res
}

async fn healthz(State(state): State<AppState>) -> Response {
    if crate::db::ping(&state.db).await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

fn resident_memory_bytes() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map(|pages| pages * 4096.0)
        .unwrap_or(0.0)
}

async fn metrics(State(state): State<AppState>) -> Response {
    let communes = state.communes.all_active().len() as f64;
    let body = state.metrics.render(&[
        (
            "xaso_active_communes",
            "Communes served by this deployment.",
            communes,
        ),
        (
            "xaso_resident_memory_bytes",
            "Resident memory of the process.",
            resident_memory_bytes(),
        ),
    ]);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// The client's address when the server was started with connect info (tests have none).
pub fn client_ip(req_ext: &axum::http::Extensions) -> IpAddr {
    req_ext
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}
