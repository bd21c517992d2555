//! The register's queries: SQL in, rows out. Every query names the commune (one shard on
//! Citus); bulk writes go as multi-row statements, a few hundred households each.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use kernel::search::{Index, Query};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};

use crate::entity::{household, member, observation};
use crate::model::{Facts, Household, Internet, NationalId, Poverty};

/// Household search: code, head's name, address and phone without accents.
pub const SEARCH: Index = Index::new("household", "search_folded");

/// Households a list page shows.
pub const PAGE_SIZE: u64 = 50;

/// The attributes of a row with the nine fact columns (a household or an observation).
macro_rules! facts_of_row {
    ($r:expr) => {
        Facts {
            internet: $r.internet.as_deref().and_then(Internet::parse),
            smartphones: $r.smartphones,
            computer: $r.computer,
            online_payment: $r.online_payment,
            ecommerce: $r.ecommerce,
            health_app: $r.health_app,
            clean_energy: $r.clean_energy,
            waste_sorting: $r.waste_sorting,
            wastewater_treated: $r.wastewater_treated,
        }
    };
}

/// The current attributes a household row carries.
pub fn facts_of(h: &household::Model) -> Facts {
    facts_of_row!(h)
}

/// The attributes an observation recorded.
pub fn observed(o: &observation::Model) -> Facts {
    facts_of_row!(o)
}

/// A stored row as a record, to compare with an import's or to merge into.
pub fn record_of(h: &household::Model) -> Household {
    Household {
        code: h.code.clone(),
        village_id: h.village_id,
        head_name: h.head_name.clone(),
        head_birth_year: h.head_birth_year,
        head_sex: match h.head_sex.as_deref() {
            Some("m") => Some("m"),
            Some("f") => Some("f"),
            _ => None,
        },
        head_id: match (&h.head_id_hash, &h.head_id_last4) {
            (Some(hash), Some(last4)) => Some(NationalId {
                hash: hash.clone(),
                last4: last4.clone(),
            }),
            _ => None,
        },
        members: h.members,
        address: h.address.clone(),
        phone: h.phone.clone(),
        ethnicity: h.ethnicity.clone(),
        poverty: Poverty::parse(&h.poverty).unwrap_or_default(),
        location: h.lat.zip(h.lon),
        facts: facts_of(h),
    }
}

/// A page of the commune's households by code (`village` narrows, `q` searches).
pub async fn list(
    db: &impl ConnectionTrait,
    commune: &str,
    village: Option<i64>,
    q: &Query,
    page: u64,
) -> Result<(Vec<household::Model>, bool), DbErr> {
    let backend = db.get_database_backend();
    let mut s = household::Entity::find()
        .filter(household::Column::CommuneCode.eq(commune))
        .filter(SEARCH.matches(backend, q));
    if let Some(v) = village {
        s = s.filter(household::Column::VillageId.eq(v));
    }
    let mut rows = s
        .order_by_asc(household::Column::Code)
        .offset(kernel::paging::offset(page, PAGE_SIZE))
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok((rows, more))
}

/// Every household of the commune (or of one village), by code: exports.
pub async fn all(
    db: &impl ConnectionTrait,
    commune: &str,
    village: Option<i64>,
) -> Result<Vec<household::Model>, DbErr> {
    let mut s = household::Entity::find().filter(household::Column::CommuneCode.eq(commune));
    if let Some(v) = village {
        s = s.filter(household::Column::VillageId.eq(v));
    }
    s.order_by_asc(household::Column::Code).all(db).await
}

pub async fn one(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> Result<Option<household::Model>, DbErr> {
    household::Entity::find()
        .filter(household::Column::CommuneCode.eq(commune))
        .filter(household::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn members(
    db: &impl ConnectionTrait,
    commune: &str,
    household: i64,
) -> Result<Vec<member::Model>, DbErr> {
    member::Entity::find()
        .filter(member::Column::CommuneCode.eq(commune))
        .filter(member::Column::HouseholdId.eq(household))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await
}

/// A household's observations, newest first.
pub async fn observations(
    db: &impl ConnectionTrait,
    commune: &str,
    household: i64,
) -> Result<Vec<observation::Model>, DbErr> {
    observation::Entity::find()
        .filter(observation::Column::CommuneCode.eq(commune))
        .filter(observation::Column::HouseholdId.eq(household))
        .order_by_desc(observation::Column::ObservedOn)
        .order_by_desc(observation::Column::Id)
        .all(db)
        .await
}

/// The stored households with these codes, by code.
pub async fn by_codes(
    db: &impl ConnectionTrait,
    commune: &str,
    codes: &[&str],
) -> Result<HashMap<String, household::Model>, DbErr> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(household::Entity::find()
        .filter(household::Column::CommuneCode.eq(commune))
        .filter(household::Column::Code.is_in(codes.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.code.clone(), h))
        .collect())
}

/// Households with a pin: (id, code, village, lat, lon, poverty, internet) for the map.
pub type Pin = (i64, String, Option<i64>, f64, f64, String, Option<String>);

pub async fn pins(db: &impl ConnectionTrait, commune: &str) -> Result<Vec<Pin>, DbErr> {
    household::Entity::find()
        .select_only()
        .columns([
            household::Column::Id,
            household::Column::Code,
            household::Column::VillageId,
            household::Column::Lat,
            household::Column::Lon,
            household::Column::Poverty,
            household::Column::Internet,
        ])
        .filter(household::Column::CommuneCode.eq(commune))
        .filter(household::Column::Lat.is_not_null())
        .filter(household::Column::Lon.is_not_null())
        .order_by_asc(household::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Households per village (None: not filed under one).
pub async fn per_village(
    db: &impl ConnectionTrait,
    commune: &str,
) -> Result<HashMap<Option<i64>, i64>, DbErr> {
    let rows: Vec<(Option<i64>, i64)> = household::Entity::find()
        .select_only()
        .column(household::Column::VillageId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(household::Column::CommuneCode.eq(commune))
        .group_by(household::Column::VillageId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn count(db: &impl ConnectionTrait, commune: &str) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    household::Entity::find()
        .filter(household::Column::CommuneCode.eq(commune))
        .count(db)
        .await
}

/// `$n` on PostgreSQL, `?` on SQLite.
pub(crate) fn param(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".into(),
    }
}

/// A row of `n` placeholders starting after `used`, as `(…)`.
pub(crate) fn placeholders(backend: DbBackend, used: usize, n: usize) -> String {
    let p: Vec<String> = (1..=n).map(|i| param(backend, used + i)).collect();
    format!("({})", p.join(", "))
}

const FACT_COLUMNS: [&str; 9] = [
    "internet",
    "smartphones",
    "computer",
    "online_payment",
    "ecommerce",
    "health_app",
    "clean_energy",
    "waste_sorting",
    "wastewater_treated",
];

fn fact_values(f: &Facts, out: &mut Vec<Value>) {
    out.push(f.internet.map(|i| i.as_str().to_owned()).into());
    out.push(f.smartphones.into());
    for name in crate::model::YES_NO {
        out.push(f.yes_no(name).into());
    }
}

/// One household to write: the record, its current attributes after this observation, and
/// the date of the latest observation they come from.
pub struct Write<'a> {
    pub record: &'a Household,
    pub current: Facts,
    pub observed_on: Option<NaiveDate>,
}

const HOUSEHOLD_COLUMNS: [&str; 19] = [
    "commune_code",
    "code",
    "village_id",
    "head_name",
    "head_folded",
    "head_birth_year",
    "head_sex",
    "head_id_hash",
    "head_id_last4",
    "members",
    "address",
    "phone",
    "ethnicity",
    "poverty",
    "lat",
    "lon",
    "plus_code",
    "search_folded",
    "observed_on",
];

/// Households a statement writes: ~30 values each stays under SQLite's 32,766 variables.
const PER_STATEMENT: usize = 500;

/// Inserts or updates households by (commune, code), a statement per 500; answers each
/// code's id.
pub async fn upsert(
    db: &impl ConnectionTrait,
    commune: &str,
    rows: &[Write<'_>],
) -> Result<HashMap<String, i64>, DbErr> {
    let mut ids = HashMap::with_capacity(rows.len());
    for part in rows.chunks(PER_STATEMENT) {
        ids.extend(upsert_part(db, commune, part).await?);
    }
    Ok(ids)
}

async fn upsert_part(
    db: &impl ConnectionTrait,
    commune: &str,
    rows: &[Write<'_>],
) -> Result<HashMap<String, i64>, DbErr> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let cols: Vec<&str> = HOUSEHOLD_COLUMNS
        .iter()
        .chain(FACT_COLUMNS.iter())
        .chain(["created_at", "updated_at"].iter())
        .copied()
        .collect();
    let now = Utc::now();
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * cols.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for w in rows {
        let h = w.record;
        tuples.push(placeholders(backend, values.len(), cols.len()));
        values.push(commune.into());
        values.push(h.code.clone().into());
        values.push(h.village_id.into());
        values.push(h.head_name.clone().into());
        values.push(kernel::text::fold_vi(&h.head_name).into());
        values.push(h.head_birth_year.into());
        values.push(h.head_sex.map(str::to_owned).into());
        values.push(h.head_id.as_ref().map(|i| i.hash.clone()).into());
        values.push(h.head_id.as_ref().map(|i| i.last4.clone()).into());
        values.push(h.members.into());
        values.push(h.address.clone().into());
        values.push(h.phone.clone().into());
        values.push(h.ethnicity.clone().into());
        values.push(h.poverty.as_str().into());
        values.push(h.location.map(|l| l.0).into());
        values.push(h.location.map(|l| l.1).into());
        values.push(h.plus_code().into());
        values.push(h.search_folded().into());
        values.push(w.observed_on.into());
        fact_values(&w.current, &mut values);
        values.push(now.into());
        values.push(now.into());
    }
    let updates: Vec<String> = cols
        .iter()
        .filter(|c| !["commune_code", "code", "created_at"].contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO household ({}) VALUES {} ON CONFLICT (commune_code, code) DO UPDATE SET {} RETURNING id, code",
        cols.join(", "),
        tuples.join(", "),
        updates.join(", ")
    );
    let out = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    out.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "code")?,
                r.try_get::<i64>("", "id")?,
            ))
        })
        .collect()
}

/// An observation to keep in a household's history.
pub struct Observation<'a> {
    pub household_id: i64,
    pub facts: &'a Facts,
    pub observed_on: NaiveDate,
}

/// Appends observations (a statement per 1,000), all from one `source` and recorder.
pub async fn observe(
    db: &impl ConnectionTrait,
    commune: &str,
    rows: &[Observation<'_>],
    source: &str,
    recorded_by: Option<i64>,
) -> Result<(), DbErr> {
    for part in rows.chunks(1000) {
        observe_part(db, commune, part, source, recorded_by).await?;
    }
    Ok(())
}

async fn observe_part(
    db: &impl ConnectionTrait,
    commune: &str,
    rows: &[Observation<'_>],
    source: &str,
    recorded_by: Option<i64>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let cols: Vec<&str> = [
        "commune_code",
        "household_id",
        "observed_on",
        "source",
        "recorded_by",
        "recorded_at",
    ]
    .iter()
    .chain(FACT_COLUMNS.iter())
    .copied()
    .collect();
    let now = Utc::now();
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * cols.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for o in rows {
        tuples.push(placeholders(backend, values.len(), cols.len()));
        values.push(commune.into());
        values.push(o.household_id.into());
        values.push(o.observed_on.into());
        values.push(source.into());
        values.push(recorded_by.into());
        values.push(now.into());
        fact_values(o.facts, &mut values);
    }
    let sql = format!(
        "INSERT INTO household_observation ({}) VALUES {}",
        cols.join(", "),
        tuples.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Adds a member to a household (demo data, the household page).
pub async fn add_member(
    db: &impl ConnectionTrait,
    commune: &str,
    household: i64,
    m: &crate::model::Member,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    member::ActiveModel {
        commune_code: Set(commune.to_owned()),
        household_id: Set(household),
        name: Set(m.name.clone()),
        birth_year: Set(m.birth_year),
        sex: Set(m.sex.map(str::to_owned)),
        relation: Set(m.relation.to_owned()),
        id_hash: Set(m.id.as_ref().map(|i| i.hash.clone())),
        id_last4: Set(m.id.as_ref().map(|i| i.last4.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Households with a pin (and so a digital address code).
pub async fn pinned(db: &impl ConnectionTrait, commune: &str) -> Result<i64, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(household::Entity::find()
        .filter(household::Column::CommuneCode.eq(commune))
        .filter(household::Column::PlusCode.is_not_null())
        .count(db)
        .await? as i64)
}
