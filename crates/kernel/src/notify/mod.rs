//! The notification outbox and the in-app inbox channel.
//!
//! Features call [`notify`] inside their own transaction; the message is written to the
//! outbox and later delivered by the dispatcher through its channel. Delivery is idempotent
//! (the inbox has one row per outbox entry), retried with backoff and dead-lettered after
//! repeated failures, so a message is never lost and never shown twice. More channels
//! (Web Push, email, SMS, Zalo) plug in as [`Channel`] implementations.

pub mod unread;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::error::{AppError, AppResult};

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub user_id: i64,
        pub channel: String,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod inbox_item {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "inbox_item")]
    #[schema(as = InboxItem)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub user_id: i64,
        #[serde(skip)]
        pub outbox_id: Option<i64>,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        #[schema(value_type = String, format = DateTime)]
        pub created_at: DateTimeUtc,
        #[schema(value_type = Option<String>, format = DateTime)]
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";
pub const MAX_ATTEMPTS: i32 = 8;
pub const INBOX: &str = "inbox";

pub struct Message<'a> {
    pub commune_code: &'a str,
    pub user_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

/// Queues a message for a user on the given channels (the inbox always).
pub async fn notify(db: &impl ConnectionTrait, m: Message<'_>, channels: &[&str]) -> AppResult<()> {
    let now = Utc::now();
    let mut all = vec![INBOX];
    all.extend(channels.iter().filter(|c| **c != INBOX));
    for ch in all {
        outbox::ActiveModel {
            commune_code: Set(m.commune_code.into()),
            user_id: Set(m.user_id),
            channel: Set(ch.into()),
            title: Set(m.title.into()),
            body: Set(m.body.into()),
            link: Set(m.link.map(str::to_owned)),
            status: Set(PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A way to reach a person. Delivery must be idempotent: it may run twice after a crash.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;
    async fn deliver(&self, db: &DatabaseConnection, msg: &outbox::Model) -> Result<(), String>;
}

/// The in-app inbox: a row the user sees under the bell in the header.
pub struct InboxChannel;

#[async_trait::async_trait]
impl Channel for InboxChannel {
    fn name(&self) -> &'static str {
        INBOX
    }
    async fn deliver(&self, db: &DatabaseConnection, msg: &outbox::Model) -> Result<(), String> {
        let exists = inbox_item::Entity::find()
            .filter(inbox_item::Column::OutboxId.eq(msg.id))
            .count(db)
            .await
            .map_err(|e| e.to_string())?;
        if exists > 0 {
            return Ok(());
        }
        inbox_item::ActiveModel {
            commune_code: Set(msg.commune_code.clone()),
            user_id: Set(msg.user_id),
            outbox_id: Set(Some(msg.id)),
            title: Set(msg.title.clone()),
            body: Set(msg.body.clone()),
            link: Set(msg.link.clone()),
            created_at: Set(msg.created_at),
            read_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .map(|_| unread::changed(msg.user_id))
        .map_err(|e| e.to_string())
    }
}

#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    channels: Arc<Vec<Box<dyn Channel>>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Dispatcher {
    pub fn new(db: DatabaseConnection, channels: Vec<Box<dyn Channel>>) -> Self {
        Dispatcher {
            db,
            channels: Arc::new(channels),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Delivers up to `batch` due messages; returns how many were attempted.
    pub async fn deliver_due(&self, now: DateTime<Utc>, batch: u64) -> AppResult<usize> {
        let due = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox::Column::Id)
            .limit(batch)
            .all(&self.db)
            .await?;
        for msg in &due {
            let channel = self.channels.iter().find(|c| c.name() == msg.channel);
            let outcome = match channel {
                Some(c) => c.deliver(&self.db, msg).await,
                None => Err(format!("channel {} is not configured", msg.channel)),
            };
            let attempts = msg.attempts + 1;
            let mut upd = outbox::Entity::update_many()
                .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                .filter(outbox::Column::Id.eq(msg.id))
                .filter(outbox::Column::Status.eq(PENDING));
            upd = match outcome {
                Ok(()) => upd
                    .col_expr(outbox::Column::Status, Expr::value(SENT))
                    .col_expr(outbox::Column::SentAt, Expr::value(Some(now)))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    ),
                Err(e) if attempts >= MAX_ATTEMPTS => upd
                    .col_expr(outbox::Column::Status, Expr::value(DEAD))
                    .col_expr(outbox::Column::LastError, Expr::value(Some(e))),
                Err(e) => upd
                    .col_expr(
                        outbox::Column::NextAttemptAt,
                        Expr::value(now + crate::jobs::backoff(attempts)),
                    )
                    .col_expr(outbox::Column::LastError, Expr::value(Some(e))),
            };
            upd.exec(&self.db).await?;
        }
        Ok(due.len())
    }

    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.deliver_due(Utc::now(), 500).await {
                Ok(500) => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox dispatcher"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

pub async fn unread_count(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    Ok(inbox_item::Entity::find()
        .filter(inbox_item::Column::UserId.eq(user_id))
        .filter(inbox_item::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

pub async fn inbox(
    db: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
) -> AppResult<Vec<inbox_item::Model>> {
    Ok(inbox_item::Entity::find()
        .filter(inbox_item::Column::UserId.eq(user_id))
        .order_by_desc(inbox_item::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn mark_read(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<()> {
    let res = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(inbox_item::Column::Id.eq(id))
        .filter(inbox_item::Column::UserId.eq(user_id))
        .filter(inbox_item::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    unread::changed(user_id);
    if res.rows_affected == 0 {
        // Either not this user's, or already read: only the first is an error.
        let mine = inbox_item::Entity::find_by_id(id)
            .filter(inbox_item::Column::UserId.eq(user_id))
            .count(db)
            .await?;
        if mine == 0 {
            return Err(AppError::not_found());
        }
    }
    Ok(())
}

pub async fn mark_all_read(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    let n = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(inbox_item::Column::UserId.eq(user_id))
        .filter(inbox_item::Column::ReadAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    unread::changed(user_id);
    Ok(n)
}

/// Messages that could not be delivered, for officials to see and retry.
pub async fn dead_letters(
    db: &impl ConnectionTrait,
    commune_code: &str,
) -> AppResult<Vec<outbox::Model>> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::CommuneCode.eq(commune_code))
        .filter(outbox::Column::Status.eq(DEAD))
        .order_by_desc(outbox::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}
