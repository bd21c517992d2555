//! Every query of the community digital technology team (local action group, indicator 3.2):
//! its members and the villages each one helps.

use std::collections::BTreeSet;

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::audit;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::entity::{member, member_village};
use super::rules;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TeamVillage)]
pub struct VillageRef {
    pub id: i64,
    pub name: String,
}

/// A team member with the villages they help.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TeamMember)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub team_role: String,
    pub villages: Vec<VillageRef>,
}

impl Member {
    /// Does this member help the village? (for the edit form's boxes)
    pub fn helps(&self, village_id: &i64) -> bool {
        self.villages.iter().any(|v| v.id == *village_id)
    }
}

/// One village and the team members who help it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TeamVillageHelpers)]
pub struct VillageHelpers {
    pub village_id: i64,
    pub village: String,
    pub helpers: Vec<MemberRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TeamHelper)]
pub struct MemberRef {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
}

/// A member as the commune admin enters them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = TeamMemberInput)]
pub struct MemberInput {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub team_role: String,
    /// Ids of villages of this commune.
    #[serde(default)]
    pub village_ids: Vec<i64>,
}

/// The commune's team, by name, each with their villages.
pub async fn members(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<Member>> {
    let villages = kernel::tenancy::villages(db, commune).await?;
    let rows = member::Entity::find()
        .filter(member::Column::CommuneCode.eq(commune))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?;
    let links = member_village::Entity::find()
        .filter(member_village::Column::CommuneCode.eq(commune))
        .all(db)
        .await?;
    let mut out: Vec<Member> = rows
        .into_iter()
        .map(|m| Member {
            villages: villages
                .iter()
                .filter(|v| {
                    links
                        .iter()
                        .any(|l| l.member_id == m.id && l.village_id == v.id)
                })
                .map(|v| VillageRef {
                    id: v.id,
                    name: v.name.clone(),
                })
                .collect(),
            id: m.id,
            name: m.name,
            phone: m.phone,
            team_role: m.team_role,
        })
        .collect();
    out.sort_by_cached_key(|m| fold_vi(&m.name));
    Ok(out)
}

/// Every village of the commune with who helps it (possibly nobody: the gap shows).
pub async fn by_village(
    db: &impl ConnectionTrait,
    commune: &str,
    team: &[Member],
) -> AppResult<Vec<VillageHelpers>> {
    Ok(kernel::tenancy::villages(db, commune)
        .await?
        .into_iter()
        .map(|v| VillageHelpers {
            helpers: team
                .iter()
                .filter(|m| m.villages.iter().any(|x| x.id == v.id))
                .map(|m| MemberRef {
                    id: m.id,
                    name: m.name.clone(),
                    phone: m.phone.clone(),
                })
                .collect(),
            village_id: v.id,
            village: v.name,
        })
        .collect())
}

/// Validates a member: name, role, phone, and villages that belong to this commune.
async fn check(
    db: &impl ConnectionTrait,
    commune: &str,
    input: &MemberInput,
) -> AppResult<(String, String, Option<String>, BTreeSet<i64>)> {
    let (name, role) = rules::check_member(&input.name, &input.team_role)?;
    let phone = rules::check_phone(&input.phone, "phone")?;
    let known: BTreeSet<i64> = kernel::tenancy::villages(db, commune)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let wanted: BTreeSet<i64> = input.village_ids.iter().copied().collect();
    if !wanted.is_subset(&known) {
        return Err(AppError::invalid("village_unknown", "village_ids"));
    }
    Ok((name, role, phone, wanted))
}

async fn link_villages(
    db: &impl ConnectionTrait,
    commune: &str,
    member_id: i64,
    villages: &BTreeSet<i64>,
) -> AppResult<()> {
    member_village::Entity::delete_many()
        .filter(member_village::Column::MemberId.eq(member_id))
        .exec(db)
        .await?;
    for v in villages {
        member_village::ActiveModel {
            commune_code: Set(commune.to_owned()),
            member_id: Set(member_id),
            village_id: Set(*v),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn find(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<member::Model> {
    member::Entity::find_by_id(id)
        .filter(member::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, "team_member_unknown"))
}

async fn one(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<Member> {
    members(db, commune)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(AppError::not_found)
}

/// Adds a member (commune admin), audited in the same transaction.
pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    input: &MemberInput,
) -> AppResult<Member> {
    let (name, role, phone, villages) = check(db, &c.code, input).await?;
    let now = Utc::now();
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let m = member::ActiveModel {
        commune_code: Set(c.code.clone()),
        name: Set(name.clone()),
        phone: Set(phone),
        team_role: Set(role.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    link_villages(&txn, &c.code, m.id, &villages).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "team.add",
            "community_member",
            m.id,
            format!("{name} · {role} · {} thôn", villages.len()),
        ),
    )
    .await?;
    txn.commit().await?;
    one(db, &c.code, m.id).await
}

/// Changes a member and the villages they help, audited.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    id: i64,
    input: &MemberInput,
) -> AppResult<Member> {
    let existing = find(db, &c.code, id).await?;
    let (name, role, phone, villages) = check(db, &c.code, input).await?;
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let mut am: member::ActiveModel = existing.into();
    am.name = Set(name.clone());
    am.phone = Set(phone);
    am.team_role = Set(role.clone());
    am.updated_at = Set(Utc::now());
    am.update(&txn).await?;
    link_villages(&txn, &c.code, id, &villages).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "team.update",
            "community_member",
            id,
            format!("{name} · {role} · {} thôn", villages.len()),
        ),
    )
    .await?;
    txn.commit().await?;
    one(db, &c.code, id).await
}

/// Removes a member (their village links go with them), audited.
pub async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    id: i64,
) -> AppResult<()> {
    let existing = find(db, &c.code, id).await?;
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    member_village::Entity::delete_many()
        .filter(member_village::Column::MemberId.eq(id))
        .exec(&txn)
        .await?;
    member::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, "team.remove", "community_member", id, existing.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
