//! The notices room's queries, by topic: publishing and its fan-out (`publish`), the board
//! (`board`), reach and deliveries (`reach`), topics (`topics`); here, one notice and what its
//! readers did with it. Queries only: the use cases (`crate::actions`) decide and refuse.

mod board;
mod publish;
mod reach;
mod topics;

use chrono::{DateTime, Utc};
use kernel::error::AppResult;
use kernel::notify;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

pub use board::*;
pub use publish::*;
pub use reach::*;
pub use topics::*;

use crate::entity::{attachment, notice, recipient};

pub const SCHEDULED: &str = "scheduled";
pub const PUBLISHED: &str = "published";
pub const WITHDRAWN: &str = "withdrawn";
pub const BOARD_PAGE: u64 = 20;
/// Generation-cache kind for the board (see kernel::cache).
pub const BOARD: &str = "notices";

pub fn link(code: &str, id: i64) -> String {
    format!("/c/{code}/notices/{id}")
}

/// One notice of the commune, if it is there.
pub async fn find(
    db: &impl ConnectionTrait,
    code: &str,
    id: i64,
) -> AppResult<Option<notice::Model>> {
    Ok(notice::Entity::find_by_id((code.to_owned(), id))
        .one(db)
        .await?)
}

/// Is the notice on the public board now?
pub fn is_public(n: &notice::Model, now: DateTime<Utc>) -> bool {
    n.status == PUBLISHED && n.expires_at.is_none_or(|e| e > now)
}

pub async fn attachments(
    db: &impl ConnectionTrait,
    n: &notice::Model,
) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::CommuneCode.eq(&n.commune_code))
        .filter(attachment::Column::NoticeId.eq(n.id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

pub async fn recipient_of(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    user_id: i64,
) -> AppResult<Option<recipient::Model>> {
    Ok(
        recipient::Entity::find_by_id((n.commune_code.clone(), n.id, user_id))
            .one(db)
            .await?,
    )
}

/// Marks the notice read by one of its recipients, and its inbox item with it; answers
/// whether it was unread (so the reader's unread count changed).
pub async fn mark_read(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    user_id: i64,
) -> AppResult<bool> {
    let now = Utc::now();
    let res = recipient::Entity::update_many()
        .col_expr(recipient::Column::ReadAt, Expr::value(Some(now)))
        .filter(recipient::Column::CommuneCode.eq(&n.commune_code))
        .filter(recipient::Column::NoticeId.eq(n.id))
        .filter(recipient::Column::UserId.eq(user_id))
        .filter(recipient::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        notify::inbox_item::Entity::update_many()
            .col_expr(notify::inbox_item::Column::ReadAt, Expr::value(Some(now)))
            .filter(notify::inbox_item::Column::CommuneCode.eq(&n.commune_code))
            .filter(notify::inbox_item::Column::UserId.eq(user_id))
            .filter(notify::inbox_item::Column::Link.eq(link(&n.commune_code, n.id)))
            .filter(notify::inbox_item::Column::ReadAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(res.rows_affected > 0)
}

/// Records a recipient's acknowledgement (and their reading, if not yet read).
pub async fn set_acknowledged(
    db: &impl ConnectionTrait,
    r: &recipient::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    recipient::Entity::update_many()
        .col_expr(recipient::Column::AckAt, Expr::value(Some(now)))
        .col_expr(
            recipient::Column::ReadAt,
            Expr::value(Some(r.read_at.unwrap_or(now))),
        )
        .filter(recipient::Column::NoticeId.eq(r.notice_id))
        .filter(recipient::Column::UserId.eq(r.user_id))
        .exec(db)
        .await?;
    Ok(())
}
