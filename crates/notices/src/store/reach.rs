//! Reach of a published notice: who received, read and acknowledged it by village, delivery by
//! channel, who has yet to acknowledge an emergency, each message's delivery status.

use chrono::{DateTime, Utc};
use kernel::error::AppResult;
use kernel::notify;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{notice, recipient};

/// Reach of one village (None: people without a village).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VillageReach {
    pub village_id: Option<i64>,
    pub village: String,
    pub audience: i64,
    pub read: i64,
    pub acknowledged: i64,
}

/// Delivery of one channel: messages queued, sent, still pending (retrying), dead, and those
/// that cannot go because the channel has no gateway configured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChannelReach {
    pub channel: String,
    pub queued: i64,
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    /// False when no gateway or mail server is configured for this channel (deployment or
    /// commune settings): its waiting messages are counted in `not_configured`, not `pending`.
    pub configured: bool,
    pub not_configured: i64,
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Reach {
    pub audience: i64,
    pub read: i64,
    pub acknowledged: i64,
    pub by_village: Vec<VillageReach>,
    pub by_channel: Vec<ChannelReach>,
}

fn int(row: &sea_orm::QueryResult, col: &str) -> AppResult<i64> {
    Ok(row.try_get::<i64>("", col)?)
}

/// How many of the audience received and read the notice, by village and by channel.
pub async fn reach(db: &impl ConnectionTrait, n: &notice::Model) -> AppResult<Reach> {
    let villages = kernel::tenancy::villages(db, &n.commune_code).await?;
    let q = Query::select()
        .column(recipient::Column::VillageId)
        .expr_as(
            Expr::col(recipient::Column::UserId).count(),
            Alias::new("audience"),
        )
        .expr_as(
            Expr::col(recipient::Column::ReadAt).count(),
            Alias::new("read"),
        )
        .expr_as(
            Expr::col(recipient::Column::AckAt).count(),
            Alias::new("acked"),
        )
        .from(recipient::Entity)
        .and_where(Expr::col(recipient::Column::CommuneCode).eq(&n.commune_code))
        .and_where(Expr::col(recipient::Column::NoticeId).eq(n.id))
        .group_by_col(recipient::Column::VillageId)
        .to_owned();
    let mut by_village = Vec::new();
    for row in db.query_all_raw(kernel::db::statement(db, &q)).await? {
        let id: Option<i64> = row.try_get("", "village_id")?;
        by_village.push(VillageReach {
            village_id: id,
            village: id
                .and_then(|id| villages.iter().find(|v| v.id == id))
                .map(|v| v.name.clone())
                .unwrap_or_default(),
            audience: int(&row, "audience")?,
            read: int(&row, "read")?,
            acknowledged: int(&row, "acked")?,
        });
    }
    by_village.sort_by(|a, b| {
        (a.village_id.is_none(), &a.village).cmp(&(b.village_id.is_none(), &b.village))
    });
    let (audience, read, acknowledged) = by_village.iter().fold((0, 0, 0), |t, v| {
        (t.0 + v.audience, t.1 + v.read, t.2 + v.acknowledged)
    });
    let mut by_channel = vec![ChannelReach {
        channel: notify::INBOX.into(),
        queued: audience,
        sent: audience,
        pending: 0,
        failed: 0,
        configured: true,
        not_configured: 0,
    }];
    let o = notify::outbox::Column::Channel;
    let q = Query::select()
        .column(o)
        .column(notify::outbox::Column::Status)
        .expr_as(
            Expr::col(notify::outbox::Column::Id).count(),
            Alias::new("n"),
        )
        .from(notify::outbox::Entity)
        .and_where(Expr::col(notify::outbox::Column::CommuneCode).eq(&n.commune_code))
        .and_where(Expr::col(notify::outbox::Column::RefKind).eq("notice"))
        .and_where(Expr::col(notify::outbox::Column::RefId).eq(n.id))
        .group_by_col(o)
        .group_by_col(notify::outbox::Column::Status)
        .to_owned();
    for row in db.query_all_raw(kernel::db::statement(db, &q)).await? {
        let channel: String = row.try_get("", "channel")?;
        let status: String = row.try_get("", "status")?;
        let count = int(&row, "n")?;
        let i = match by_channel.iter().position(|c| c.channel == channel) {
            Some(i) => i,
            None => {
                by_channel.push(ChannelReach {
                    channel,
                    queued: 0,
                    sent: 0,
                    pending: 0,
                    failed: 0,
                    configured: true,
                    not_configured: 0,
                });
                by_channel.len() - 1
            }
        };
        let c = &mut by_channel[i];
        c.queued += count;
        match status.as_str() {
            notify::SENT => c.sent += count,
            notify::DEAD => c.failed += count,
            _ => c.pending += count,
        }
    }
    Ok(Reach {
        audience,
        read,
        acknowledged,
        by_village,
        by_channel,
    })
}

/// Someone who has not yet acknowledged an emergency alert.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Unacknowledged {
    pub user_id: i64,
    pub full_name: String,
    pub phone: Option<String>,
    pub village: String,
    pub read: bool,
}

/// The recipients who have not acknowledged, by village then name (at most `limit`).
pub async fn unacknowledged(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    village_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<Unacknowledged>> {
    let villages = kernel::tenancy::villages(db, &n.commune_code).await?;
    let mut sel = recipient::Entity::find()
        .filter(recipient::Column::NoticeId.eq(n.id))
        .filter(recipient::Column::AckAt.is_null());
    if let Some(v) = village_id {
        sel = sel.filter(recipient::Column::VillageId.eq(v));
    }
    let rows = sel
        .order_by_asc(recipient::Column::VillageId)
        .order_by_asc(recipient::Column::UserId)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let users = kernel::accounts::entity::user::Entity::find()
        .filter(kernel::accounts::entity::user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut out: Vec<Unacknowledged> = rows
        .iter()
        .filter_map(|r| {
            let u = users.iter().find(|u| u.id == r.user_id)?;
            Some(Unacknowledged {
                user_id: u.id,
                full_name: u.full_name.clone(),
                phone: u.phone.clone(),
                village: r
                    .village_id
                    .and_then(|id| villages.iter().find(|v| v.id == id))
                    .map(|v| v.name.clone())
                    .unwrap_or_default(),
                read: r.read_at.is_some(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.village, &a.full_name).cmp(&(&b.village, &b.full_name)));
    Ok(out)
}

/// One message of a notice to one person on one channel, as the outbox holds it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = NoticeDelivery)]
pub struct Delivery {
    pub user_id: i64,
    pub full_name: String,
    pub village: String,
    pub channel: String,
    /// `pending`, `sending`, `sent`, `dead`, or `not_configured` (waiting for a channel that
    /// has no gateway configured).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Delivery status per recipient and channel for a notice: messages not (yet) sent first,
/// then the newest; narrowed to one channel or status when asked; at most `limit`.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    channel: Option<&str>,
    status: Option<&str>,
    limit: u64,
) -> AppResult<Vec<Delivery>> {
    use notify::outbox;
    let mut sel = outbox::Entity::find()
        .filter(outbox::Column::RefKind.eq("notice"))
        .filter(outbox::Column::RefId.eq(n.id))
        .filter(outbox::Column::CommuneCode.eq(&n.commune_code));
    if let Some(c) = channel {
        sel = sel.filter(outbox::Column::Channel.eq(c));
    }
    if let Some(s) = status {
        sel = sel.filter(outbox::Column::Status.eq(s));
    }
    let rows = sel
        .order_by_asc(Expr::cust("CASE WHEN status = 'sent' THEN 1 ELSE 0 END"))
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let users = kernel::accounts::entity::user::Entity::find()
        .filter(kernel::accounts::entity::user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let villages = kernel::tenancy::villages(db, &n.commune_code).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let u = users.iter().find(|u| u.id == r.user_id);
            Delivery {
                user_id: r.user_id,
                full_name: u.map(|u| u.full_name.clone()).unwrap_or_default(),
                village: u
                    .and_then(|u| u.village_id)
                    .and_then(|id| villages.iter().find(|v| v.id == id))
                    .map(|v| v.name.clone())
                    .unwrap_or_default(),
                channel: r.channel,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                sent_at: r.sent_at,
            }
        })
        .collect())
}
