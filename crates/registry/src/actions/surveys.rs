//! Use cases of the baseline survey (guideline §4.1 step 1): officials open and close
//! campaigns; village heads and officials fill in a sheet per household, official or
//! business (a village head: their village's); a household's sheet becomes dated attributes
//! of the register (source `survey`, latest wins), an official's their readiness (5.2).
//! Every sheet and every campaign change is audited.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use kernel::accounts::{CurrentUser, Role, access};
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::access::{EDITORS, Scope, VIEWERS};
use super::{ActionResult, Refusal};
use crate::entity::{campaign, readiness, response};
use crate::model::Facts;
use crate::store;
use crate::survey_model::{self as sm, Answers, Kind};

/// Who fills in sheets: village heads (their village), officials and administrators.
pub const SURVEYORS: &[Role] = super::access::DECIDERS;

/// A campaign as an official opens it.
pub struct NewCampaign {
    pub kind: String,
    pub title: String,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

/// Use case: an official opens a campaign. Audited.
pub async fn create(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    n: NewCampaign,
) -> ActionResult<campaign::Model> {
    let u = access::with_role(actor, c, EDITORS)?;
    let kind = Kind::parse(n.kind.trim()).ok_or(Refusal::SurveyKindUnknown.at("kind"))?;
    let title = n.title.trim();
    if !(3..=200).contains(&title.chars().count()) {
        return Err(Refusal::SurveyTitleInvalid.at("title"));
    }
    let today = kernel::time::vn_today();
    let opens_on = n.opens_on.unwrap_or(today);
    let far = today + chrono::Days::new(366);
    let long_ago = today - chrono::Days::new(366);
    if opens_on > far
        || opens_on < long_ago
        || n.closes_on
            .is_some_and(|d| d < opens_on || d > far + chrono::Days::new(366))
    {
        return Err(Refusal::SurveyDatesInvalid.at("closes_on"));
    }
    let txn = kernel::db::begin_write(k.db).await?;
    let row = campaign::ActiveModel {
        commune_code: Set(c.code.clone()),
        kind: Set(kind.as_str().into()),
        title: Set(title.into()),
        opens_on: Set(opens_on),
        closes_on: Set(n.closes_on),
        status: Set("open".into()),
        created_by: Set(u.id),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "survey.create",
            "survey_campaign",
            row.id,
            title.to_owned(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Use case: an official closes a campaign; it takes no more sheets. Audited.
pub async fn close(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<campaign::Model> {
    let u = access::with_role(actor, c, EDITORS)?;
    let row = find(k, c, id).await?;
    if row.status == "closed" {
        return Err(Refusal::SurveyClosed.into());
    }
    let txn = kernel::db::begin_write(k.db).await?;
    let mut a: campaign::ActiveModel = row.into();
    a.status = Set("closed".into());
    a.closed_at = Set(Some(Utc::now()));
    let row = a.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "survey.close",
            "survey_campaign",
            row.id,
            row.title.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn find(k: Kernel<'_>, c: &CommuneInfo, id: i64) -> ActionResult<campaign::Model> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::CommuneCode.eq(&c.code))
        .filter(campaign::Column::Id.eq(id))
        .one(k.db)
        .await?
        .ok_or(Refusal::SurveyUnknown)?)
}

/// A campaign with how many sheets it holds.
pub struct Listed {
    pub campaign: campaign::Model,
    pub answered: i64,
}

/// Use case: the commune's campaigns, newest first (staff: figures only, no personal data).
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<Listed>> {
    access::with_role(actor, c, VIEWERS)?;
    let rows = campaign::Entity::find()
        .filter(campaign::Column::CommuneCode.eq(&c.code))
        .order_by_desc(campaign::Column::CreatedAt)
        .order_by_desc(campaign::Column::Id)
        .all(k.db)
        .await?;
    let counts: HashMap<i64, i64> = response::Entity::find()
        .select_only()
        .column(response::Column::CampaignId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(response::Column::CommuneCode.eq(&c.code))
        .group_by(response::Column::CampaignId)
        .into_tuple::<(i64, i64)>()
        .all(k.db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|campaign| Listed {
            answered: counts.get(&campaign.id).copied().unwrap_or(0),
            campaign,
        })
        .collect())
}

/// Completion in one village (None: households filed under no village; for officials, the
/// whole staff).
pub struct Progress {
    pub village_id: Option<i64>,
    /// Who there is to ask (None: not known, as for businesses).
    pub whole: Option<i64>,
    pub done: i64,
}

/// A campaign as its board shows it.
pub struct Overview {
    pub campaign: campaign::Model,
    pub kind: Kind,
    pub progress: Vec<Progress>,
    pub tally: Vec<(sm::Question, sm::Tally)>,
    pub sheets: i64,
    /// People of working age with a smartphone subscription, and of working age, over the
    /// sheets that answer both.
    pub working_age: (i64, i64),
}

/// Use case: a campaign's board: completion by village and how the answers came out
/// (aggregates only, for the commune's staff).
pub async fn overview(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<Overview> {
    access::with_role(actor, c, VIEWERS)?;
    let campaign = find(k, c, id).await?;
    let kind = Kind::parse(&campaign.kind).unwrap_or(Kind::Household);
    let rows: Vec<(Option<i64>, String)> = response::Entity::find()
        .select_only()
        .column(response::Column::VillageId)
        .column(response::Column::Answers)
        .filter(response::Column::CommuneCode.eq(&c.code))
        .filter(response::Column::CampaignId.eq(id))
        .into_tuple()
        .all(k.db)
        .await?;
    let mut done: BTreeMap<Option<i64>, i64> = BTreeMap::new();
    let sheets: Vec<Answers> = rows
        .iter()
        .map(|(v, a)| {
            *done.entry(*v).or_default() += 1;
            serde_json::from_str(a).unwrap_or_default()
        })
        .collect();
    let progress = match kind {
        Kind::Household => {
            let whole = store::per_village(k.db, &c.code).await?;
            let villages = kernel::tenancy::villages(k.db, &c.code).await?;
            let mut out: Vec<Progress> = villages
                .iter()
                .map(|v| Progress {
                    village_id: Some(v.id),
                    whole: Some(whole.get(&Some(v.id)).copied().unwrap_or(0)),
                    done: done.get(&Some(v.id)).copied().unwrap_or(0),
                })
                .collect();
            let loose = whole.get(&None).copied().unwrap_or(0);
            if loose > 0 || done.contains_key(&None) {
                out.push(Progress {
                    village_id: None,
                    whole: Some(loose),
                    done: done.get(&None).copied().unwrap_or(0),
                });
            }
            out
        }
        Kind::Official => vec![Progress {
            village_id: None,
            whole: Some(staff(k, c).await?.len() as i64),
            done: sheets.len() as i64,
        }],
        Kind::Business => done
            .iter()
            .map(|(v, n)| Progress {
                village_id: *v,
                whole: None,
                done: *n,
            })
            .collect(),
    };
    // §2's smartphone condition, over the sheets that answer both of its questions.
    let working_age = sheets.iter().fold((0, 0), |(with, all), a| {
        match (
            a.get("working_age_smartphone")
                .and_then(serde_json::Value::as_i64),
            a.get("working_age").and_then(serde_json::Value::as_i64),
        ) {
            (Some(w), Some(n)) => (with + w, all + n),
            _ => (with, all),
        }
    });
    Ok(Overview {
        kind,
        working_age,
        tally: sm::tally(kind, sheets.iter()),
        sheets: sheets.len() as i64,
        progress,
        campaign,
    })
}

/// The commune's staff (officials, leaders, administrators, village heads): id → name.
pub async fn staff(k: Kernel<'_>, c: &CommuneInfo) -> ActionResult<BTreeMap<i64, String>> {
    Ok(kernel::accounts::staff_of(k.db, &c.code)
        .await?
        .into_iter()
        .map(|(_, u)| (u.id, u.full_name))
        .collect())
}

/// A business's sheet key: its village and folded name, so two villages' businesses of one
/// name are two sheets, and a village head reaches only their village's.
pub fn business_key(name: &str, village: Option<i64>) -> String {
    let folded: String = kernel::text::fold_vi(name).chars().take(140).collect();
    format!("b:{}:{folded}", village.unwrap_or(0))
}

/// What a sheet is about.
#[derive(Debug, Clone)]
pub enum Subject {
    Household(i64),
    Official(i64),
    Business {
        name: String,
        village_id: Option<i64>,
    },
}

/// Answers as they came: a form's words, or an API client's JSON.
pub enum Given {
    Words(Vec<(String, String)>),
    Json(serde_json::Map<String, serde_json::Value>),
}

/// A filled-in sheet.
pub struct Sheet {
    pub subject: Subject,
    pub answers: Given,
    /// The day of the visit (today when not given: a draft sent later keeps its day).
    pub answered_on: Option<NaiveDate>,
}

/// Use case: a village head or an official files a sheet; filed again for the same subject,
/// it replaces the earlier one. A household's answers become dated attributes (the register
/// takes them when they are its newest), an official's their readiness. Audited.
pub async fn answer(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    sheet: Sheet,
) -> ActionResult<(response::Model, bool)> {
    let u = access::with_role(actor, c, VIEWERS)?;
    let campaign = find(k, c, id).await?;
    if campaign.status != "open" {
        return Err(Refusal::SurveyClosed.into());
    }
    let kind = Kind::parse(&campaign.kind).unwrap_or(Kind::Household);
    let answers = match &sheet.answers {
        Given::Words(w) => sm::read(kind, w).map_err(|(r, field)| r.at(field))?,
        Given::Json(j) => sm::read_json(kind, j).map_err(|(r, field)| r.at(field))?,
    };
    let today = kernel::time::vn_today();
    let day = sheet.answered_on.unwrap_or(today);
    if day > today || day < campaign.opens_on || campaign.closes_on.is_some_and(|d| day > d) {
        return Err(Refusal::SurveyDayInvalid.at("answered_on"));
    }
    let editor = u.has_role_in(c, EDITORS);
    let scope = if editor {
        Scope::Commune
    } else {
        match super::access::reader(Some(u), c) {
            Ok((_, Scope::Village(v))) if u.has_role_in(c, SURVEYORS) => Scope::Village(v),
            _ if kind == Kind::Official => Scope::Commune,
            _ => return Err(kernel::error::AppError::forbidden().into()),
        }
    };
    let (subject, household, village, label) = match (kind, sheet.subject) {
        (Kind::Household, Subject::Household(hid)) => {
            let h = store::one(k.db, &c.code, hid)
                .await?
                .ok_or(Refusal::HouseholdUnknown.at("household_id"))?;
            if !scope.allows(h.village_id) {
                return Err(Refusal::HouseholdOtherVillage.into());
            }
            (format!("h:{}", h.id), Some(h), None, String::new())
        }
        (Kind::Official, Subject::Official(uid)) => {
            // Anyone on the staff answers for themselves; officials for anyone.
            if !editor && uid != u.id {
                return Err(kernel::error::AppError::forbidden().into());
            }
            let name = staff(k, c)
                .await?
                .remove(&uid)
                .ok_or(Refusal::SurveyOfficialUnknown.at("user_id"))?;
            (format!("u:{uid}"), None, None, name)
        }
        (Kind::Business, Subject::Business { name, village_id }) => {
            let name = name.trim().to_owned();
            if !(2..=160).contains(&name.chars().count()) {
                return Err(Refusal::SurveyBusinessInvalid.at("business_name"));
            }
            if let Some(v) = village_id
                && !kernel::tenancy::villages(k.db, &c.code)
                    .await?
                    .iter()
                    .any(|x| x.id == v)
            {
                return Err(Refusal::HouseholdVillageUnknown.at("village_id"));
            }
            if !scope.allows(village_id) {
                return Err(Refusal::SurveyOtherVillage.into());
            }
            (business_key(&name, village_id), None, village_id, name)
        }
        _ => return Err(Refusal::SurveySubjectMissing.into()),
    };
    let (uid, business) = match kind {
        Kind::Official => (subject[2..].parse::<i64>().ok(), None),
        Kind::Business => (None, Some(label.clone())),
        Kind::Household => (None, None),
    };
    let village = household.as_ref().map_or(village, |h| h.village_id);
    let now = Utc::now();
    let txn = kernel::db::begin_write(k.db).await?;
    // Read again inside the transaction: a correction or an import committed meanwhile is
    // what the survey's attributes go on top of.
    let household = match household {
        Some(h) => Some(
            store::one(&txn, &c.code, h.id)
                .await?
                .ok_or(Refusal::HouseholdUnknown.at("household_id"))?,
        ),
        None => None,
    };
    let earlier = response::Entity::find()
        .filter(response::Column::CommuneCode.eq(&c.code))
        .filter(response::Column::CampaignId.eq(id))
        .filter(response::Column::Subject.eq(&subject))
        .one(&txn)
        .await?;
    let created = earlier.is_none();
    let mut a = match earlier {
        Some(r) => r.into(),
        None => response::ActiveModel {
            commune_code: Set(c.code.clone()),
            campaign_id: Set(id),
            subject: Set(subject.clone()),
            ..Default::default()
        },
    };
    a.household_id = Set(household.as_ref().map(|h| h.id));
    a.user_id = Set(uid);
    a.business_name = Set(business);
    a.village_id = Set(village);
    a.answers = Set(serde_json::to_string(&answers).unwrap_or_default());
    a.answered_on = Set(day);
    a.answered_by = Set(u.id);
    a.answered_at = Set(now);
    let row = if created {
        a.insert(&txn).await?
    } else {
        a.update(&txn).await?
    };
    let summary = match &household {
        Some(h) => h.code.clone(),
        None => label,
    };
    if let Some(h) = household {
        observe(&txn, &c.code, &h, &sm::facts(&answers), day, u.id).await?;
    }
    if let Some(uid) = uid {
        ready(&txn, &c.code, uid, sm::Readiness::of(&answers), day, u.id).await?;
    }
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, "survey.answer", "survey_campaign", id, summary),
    )
    .await?;
    txn.commit().await?;
    if kind == Kind::Household {
        kernel::cache::changed(super::households::HOUSEHOLDS, &c.code);
    }
    Ok((row, created))
}

/// A household's surveyed attributes into its history, and into its current record when
/// nothing newer was observed.
async fn observe(
    txn: &impl sea_orm::ConnectionTrait,
    commune: &str,
    h: &crate::entity::household::Model,
    facts: &Facts,
    day: NaiveDate,
    by: i64,
) -> ActionResult<()> {
    if facts.is_empty() {
        return Ok(());
    }
    store::observe(
        txn,
        commune,
        &[store::Observation {
            household_id: h.id,
            facts,
            observed_on: day,
        }],
        "survey",
        Some(by),
    )
    .await?;
    if h.observed_on.is_some_and(|d| d > day) {
        return Ok(());
    }
    let mut record = store::record_of(h);
    record.facts = facts.over(&record.facts);
    store::upsert(
        txn,
        commune,
        &[store::Write {
            current: record.facts.clone(),
            record: &record,
            observed_on: Some(day),
        }],
    )
    .await?;
    Ok(())
}

/// An official's readiness, when this sheet is their newest.
async fn ready(
    txn: &impl sea_orm::ConnectionTrait,
    commune: &str,
    user: i64,
    r: sm::Readiness,
    day: NaiveDate,
    by: i64,
) -> ActionResult<()> {
    let earlier = readiness::Entity::find()
        .filter(readiness::Column::CommuneCode.eq(commune))
        .filter(readiness::Column::UserId.eq(user))
        .one(txn)
        .await?;
    if earlier.as_ref().is_some_and(|e| e.observed_on > day) {
        return Ok(());
    }
    let mut a = match earlier {
        Some(e) => e.into(),
        None => readiness::ActiveModel {
            commune_code: Set(commune.to_owned()),
            user_id: Set(user),
            ..Default::default()
        },
    };
    a.smartphone = Set(r.smartphone);
    a.official_email = Set(r.official_email);
    a.e_office = Set(r.e_office);
    a.observed_on = Set(day);
    a.recorded_by = Set(by);
    a.updated_at = Set(Utc::now());
    a.save(txn).await?;
    Ok(())
}

/// One official of the staff with their latest readiness.
pub struct Official {
    pub user_id: i64,
    pub name: String,
    pub readiness: Option<readiness::Model>,
}

/// Use case: the staff's readiness (5.2; §2: every official uses a smartphone, official email
/// and the e-office). Staff only.
pub async fn readiness(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<Official>> {
    access::with_role(actor, c, VIEWERS)?;
    let mut known: HashMap<i64, readiness::Model> = readiness::Entity::find()
        .filter(readiness::Column::CommuneCode.eq(&c.code))
        .all(k.db)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r))
        .collect();
    Ok(staff(k, c)
        .await?
        .into_iter()
        .map(|(user_id, name)| Official {
            readiness: known.remove(&user_id),
            user_id,
            name,
        })
        .collect())
}

/// The subjects already answered in a campaign (to mark them on the sheet's page).
pub async fn answered(
    k: Kernel<'_>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<std::collections::HashSet<String>> {
    Ok(response::Entity::find()
        .select_only()
        .column(response::Column::Subject)
        .filter(response::Column::CommuneCode.eq(&c.code))
        .filter(response::Column::CampaignId.eq(id))
        .into_tuple::<String>()
        .all(k.db)
        .await?
        .into_iter()
        .collect())
}

/// The households a surveyor may fill sheets for in one village (a village head: theirs;
/// officials: the village asked for), by code. Names are personal data: audited.
pub async fn households(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    village: Option<i64>,
) -> ActionResult<(Option<i64>, Vec<crate::entity::household::Model>)> {
    let u = access::with_role(actor, c, SURVEYORS)?;
    let village = if u.has_role_in(c, EDITORS) {
        village
    } else {
        match super::access::reader(Some(u), c)? {
            (_, Scope::Village(v)) => Some(v),
            (_, Scope::Commune) => village,
        }
    };
    let Some(v) = village else {
        return Ok((None, vec![]));
    };
    let rows = store::all(k.db, &c.code, Some(v)).await?;
    audit::record(
        k.db,
        audit::Entry::in_commune(
            u,
            c,
            "household.list",
            "household",
            "",
            format!("survey sheet; village={v}; rows={}", rows.len()),
        ),
    )
    .await?;
    Ok((Some(v), rows))
}
