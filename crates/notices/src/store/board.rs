//! The board: published notices by page, category and search, pages kept in memory until the
//! commune's notices change; the office's list of every notice; events for the calendar feed.

use chrono::{DateTime, Utc};
use kernel::error::AppResult;
use kernel::text::fold_vi;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{BOARD, BOARD_PAGE, PUBLISHED};
use crate::entity::notice;
use crate::model::Category;

/// Active emergency alerts (published, unexpired) sort before everything else.
fn active_emergency(now: DateTime<Utc>) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::ExprTrait;
    notice::Column::Category
        .eq(Category::Emergency.as_str())
        .and(notice::Column::Status.eq(PUBLISHED))
        .and(
            notice::Column::ExpiresAt
                .is_null()
                .or(notice::Column::ExpiresAt.gt(now)),
        )
}

/// A page of the board: published and unexpired, emergency alerts first (even above pinned
/// notices and whatever a search ranks), then pinned, newest first; `q` matches
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
        .order_by_desc(active_emergency(now))
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
/// kernel cache's TTL, which also bounds how long an expired notice can linger). One per
/// platform (the room holds it), never shared by two platforms in one process.
pub type BoardCache = kernel::cache::GenerationCache<BoardPage>;

/// [`board`], served from memory when there is no search.
pub async fn board_page(
    db: &impl ConnectionTrait,
    cache: &BoardCache,
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
    if let Some(hit) = cache.get(&key, generation) {
        return Ok(hit);
    }
    let fresh = std::sync::Arc::new(board(db, code, q, category, page, now).await?);
    cache.put(key, generation, fresh.clone());
    Ok(fresh)
}

/// Every notice of the commune for the office: active emergency alerts first, then newest first.
pub async fn office_list(
    db: &impl ConnectionTrait,
    code: &str,
    page: u64,
) -> AppResult<(Vec<notice::Model>, u64)> {
    let sel = notice::Entity::find().filter(notice::Column::CommuneCode.eq(code));
    let total = sel.clone().count(db).await?;
    let rows = sel
        .order_by_desc(active_emergency(Utc::now()))
        .order_by_desc(notice::Column::Id)
        .offset(kernel::paging::offset(page, BOARD_PAGE))
        .limit(BOARD_PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
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
