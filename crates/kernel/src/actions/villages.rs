//! Use cases of a commune's villages (thôn, bản, tổ dân phố…): its admins add, rename and
//! remove them; each change is audited and bumps the villages' cache generation, which the
//! home page's facts follow.

use super::{ActionResult, Kernel};
use crate::accounts::CurrentUser;
use crate::accounts::access::{self, ADMINS};
use crate::audit::{self, Entry};
use crate::tenancy::{self, CommuneInfo, VILLAGES, village};

/// A village's name and kind (`thon`, `ban`, `to_dan_pho`, `ap`, `khu_pho`).
pub struct VillageInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
}

pub async fn create(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    v: VillageInput<'_>,
) -> ActionResult<village::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = crate::db::begin_write(k.db).await?;
    let m = tenancy::create_village(&txn, &c.code, v.name, v.kind).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, c, "village.create", "village", m.id, m.name.clone()),
    )
    .await?;
    txn.commit().await?;
    crate::cache::changed(VILLAGES, &c.code);
    Ok(m)
}

pub async fn rename(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    v: VillageInput<'_>,
) -> ActionResult<village::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = crate::db::begin_write(k.db).await?;
    let before = tenancy::village(&txn, &c.code, id).await?;
    let m = tenancy::rename_village(&txn, &c.code, id, v.name, v.kind).await?;
    let summary = format!("{} → {}", before.name, m.name);
    audit::record(
        &txn,
        Entry::in_commune(u, c, "village.update", "village", m.id, summary),
    )
    .await?;
    txn.commit().await?;
    crate::cache::changed(VILLAGES, &c.code);
    Ok(m)
}

pub async fn delete(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<village::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = crate::db::begin_write(k.db).await?;
    let m = tenancy::delete_village(&txn, &c.code, id).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, c, "village.delete", "village", m.id, m.name.clone()),
    )
    .await?;
    txn.commit().await?;
    crate::cache::changed(VILLAGES, &c.code);
    Ok(m)
}
