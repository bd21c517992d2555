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

/// Which shape of the commune's map area: its boundary or one village's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaTarget {
    Boundary,
    Village(i64),
}

/// Use case: an admin sets (pasted or uploaded GeoJSON) or clears (blank) the commune's
/// boundary or a village's shape; the shape is checked ([`tenancy::area::check`]) before
/// anything is written, and the change is audited.
pub async fn set_area(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    target: AreaTarget,
    geojson: &str,
) -> ActionResult<()> {
    let u = access::with_role(actor, c, ADMINS)?;
    let geometry = match geojson.trim() {
        "" => None,
        text => Some(tenancy::area::check(text)?),
    };
    let cleared = geometry.is_none();
    let txn = crate::db::begin_write(k.db).await?;
    let entry = match target {
        AreaTarget::Boundary => {
            tenancy::area::set_boundary(&txn, &c.code, geometry).await?;
            let summary = if cleared {
                "xoá ranh giới xã"
            } else {
                "ranh giới xã"
            };
            Entry::in_commune(u, c, "commune.area", "commune", 0, summary.to_owned())
        }
        AreaTarget::Village(id) => {
            let v = tenancy::village(&txn, &c.code, id).await?;
            tenancy::area::set_village(&txn, &c.code, id, geometry).await?;
            let summary = if cleared {
                format!("xoá vùng {}", v.name)
            } else {
                format!("vùng {}", v.name)
            };
            Entry::in_commune(u, c, "village.area", "village", id, summary)
        }
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    crate::cache::changed(VILLAGES, &c.code);
    Ok(())
}
