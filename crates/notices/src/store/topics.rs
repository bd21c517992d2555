//! Topics people follow: the commune's list, a new topic, each person's subscriptions.

use chrono::Utc;
use kernel::error::AppResult;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::entity::{subscription, topic};

pub async fn topics(db: &impl ConnectionTrait, code: &str) -> AppResult<Vec<topic::Model>> {
    Ok(topic::Entity::find()
        .filter(topic::Column::CommuneCode.eq(code))
        .order_by_asc(topic::Column::Name)
        .all(db)
        .await?)
}

/// One topic of the commune, if it is there.
pub async fn topic(
    db: &impl ConnectionTrait,
    code: &str,
    id: i64,
) -> AppResult<Option<topic::Model>> {
    Ok(topic::Entity::find_by_id((code.to_owned(), id))
        .one(db)
        .await?)
}

/// Whether the commune already has a topic of that name.
pub async fn topic_exists(db: &impl ConnectionTrait, code: &str, name: &str) -> AppResult<bool> {
    Ok(topic::Entity::find()
        .filter(topic::Column::CommuneCode.eq(code))
        .filter(topic::Column::Name.eq(name))
        .count(db)
        .await?
        > 0)
}

pub async fn insert_topic(
    db: &impl ConnectionTrait,
    code: &str,
    name: &str,
) -> AppResult<topic::Model> {
    Ok(topic::ActiveModel {
        commune_code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
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

/// Follows or stops following a topic (already known to be the commune's).
pub async fn subscribe(
    db: &impl ConnectionTrait,
    commune: &str,
    user_id: i64,
    topic_id: i64,
    on: bool,
) -> AppResult<()> {
    let existing = subscription::Entity::find_by_id((commune.to_owned(), topic_id, user_id))
        .one(db)
        .await?;
    match (on, existing) {
        (true, None) => {
            let res = subscription::ActiveModel {
                commune_code: Set(commune.to_owned()),
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
            subscription::Entity::delete_by_id((commune.to_owned(), topic_id, user_id))
                .exec(db)
                .await?;
        }
        _ => {}
    }
    Ok(())
}
