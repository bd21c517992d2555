//! Bulk fan-out: one message to a whole audience in a handful of `INSERT … SELECT`
//! statements, so a notice reaches 100,000 inboxes and outboxes in seconds rather than minutes.
//!
//! The channel rule is the one [`super::notify`] applies to a single person: the inbox always;
//! then push (has a subscription), email (has an address), SMS (has a phone) and Zalo (has a
//! Zalo id), each only where the person's preference allows it (no preference row: push, email
//! and Zalo on, SMS off). An emergency goes to every channel the person can be reached on,
//! whatever the preferences.

use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};

use super::{PENDING, Priority, Text};
use crate::error::AppResult;
use crate::i18n::Locale;

/// One message for everyone `recipients` selects (a single column of `app_user` ids).
pub struct FanOut<'a> {
    pub commune_code: &'a str,
    pub recipients: SelectStatement,
    /// Rendered in each reader's language like any other message: a catalogue key with
    /// arguments, or an official's words.
    pub text: Text,
    pub link: Option<&'a str>,
    pub priority: Priority,
    /// The record the message is about, e.g. ("notice", 42).
    pub reference: (&'a str, i64),
}

/// Rows written: inbox items, then outbox messages per external channel.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FanOutCounts {
    pub inbox: u64,
    pub channels: Vec<(&'static str, u64)>,
}

/// Who an external channel reaches and whether their preference allows it (`p` is the
/// person's `notify_pref` row, possibly absent).
fn reach(channel: &str) -> (&'static str, &'static str) {
    match channel {
        "push" => (
            "EXISTS (SELECT 1 FROM push_subscription s WHERE s.user_id = u.id)",
            "COALESCE(p.push, TRUE)",
        ),
        "email" => (
            "u.email IS NOT NULL AND u.email <> ''",
            "COALESCE(p.email, TRUE)",
        ),
        "sms" => ("u.phone IS NOT NULL", "COALESCE(p.sms, FALSE)"),
        _ => ("p.zalo_user_id IS NOT NULL", "COALESCE(p.zalo, TRUE)"),
    }
}

pub const EXTERNAL_CHANNELS: [&str; 4] = ["push", "email", "sms", "zalo"];

/// Writes the inbox items and outbox messages; call inside the caller's transaction and
/// wake the dispatcher after it commits.
pub async fn fan_out(db: &impl ConnectionTrait, f: FanOut<'_>) -> AppResult<FanOutCounts> {
    let now = Utc::now();
    let u = Alias::new("u");
    let id = (u.clone(), Alias::new("id"));
    let mut counts = FanOutCounts::default();
    // The Vietnamese rendering beside the key, as `notify` stores a single message.
    let (title, body) = f.text.render(Locale::Vi);
    let (text_key, text_args) = f.text.stored();

    let inbox_rows = Query::select()
        .expr(Expr::val(f.commune_code))
        .column(id.clone())
        .expr(Expr::val(title.as_str()))
        .expr(Expr::val(body.as_str()))
        .expr(Expr::val(text_key.clone()))
        .expr(Expr::val(text_args.clone()))
        .expr(Expr::val(f.link.map(str::to_owned)))
        .expr(Expr::val(now))
        .from_as(Alias::new("app_user"), u.clone())
        .and_where(Expr::col(id.clone()).in_subquery(f.recipients.clone()))
        .to_owned();
    let insert = Query::insert()
        .into_table(Alias::new("inbox_item"))
        .columns(
            [
                "commune_code",
                "user_id",
                "title",
                "body",
                "text_key",
                "text_args",
                "link",
                "created_at",
            ]
            .map(Alias::new),
        )
        .select_from(inbox_rows)
        .map_err(|e| crate::error::AppError::internal(e.to_string()))?
        .to_owned();
    counts.inbox = db
        .execute_raw(crate::db::statement(db, &insert))
        .await?
        .rows_affected();
    // Recipients living elsewhere read this commune's items from now on (usually none: a
    // commune writes to its own residents).
    let home = Expr::col((u.clone(), Alias::new("commune_code")));
    let elsewhere = Query::select()
        .column(id.clone())
        .expr(Expr::val(f.commune_code))
        .from_as(Alias::new("app_user"), u.clone())
        .and_where(Expr::col(id.clone()).in_subquery(f.recipients.clone()))
        .and_where(home.clone().is_null().or(home.ne(f.commune_code)))
        .to_owned();
    super::inbox::remember_all(db, elsewhere).await?;
    super::unread::changed_all();

    for channel in EXTERNAL_CHANNELS {
        let (reachable, allowed) = reach(channel);
        let mut rows = Query::select()
            .expr(Expr::val(f.commune_code))
            .column(id.clone())
            .expr(Expr::val(channel))
            .expr(Expr::val(title.as_str()))
            .expr(Expr::val(body.as_str()))
            .expr(Expr::val(text_key.clone()))
            .expr(Expr::val(text_args.clone()))
            .expr(Expr::val(f.link.map(str::to_owned)))
            .expr(Expr::val(PENDING))
            .expr(Expr::val(0i32))
            .expr(Expr::val(now))
            .expr(Expr::val(now))
            .expr(Expr::val(f.priority.as_i16()))
            .expr(Expr::val(f.reference.0))
            .expr(Expr::val(f.reference.1))
            .from_as(Alias::new("app_user"), u.clone())
            .join_as(
                JoinType::LeftJoin,
                Alias::new("notify_pref"),
                Alias::new("p"),
                Expr::col((Alias::new("p"), Alias::new("user_id"))).equals(id.clone()),
            )
            .and_where(Expr::col(id.clone()).in_subquery(f.recipients.clone()))
            .and_where(Expr::cust(reachable))
            .to_owned();
        if f.priority != Priority::Emergency {
            rows.and_where(Expr::cust(allowed));
        }
        let insert = Query::insert()
            .into_table(Alias::new("outbox"))
            .columns(
                [
                    "commune_code",
                    "user_id",
                    "channel",
                    "title",
                    "body",
                    "text_key",
                    "text_args",
                    "link",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                    "priority",
                    "ref_kind",
                    "ref_id",
                ]
                .map(Alias::new),
            )
            .select_from(rows)
            .map_err(|e| crate::error::AppError::internal(e.to_string()))?
            .to_owned();
        let n = db
            .execute_raw(crate::db::statement(db, &insert))
            .await?
            .rows_affected();
        counts.channels.push((channel, n));
    }
    Ok(counts)
}
