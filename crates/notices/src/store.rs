//! Every query of the notices room: publishing (now or on schedule) with the bulk fan-out to
//! the audience, the board and its search, reading and acknowledging, reach figures, topics.

use chrono::{DateTime, Utc};
use kernel::accounts::CurrentUser;
use kernel::audit;
use kernel::error::{AppError, AppResult};
use kernel::notify::{self, Priority, fanout};
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::entity::{attachment, notice, recipient, subscription, topic};
use crate::markdown;
use crate::model::{Audience, Category, Checked};

pub const SCHEDULED: &str = "scheduled";
pub const PUBLISHED: &str = "published";
pub const WITHDRAWN: &str = "withdrawn";
pub const BOARD_PAGE: u64 = 20;
/// Generation-cache kind for the board (see kernel::cache).
pub const BOARD: &str = "notices";

fn unknown() -> AppError {
    AppError::new(axum::http::StatusCode::NOT_FOUND, "notice_unknown")
}

pub fn link(code: &str, id: i64) -> String {
    format!("/c/{code}/notices/{id}")
}

/// Checks that the audience's villages and topics belong to the commune.
async fn check_audience(db: &impl ConnectionTrait, code: &str, a: &Audience) -> AppResult<()> {
    if !a.village_ids.is_empty() {
        let known = kernel::tenancy::villages(db, code).await?;
        if a.village_ids
            .iter()
            .any(|id| !known.iter().any(|v| v.id == *id))
        {
            return Err(AppError::invalid("notice_village_unknown", "village_ids"));
        }
    }
    if !a.topic_ids.is_empty() {
        let n = topic::Entity::find()
            .filter(topic::Column::CommuneCode.eq(code))
            .filter(topic::Column::Id.is_in(a.topic_ids.clone()))
            .count(db)
            .await?;
        if n != a.topic_ids.len() as u64 {
            return Err(AppError::invalid("notice_topic_unknown", "topic_ids"));
        }
    }
    Ok(())
}

/// `app_user` rows (alias `u`) the audience covers: active accounts of the commune, narrowed
/// to villages, or holders of roles in the commune, or subscribers of the commune's topics.
fn audience_condition(code: &str, a: &Audience) -> Condition {
    let u = Alias::new("u");
    let col = |c: &str| Expr::col((u.clone(), Alias::new(c)));
    let mut any = Condition::any();
    if a.whole_commune {
        any = any.add(col("commune_code").eq(code));
    }
    if !a.village_ids.is_empty() {
        any = any.add(
            Condition::all()
                .add(col("commune_code").eq(code))
                .add(col("village_id").is_in(a.village_ids.clone())),
        );
    }
    if !a.roles.is_empty() {
        let g = Alias::new("g");
        any = any.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(Alias::new("role_grant"), g.clone())
                .and_where(
                    Expr::col((g.clone(), Alias::new("user_id")))
                        .equals((u.clone(), Alias::new("id"))),
                )
                .and_where(Expr::col((g.clone(), Alias::new("unit_code"))).eq(code))
                .and_where(Expr::col((g.clone(), Alias::new("role"))).is_in(a.roles.clone()))
                .to_owned(),
        ));
    }
    if !a.topic_ids.is_empty() {
        let s = Alias::new("s");
        any = any.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(Alias::new("notice_subscription"), s.clone())
                .and_where(
                    Expr::col((s.clone(), Alias::new("user_id")))
                        .equals((u.clone(), Alias::new("id"))),
                )
                .and_where(
                    Expr::col((s.clone(), Alias::new("topic_id"))).is_in(a.topic_ids.clone()),
                )
                .to_owned(),
        ));
    }
    Condition::all().add(col("disabled").eq(false)).add(any)
}

/// Publishes a notice inside `txn`: records its recipients, then fans it out to their inboxes
/// and the outbox. Returns how many people it reaches.
async fn publish_in(
    txn: &impl ConnectionTrait,
    n: &notice::Model,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let audience: Audience = serde_json::from_str(&n.audience).map_err(AppError::internal)?;
    let u = Alias::new("u");
    let rows = Query::select()
        .expr(Expr::val(n.id))
        .column((u.clone(), Alias::new("id")))
        .column((u.clone(), Alias::new("village_id")))
        .from_as(Alias::new("app_user"), u.clone())
        .cond_where(audience_condition(&n.commune_code, &audience))
        .to_owned();
    let insert = Query::insert()
        .into_table(Alias::new("notice_recipient"))
        .columns(["notice_id", "user_id", "village_id"].map(Alias::new))
        .select_from(rows)
        .map_err(|e| AppError::internal(e.to_string()))?
        .to_owned();
    let reached = txn
        .execute_raw(kernel::db::statement(txn, &insert))
        .await?
        .rows_affected();
    let recipients: SelectStatement = Query::select()
        .column(Alias::new("user_id"))
        .from(Alias::new("notice_recipient"))
        .and_where(Expr::col(Alias::new("notice_id")).eq(n.id))
        .to_owned();
    let emergency = n.category == Category::Emergency.as_str();
    let title = if emergency {
        format!(
            "{} {}",
            kernel::i18n::t(kernel::i18n::Locale::Vi, "nt.emergency_prefix"),
            n.title
        )
    } else {
        n.title.clone()
    };
    let body = markdown::excerpt(&n.body_md, 300);
    let link = link(&n.commune_code, n.id);
    fanout::fan_out(
        txn,
        fanout::FanOut {
            commune_code: &n.commune_code,
            recipients,
            title: &title,
            body: &body,
            link: Some(&link),
            priority: if emergency {
                Priority::Emergency
            } else {
                Priority::Normal
            },
            reference: ("notice", n.id),
        },
    )
    .await?;
    notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(PUBLISHED))
        .col_expr(notice::Column::PublishedAt, Expr::value(Some(now)))
        .col_expr(notice::Column::RecipientCount, Expr::value(reached as i32))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(n.id))
        .exec(txn)
        .await?;
    Ok(reached)
}

/// Saves a checked notice with its attachments (already stored files: (name, attachment id))
/// and publishes it now unless scheduled. Audited.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    n: Checked,
    files: Vec<(String, i64)>,
) -> AppResult<notice::Model> {
    check_audience(db, &c.code, &n.audience).await?;
    let now = Utc::now();
    let plain = markdown::to_plain(&n.body);
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let saved = notice::ActiveModel {
        commune_code: Set(c.code.clone()),
        category: Set(n.category.as_str().into()),
        search_folded: Set(fold_vi(&format!("{} {}", n.title, plain))),
        title: Set(n.title),
        body_html: Set(markdown::to_safe_html(&n.body)),
        body_md: Set(n.body),
        audience: Set(serde_json::to_string(&n.audience).map_err(AppError::internal)?),
        status: Set(SCHEDULED.into()),
        publish_at: Set(n.publish_at),
        published_at: Set(None),
        expires_at: Set(n.expires_at),
        event_start: Set(n.event_start),
        event_end: Set(n.event_end),
        location: Set(n.location),
        pinned: Set(n.pinned),
        author_user_id: Set(u.id),
        author_name: Set(u.full_name.clone()),
        recipient_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (name, attachment_id) in files {
        attachment::ActiveModel {
            notice_id: Set(saved.id),
            attachment_id: Set(attachment_id),
            name: Set(name),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let action = if n.scheduled {
        "notice.schedule"
    } else {
        publish_in(&txn, &saved, now).await?;
        "notice.publish"
    };
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, action, "notice", saved.id, saved.title.clone()),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(BOARD, &c.code);
    find(db, &c.code, saved.id).await
}

/// Publishes every scheduled notice that is due; each in its own transaction, claimed by
/// its status so two processes never publish one twice. Returns how many were published.
pub async fn publish_due<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let due = notice::Entity::find()
        .filter(notice::Column::Status.eq(SCHEDULED))
        .filter(notice::Column::PublishAt.lte(now))
        .order_by_asc(notice::Column::PublishAt)
        .limit(100)
        .all(db)
        .await?;
    let mut done = 0;
    for n in due {
        let txn = db.begin_with_options(kernel::db::WRITE).await?;
        let claimed = notice::Entity::update_many()
            .col_expr(notice::Column::UpdatedAt, Expr::value(now))
            .filter(notice::Column::Id.eq(n.id))
            .filter(notice::Column::Status.eq(SCHEDULED))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        publish_in(&txn, &n, now).await?;
        txn.commit().await?;
        kernel::cache::changed(BOARD, &n.commune_code);
        done += 1;
    }
    Ok(done)
}

pub async fn find(db: &impl ConnectionTrait, code: &str, id: i64) -> AppResult<notice::Model> {
    notice::Entity::find_by_id(id)
        .filter(notice::Column::CommuneCode.eq(code))
        .one(db)
        .await?
        .ok_or_else(unknown)
}

/// Is the notice on the public board now?
pub fn is_public(n: &notice::Model, now: DateTime<Utc>) -> bool {
    n.status == PUBLISHED && n.expires_at.is_none_or(|e| e > now)
}

/// A page of the board: published and unexpired, pinned first, newest first; `q` matches
/// every word of the title or text whatever the accents (as word prefixes, whole-word matches
/// first); `category` narrows.
pub async fn board(
    db: &impl ConnectionTrait,
    code: &str,
    q: &str,
    category: Option<Category>,
    page: u64,
    now: DateTime<Utc>,
) -> AppResult<(Vec<notice::Model>, bool)> {
    let mut sel = notice::Entity::find()
        .filter(notice::Column::CommuneCode.eq(code))
        .filter(notice::Column::Status.eq(PUBLISHED))
        .filter(
            Condition::any()
                .add(notice::Column::ExpiresAt.is_null())
                .add(notice::Column::ExpiresAt.gt(now)),
        );
    if let Some(c) = category {
        sel = sel.filter(notice::Column::Category.eq(c.as_str()));
    }
    let q = kernel::search::Query::parse(q)?;
    let search = crate::migration_search::SEARCH;
    let backend = db.get_database_backend();
    let page = page.clamp(1, kernel::paging::MAX_PAGE);
    let mut rows = sel
        .filter(search.matches(backend, &q))
        .order_by_desc(search.rank(backend, &q))
        .order_by_desc(notice::Column::Pinned)
        .order_by_desc(notice::Column::PublishAt)
        .order_by_desc(notice::Column::Id)
        .offset(kernel::paging::offset(page, BOARD_PAGE))
        .limit(BOARD_PAGE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > BOARD_PAGE;
    rows.truncate(BOARD_PAGE as usize);
    Ok((rows, more))
}

/// A board page without a search, as [`board`] returns it.
pub type BoardPage = std::sync::Arc<(Vec<notice::Model>, bool)>;

/// Board pages without a search, kept until a notice of the commune changes (and at most the
/// kernel cache's TTL, which also bounds how long an expired notice can linger).
static BOARD_CACHE: std::sync::LazyLock<kernel::cache::GenerationCache<BoardPage>> =
    std::sync::LazyLock::new(Default::default);

/// [`board`], served from memory when there is no search.
pub async fn board_page(
    db: &impl ConnectionTrait,
    code: &str,
    q: &str,
    category: Option<Category>,
    page: u64,
) -> AppResult<BoardPage> {
    let now = Utc::now();
    if !fold_vi(q).is_empty() {
        return Ok(std::sync::Arc::new(
            board(db, code, q, category, page, now).await?,
        ));
    }
    let generation = kernel::cache::generation(BOARD, code);
    let key = format!(
        "{code}|{}|{page}",
        category.map(|c| c.as_str()).unwrap_or_default()
    );
    if let Some(hit) = BOARD_CACHE.get(&key, generation) {
        return Ok(hit);
    }
    let fresh = std::sync::Arc::new(board(db, code, q, category, page, now).await?);
    BOARD_CACHE.put(key, generation, fresh.clone());
    Ok(fresh)
}

/// Every notice of the commune for the office, newest first.
pub async fn office_list(
    db: &impl ConnectionTrait,
    code: &str,
    page: u64,
) -> AppResult<(Vec<notice::Model>, u64)> {
    let sel = notice::Entity::find().filter(notice::Column::CommuneCode.eq(code));
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_desc(notice::Column::Id)
        .offset(kernel::paging::offset(page, BOARD_PAGE))
        .limit(BOARD_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

pub async fn attachments(
    db: &impl ConnectionTrait,
    notice_id: i64,
) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::NoticeId.eq(notice_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

pub async fn recipient_of(
    db: &impl ConnectionTrait,
    notice_id: i64,
    user_id: i64,
) -> AppResult<Option<recipient::Model>> {
    Ok(recipient::Entity::find_by_id((notice_id, user_id))
        .one(db)
        .await?)
}

/// Marks the notice read by one of its recipients, and its inbox item with it.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    user_id: i64,
) -> AppResult<()> {
    let now = Utc::now();
    let res = recipient::Entity::update_many()
        .col_expr(recipient::Column::ReadAt, Expr::value(Some(now)))
        .filter(recipient::Column::NoticeId.eq(n.id))
        .filter(recipient::Column::UserId.eq(user_id))
        .filter(recipient::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        notify::inbox_item::Entity::update_many()
            .col_expr(notify::inbox_item::Column::ReadAt, Expr::value(Some(now)))
            .filter(notify::inbox_item::Column::UserId.eq(user_id))
            .filter(notify::inbox_item::Column::Link.eq(link(&n.commune_code, n.id)))
            .filter(notify::inbox_item::Column::ReadAt.is_null())
            .exec(db)
            .await?;
        notify::unread::changed(user_id);
    }
    Ok(())
}

/// A recipient confirms they received an emergency alert. A second confirmation changes
/// nothing; people outside the audience and ordinary notices are refused.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    user_id: i64,
) -> AppResult<recipient::Model> {
    if n.category != Category::Emergency.as_str() {
        return Err(AppError::invalid("notice_ack_not_emergency", "notice"));
    }
    let Some(r) = recipient_of(db, n.id, user_id).await? else {
        return Err(AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "notice_not_recipient",
        ));
    };
    if r.ack_at.is_some() {
        return Ok(r);
    }
    let now = Utc::now();
    recipient::Entity::update_many()
        .col_expr(recipient::Column::AckAt, Expr::value(Some(now)))
        .col_expr(
            recipient::Column::ReadAt,
            Expr::value(Some(r.read_at.unwrap_or(now))),
        )
        .filter(recipient::Column::NoticeId.eq(n.id))
        .filter(recipient::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(recipient_of(db, n.id, user_id).await?.unwrap_or(r))
}

/// Pins, unpins or withdraws a notice (officials), audited.
pub async fn act<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    id: i64,
    action: &str,
) -> AppResult<notice::Model> {
    let n = find(db, &c.code, id).await?;
    let mut am: notice::ActiveModel = n.clone().into();
    match action {
        "pin" => am.pinned = Set(true),
        "unpin" => am.pinned = Set(false),
        "withdraw" if n.status != WITHDRAWN => am.status = Set(WITHDRAWN.into()),
        "withdraw" => return Err(AppError::conflict("notice_already_withdrawn")),
        _ => return Err(AppError::invalid("notice_action_unknown", "action")),
    }
    am.updated_at = Set(Utc::now());
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let saved = am.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            &format!("notice.{action}"),
            "notice",
            n.id,
            n.title.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(BOARD, &c.code);
    Ok(saved)
}

/// Reach of one village (None: people without a village).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VillageReach {
    pub village_id: Option<i64>,
    pub village: String,
    pub audience: i64,
    pub read: i64,
    pub acknowledged: i64,
}

/// Delivery of one channel: messages queued, sent, still pending (retrying), dead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChannelReach {
    pub channel: String,
    pub queued: i64,
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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

// ---- topics ----

pub async fn topics(db: &impl ConnectionTrait, code: &str) -> AppResult<Vec<topic::Model>> {
    Ok(topic::Entity::find()
        .filter(topic::Column::CommuneCode.eq(code))
        .order_by_asc(topic::Column::Name)
        .all(db)
        .await?)
}

pub async fn create_topic<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    name: &str,
) -> AppResult<topic::Model> {
    let name = name.trim();
    if !(2..=100).contains(&name.chars().count()) {
        return Err(AppError::invalid("notice_topic_name_invalid", "name"));
    }
    let exists = topic::Entity::find()
        .filter(topic::Column::CommuneCode.eq(&c.code))
        .filter(topic::Column::Name.eq(name))
        .count(db)
        .await?;
    if exists > 0 {
        return Err(AppError::conflict("notice_topic_exists"));
    }
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let t = topic::ActiveModel {
        commune_code: Set(c.code.clone()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "notice.topic_create",
            "notice_topic",
            t.id,
            t.name.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// The topics this person follows.
pub async fn subscriptions(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<i64>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.topic_id)
        .collect())
}

/// Follows or stops following a topic of the commune.
pub async fn subscribe(
    db: &impl ConnectionTrait,
    code: &str,
    user_id: i64,
    topic_id: i64,
    on: bool,
) -> AppResult<()> {
    topic::Entity::find_by_id(topic_id)
        .filter(topic::Column::CommuneCode.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, "notice_topic_unknown"))?;
    let existing = subscription::Entity::find_by_id((topic_id, user_id))
        .one(db)
        .await?;
    match (on, existing) {
        (true, None) => {
            let res = subscription::ActiveModel {
                topic_id: Set(topic_id),
                user_id: Set(user_id),
                created_at: Set(Utc::now()),
            }
            .insert(db)
            .await;
            // A double click races into the primary key: the subscription exists either way.
            if let Err(e) = res
                && !matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                )
            {
                return Err(e.into());
            }
        }
        (false, Some(_)) => {
            subscription::Entity::delete_by_id((topic_id, user_id))
                .exec(db)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Published events whose start is within the window, for the calendar feed.
pub async fn events(
    db: &impl ConnectionTrait,
    code: &str,
    since: DateTime<Utc>,
) -> AppResult<Vec<notice::Model>> {
    Ok(notice::Entity::find()
        .filter(notice::Column::CommuneCode.eq(code))
        .filter(notice::Column::Category.eq(Category::Event.as_str()))
        .filter(notice::Column::Status.eq(PUBLISHED))
        .filter(notice::Column::EventStart.gte(since))
        .order_by_asc(notice::Column::EventStart)
        .limit(500)
        .all(db)
        .await?)
}

/// One message of a notice to one person on one channel, as the outbox holds it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = NoticeDelivery)]
pub struct Delivery {
    pub user_id: i64,
    pub full_name: String,
    pub village: String,
    pub channel: String,
    /// `pending`, `sending`, `sent` or `dead`.
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
