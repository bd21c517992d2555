//! Open311 API keys: issuing (the secret shown once, its hash kept), listing, revoking, and
//! finding the commune of a live key.

use chrono::{Duration, Utc};
use kernel::accounts::{random_token, sha256_hex};
use kernel::error::AppResult;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::api_key;
use crate::error::{ActionResult, Refusal};

const KEY_PREFIX: &str = "o311_";

/// Checks the name and stores a new key for `commune`; the secret is returned once and only
/// its hash is kept.
pub async fn insert_key(
    db: &impl ConnectionTrait,
    commune: &str,
    created_by: i64,
    name: &str,
) -> ActionResult<(api_key::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Refusal::NameInvalid.at("name"));
    }
    let secret = format!("{KEY_PREFIX}{}", random_token(24));
    let k = api_key::ActiveModel {
        commune_code: Set(commune.to_owned()),
        name: Set(name.into()),
        key_hash: Set(sha256_hex(&secret)),
        key_prefix: Set(secret[..KEY_PREFIX.len() + 6].to_owned()),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((k, secret))
}

pub async fn keys(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::CommuneCode.eq(commune))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// A key of this commune not yet revoked.
pub async fn live_key(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<api_key::Model> {
    api_key::Entity::find_by_id(id)
        .filter(api_key::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .filter(|k| k.revoked_at.is_none())
        .ok_or_else(|| Refusal::NotFound.into())
}

pub async fn mark_revoked(db: &impl ConnectionTrait, k: api_key::Model) -> AppResult<()> {
    let mut am: api_key::ActiveModel = k.into();
    am.revoked_at = Set(Some(Utc::now()));
    am.update(db).await?;
    Ok(())
}

/// The commune a live key belongs to.
pub async fn key_commune(db: &impl ConnectionTrait, secret: &str) -> AppResult<Option<String>> {
    let Some(k) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(sha256_hex(secret.trim())))
        .one(db)
        .await?
        .filter(|k| k.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if k.last_used_at
        .is_none_or(|l| now - l > Duration::minutes(5))
    {
        let code = k.commune_code.clone();
        let mut am: api_key::ActiveModel = k.into();
        am.last_used_at = Set(Some(now));
        am.update(db).await?;
        return Ok(Some(code));
    }
    Ok(Some(k.commune_code))
}
