//! Use cases of likely duplicates: households with the same head (folded name and birth
//! year) in the same village, or the same phone, listed for an official who merges them
//! (members and history move to the one kept, the other goes) or says they are two
//! households (never flagged again). Both audited.

use std::collections::HashSet;

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ConnectionTrait, Statement};

use super::access::{editor, reader};
use super::{ActionResult, Refusal};
use crate::entity::household;
use crate::store;

/// Why two households look like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    SameHead,
    SamePhone,
}

/// Pairs shown at most.
const SHOWN: usize = 200;

/// Use case: the likely duplicates, each pair once, the older household first.
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<(household::Model, household::Model, Why)>> {
    let (_, scope) = reader(actor, c)?;
    let db = k.db;
    let b = db.get_database_backend();
    let pairs_sql = [
        (
            Why::SameHead,
            "SELECT a.id AS first, b.id AS second FROM household a JOIN household b \
             ON b.commune_code = a.commune_code AND b.village_id = a.village_id \
             AND b.head_folded = a.head_folded AND b.head_birth_year = a.head_birth_year AND b.id > a.id \
             WHERE a.commune_code = $1 ORDER BY a.id LIMIT 500",
        ),
        (
            Why::SamePhone,
            "SELECT a.id AS first, b.id AS second FROM household a JOIN household b \
             ON b.commune_code = a.commune_code AND b.phone = a.phone AND b.id > a.id \
             WHERE a.commune_code = $1 AND a.phone IS NOT NULL ORDER BY a.id LIMIT 500",
        ),
    ];
    let dismissed: HashSet<(i64, i64)> = db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            "SELECT first_id, second_id FROM household_pair WHERE commune_code = $1",
            [c.code.clone().into()],
        ))
        .await?
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get("", "first_id").ok()?,
                r.try_get("", "second_id").ok()?,
            ))
        })
        .collect();
    let mut out = vec![];
    let mut seen = HashSet::new();
    for (why, sql) in pairs_sql {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                b,
                sql,
                [c.code.clone().into()],
            ))
            .await?;
        for r in rows {
            let (a, bb): (i64, i64) = (r.try_get("", "first")?, r.try_get("", "second")?);
            if dismissed.contains(&(a, bb)) || !seen.insert((a, bb)) || out.len() >= SHOWN {
                continue;
            }
            let (Some(x), Some(y)) = (
                store::one(db, &c.code, a).await?,
                store::one(db, &c.code, bb).await?,
            ) else {
                continue;
            };
            if scope.allows(x.village_id) && scope.allows(y.village_id) {
                out.push((x, y, why));
            }
        }
    }
    Ok(out)
}

/// Use case: `drop` is the same household as `keep`: its members and history move to
/// `keep`, its attributes fill what `keep` lacks, and it goes. Audited.
pub async fn merge(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    keep: i64,
    drop: i64,
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    if keep == drop {
        return Err(Refusal::HouseholdMergeSelf.into());
    }
    let kept = store::one(k.db, &c.code, keep)
        .await?
        .ok_or(Refusal::HouseholdUnknown)?;
    let gone = store::one(k.db, &c.code, drop)
        .await?
        .ok_or(Refusal::HouseholdUnknown)?;
    let b = k.db.get_database_backend();
    let txn = kernel::db::begin_write(k.db).await?;
    for table in ["household_member", "household_observation"] {
        txn.execute_raw(Statement::from_sql_and_values(
            b,
            format!(
                "UPDATE {table} SET household_id = $1 WHERE commune_code = $2 AND household_id = $3"
            ),
            [keep.into(), c.code.clone().into(), drop.into()],
        ))
        .await?;
    }
    // Survey sheets follow too; where both households were surveyed in one campaign, the
    // kept household's sheet stays and the other's goes (one sheet per subject).
    txn.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM survey_response WHERE commune_code = $1 AND household_id = $2 AND campaign_id IN \
         (SELECT campaign_id FROM survey_response WHERE commune_code = $1 AND household_id = $3)",
        [c.code.clone().into(), drop.into(), keep.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        b,
        "UPDATE survey_response SET household_id = $1, subject = $2, village_id = $3 \
         WHERE commune_code = $4 AND household_id = $5",
        [
            keep.into(),
            format!("h:{keep}").into(),
            kept.village_id.into(),
            c.code.clone().into(),
            drop.into(),
        ],
    ))
    .await?;
    // What the kept row lacks, the merged one gives.
    let mut record = store::record_of(&kept);
    let other = store::record_of(&gone);
    record.phone = record.phone.or(other.phone);
    record.location = record.location.or(other.location);
    record.head_id = record.head_id.or(other.head_id);
    record.head_birth_year = record.head_birth_year.or(other.head_birth_year);
    record.facts = record.facts.over(&other.facts);
    if record.address.is_empty() {
        record.address = other.address;
    }
    txn.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM household WHERE commune_code = $1 AND id = $2",
        [c.code.clone().into(), drop.into()],
    ))
    .await?;
    store::upsert(
        &txn,
        &c.code,
        &[store::Write {
            current: record.facts.clone(),
            record: &record,
            observed_on: kept.observed_on.max(gone.observed_on),
        }],
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "household.merge",
            "household",
            keep,
            format!("{} ← {}", kept.code, gone.code),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(super::households::HOUSEHOLDS, &c.code);
    Ok(())
}

/// Use case: an official says two flagged households are two. Audited.
pub async fn dismiss(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    first: i64,
    second: i64,
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    let (first, second) = (first.min(second), first.max(second));
    for id in [first, second] {
        store::one(k.db, &c.code, id)
            .await?
            .ok_or(Refusal::HouseholdUnknown)?;
    }
    let b = k.db.get_database_backend();
    let txn = kernel::db::begin_write(k.db).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        b,
        "INSERT INTO household_pair (commune_code, first_id, second_id, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (commune_code, first_id, second_id) DO NOTHING",
        [
            c.code.clone().into(),
            first.into(),
            second.into(),
            u.id.into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "household.distinct",
            "household",
            first,
            format!("{first} ≠ {second}"),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
