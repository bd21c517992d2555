//! Every query of the officials directory (indicator 3.1): who the commune's officials are,
//! from their role grants, with what they chose to publish. The use case saving an entry is
//! in `super::actions`.

use std::collections::BTreeMap;

use chrono::Utc;
use kernel::accounts::Role;
use kernel::error::AppResult;
use kernel::text::fold_vi;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::entity::profile;
use super::rules::{self, DIRECTORY_ROLES};

/// One official as the directory shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DirectoryOfficial)]
pub struct Official {
    pub user_id: i64,
    pub name: String,
    /// Their roles in the commune, strongest first.
    pub roles: Vec<Role>,
    /// From their role grant; empty when none was given.
    pub department: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub office_hours: String,
    /// Shown on the public directory.
    pub visible: bool,
}

/// The generation kind of a commune's directory entries and team (`kernel::cache`).
pub const DIRECTORY: &str = "directory";

/// The commune's officials (leaders, commune admins, officials; never citizens or village
/// heads), leaders first, with their published profile.
pub async fn officials(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<Official>> {
    let staff = kernel::accounts::staff_of(db, commune).await?;
    let profiles = profile::Entity::find()
        .filter(profile::Column::CommuneCode.eq(commune))
        .all(db)
        .await?;
    let mut by_user: BTreeMap<i64, Official> = BTreeMap::new();
    for (g, u) in staff {
        let Some(role) = Role::parse(&g.role).filter(|r| DIRECTORY_ROLES.contains(r)) else {
            continue;
        };
        if u.disabled {
            continue;
        }
        let o = by_user.entry(u.id).or_insert_with(|| Official {
            user_id: u.id,
            name: u.full_name.clone(),
            roles: vec![],
            department: String::new(),
            title: String::new(),
            phone: None,
            email: None,
            office_hours: String::new(),
            visible: true,
        });
        if !o.roles.contains(&role) {
            o.roles.push(role);
        }
        if o.department.is_empty() {
            o.department = g.department.unwrap_or_default().trim().to_owned();
        }
    }
    for p in profiles {
        if let Some(o) = by_user.get_mut(&p.user_id) {
            o.title = p.title;
            o.phone = p.public_phone;
            o.email = p.public_email;
            o.office_hours = p.office_hours;
            o.visible = p.visible;
        }
    }
    let mut list: Vec<Official> = by_user.into_values().collect();
    for o in &mut list {
        o.roles.sort_by_key(|r| rules::role_rank(*r));
    }
    list.sort_by_cached_key(|o| (rank(o), fold_vi(&o.name)));
    Ok(list)
}

fn rank(o: &Official) -> u8 {
    o.roles.first().map(|r| rules::role_rank(*r)).unwrap_or(9)
}

/// Officials grouped by department: the group with the highest-ranking official first, then
/// by name; officials without a department last.
pub fn by_department(list: Vec<Official>) -> Vec<(String, Vec<Official>)> {
    let mut groups: Vec<(String, Vec<Official>)> = vec![];
    for o in list {
        match groups.iter_mut().find(|(d, _)| *d == o.department) {
            Some((_, v)) => v.push(o),
            None => groups.push((o.department.clone(), vec![o])),
        }
    }
    groups.sort_by_cached_key(|(d, v)| {
        (
            d.is_empty(),
            v.iter().map(rank).min().unwrap_or(9),
            fold_vi(d),
        )
    });
    groups
}

/// What an official publishes. `visible` is only heeded from the commune admin.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = DirectoryProfileInput)]
pub struct ProfileInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub public_phone: String,
    #[serde(default)]
    pub public_email: String,
    #[serde(default)]
    pub office_hours: String,
    #[serde(default)]
    pub visible: Option<bool>,
}

/// What an official's entry publishes, checked.
pub struct Entry {
    pub title: String,
    pub public_phone: Option<String>,
    pub public_email: Option<String>,
    pub office_hours: String,
    pub visible: bool,
}

/// Creates or changes an official's entry; answers its id.
pub async fn save_entry(
    db: &impl ConnectionTrait,
    commune: &str,
    user_id: i64,
    e: Entry,
) -> AppResult<i64> {
    let existing = profile::Entity::find()
        .filter(profile::Column::CommuneCode.eq(commune))
        .filter(profile::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    let mut am: profile::ActiveModel = match existing {
        Some(p) => p.into(),
        None => profile::ActiveModel {
            commune_code: Set(commune.to_owned()),
            user_id: Set(user_id),
            ..Default::default()
        },
    };
    am.title = Set(e.title);
    am.public_phone = Set(e.public_phone);
    am.public_email = Set(e.public_email);
    am.office_hours = Set(e.office_hours);
    am.visible = Set(e.visible);
    am.updated_at = Set(Utc::now());
    Ok(am.save(db).await?.try_into_model()?.id)
}
