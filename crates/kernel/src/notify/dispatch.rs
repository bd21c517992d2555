//! The outbox dispatcher: claims due messages so that two processes never send the same one,
//! delivers a batch concurrently (emergencies first) under per-channel rate limits, holds
//! push/SMS/Zalo in a person's quiet hours, and records outcomes in one UPDATE per group.
//!
//! A claimed row is `sending` with `next_attempt_at` as its lease; a row whose dispatcher died
//! goes back to `pending` when the lease ends. Failures are retried with [`backoff`] and
//! dead-lettered after [`MAX_ATTEMPTS`]; quiet hours, rate limits and a channel not yet
//! configured postpone a message without counting an attempt.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::prefs::HELD_IN_QUIET_HOURS;
use super::{
    Channel, DEAD, Delivery, EMAIL, InboxChannel, MAX_ATTEMPTS, PENDING, PUSH, Priority, Recipient,
    SENDING, SENT, SMS, ZALO, outbox,
};
use crate::config::Config;
use crate::error::AppResult;
use crate::jobs::backoff;

/// Messages claimed per round.
pub const BATCH: u64 = 1000;
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 64;
/// A claimed message not finished within this time is handed out again.
const LEASE: Duration = Duration::minutes(5);
/// A message waits at most this long for its channel's rate limit; beyond, it is postponed.
const MAX_RATE_WAIT: StdDuration = StdDuration::from_secs(5);
/// A channel that has not finished one message within this time has failed it.
const DELIVERY_TIMEOUT: StdDuration = StdDuration::from_secs(30);
/// A message for a channel nobody has configured is looked at again after this long.
pub const NOT_CONFIGURED_RETRY: Duration = Duration::hours(1);
/// What `last_error` says of such a message (the delivery page counts them by it).
pub const NOT_CONFIGURED: &str = "channel not configured";
/// Ids per `IN (…)` list, well under every backend's bound-parameter limit.
const ID_CHUNK: usize = 500;

/// Messages per second when the config file does not say; channels not listed are unlimited.
pub const DEFAULT_RATES: [(&str, f64); 4] =
    [(SMS, 20.0), (ZALO, 20.0), (EMAIL, 10.0), (PUSH, 200.0)];

/// Token buckets per channel holding one second's worth of messages.
pub struct RateLimits {
    rates: HashMap<String, f64>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimits {
    pub fn new(configured: &BTreeMap<String, f64>) -> Self {
        let mut rates: HashMap<String, f64> = DEFAULT_RATES
            .iter()
            .map(|(c, r)| (c.to_string(), *r))
            .collect();
        rates.extend(configured.iter().map(|(c, r)| (c.clone(), *r)));
        RateLimits {
            rates,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Messages per second allowed on `channel`, or `None` for no limit.
    pub fn rate(&self, channel: &str) -> Option<f64> {
        self.rates.get(channel).copied().filter(|r| *r > 0.0)
    }

    /// Takes a token for one message: `Ok(wait)` before it may go, or `Err(wait)` (nothing
    /// taken) when that wait would exceed `max_wait`.
    pub fn reserve(
        &self,
        channel: &str,
        now: Instant,
        max_wait: StdDuration,
    ) -> Result<StdDuration, StdDuration> {
        let Some(rate) = self.rate(channel) else {
            return Ok(StdDuration::ZERO);
        };
        let burst = rate.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(channel.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        if now > b.at {
            b.tokens = (b.tokens + (now - b.at).as_secs_f64() * rate).min(burst);
            b.at = now;
        }
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(StdDuration::ZERO);
        }
        // Tokens may go below zero: each reservation queues behind the previous ones.
        let wait = StdDuration::from_secs_f64((1.0 - b.tokens) / rate);
        if wait > max_wait {
            return Err(wait);
        }
        b.tokens -= 1.0;
        Ok(wait)
    }
}

/// What became of one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// The channel tried it.
    Tried(Delivery),
    /// Quiet hours: it goes when they end.
    Held(DateTime<Utc>),
    /// Over the channel's rate: it goes a little later.
    Postponed(DateTime<Utc>),
}

/// How `last_error` changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorChange {
    Keep,
    Clear,
    Set(String),
}

/// The row update a disposition leads to; messages with equal changes share one UPDATE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    pub status: &'static str,
    pub count_attempt: bool,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent: bool,
    pub error: ErrorChange,
}

/// The retry and dead-letter rule for a message that had `attempts` before this one.
pub fn change_for(attempts: i32, d: &Disposition, now: DateTime<Utc>) -> Change {
    let postpone = |at, error| Change {
        status: PENDING,
        count_attempt: false,
        next_attempt_at: Some(at),
        sent: false,
        error,
    };
    let dead = |e: &str| Change {
        status: DEAD,
        count_attempt: true,
        // The time it was given up on, shown on the dead-letter list.
        next_attempt_at: Some(now),
        sent: false,
        error: ErrorChange::Set(e.to_owned()),
    };
    match d {
        Disposition::Tried(Delivery::Sent) => Change {
            status: SENT,
            count_attempt: true,
            next_attempt_at: None,
            sent: true,
            error: ErrorChange::Clear,
        },
        Disposition::Tried(Delivery::Failed(e)) if attempts + 1 >= MAX_ATTEMPTS => dead(e),
        Disposition::Tried(Delivery::Failed(e)) => Change {
            status: PENDING,
            count_attempt: true,
            next_attempt_at: Some(now + backoff(attempts + 1)),
            sent: false,
            error: ErrorChange::Set(e.clone()),
        },
        Disposition::Tried(Delivery::Unreachable(e)) => dead(e),
        Disposition::Tried(Delivery::NotConfigured) => postpone(
            now + NOT_CONFIGURED_RETRY,
            ErrorChange::Set(NOT_CONFIGURED.into()),
        ),
        Disposition::Held(at) | Disposition::Postponed(at) => postpone(*at, ErrorChange::Keep),
    }
}

/// Groups outcomes `(id, attempts before, disposition)` by the update they need.
pub fn plan(outcomes: &[(i64, i32, Disposition)], now: DateTime<Utc>) -> HashMap<Change, Vec<i64>> {
    let mut groups: HashMap<Change, Vec<i64>> = HashMap::new();
    for (id, attempts, d) in outcomes {
        groups
            .entry(change_for(*attempts, d, now))
            .or_default()
            .push(*id);
    }
    groups
}

#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    channels: Arc<Vec<Arc<dyn Channel>>>,
    wake: Arc<tokio::sync::Notify>,
    limits: Arc<RateLimits>,
    sharded: Arc<tokio::sync::OnceCell<bool>>,
}

impl Dispatcher {
    /// A dispatcher with exactly these channels, default rate limits and no outside settings.
    pub fn new(db: DatabaseConnection, channels: Vec<Box<dyn Channel>>) -> Self {
        Dispatcher {
            db,
            channels: Arc::new(channels.into_iter().map(Arc::from).collect()),
            wake: Arc::new(tokio::sync::Notify::new()),
            limits: Arc::new(RateLimits::new(&BTreeMap::new())),
            sharded: Default::default(),
        }
    }

    /// The in-app inbox plus the given outside channels, at the configured rate limits.
    pub fn with_channels(
        db: DatabaseConnection,
        config: &Config,
        outside: Vec<Box<dyn Channel>>,
    ) -> Self {
        let channels: Vec<Arc<dyn Channel>> =
            std::iter::once(Arc::new(InboxChannel) as Arc<dyn Channel>)
                .chain(outside.into_iter().map(Arc::from))
                .collect();
        Dispatcher {
            db,
            channels: Arc::new(channels),
            wake: Arc::new(tokio::sync::Notify::new()),
            limits: Arc::new(RateLimits::new(&config.rate_limits)),
            sharded: Default::default(),
        }
    }

    /// Adds a channel, replacing one of the same name.
    pub fn with_channel(mut self, c: Box<dyn Channel>) -> Self {
        let list = Arc::make_mut(&mut self.channels);
        list.retain(|x| x.name() != c.name());
        list.push(Arc::from(c));
        self
    }

    pub fn channel_names(&self) -> Vec<&'static str> {
        self.channels.iter().map(|c| c.name()).collect()
    }

    pub fn rate(&self, channel: &str) -> Option<f64> {
        self.limits.rate(channel)
    }

    /// Whether `channel` can deliver the commune's messages now: false for a channel this
    /// process does not have, or one whose gateway is not configured ([`Channel::configured`]).
    pub async fn configured(&self, channel: &str, commune_code: &str) -> bool {
        match self.channel(channel) {
            Some(c) => c.configured(commune_code).await,
            None => false,
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn channel(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.channels.iter().find(|c| c.name() == name)
    }

    /// Hands back messages whose dispatcher stopped before finishing them.
    async fn release_expired(&self, now: DateTime<Utc>) -> AppResult<()> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(PENDING))
            .filter(outbox::Column::Status.eq(SENDING))
            .filter(outbox::Column::NextAttemptAt.lt(now))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Whether the outbox is sharded by commune (a Citus coordinator), asked until answered.
    async fn sharded(&self) -> AppResult<bool> {
        Ok(*self
            .sharded
            .get_or_try_init(|| crate::citus::is_coordinator(&self.db))
            .await?)
    }

    /// Takes up to `batch` due messages for this process, most urgent first. On Citus a
    /// locking read must stay on one shard, so the (commune, priority) pairs with due messages
    /// are listed first (one read across shards, emergencies of every commune before anything
    /// else) and claimed one by one. A claim that fails leaves the rows already claimed to be
    /// delivered now rather than after their lease.
    async fn claim(&self, now: DateTime<Utc>, batch: u64) -> AppResult<Vec<outbox::Model>> {
        let mut rows = if self.sharded().await? {
            let due: Vec<(String, i16)> = outbox::Entity::find()
                .select_only()
                .column(outbox::Column::CommuneCode)
                .column(outbox::Column::Priority)
                .filter(outbox::Column::Status.eq(PENDING))
                .filter(outbox::Column::NextAttemptAt.lte(now))
                .group_by(outbox::Column::CommuneCode)
                .group_by(outbox::Column::Priority)
                .order_by(outbox::Column::Priority, sea_orm::Order::Desc)
                .order_by(
                    Func::min(Expr::col(outbox::Column::Id)),
                    sea_orm::Order::Asc,
                )
                .limit(batch)
                .into_tuple()
                .all(&self.db)
                .await?;
            let mut rows = Vec::new();
            for (commune, priority) in due {
                let left = batch.saturating_sub(rows.len() as u64);
                if left == 0 {
                    break;
                }
                match self.claim_in(Some((&commune, priority)), now, left).await {
                    Ok(claimed) => rows.extend(claimed),
                    Err(e) if !rows.is_empty() => {
                        tracing::warn!(%commune, error = %e, "outbox claim; the rows claimed so far go now");
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            rows
        } else {
            self.claim_in(None, now, batch).await?
        };
        rows.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Claims up to `batch` due messages, of one commune and priority or of all. The status test in the
    /// UPDATE itself makes the claim exclusive; on PostgreSQL, SKIP LOCKED lets a second
    /// dispatcher take the next rows instead of waiting for these.
    async fn claim_in(
        &self,
        commune: Option<(&str, i16)>,
        now: DateTime<Utc>,
        batch: u64,
    ) -> AppResult<Vec<outbox::Model>> {
        let mut due = Query::select();
        due.column(outbox::Column::Id)
            .from(outbox::Entity)
            .and_where(outbox::Column::Status.eq(PENDING))
            .and_where(outbox::Column::NextAttemptAt.lte(now))
            .order_by(outbox::Column::Priority, sea_orm::Order::Desc)
            .order_by(outbox::Column::Id, sea_orm::Order::Asc)
            .limit(batch)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        let mut claim = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(SENDING))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + LEASE))
            .filter(outbox::Column::Status.eq(PENDING));
        if let Some((c, priority)) = commune {
            due.and_where(outbox::Column::CommuneCode.eq(c))
                .and_where(outbox::Column::Priority.eq(priority));
            claim = claim
                .filter(outbox::Column::CommuneCode.eq(c))
                .filter(outbox::Column::Priority.eq(priority));
        }
        let claim = if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` may run its subquery again
            // for each row PostgreSQL looks at and claim more than `batch` (seen: 7 of 3);
            // an ARRAY(…) subquery runs once.
            claim.filter(Expr::cust_with_exprs(
                "$1 = ANY(ARRAY $2)",
                [
                    Expr::col((outbox::Entity, outbox::Column::Id)),
                    Expr::SubQuery(None, Box::new(due.into())),
                ],
            ))
        } else {
            claim.filter(outbox::Column::Id.in_subquery(due))
        };
        Ok(claim.exec_with_returning(&self.db).await?)
    }

    /// Delivers up to `batch` due messages; returns how many were claimed.
    pub async fn deliver_due(&self, now: DateTime<Utc>, batch: u64) -> AppResult<usize> {
        let started = Instant::now();
        self.release_expired(now).await?;
        let due = self.claim(now, batch).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut users: Vec<i64> = due.iter().map(|m| m.user_id).collect();
        users.sort_unstable();
        users.dedup();
        let people = Recipient::load_many(&self.db, &users).await?;
        // Futures built up front from a named async fn: a closure here makes the future
        // not `Send` for every lifetime, which `tokio::spawn` of the loop needs.
        let attempts: Vec<_> = due
            .iter()
            .map(|m| self.attempt(m, people.get(&m.user_id), now))
            .collect();
        let outcomes: Vec<(i64, i32, Disposition)> = futures_util::stream::iter(attempts)
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        // Backoff counts from when the round ended, not began: a gateway that took its full
        // timeout is not tried again at once.
        let finished = now + Duration::from_std(started.elapsed()).unwrap_or_default();
        let communes: HashMap<i64, &str> = due
            .iter()
            .map(|m| (m.id, m.commune_code.as_str()))
            .collect();
        self.record(&outcomes, &communes, finished).await?;
        Ok(due.len())
    }

    async fn attempt(
        &self,
        msg: &outbox::Model,
        to: Option<&Recipient>,
        now: DateTime<Utc>,
    ) -> (i64, i32, Disposition) {
        (msg.id, msg.attempts, self.dispose(msg, to, now).await)
    }

    /// The wait before one more message may go on `channel`: in the bucket every process
    /// shares on PostgreSQL (two processes never send twice the rate), in this process's own
    /// on SQLite or when the shared one cannot be read. `Err` when the wait would be longer
    /// than [`MAX_RATE_WAIT`].
    async fn wait_for_rate(&self, channel: &str) -> Result<StdDuration, ()> {
        let Some(rate) = self.limits.rate(channel) else {
            return Ok(StdDuration::ZERO);
        };
        if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            let key = format!("send|{channel}");
            match crate::limits::reserve_shared(&self.db, &key, rate, rate, MAX_RATE_WAIT).await {
                Ok(taken) => return taken,
                Err(e) => {
                    tracing::warn!(%channel, error = %e, "shared rate bucket unreadable; this process's own is used")
                }
            }
        }
        self.limits
            .reserve(channel, Instant::now(), MAX_RATE_WAIT)
            .map_err(|_| ())
    }

    async fn dispose(
        &self,
        msg: &outbox::Model,
        to: Option<&Recipient>,
        now: DateTime<Utc>,
    ) -> Disposition {
        let Some(channel) = self.channel(&msg.channel) else {
            return Disposition::Tried(Delivery::NotConfigured);
        };
        let Some(to) = to else {
            return Disposition::Tried(Delivery::Unreachable("recipient not found".into()));
        };
        if Priority::from_i16(msg.priority) < Priority::Emergency
            && HELD_IN_QUIET_HOURS.contains(&msg.channel.as_str())
            && let Some(until) = to.quiet.and_then(|q| q.hold_until(now))
        {
            return Disposition::Held(until);
        }
        match self.wait_for_rate(&msg.channel).await {
            Ok(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
            Ok(_) => {}
            Err(_) => {
                let later = Duration::from_std(MAX_RATE_WAIT).unwrap_or(Duration::seconds(5));
                return Disposition::Postponed(now + later);
            }
        }
        // Keyed messages go out in the recipient's language, whoever caused them.
        let msg = &msg.in_locale(to.locale);
        match tokio::time::timeout(DELIVERY_TIMEOUT, channel.deliver_to(&self.db, msg, to)).await {
            Ok(d) => Disposition::Tried(d),
            Err(_) => Disposition::Tried(Delivery::Failed(format!(
                "no result within {} s",
                DELIVERY_TIMEOUT.as_secs()
            ))),
        }
    }

    /// One UPDATE per group of equal changes, per commune (so that each goes to one shard on
    /// Citus) and per chunk of ids.
    async fn record(
        &self,
        outcomes: &[(i64, i32, Disposition)],
        communes: &HashMap<i64, &str>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        for (c, ids) in plan(outcomes, now) {
            let mut by_commune: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            for id in ids {
                let commune = communes.get(&id).copied().unwrap_or_default();
                by_commune.entry(commune).or_default().push(id);
            }
            let chunks: Vec<(&str, &[i64])> = by_commune
                .iter()
                .flat_map(|(commune, ids)| ids.chunks(ID_CHUNK).map(|c| (*commune, c)))
                .collect();
            for (commune, chunk) in chunks {
                let mut u = outbox::Entity::update_many()
                    .col_expr(outbox::Column::Status, Expr::value(c.status))
                    .filter(outbox::Column::CommuneCode.eq(commune))
                    .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
                    .filter(outbox::Column::Status.eq(SENDING));
                if c.count_attempt {
                    u = u.col_expr(
                        outbox::Column::Attempts,
                        Expr::col(outbox::Column::Attempts).add(1),
                    );
                }
                if let Some(at) = c.next_attempt_at {
                    u = u.col_expr(outbox::Column::NextAttemptAt, Expr::value(at));
                }
                if c.sent {
                    u = u.col_expr(outbox::Column::SentAt, Expr::value(Some(now)));
                }
                u = match &c.error {
                    ErrorChange::Keep => u,
                    ErrorChange::Clear => u.col_expr(
                        outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    ),
                    ErrorChange::Set(e) => {
                        u.col_expr(outbox::Column::LastError, Expr::value(Some(e.clone())))
                    }
                };
                u.exec(&self.db).await?;
            }
        }
        Ok(())
    }

    /// The delivery loop: a full batch is followed at once by the next; otherwise it waits to
    /// be woken, at most two seconds, until shutdown.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            let full = match self.deliver_due(Utc::now(), BATCH).await {
                Ok(n) => n as u64 >= BATCH,
                Err(e) => {
                    tracing::error!(error = %e, "outbox dispatcher");
                    false
                }
            };
            if *shutdown.borrow() {
                return;
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_secs(2)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-10-10T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn failures_back_off_then_die_at_max_attempts() {
        let now = t0();
        let fail = Disposition::Tried(Delivery::Failed("gateway answered 500".into()));
        let first = change_for(0, &fail, now);
        assert_eq!(first.status, PENDING);
        assert!(first.count_attempt);
        assert_eq!(first.next_attempt_at, Some(now + Duration::seconds(10)));
        assert_eq!(first.error, ErrorChange::Set("gateway answered 500".into()));
        let sixth = change_for(5, &fail, now);
        assert_eq!(sixth.next_attempt_at, Some(now + Duration::seconds(320)));
        // The eighth failure is the last: dead, with the error and the time kept.
        let last = change_for(MAX_ATTEMPTS - 1, &fail, now);
        assert_eq!(last.status, DEAD);
        assert_eq!(last.next_attempt_at, Some(now));
        assert_eq!(change_for(MAX_ATTEMPTS - 2, &fail, now).status, PENDING);
        // A whole life: MAX_ATTEMPTS tries, then nothing more.
        let mut attempts = 0;
        let mut statuses = vec![];
        while statuses.last() != Some(&DEAD) {
            let c = change_for(attempts, &fail, now);
            attempts += i32::from(c.count_attempt);
            statuses.push(c.status);
        }
        assert_eq!(attempts, MAX_ATTEMPTS);
    }

    #[test]
    fn success_unreachable_and_postponements() {
        let now = t0();
        let sent = change_for(3, &Disposition::Tried(Delivery::Sent), now);
        assert_eq!(
            (sent.status, sent.sent, sent.error),
            (SENT, true, ErrorChange::Clear)
        );
        let gone = change_for(
            0,
            &Disposition::Tried(Delivery::Unreachable("no phone number".into())),
            now,
        );
        assert_eq!(gone.status, DEAD);
        let later = now + Duration::hours(3);
        for d in [Disposition::Held(later), Disposition::Postponed(later)] {
            let c = change_for(7, &d, now);
            assert_eq!(
                (c.status, c.count_attempt, c.next_attempt_at),
                (PENDING, false, Some(later))
            );
            assert_eq!(c.error, ErrorChange::Keep);
        }
        let nc = change_for(7, &Disposition::Tried(Delivery::NotConfigured), now);
        assert_eq!(
            (nc.status, nc.count_attempt),
            (PENDING, false),
            "never dead-lettered"
        );
        assert_eq!(nc.next_attempt_at, Some(now + NOT_CONFIGURED_RETRY));
        assert_eq!(nc.error, ErrorChange::Set(NOT_CONFIGURED.into()));
    }

    #[test]
    fn outcomes_are_grouped_into_few_updates() {
        let now = t0();
        let mut outcomes = vec![];
        for id in 0..1000 {
            let d = match id % 4 {
                0 | 1 => Disposition::Tried(Delivery::Sent),
                2 => Disposition::Tried(Delivery::Failed("timeout".into())),
                _ => Disposition::Tried(Delivery::NotConfigured),
            };
            outcomes.push((id, (id % 8 == 2) as i32, d));
        }
        let groups = plan(&outcomes, now);
        // Sent; failed after 0 and after 1 attempts (different backoff); not configured.
        assert_eq!(groups.len(), 4);
        assert_eq!(groups.values().map(Vec::len).sum::<usize>(), 1000);
    }

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let limits = RateLimits::new(&BTreeMap::from([
            ("sms".to_owned(), 5.0),
            ("push".to_owned(), 0.0),
        ]));
        let start = Instant::now();
        let max = StdDuration::from_secs(2);
        for _ in 0..5 {
            assert_eq!(limits.reserve("sms", start, max), Ok(StdDuration::ZERO));
        }
        // Then one every 200 ms, queued behind each other, up to the longest wait allowed.
        let waits: Vec<_> = (0..10).map(|_| limits.reserve("sms", start, max)).collect();
        assert_eq!(waits[0], Ok(StdDuration::from_millis(200)));
        assert_eq!(waits[9], Ok(StdDuration::from_secs(2)));
        assert!(limits.reserve("sms", start, max).is_err());
        // A second later five more tokens have come.
        let later = start + StdDuration::from_secs(3);
        assert_eq!(
            limits.reserve("sms", later, StdDuration::ZERO),
            Ok(StdDuration::ZERO)
        );
        // 0 means unlimited; unknown channels are unlimited; defaults apply otherwise.
        assert_eq!(limits.rate("push"), None);
        assert_eq!(limits.rate("inbox"), None);
        assert_eq!(limits.rate("email"), Some(10.0));
        for _ in 0..10_000 {
            assert_eq!(
                limits.reserve("push", start, StdDuration::ZERO),
                Ok(StdDuration::ZERO)
            );
        }
    }
}
