//! Limits every process of a deployment shares, kept in the database: attempts counted per
//! address in a fixed window (logins, one-time codes, failed look-ups of receipt codes), and
//! the delivery channels' token buckets ([`reserve_shared`]).
//!
//! Counting is one statement (an upsert that restarts the window when it is over). Checking
//! whether an address is already over its budget ([`Limiter::exceeded`]) costs no query: each
//! process remembers the addresses its own counting found over, until their window ends. An
//! address spreading its tries over several processes is caught by the shared count at the
//! next try any process counts, so it never gets more than one extra look-up per process.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};

use crate::error::{AppError, AppResult};

pub struct Limiter {
    /// What is counted (`login`, `otp`, `track`): the counters' key starts with it.
    name: &'static str,
    max: u32,
    window: Duration,
    /// Addresses this process found over the budget, until their window ends.
    over: Mutex<HashMap<IpAddr, Instant>>,
}

/// Counters whose window ended this long ago are deleted by [`delete_stale`].
const KEEP: Duration = Duration::from_secs(24 * 3600);

impl Limiter {
    pub fn new(name: &'static str, max: u32, window: Duration) -> Self {
        Limiter {
            name,
            max,
            window,
            over: Mutex::new(HashMap::new()),
        }
    }

    /// The address has used up its budget, as this process last counted it (no query).
    pub fn exceeded(&self, ip: IpAddr) -> bool {
        let over = self.over.lock().unwrap_or_else(|e| e.into_inner());
        over.get(&ip).is_some_and(|until| *until > Instant::now())
    }

    /// Counts an attempt from the address in the shared counter: false when it is over the
    /// budget of its window (the budget's last try is still allowed).
    pub async fn allow(&self, db: &impl ConnectionTrait, ip: IpAddr) -> AppResult<bool> {
        let now = Utc::now().timestamp_millis();
        let window = self.window.as_millis() as i64;
        let key = format!("{}|{ip}", self.name);
        // Both backends take this upsert; the SET expressions read the row as it was.
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO rate_counter (key, window_start_ms, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                 hits = CASE WHEN rate_counter.window_start_ms <= $3 THEN 1 ELSE rate_counter.hits + 1 END, \
                 window_start_ms = CASE WHEN rate_counter.window_start_ms <= $3 THEN $2 ELSE rate_counter.window_start_ms END \
                 RETURNING hits, window_start_ms",
                [key.into(), now.into(), (now - window).into()],
            ))
            .await?
            .ok_or_else(|| AppError::internal("rate_counter: no row returned"))?;
        let hits: i32 = row.try_get("", "hits")?;
        let started: i64 = row.try_get("", "window_start_ms")?;
        let mut over = self.over.lock().unwrap_or_else(|e| e.into_inner());
        if over.len() > 100_000 {
            let now = Instant::now();
            over.retain(|_, until| *until > now);
        }
        // The budget used up: the next try is refused without a query.
        if hits as u32 >= self.max {
            let left = (started + window - now).max(0) as u64;
            over.insert(ip, Instant::now() + Duration::from_millis(left));
        } else {
            over.remove(&ip);
        }
        Ok(hits as u32 <= self.max)
    }
}

/// Deletes counters nobody has touched for a day (an hourly job).
pub async fn delete_stale(db: &impl ConnectionTrait) -> AppResult<u64> {
    let before = Utc::now().timestamp_millis() - KEEP.as_millis() as i64;
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM rate_counter WHERE window_start_ms < $1",
            [before.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// Takes one message's place in a channel's token bucket shared by every process: `rate`
/// messages per second after a burst of `burst`. `Ok(wait)` before it may go, or `Err(())`
/// (nothing taken) when that wait would exceed `max_wait`. One statement, on PostgreSQL only
/// (SQLite has one process, whose own bucket is enough): a virtual clock (GCRA) holds when
/// the messages already let through will have drained; a message may go once that is no
/// more than `burst - 1` intervals ahead of now.
pub async fn reserve_shared(
    db: &impl ConnectionTrait,
    key: &str,
    rate: f64,
    burst: f64,
    max_wait: Duration,
) -> AppResult<Result<Duration, ()>> {
    let interval = (1_000_000.0 / rate).round().max(1.0) as i64;
    let ahead = ((burst.max(1.0) - 1.0) * interval as f64) as i64;
    let slack = max_wait.as_micros() as i64 + ahead;
    // The database's clock, not this host's: processes on hosts whose clocks differ share
    // one bucket.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "WITH t AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now) \
             INSERT INTO rate_bucket (key, drained_at_us) SELECT $1, t.now + $2 FROM t \
             ON CONFLICT (key) DO UPDATE SET drained_at_us = \
               GREATEST(rate_bucket.drained_at_us, (SELECT now FROM t)) + $2 \
             WHERE GREATEST(rate_bucket.drained_at_us, (SELECT now FROM t)) <= (SELECT now FROM t) + $3 \
             RETURNING drained_at_us, (SELECT now FROM t) AS now_us",
            [key.into(), interval.into(), slack.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Err(()));
    };
    let drained: i64 = row.try_get("", "drained_at_us")?;
    let now: i64 = row.try_get("", "now_us")?;
    let start = drained - interval - ahead;
    Ok(Ok(Duration::from_micros((start - now).max(0) as u64)))
}
