//! Use cases of the infrastructure register: public wifi points (4.3), security cameras
//! (18.1) and waste-water sources into irrigation works and production sites (15.2) on the
//! map, and mobile coverage and fibre per village (4.2). Officials record them (audited);
//! wifi and coverage are public, cameras and waste-water sources are for officials.

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::access::{editor, reader};
use super::{ActionResult, Refusal};
use crate::entity::{coverage, point};

/// Kinds of point, with the map layer each is drawn on.
pub const KINDS: [(&str, &str); 3] = [
    ("wifi", "wifi"),
    ("camera", "cameras"),
    ("wastewater", "wastewater"),
];
pub const STATUSES: [&str; 3] = ["working", "broken", "planned"];
pub const MOBILE: [&str; 3] = ["full", "partial", "none"];

/// Whether anyone may see points of this kind (wifi) or only the register's readers.
pub fn public(kind: &str) -> bool {
    kind == "wifi"
}

/// A point as recorded.
pub struct NewPoint {
    pub kind: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub status: String,
    pub note: String,
}

/// Use case: an official records a point. Audited.
pub async fn add_point(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    p: NewPoint,
) -> ActionResult<point::Model> {
    let u = editor(actor, c)?;
    if !KINDS.iter().any(|(kind, _)| *kind == p.kind) {
        return Err(Refusal::PointKindUnknown.at("kind"));
    }
    let name = p.name.trim();
    if !(1..=120).contains(&name.chars().count()) {
        return Err(Refusal::PointNameInvalid.at("name"));
    }
    if !STATUSES.contains(&p.status.as_str()) {
        return Err(Refusal::PointStatusUnknown.at("status"));
    }
    if p.note.chars().count() > 300 {
        return Err(Refusal::HouseholdTextTooLong.at("note"));
    }
    let area = kernel::tenancy::area::area(k.db, &c.code).await?;
    let rules = crate::columns::RowRules::new(&[], area.clone(), 2100, &[]);
    if !rules.inside(p.lat, p.lon) {
        return Err(Refusal::HouseholdLocationOutside.at("lat"));
    }
    let now = Utc::now();
    let txn = kernel::db::begin_write(k.db).await?;
    let row = point::ActiveModel {
        commune_code: Set(c.code.clone()),
        kind: Set(p.kind),
        name: Set(name.to_owned()),
        village_id: Set(area.village_at(p.lat, p.lon)),
        lat: Set(p.lat),
        lon: Set(p.lon),
        status: Set(p.status),
        note: Set(p.note.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, "infra.add", "infra_point", row.id, row.name.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Use case: an official changes a point's status (a camera broken, a wifi point working).
/// Audited.
pub async fn set_status(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    status: &str,
) -> ActionResult<point::Model> {
    let u = editor(actor, c)?;
    if !STATUSES.contains(&status) {
        return Err(Refusal::PointStatusUnknown.at("status"));
    }
    let row = point::Entity::find()
        .filter(point::Column::CommuneCode.eq(&c.code))
        .filter(point::Column::Id.eq(id))
        .one(k.db)
        .await?
        .ok_or(Refusal::PointUnknown)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let mut a: point::ActiveModel = row.into();
    a.status = Set(status.to_owned());
    a.updated_at = Set(Utc::now());
    let row = a.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "infra.status",
            "infra_point",
            id,
            format!("{}: {status}", row.name),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Use case: the points of one kind (wifi for anyone; the others for the register's readers).
pub async fn points(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    kind: &str,
) -> ActionResult<Vec<point::Model>> {
    if !public(kind) {
        reader(actor, c)?;
    }
    Ok(point::Entity::find()
        .filter(point::Column::CommuneCode.eq(&c.code))
        .filter(point::Column::Kind.eq(kind))
        .order_by_asc(point::Column::Name)
        .all(k.db)
        .await?)
}

/// Use case: an official records a village's mobile coverage and fibre. Audited.
pub async fn set_coverage(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    village_id: i64,
    mobile: &str,
    fibre: bool,
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    if !MOBILE.contains(&mobile) {
        return Err(Refusal::CoverageInvalid.at("mobile"));
    }
    let village = kernel::tenancy::village(k.db, &c.code, village_id)
        .await
        .map_err(|_| Refusal::VillageUnknown)?;
    let txn = kernel::db::begin_write(k.db).await?;
    coverage::Entity::delete_many()
        .filter(coverage::Column::CommuneCode.eq(&c.code))
        .filter(coverage::Column::VillageId.eq(village_id))
        .exec(&txn)
        .await?;
    coverage::ActiveModel {
        commune_code: Set(c.code.clone()),
        village_id: Set(village_id),
        mobile: Set(mobile.to_owned()),
        fibre: Set(fibre),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "infra.coverage",
            "village",
            village_id,
            format!("{}: {mobile}, fibre={fibre}", village.name),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Use case: every village's coverage (anyone).
pub async fn coverage(k: Kernel<'_>, c: &CommuneInfo) -> ActionResult<Vec<coverage::Model>> {
    Ok(coverage::Entity::find()
        .filter(coverage::Column::CommuneCode.eq(&c.code))
        .all(k.db)
        .await?)
}
