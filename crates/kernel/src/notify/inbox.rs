//! The in-app inbox: the channel that writes it, and a person's reads of it.
//!
//! Inbox items are commune-owned (on Citus they live on their commune's worker), so every read
//! names the communes a person has items from: their home commune, plus those `inbox_commune`
//! lists. Writes keep that list: an item from any other commune adds the commune to it.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use super::{Channel, INBOX, inbox_item, outbox, unread};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;

/// The communes a person has inbox items from: their home commune (always read, never
/// listed) and every other one `inbox_commune` remembers.
pub async fn communes_of(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<String>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT commune_code FROM app_user WHERE id = $1 AND commune_code IS NOT NULL \
             UNION SELECT commune_code FROM inbox_commune WHERE user_id = $1"
        }
        _ => {
            "SELECT commune_code FROM app_user WHERE id = ?1 AND commune_code IS NOT NULL \
             UNION SELECT commune_code FROM inbox_commune WHERE user_id = ?1"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [user_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "commune_code").map_err(Into::into))
        .collect()
}

/// Remembers that `user_id` has inbox items from `commune_code`, unless it is their home
/// commune; call in the transaction that writes the item.
async fn remember(db: &impl ConnectionTrait, user_id: i64, commune_code: &str) -> AppResult<()> {
    let rows = Query::select()
        .column(Alias::new("id"))
        .expr(Expr::val(commune_code))
        .from(Alias::new("app_user"))
        .and_where(Expr::col(Alias::new("id")).eq(user_id))
        .and_where(
            Expr::col(Alias::new("commune_code"))
                .is_null()
                .or(Expr::col(Alias::new("commune_code")).ne(commune_code)),
        )
        .to_owned();
    remember_all(db, rows).await
}

/// [`remember`] for every (user id, commune code) row `rows` selects.
pub(super) async fn remember_all(
    db: &impl ConnectionTrait,
    rows: SelectStatement,
) -> AppResult<()> {
    let insert = Query::insert()
        .into_table(Alias::new("inbox_commune"))
        .columns([Alias::new("user_id"), Alias::new("commune_code")])
        .select_from(rows)
        .map_err(|e| AppError::internal(e.to_string()))?
        .on_conflict(
            OnConflict::columns([Alias::new("user_id"), Alias::new("commune_code")])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    db.execute_raw(crate::db::statement(db, &insert)).await?;
    Ok(())
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
            .filter(inbox_item::Column::CommuneCode.eq(&msg.commune_code))
            .filter(inbox_item::Column::OutboxId.eq(msg.id))
            .count(db)
            .await
            .map_err(|e| e.to_string())?;
        if exists > 0 {
            return Ok(());
        }
        remember(db, msg.user_id, &msg.commune_code)
            .await
            .map_err(|e| e.to_string())?;
        inbox_item::Entity::insert(inbox_item::ActiveModel {
            commune_code: Set(msg.commune_code.clone()),
            user_id: Set(msg.user_id),
            outbox_id: Set(Some(msg.id)),
            title: Set(msg.title.clone()),
            body: Set(msg.body.clone()),
            link: Set(msg.link.clone()),
            created_at: Set(msg.created_at),
            read_at: Set(None),
            text_key: Set(msg.text_key.clone()),
            text_args: Set(msg.text_args.clone()),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await
        .map(|_| unread::changed(msg.user_id))
        .map_err(|e| e.to_string())
    }
}

/// A person's items, in the communes they have items from.
fn items_of(user_id: i64, communes: Vec<String>) -> sea_orm::Select<inbox_item::Entity> {
    inbox_item::Entity::find()
        .filter(inbox_item::Column::CommuneCode.is_in(communes))
        .filter(inbox_item::Column::UserId.eq(user_id))
}

pub async fn unread_count(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    let communes = communes_of(db, user_id).await?;
    if communes.is_empty() {
        return Ok(0);
    }
    Ok(items_of(user_id, communes)
        .filter(inbox_item::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// A person's latest inbox items, in the reader's language.
pub async fn inbox(
    db: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
    locale: Locale,
) -> AppResult<Vec<inbox_item::Model>> {
    let communes = communes_of(db, user_id).await?;
    if communes.is_empty() {
        return Ok(vec![]);
    }
    Ok(items_of(user_id, communes)
        .order_by_desc(inbox_item::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.in_locale(locale))
        .collect())
}

pub async fn mark_read(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<()> {
    let communes = communes_of(db, user_id).await?;
    let res = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(inbox_item::Column::CommuneCode.is_in(communes.clone()))
        .filter(inbox_item::Column::Id.eq(id))
        .filter(inbox_item::Column::UserId.eq(user_id))
        .filter(inbox_item::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    unread::changed(user_id);
    if res.rows_affected == 0 {
        // Either not this user's, or already read: only the first is an error.
        let mine = items_of(user_id, communes)
            .filter(inbox_item::Column::Id.eq(id))
            .count(db)
            .await?;
        if mine == 0 {
            return Err(AppError::not_found());
        }
    }
    Ok(())
}

pub async fn mark_all_read(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    let communes = communes_of(db, user_id).await?;
    let n = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(inbox_item::Column::CommuneCode.is_in(communes))
        .filter(inbox_item::Column::UserId.eq(user_id))
        .filter(inbox_item::Column::ReadAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    unread::changed(user_id);
    Ok(n)
}
