//! Every query of the commune forum (indicator 3.3): topics and replies, moderation (hide,
//! unhide, lock, pin) and abuse reports. The use cases combining them are in
//! `super::actions`.

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::error::AppResult;
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entity::{post, report, topic};
use super::migration_search::SEARCH;
use super::rules::{POSTS_PAGE, Scope, TOPICS_PAGE, TopicAction};
use crate::error::{ActionResult, Refusal};

/// The generation kind of the forum's topic lists (`kernel::cache`), counted per province: a
/// topic shared with the province shows in the list of every commune of it.
pub const FORUM: &str = "forum";

/// Call after a committed write to a topic or post of commune `c`.
pub fn changed(c: &CommuneInfo) {
    kernel::cache::changed(FORUM, &c.province_code);
}

/// A page of the topics commune `c` lists: its own, and with `province_wide` those shared by
/// any commune of its province (`scope` narrows to one or the other). Pinned first, then by
/// latest activity. `q` searches titles through the forum's index (`kernel::search`: accents
/// optional, each word may be the start of a title's word, all must appear; whole-word
/// matches first after the pinned); hidden topics are left out of searches unless the reader
/// moderates the topic's own commune.
pub async fn topics(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    province_wide: bool,
    scope: Scope,
    q: &kernel::search::Query,
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
    let backend = db.get_database_backend();
    if !q.is_empty() {
        sel = sel.filter(SEARCH.matches(backend, q));
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
        .order_by_desc(SEARCH.rank(backend, q))
        .order_by_desc(topic::Column::LastPostAt)
        .order_by_desc(topic::Column::Id)
        .offset(kernel::paging::offset(page, TOPICS_PAGE))
        .limit(TOPICS_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

pub async fn topic(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<topic::Model> {
    topic::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await?
        .ok_or_else(|| Refusal::ForumTopicUnknown.into())
}

pub async fn post(db: &impl ConnectionTrait, commune: &str, id: i64) -> ActionResult<post::Model> {
    post::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await?
        .ok_or_else(|| Refusal::ForumPostUnknown.into())
}

/// A page of a topic's posts, the opening post first.
pub async fn posts(
    db: &impl ConnectionTrait,
    commune: &str,
    topic_id: i64,
    page: u64,
) -> AppResult<(Vec<post::Model>, u64)> {
    let sel = post::Entity::find()
        .filter(post::Column::CommuneCode.eq(commune))
        .filter(post::Column::TopicId.eq(topic_id));
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_asc(post::Column::Id)
        .offset(kernel::paging::offset(page, POSTS_PAGE))
        .limit(POSTS_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
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

/// Stores a checked topic with its opening post; `share` offers it to the whole province.
pub async fn insert_topic(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    title: String,
    body: String,
    share: bool,
) -> AppResult<topic::Model> {
    let now = Utc::now();
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
    .insert(db)
    .await?;
    new_post(c, u, t.id, body, true, now).insert(db).await?;
    Ok(t)
}

/// Stores a checked reply and counts it on its topic. The lock is checked by the same write
/// that counts the reply, so a lock racing a reply cannot let it in: `forum_topic_locked`.
pub async fn insert_reply(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    topic_id: i64,
    body: String,
) -> ActionResult<post::Model> {
    let now = Utc::now();
    let res = topic::Entity::update_many()
        .col_expr(
            topic::Column::ReplyCount,
            Expr::col(topic::Column::ReplyCount).add(1),
        )
        .col_expr(topic::Column::LastPostAt, Expr::value(now))
        .filter(topic::Column::CommuneCode.eq(&c.code))
        .filter(topic::Column::Id.eq(topic_id))
        .filter(topic::Column::Locked.eq(false))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(Refusal::ForumTopicLocked.into());
    }
    Ok(new_post(c, u, topic_id, body, false, now)
        .insert(db)
        .await?)
}

/// Locks, unlocks, pins or unpins a topic.
pub async fn set_topic_flag(
    db: &impl ConnectionTrait,
    t: topic::Model,
    action: TopicAction,
) -> AppResult<topic::Model> {
    let mut am: topic::ActiveModel = t.into();
    match action {
        TopicAction::Lock => am.locked = Set(true),
        TopicAction::Unlock => am.locked = Set(false),
        TopicAction::Pin => am.pinned = Set(true),
        TopicAction::Unpin => am.pinned = Set(false),
    }
    Ok(am.update(db).await?)
}

/// Hides a post (with its reason, by whom) or shows it again; an opening post's topic title
/// goes with it.
pub async fn set_post_hidden(
    db: &impl ConnectionTrait,
    p: post::Model,
    hidden_by: Option<i64>,
    reason: Option<String>,
) -> AppResult<post::Model> {
    let hide = hidden_by.is_some();
    let (opening, topic_id, commune) = (p.opening, p.topic_id, p.commune_code.clone());
    let mut am: post::ActiveModel = p.into();
    am.hidden = Set(hide);
    am.hidden_reason = Set(reason);
    am.hidden_by = Set(hidden_by);
    am.hidden_at = Set(hide.then(Utc::now));
    let saved = am.update(db).await?;
    if opening {
        topic::Entity::update_many()
            .col_expr(topic::Column::Hidden, Expr::value(hide))
            .filter(topic::Column::CommuneCode.eq(commune))
            .filter(topic::Column::Id.eq(topic_id))
            .exec(db)
            .await?;
    }
    Ok(saved)
}

/// Whether this person already reported this post.
pub async fn has_reported(
    db: &impl ConnectionTrait,
    commune: &str,
    post_id: i64,
    user_id: i64,
) -> AppResult<bool> {
    Ok(report::Entity::find()
        .filter(report::Column::CommuneCode.eq(commune))
        .filter(report::Column::PostId.eq(post_id))
        .filter(report::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}

/// Stores an abuse report and counts it on the post. Two clicks at once: the unique index
/// keeps one report, the other is `forum_report_exists`.
pub async fn insert_report(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    post_id: i64,
    user_id: i64,
    reason: String,
) -> ActionResult<()> {
    let inserted = report::ActiveModel {
        commune_code: Set(c.code.clone()),
        post_id: Set(post_id),
        user_id: Set(user_id),
        reason: Set(reason),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await;
    if let Err(e) = inserted {
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return Err(Refusal::ForumReportExists.into());
        }
        return Err(e.into());
    }
    post::Entity::update_many()
        .col_expr(
            post::Column::ReportCount,
            Expr::col(post::Column::ReportCount).add(1),
        )
        .filter(post::Column::CommuneCode.eq(&c.code))
        .filter(post::Column::Id.eq(post_id))
        .exec(db)
        .await?;
    Ok(())
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
