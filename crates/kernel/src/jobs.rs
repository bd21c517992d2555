//! A small job queue in the database: scheduled runs, retries with exponential backoff,
//! deduplication by key, and recovery of jobs whose worker died. No extra server needed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use tokio::sync::Notify;

use crate::error::{AppError, AppResult};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub payload: String,
        /// While a job with this key is pending or running, enqueueing the same key returns it.
        pub dedup_key: Option<String>,
        pub commune_code: Option<String>,
        pub status: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
use entity::{Column, Entity, Model};

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// Keys of recurring runs keep their key after completion, so the same slot never runs twice.
const SCHEDULE_KEY_PREFIX: &str = "sched:";
/// A claimed job whose worker has not finished within this time is handed out again.
const LEASE: Duration = Duration::minutes(10);

pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    pub dedup_key: Option<String>,
    pub commune_code: Option<String>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn now(kind: &str, payload: Value) -> Self {
        NewJob {
            kind: kind.into(),
            payload,
            dedup_key: None,
            commune_code: None,
            run_at: Utc::now(),
            max_attempts: 5,
        }
    }
    pub fn dedup(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }
    pub fn at(mut self, t: DateTime<Utc>) -> Self {
        self.run_at = t;
        self
    }
    pub fn attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    pub fn commune(mut self, code: &str) -> Self {
        self.commune_code = Some(code.into());
        self
    }
}

/// Adds a job, or returns the id of the live job holding the same dedup key.
pub async fn enqueue(db: &impl ConnectionTrait, job: NewJob) -> AppResult<i64> {
    if let Some(key) = &job.dedup_key
        && let Some(existing) = Entity::find()
            .filter(Column::DedupKey.eq(key))
            .one(db)
            .await?
    {
        return Ok(existing.id);
    }
    let now = Utc::now();
    let res = entity::ActiveModel {
        kind: Set(job.kind),
        payload: Set(job.payload.to_string()),
        dedup_key: Set(job.dedup_key.clone()),
        commune_code: Set(job.commune_code),
        status: Set(PENDING.into()),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        run_at: Set(job.run_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match res {
        Ok(m) => Ok(m.id),
        // Another process inserted the same key between our read and write.
        Err(e) if job.dedup_key.is_some() && e.to_string().to_lowercase().contains("unique") => {
            let key = job.dedup_key.unwrap_or_default();
            Entity::find()
                .filter(Column::DedupKey.eq(key))
                .one(db)
                .await?
                .map(|m| m.id)
                .ok_or_else(|| AppError::internal(e))
        }
        Err(e) => Err(e.into()),
    }
}

/// Delay before the next try after `attempts` failures: 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::seconds((10i64 << exp).min(3600))
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Handler = Arc<dyn Fn(DatabaseConnection, Value) -> HandlerFuture + Send + Sync>;

/// Runs due jobs with the handlers registered for their kinds.
#[derive(Clone)]
pub struct JobRunner {
    db: DatabaseConnection,
    handlers: Arc<HashMap<String, Handler>>,
    schedules: Arc<Vec<(String, StdDuration)>>,
    wake: Arc<Notify>,
}

pub struct JobRunnerBuilder {
    db: DatabaseConnection,
    handlers: HashMap<String, Handler>,
    schedules: Vec<(String, StdDuration)>,
}

impl JobRunnerBuilder {
    pub fn handler<F, Fut>(mut self, kind: &str, f: F) -> Self
    where
        F: Fn(DatabaseConnection, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.handlers
            .insert(kind.into(), Arc::new(move |db, v| Box::pin(f(db, v))));
        self
    }

    /// Runs `kind` once per `every` (slots aligned to the Unix epoch), across all processes.
    pub fn every(mut self, kind: &str, every: StdDuration) -> Self {
        self.schedules.push((kind.into(), every));
        self
    }

    pub fn build(self) -> JobRunner {
        JobRunner {
            db: self.db,
            handlers: Arc::new(self.handlers),
            schedules: Arc::new(self.schedules),
            wake: Arc::new(Notify::new()),
        }
    }
}

impl JobRunner {
    pub fn builder(db: DatabaseConnection) -> JobRunnerBuilder {
        JobRunnerBuilder {
            db,
            handlers: HashMap::new(),
            schedules: Vec::new(),
        }
    }

    /// Wakes the worker loop now instead of at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Enqueues this period's run of every schedule (deduplicated by slot).
    pub async fn enqueue_schedules(&self, now: DateTime<Utc>) -> AppResult<()> {
        for (kind, every) in self.schedules.iter() {
            let secs = every.as_secs().max(1) as i64;
            let slot = now.timestamp() / secs;
            let job = NewJob::now(kind, Value::Null)
                .dedup(format!("{SCHEDULE_KEY_PREFIX}{kind}:{slot}"))
                .attempts(3);
            enqueue(&self.db, job).await?;
        }
        Ok(())
    }

    /// Claims the next due job; the conditional update makes the claim safe across processes.
    async fn claim(&self, now: DateTime<Utc>) -> AppResult<Option<Model>> {
        // Hand out again jobs whose worker vanished.
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(PENDING))
            .filter(Column::Status.eq(RUNNING))
            .filter(Column::LockedUntil.lt(now))
            .exec(&self.db)
            .await?;
        for _ in 0..5 {
            let Some(next) = Entity::find()
                .filter(Column::Status.eq(PENDING))
                .filter(Column::RunAt.lte(now))
                .order_by_asc(Column::RunAt)
                .order_by_asc(Column::Id)
                .limit(1)
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            let res = Entity::update_many()
                .col_expr(Column::Status, Expr::value(RUNNING))
                .col_expr(
                    Column::Attempts,
                    sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Attempts), 1),
                )
                .col_expr(Column::LockedUntil, Expr::value(now + LEASE))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.eq(next.id))
                .filter(Column::Status.eq(PENDING))
                .exec(&self.db)
                .await?;
            if res.rows_affected == 1 {
                return Ok(Entity::find_by_id(next.id).one(&self.db).await?);
            }
        }
        Ok(None)
    }

    async fn finish(&self, job: &Model, outcome: Result<(), String>) -> AppResult<()> {
        let now = Utc::now();
        let keep_key = job
            .dedup_key
            .as_deref()
            .is_some_and(|k| k.starts_with(SCHEDULE_KEY_PREFIX));
        let mut am: entity::ActiveModel = job.clone().into();
        am.updated_at = Set(now);
        am.locked_until = Set(None);
        match outcome {
            Ok(()) => {
                am.status = Set(DONE.into());
                am.last_error = Set(None);
                if !keep_key {
                    am.dedup_key = Set(None);
                }
            }
            Err(e) if job.attempts >= job.max_attempts => {
                tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed for good");
                am.status = Set(FAILED.into());
                am.last_error = Set(Some(e));
                if !keep_key {
                    am.dedup_key = Set(None);
                }
            }
            Err(e) => {
                tracing::info!(job = job.id, kind = %job.kind, error = %e, "job will be retried");
                am.status = Set(PENDING.into());
                am.last_error = Set(Some(e));
                am.run_at = Set(now + backoff(job.attempts));
            }
        }
        am.update(&self.db).await?;
        Ok(())
    }

    /// Runs every job due at `now`; returns how many ran. Used by the loop and by tests.
    pub async fn run_due(&self, now: DateTime<Utc>) -> AppResult<usize> {
        self.enqueue_schedules(now).await?;
        let mut ran = 0;
        while let Some(job) = self.claim(now).await? {
            let outcome = match self.handlers.get(&job.kind) {
                Some(h) => {
                    let payload = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
                    h(self.db.clone(), payload).await
                }
                None => Err(format!("no handler for job kind {}", job.kind)),
            };
            self.finish(&job, outcome).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// The worker loop: polls every few seconds or when woken, until shutdown.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.run_due(Utc::now()).await {
                tracing::error!(error = %e, "job loop");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_secs(5)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<Model>> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(4), Duration::seconds(80));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
