//! Every query of the commune forum (indicator 3.3): topics and replies, moderation (hide,
//! unhide, lock, pin) and abuse reports.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::audit;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::entity::{post, report, topic};
use super::rules::{self, POSTS_PAGE, PostAction, Scope, TOPICS_PAGE, TopicAction};

fn topic_unknown() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "forum_topic_unknown")
}

fn post_unknown() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "forum_post_unknown")
}

/// The deployment's active communes when the province-wide forum is enabled: who may write
/// in a shared topic is decided against them.
pub fn province_wide(state: &kernel::web::AppState) -> Option<Vec<Arc<CommuneInfo>>> {
    state
        .config
        .forum_province_wide
        .then(|| state.communes.all_active())
}

/// A page of the topics commune `c` lists: its own, and with `province_wide` those shared by
/// any commune of its province (`scope` narrows to one or the other). Pinned first, then by
/// latest activity. `q` searches titles whatever the accents (every word must appear); hidden
/// topics are left out of searches unless the reader moderates the topic's own commune.
pub async fn topics(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    province_wide: bool,
    scope: Scope,
    q: &str,
    page: u64,
    moderator: bool,
) -> AppResult<(Vec<topic::Model>, u64)> {
    let own = topic::Column::CommuneCode.eq(&c.code);
    let shared = topic::Column::ProvinceCode.eq(&c.province_code);
    // Without the province-wide forum, only the commune's own topics are in reach, and
    // "province" narrows them to those it shared while the forum was enabled.
    let reach = match (province_wide, scope) {
        (_, Scope::Commune) | (false, Scope::All) => Condition::all().add(own),
        (false, Scope::Province) => Condition::all().add(own).add(shared),
        (true, Scope::Province) => Condition::all().add(shared),
        (true, Scope::All) => Condition::any().add(own).add(shared),
    };
    let mut sel = topic::Entity::find().filter(reach);
    let folded = fold_vi(q);
    if !folded.is_empty() {
        // fold_vi leaves only letters, digits and single spaces: no LIKE wildcard survives.
        for w in folded.split(' ').filter(|w| !w.is_empty()).take(8) {
            sel = sel.filter(topic::Column::TitleFolded.contains(w));
        }
        let visible = topic::Column::Hidden.eq(false);
        sel = if moderator {
            sel.filter(
                Condition::any()
                    .add(visible)
                    .add(topic::Column::CommuneCode.eq(&c.code)),
            )
        } else {
            sel.filter(visible)
        };
    }
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_desc(topic::Column::Pinned)
        .order_by_desc(topic::Column::LastPostAt)
        .order_by_desc(topic::Column::Id)
        .offset(kernel::paging::offset(page, TOPICS_PAGE))
        .limit(TOPICS_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

pub async fn topic(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<topic::Model> {
    topic::Entity::find_by_id(id)
        .filter(topic::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(topic_unknown)
}

pub async fn post(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<post::Model> {
    post::Entity::find_by_id(id)
        .filter(post::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(post_unknown)
}

/// A page of a topic's posts, the opening post first.
pub async fn posts(
    db: &impl ConnectionTrait,
    topic_id: i64,
    page: u64,
) -> AppResult<(Vec<post::Model>, u64)> {
    let sel = post::Entity::find().filter(post::Column::TopicId.eq(topic_id));
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_asc(post::Column::Id)
        .offset(kernel::paging::offset(page, POSTS_PAGE))
        .limit(POSTS_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

fn ensure_member(u: &CurrentUser, c: &CommuneInfo) -> AppResult<()> {
    if rules::is_member(u, c) {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::FORBIDDEN, "forum_not_member"))
    }
}

fn new_post(
    c: &CommuneInfo,
    u: &CurrentUser,
    topic_id: i64,
    body: String,
    opening: bool,
    now: chrono::DateTime<Utc>,
) -> post::ActiveModel {
    post::ActiveModel {
        commune_code: Set(c.code.clone()),
        topic_id: Set(topic_id),
        author_user_id: Set(u.id),
        author_name: Set(u.full_name.clone()),
        author_role: Set(u.acting_role(c).as_str().into()),
        body: Set(body),
        opening: Set(opening),
        hidden: Set(false),
        hidden_reason: Set(None),
        hidden_by: Set(None),
        hidden_at: Set(None),
        report_count: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Opens a topic with its first post, in the author's commune; `share` offers it to the whole
/// province, which needs the province-wide forum (`province_wide`). Everything is checked
/// before anything is written.
#[allow(clippy::too_many_arguments)]
pub async fn create_topic<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    title: &str,
    body: &str,
    share: bool,
    province_wide: bool,
) -> AppResult<topic::Model> {
    ensure_member(u, c)?;
    let title = rules::check_title(title)?;
    let body = rules::check_body(body)?;
    if share && !province_wide {
        return Err(AppError::invalid(
            "forum_province_disabled",
            "province_wide",
        ));
    }
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let t = topic::ActiveModel {
        commune_code: Set(c.code.clone()),
        province_code: Set(share.then(|| c.province_code.clone())),
        title_folded: Set(fold_vi(&title)),
        title: Set(title),
        author_user_id: Set(u.id),
        author_name: Set(u.full_name.clone()),
        author_role: Set(u.acting_role(c).as_str().into()),
        pinned: Set(false),
        locked: Set(false),
        hidden: Set(false),
        reply_count: Set(0),
        created_at: Set(now),
        last_post_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    new_post(c, u, t.id, body, true, now).insert(&txn).await?;
    txn.commit().await?;
    Ok(t)
}

/// Replies to a topic of commune `c`: its members may, and for a topic shared with the
/// province, members of any commune of it when `province_wide` lists the deployment's communes.
/// A locked topic refuses with `forum_topic_locked` (409); the lock is checked by the same
/// write that counts the reply, so a lock racing a reply cannot let it in.
pub async fn reply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    topic_id: i64,
    body: &str,
    province_wide: Option<&[Arc<CommuneInfo>]>,
) -> AppResult<post::Model> {
    let t = topic(db, &c.code, topic_id).await?;
    if !rules::may_post(u, c, t.province_code.as_deref(), province_wide) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "forum_not_member"));
    }
    if t.locked {
        return Err(AppError::conflict("forum_topic_locked"));
    }
    let body = rules::check_body(body)?;
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let res = topic::Entity::update_many()
        .col_expr(
            topic::Column::ReplyCount,
            Expr::col(topic::Column::ReplyCount).add(1),
        )
        .col_expr(topic::Column::LastPostAt, Expr::value(now))
        .filter(topic::Column::Id.eq(t.id))
        .filter(topic::Column::Locked.eq(false))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("forum_topic_locked"));
    }
    let p = new_post(c, u, t.id, body, false, now).insert(&txn).await?;
    txn.commit().await?;
    Ok(p)
}

/// Locks, unlocks, pins or unpins a topic (moderators), audited.
pub async fn moderate_topic<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    topic_id: i64,
    action: TopicAction,
) -> AppResult<topic::Model> {
    let t = topic(db, &c.code, topic_id).await?;
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let mut am: topic::ActiveModel = t.clone().into();
    match action {
        TopicAction::Lock => am.locked = Set(true),
        TopicAction::Unlock => am.locked = Set(false),
        TopicAction::Pin => am.pinned = Set(true),
        TopicAction::Unpin => am.pinned = Set(false),
    }
    let saved = am.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            &format!("forum.{}", action.as_str()),
            "forum_topic",
            t.id,
            excerpt(&t.title, 120),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Hides (with a reason) or unhides a post (moderators), audited. Hiding a topic's opening
/// post hides its title too.
pub async fn moderate_post<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    post_id: i64,
    action: PostAction,
    reason: &str,
) -> AppResult<post::Model> {
    let p = post(db, &c.code, post_id).await?;
    let reason = match action {
        PostAction::Hide => Some(rules::check_hide_reason(reason)?),
        PostAction::Unhide => None,
    };
    let hide = action == PostAction::Hide;
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let mut am: post::ActiveModel = p.clone().into();
    am.hidden = Set(hide);
    am.hidden_reason = Set(reason.clone());
    am.hidden_by = Set(hide.then_some(u.id));
    am.hidden_at = Set(hide.then(Utc::now));
    let saved = am.update(&txn).await?;
    if p.opening {
        topic::Entity::update_many()
            .col_expr(topic::Column::Hidden, Expr::value(hide))
            .filter(topic::Column::Id.eq(p.topic_id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            &format!("forum.{}", action.as_str()),
            "forum_post",
            p.id,
            match reason {
                Some(r) => format!("#{} · {}", p.topic_id, excerpt(&r, 200)),
                None => format!("#{}", p.topic_id),
            },
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Reports a post as abusive, once per person: a second report is `forum_report_exists` (409).
pub async fn report<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    post_id: i64,
    reason: &str,
) -> AppResult<post::Model> {
    let p = post(db, &c.code, post_id).await?;
    let reason = rules::check_report_reason(reason)?;
    let exists = report::Entity::find()
        .filter(report::Column::PostId.eq(p.id))
        .filter(report::Column::UserId.eq(u.id))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(AppError::conflict("forum_report_exists"));
    }
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let inserted = report::ActiveModel {
        commune_code: Set(c.code.clone()),
        post_id: Set(p.id),
        user_id: Set(u.id),
        reason: Set(reason),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    if let Err(e) = inserted {
        // Two clicks at once: the unique index keeps one report.
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return Err(AppError::conflict("forum_report_exists"));
        }
        return Err(e.into());
    }
    post::Entity::update_many()
        .col_expr(
            post::Column::ReportCount,
            Expr::col(post::Column::ReportCount).add(1),
        )
        .filter(post::Column::Id.eq(p.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    post(db, &c.code, p.id).await
}

/// The moderators' queue: reported posts still shown first, most reported first, each with
/// its topic's title.
pub async fn reported(
    db: &impl ConnectionTrait,
    commune: &str,
    page: u64,
) -> AppResult<(Vec<(post::Model, String)>, u64)> {
    let sel = post::Entity::find()
        .filter(post::Column::CommuneCode.eq(commune))
        .filter(post::Column::ReportCount.gt(0));
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_asc(post::Column::Hidden)
        .order_by_desc(post::Column::ReportCount)
        .order_by_desc(post::Column::Id)
        .offset(kernel::paging::offset(page, TOPICS_PAGE))
        .limit(TOPICS_PAGE)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.topic_id).collect();
    let titles = topic::Entity::find()
        .filter(topic::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok((
        rows.into_iter()
            .map(|p| {
                let t = titles
                    .iter()
                    .find(|t| t.id == p.topic_id)
                    .map(|t| t.title.clone())
                    .unwrap_or_default();
                (p, t)
            })
            .collect(),
        total,
    ))
}

pub fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut e: String = s.chars().take(n).collect();
    e.push('…');
    e
}
