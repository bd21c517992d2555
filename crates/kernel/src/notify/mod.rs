//! The notification outbox, the in-app inbox channel, and the outside channels' contract.
//!
//! Features call [`notify`] inside their own transaction; the message is written to the
//! outbox once per channel the person takes messages on ([`prefs`] holds the rule) and later
//! delivered by the [`Dispatcher`] through that [`Channel`]. Delivery is idempotent (the inbox
//! has one row per outbox entry), retried with backoff and dead-lettered after repeated
//! failures, so a message is never lost and never shown twice. The outside channels (email, SMS,
//! Zalo, Web Push) live in the delivery room, which hands them to the dispatcher at start-up.

pub mod dispatch;
pub mod fanout;
pub mod inbox;
pub mod prefs;
pub mod text;
pub mod unread;

pub use dispatch::Dispatcher;
pub use inbox::{InboxChannel, inbox, mark_all_read, mark_read, unread_count};
pub use text::Text;

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::accounts::entity::user;
use crate::error::AppResult;
use crate::i18n::Locale;

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
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
        /// [`Priority`] as stored: higher goes first; emergencies ignore quiet hours.
        pub priority: i16,
        /// The record the message is about (`notice`, 42), for reach figures.
        pub ref_kind: Option<String>,
        pub ref_id: Option<i64>,
        /// The catalogue key of a keyed message ([`super::Text::Key`]); `title` and `body`
        /// then hold its Vietnamese rendering.
        pub text_key: Option<String>,
        /// Its arguments, a JSON object of strings.
        pub text_args: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The message with its title and body in `locale`, as a channel sends it.
        pub fn in_locale(&self, locale: crate::i18n::Locale) -> Model {
            let mut m = self.clone();
            if self.text_key.is_some() {
                (m.title, m.body) = super::text::localized(
                    locale,
                    self.text_key.as_deref(),
                    self.text_args.as_deref(),
                    &self.title,
                    &self.body,
                );
            }
            m
        }
    }
}

pub mod inbox_item {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "inbox_item")]
    #[schema(as = InboxItem)]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
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
        /// As in the outbox: the key and arguments the title and body are rendered from.
        #[serde(skip)]
        pub text_key: Option<String>,
        #[serde(skip)]
        pub text_args: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The item with its title and body in the reader's language.
        pub fn in_locale(mut self, locale: crate::i18n::Locale) -> Model {
            if self.text_key.is_some() {
                (self.title, self.body) = super::text::localized(
                    locale,
                    self.text_key.as_deref(),
                    self.text_args.as_deref(),
                    &self.title,
                    &self.body,
                );
            }
            self
        }
    }
}

/// The kernel's own message keys ([`Text::key`]).
pub const MESSAGES: &[&str] = &["note.welcome"];

pub const PENDING: &str = "pending";
/// Claimed by a dispatcher; `next_attempt_at` is the end of its lease.
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";
pub const MAX_ATTEMPTS: i32 = 8;
pub const INBOX: &str = "inbox";
pub const PUSH: &str = "push";
pub const EMAIL: &str = "email";
pub const SMS: &str = "sms";
pub const ZALO: &str = "zalo";

/// How urgent a message is. Emergencies go first on every channel and ignore quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Priority {
    #[default]
    Normal = 0,
    High = 1,
    Emergency = 2,
}

impl Priority {
    pub fn as_i16(self) -> i16 {
        self as i16
    }
    pub fn from_i16(v: i16) -> Self {
        match v {
            i16::MIN..=0 => Priority::Normal,
            1 => Priority::High,
            _ => Priority::Emergency,
        }
    }
}

#[derive(Default)]
pub struct Message<'a> {
    pub commune_code: &'a str,
    pub user_id: i64,
    /// A catalogue key with arguments (rendered in each recipient's language), or written words.
    pub text: Text,
    pub link: Option<&'a str>,
    pub priority: Priority,
    /// The record the message is about, as (kind, id), for reach figures.
    pub reference: Option<(&'a str, i64)>,
}

/// Queues a message for a user: the inbox, plus every channel [`prefs::channels_for`] picks
/// from their preferences and reach, plus `channels` named by the caller where reachable.
pub async fn notify(db: &impl ConnectionTrait, m: Message<'_>, channels: &[&str]) -> AppResult<()> {
    let now = Utc::now();
    let (prefs, reach) = prefs::load_with_reach(db, m.user_id).await?;
    let mut all = vec![INBOX];
    all.extend(prefs::channels_for(&prefs, &reach, m.priority, channels));
    let (title, body) = m.text.render(Locale::Vi);
    let (text_key, text_args) = m.text.stored();
    let rows = all.into_iter().map(|ch| outbox::ActiveModel {
        commune_code: Set(m.commune_code.into()),
        user_id: Set(m.user_id),
        channel: Set(ch.into()),
        title: Set(title.clone()),
        body: Set(body.clone()),
        text_key: Set(text_key.clone()),
        text_args: Set(text_args.clone()),
        link: Set(m.link.map(str::to_owned)),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        priority: Set(m.priority.as_i16()),
        ref_kind: Set(m.reference.map(|r| r.0.to_owned())),
        ref_id: Set(m.reference.map(|r| r.1)),
        ..Default::default()
    });
    outbox::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What a channel made of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Worth trying again later (gateway error, timeout, server down).
    Failed(String),
    /// Trying again cannot help (no phone number, invalid address): dead-lettered at once.
    Unreachable(String),
    /// Nowhere to send it yet: kept pending, not counted as an attempt.
    NotConfigured,
}

impl From<Result<(), String>> for Delivery {
    fn from(r: Result<(), String>) -> Self {
        match r {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Failed(e),
        }
    }
}

impl Delivery {
    pub fn into_result(self) -> Result<(), String> {
        match self {
            Delivery::Sent => Ok(()),
            Delivery::Failed(e) | Delivery::Unreachable(e) => Err(e),
            Delivery::NotConfigured => Err(dispatch::NOT_CONFIGURED.into()),
        }
    }
}

/// Who a message goes to, loaded once per batch by the dispatcher.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub full_name: String,
    pub locale: Locale,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub zalo_user_id: Option<String>,
    pub quiet: Option<prefs::QuietHours>,
}

impl Recipient {
    fn from_rows(u: user::Model, p: Option<prefs::entity::Model>) -> Self {
        let p = p.map(prefs::Prefs::from).unwrap_or_default();
        Recipient {
            user_id: u.id,
            full_name: u.full_name,
            locale: Locale::parse(&u.locale).unwrap_or_default(),
            phone: u.phone.filter(|x| !x.is_empty()),
            email: u.email.filter(|x| !x.is_empty()),
            zalo_user_id: p.zalo_user_id,
            quiet: p.quiet,
        }
    }

    pub async fn load(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Option<Recipient>> {
        Ok(Self::load_many(db, &[user_id]).await?.remove(&user_id))
    }

    /// Many at once: two queries per few hundred people.
    pub async fn load_many(
        db: &impl ConnectionTrait,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, Recipient>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let users = user::Entity::find()
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?;
            let mut prefs: HashMap<i64, prefs::entity::Model> = prefs::entity::Entity::find()
                .filter(prefs::entity::Column::UserId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.user_id, p))
                .collect();
            for u in users {
                let p = prefs.remove(&u.id);
                out.insert(u.id, Self::from_rows(u, p));
            }
        }
        Ok(out)
    }
}

/// A way to reach a person. Delivery must be idempotent: it may run twice after a crash.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;
    async fn deliver(&self, db: &DatabaseConnection, msg: &outbox::Model) -> Result<(), String>;
    /// Delivery with the recipient already loaded (the dispatcher loads a batch's people in
    /// one go); by default the same as [`Channel::deliver`].
    async fn deliver_to(
        &self,
        db: &DatabaseConnection,
        msg: &outbox::Model,
        _to: &Recipient,
    ) -> Delivery {
        self.deliver(db, msg).await.into()
    }
    /// Whether the channel can deliver the commune's messages now: its gateway or mail
    /// server is set, by the deployment or the commune. When it is not, its messages wait
    /// (`Delivery::NotConfigured`) and pages say so rather than "sending". Yes by default.
    async fn configured(&self, _commune_code: &str) -> bool {
        true
    }
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

/// Puts a commune's dead-lettered messages back in the queue with a fresh count of attempts:
/// one (`Some(id)`) or all; returns how many.
pub async fn retry_dead(
    db: &impl ConnectionTrait,
    commune_code: &str,
    id: Option<i64>,
) -> AppResult<u64> {
    let mut u = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(PENDING))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox::Column::CommuneCode.eq(commune_code))
        .filter(outbox::Column::Status.eq(DEAD));
    if let Some(id) = id {
        u = u.filter(outbox::Column::Id.eq(id));
    }
    Ok(u.exec(db).await?.rows_affected)
}

/// A commune's messages per channel: how many in each status, and how many of the pending
/// ones wait for the channel to be configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChannelCounts {
    pub channel: String,
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub dead: i64,
    /// Pending because no SMTP server or gateway is configured for the channel.
    pub waiting_for_configuration: i64,
}

pub async fn channel_counts(
    db: &impl ConnectionTrait,
    commune_code: &str,
) -> AppResult<Vec<ChannelCounts>> {
    let rows: Vec<(String, String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Channel)
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .filter(outbox::Column::CommuneCode.eq(commune_code))
        .group_by(outbox::Column::Channel)
        .group_by(outbox::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let waiting: Vec<(String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Channel)
        .column_as(outbox::Column::Id.count(), "n")
        .filter(outbox::Column::CommuneCode.eq(commune_code))
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::LastError.eq(dispatch::NOT_CONFIGURED))
        .group_by(outbox::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let mut by: std::collections::BTreeMap<String, ChannelCounts> = Default::default();
    for (channel, status, n) in rows {
        let c = by.entry(channel.clone()).or_insert_with(|| ChannelCounts {
            channel,
            ..Default::default()
        });
        match status.as_str() {
            PENDING => c.pending += n,
            SENDING => c.sending += n,
            SENT => c.sent += n,
            DEAD => c.dead += n,
            _ => {}
        }
    }
    for (channel, n) in waiting {
        if let Some(c) = by.get_mut(&channel) {
            c.waiting_for_configuration = n;
        }
    }
    Ok(by.into_values().collect())
}
