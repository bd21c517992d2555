//! Use cases of corrections: a resident sees their own household's record (found by the
//! phone of their account) and asks for a correction; the village head of that village or an
//! official accepts it (the register changes, attributes as a dated observation from the
//! resident) or refuses it with a reason; the resident is told either way. The history of
//! requests stays.

use chrono::Utc;
use kernel::accounts::{CurrentUser, access};
use kernel::actions::Kernel;
use kernel::audit;
use kernel::notify;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{Scope, reader};
use super::{ActionResult, Refusal};
use crate::entity::{change, household};
use crate::model::{self, Facts, Internet, MEMBERS, SMARTPHONES};
use crate::store;

/// What a resident may ask to change (each absent: unchanged).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Proposal {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub members: Option<i32>,
    #[schema(inline)]
    pub internet: Option<Internet>,
    pub smartphones: Option<i32>,
}

impl Proposal {
    fn is_empty(&self) -> bool {
        *self == Proposal::default()
    }
}

/// The household of the signed-in resident: the one whose phone is their account's.
pub async fn mine(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<(household::Model, Vec<change::Model>)> {
    let u = access::signed_in(actor)?;
    let local = u
        .phone
        .as_deref()
        .and_then(|p| p.strip_prefix("+84"))
        .map(|n| format!("0{n}"))
        .ok_or(Refusal::HouseholdNotYours)?;
    let h = household::Entity::find()
        .filter(household::Column::CommuneCode.eq(&c.code))
        .filter(household::Column::Phone.eq(local))
        .order_by_asc(household::Column::Id)
        .one(k.db)
        .await?
        .ok_or(Refusal::HouseholdNotYours)?;
    let requests = change::Entity::find()
        .filter(change::Column::CommuneCode.eq(&c.code))
        .filter(change::Column::HouseholdId.eq(h.id))
        .order_by_desc(change::Column::CreatedAt)
        .all(k.db)
        .await?;
    Ok((h, requests))
}

/// Use case: a resident asks for a correction of their household's record.
pub async fn request(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    p: Proposal,
    note: &str,
) -> ActionResult<change::Model> {
    let u = access::signed_in(actor)?;
    let (h, _) = mine(k, actor, c).await?;
    if p.is_empty() && note.trim().is_empty() {
        return Err(Refusal::ChangeEmpty.into());
    }
    if note.chars().count() > 500 || p.address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(Refusal::HouseholdTextTooLong.at("note"));
    }
    if p.members.is_some_and(|m| !MEMBERS.contains(&m)) {
        return Err(Refusal::HouseholdMembersInvalid.at("members"));
    }
    if p.smartphones.is_some_and(|m| !SMARTPHONES.contains(&m)) {
        return Err(Refusal::HouseholdCountInvalid.at("smartphones"));
    }
    let phone = match &p.phone {
        Some(ph) => Some(model::phone(ph).ok_or(Refusal::HouseholdPhoneInvalid.at("phone"))?),
        None => None,
    };
    let proposal = Proposal { phone, ..p };
    let row = change::ActiveModel {
        commune_code: Set(c.code.clone()),
        household_id: Set(h.id),
        requested_by: Set(u.id),
        proposal: Set(serde_json::to_string(&proposal).unwrap_or_default()),
        note: Set(note.trim().to_owned()),
        status: Set("open".into()),
        decided_by: Set(None),
        decided_at: Set(None),
        answer: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(k.db)
    .await?;
    Ok(row)
}

/// The open requests a reader may decide, with their households.
pub async fn open(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<(change::Model, household::Model)>> {
    let (_, scope) = decider(actor, c)?;
    let rows = change::Entity::find()
        .filter(change::Column::CommuneCode.eq(&c.code))
        .filter(change::Column::Status.eq("open"))
        .order_by_asc(change::Column::CreatedAt)
        .all(k.db)
        .await?;
    let mut out = vec![];
    for r in rows {
        if let Some(h) = store::one(k.db, &c.code, r.household_id).await?
            && scope.allows(h.village_id)
        {
            out.push((r, h));
        }
    }
    Ok(out)
}

/// Who decides: the commune's officials and admins, a village head their village's.
fn decider<'a>(
    actor: Option<&'a CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<(&'a CurrentUser, Scope)> {
    let (u, scope) = reader(actor, c)?;
    if !u.has_role_in(c, super::access::DECIDERS) {
        return Err(kernel::error::AppError::forbidden().into());
    }
    Ok((u, scope))
}

/// Use case: the village head or an official accepts (the register changes) or refuses
/// (with an answer) a request; the resident is told. Audited.
pub async fn decide(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    accept: bool,
    answer: &str,
) -> ActionResult<()> {
    let (u, scope) = decider(actor, c)?;
    let r = change::Entity::find()
        .filter(change::Column::CommuneCode.eq(&c.code))
        .filter(change::Column::Id.eq(id))
        .one(k.db)
        .await?
        .ok_or(Refusal::ChangeUnknown)?;
    if r.status != "open" {
        return Err(Refusal::ChangeDecided.into());
    }
    let h = store::one(k.db, &c.code, r.household_id)
        .await?
        .ok_or(Refusal::HouseholdUnknown)?;
    if !scope.allows(h.village_id) {
        return Err(Refusal::HouseholdOtherVillage.into());
    }
    let answer = answer.trim();
    if (!accept && answer.chars().count() < 3) || answer.chars().count() > 500 {
        return Err(Refusal::ChangeAnswerRequired.at("answer"));
    }
    let p: Proposal = serde_json::from_str(&r.proposal).unwrap_or_default();
    let now = Utc::now();
    let today = kernel::time::vn_today();
    let txn = kernel::db::begin_write(k.db).await?;
    if accept {
        let mut record = store::record_of(&h);
        if let Some(a) = &p.address {
            record.address = a.clone();
        }
        if let Some(ph) = &p.phone {
            record.phone = Some(ph.clone());
        }
        if let Some(m) = p.members {
            record.members = m;
        }
        let observed = Facts {
            internet: p.internet,
            smartphones: p.smartphones,
            ..Facts::default()
        };
        record.facts = observed.over(&record.facts);
        let ids = store::upsert(
            &txn,
            &c.code,
            &[store::Write {
                current: record.facts.clone(),
                record: &record,
                observed_on: if observed.is_empty() {
                    h.observed_on
                } else {
                    Some(today)
                },
            }],
        )
        .await?;
        if !observed.is_empty() {
            let hid = ids.get(&h.code).copied().unwrap_or(h.id);
            store::observe(
                &txn,
                &c.code,
                &[store::Observation {
                    household_id: hid,
                    facts: &observed,
                    observed_on: today,
                }],
                "resident",
                Some(r.requested_by),
            )
            .await?;
        }
    }
    let requested_by = r.requested_by;
    let mut a: change::ActiveModel = r.into();
    a.status = Set(if accept { "accepted" } else { "refused" }.into());
    a.decided_by = Set(Some(u.id));
    a.decided_at = Set(Some(now));
    a.answer = Set(answer.to_owned());
    a.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            if accept {
                "household.change_accept"
            } else {
                "household.change_refuse"
            },
            "household",
            h.id,
            format!("{}: {answer}", h.code),
        ),
    )
    .await?;
    let link = format!("/c/{}/my-household", c.code);
    notify::notify(
        &txn,
        notify::Message {
            commune_code: &c.code,
            user_id: requested_by,
            text: notify::Text::key(if accept {
                "rg.note.change_accepted"
            } else {
                "rg.note.change_refused"
            })
            .arg("household", &h.code)
            .arg("answer", answer),
            link: Some(&link),
            ..Default::default()
        },
        &[],
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(super::households::HOUSEHOLDS, &c.code);
    k.dispatcher.wake();
    Ok(())
}
