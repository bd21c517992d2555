//! The room's settings, for the commune's admins: feedback categories, the map area pins must
//! fall in, and Open311 API keys. Each change is audited and clears the board's caches.

use kernel::accounts::CurrentUser;
use kernel::accounts::access::{self, ADMINS};
use kernel::audit::{self, Entry};
use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use super::{ActionResult, Kernel};
use crate::entity::{api_key, category};
use crate::model::Bounds;
use crate::store::{self, CategoryInput};

/// Use case: adds a category or changes the one with the same code.
pub async fn save_category(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    input: &CategoryInput,
) -> ActionResult<category::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let cat = store::save_category(&txn, &c.code, input).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "feedback.category",
            "feedback_category",
            cat.id,
            format!("{} · {}", cat.code, cat.name),
        ),
    )
    .await?;
    txn.commit().await?;
    store::changed(&c.code);
    Ok(cat)
}

/// Use case: draws (or with `None` removes) the rectangle pins must fall in.
pub async fn set_area(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    area: Option<Bounds>,
) -> ActionResult<()> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = kernel::db::begin_write(k.db).await?;
    store::set_area(&txn, &c.code, area).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "feedback.area",
            "commune",
            &c.code,
            area.map(|a| a.to_csv()).unwrap_or_default(),
        ),
    )
    .await?;
    txn.commit().await?;
    store::changed(&c.code);
    Ok(())
}

/// Use case: the commune's Open311 keys.
pub async fn keys(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<api_key::Model>> {
    access::with_role(actor, c, ADMINS)?;
    Ok(store::keys(k.db, &c.code).await?)
}

/// Use case: issues an Open311 key; the secret is answered once and only its hash kept. Takes
/// the database alone, so the command line (`xaso open311-key`) issues keys through it too.
pub async fn create_key(
    db: &DatabaseConnection,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    name: &str,
) -> ActionResult<(api_key::Model, String)> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = kernel::db::begin_write(db).await?;
    let (key, secret) = store::insert_key(&txn, &c.code, u.id, name).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "open311.key_create",
            "open311_key",
            key.id,
            key.name.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((key, secret))
}

/// Use case: revokes a live key of this commune (404 `not_found` for another or a revoked one).
pub async fn revoke_key(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<()> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let key = store::live_key(&txn, &c.code, id).await?;
    let name = key.name.clone();
    store::mark_revoked(&txn, key).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, c, "open311.key_revoke", "open311_key", id, name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
