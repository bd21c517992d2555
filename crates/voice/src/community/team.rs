//! Every query of the community digital technology team (local action group, indicator 3.2):
//! its members and the villages each one helps. The use cases are in `super::actions`.

use std::collections::BTreeSet;

use chrono::Utc;
use kernel::error::AppResult;
use kernel::text::fold_vi;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::entity::{member, member_village};
use crate::error::{ActionResult, Refusal};

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

/// Sets the villages a member helps.
pub async fn link_villages(
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

/// A member of this commune's team.
pub async fn find(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<member::Model> {
    member::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await?
        .ok_or_else(|| Refusal::TeamMemberUnknown.into())
}

/// One member with their villages.
pub async fn one(db: &impl ConnectionTrait, commune: &str, id: i64) -> ActionResult<Member> {
    members(db, commune)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Refusal::NotFound.into())
}

/// A checked member: name, role in the team, phone.
pub struct Checked {
    pub name: String,
    pub team_role: String,
    pub phone: Option<String>,
}

/// Stores a new member (the villages are linked by [`link_villages`]).
pub async fn insert_member(
    db: &impl ConnectionTrait,
    commune: &str,
    m: &Checked,
) -> AppResult<member::Model> {
    let now = Utc::now();
    Ok(member::ActiveModel {
        commune_code: Set(commune.to_owned()),
        name: Set(m.name.clone()),
        phone: Set(m.phone.clone()),
        team_role: Set(m.team_role.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn update_member(
    db: &impl ConnectionTrait,
    existing: member::Model,
    m: &Checked,
) -> AppResult<()> {
    let mut am: member::ActiveModel = existing.into();
    am.name = Set(m.name.clone());
    am.phone = Set(m.phone.clone());
    am.team_role = Set(m.team_role.clone());
    am.updated_at = Set(Utc::now());
    am.update(db).await?;
    Ok(())
}

/// Removes a member with their village links.
pub async fn delete_member(db: &impl ConnectionTrait, commune: &str, id: i64) -> AppResult<()> {
    member_village::Entity::delete_many()
        .filter(member_village::Column::CommuneCode.eq(commune))
        .filter(member_village::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    member::Entity::delete_by_id((commune.to_owned(), id))
        .exec(db)
        .await?;
    Ok(())
}
