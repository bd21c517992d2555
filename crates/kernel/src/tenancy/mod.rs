//! Tenancy: which communes this deployment serves, their branding, districts and villages.

pub mod area;
pub mod entity;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::text::fold_vi;
use crate::units::{catalogue, normalise_commune_code};
pub use entity::{commune, district, village};

/// The cache kind (`crate::cache::changed`) bumped when a commune's villages change.
pub const VILLAGES: &str = "villages";
/// The `crate::cache` kind of the commune list itself (activation, look, contacts, district):
/// every process reloads its [`CommuneCache`] when it hears it.
pub const COMMUNES: &str = "communes";

pub const VILLAGE_KINDS: [&str; 5] = ["thon", "ban", "to_dan_pho", "ap", "khu_pho"];
pub const DEFAULT_COLOR: &str = "#0b6e4f";

/// What every page needs to know of a commune, kept in memory (communes change rarely and
/// the home page must not pay a query for its header).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommuneInfo {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub province_code: String,
    pub province_name: String,
    pub district_code: Option<String>,
    pub brand_color: String,
    pub tagline: Option<String>,
    pub has_logo: bool,
    pub active: bool,
    /// How to reach its office (the home page shows them).
    pub contacts: Contacts,
}

/// How to reach a commune's office; each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Contacts {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub hours: Option<String>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.address.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.hours.is_none()
    }

    /// The phone as a `tel:` link target: its digits (and a leading +).
    pub fn phone_href(&self) -> String {
        let p = self.phone.as_deref().unwrap_or("");
        let plus = if p.trim_start().starts_with('+') {
            "+"
        } else {
            ""
        };
        format!(
            "tel:{plus}{}",
            p.chars().filter(char::is_ascii_digit).collect::<String>()
        )
    }
}

/// An office phone as people write it (landline or mobile, spaces, dots, dashes, a leading +):
/// 8 to 15 digits.
pub fn valid_office_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (8..=15).contains(&digits)
        && p.trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit() || " .-()".contains(c))
}

/// An email address good enough to write to: one `@`, a dotted domain, no spaces.
pub fn valid_email(e: &str) -> bool {
    let Some((user, domain)) = e.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 120
        && !e.chars().any(char::is_whitespace)
}

impl CommuneInfo {
    fn from_model(m: &commune::Model) -> Self {
        let province_name = catalogue()
            .province(&m.province_code)
            .map(|p| p.display_name())
            .unwrap_or_default();
        CommuneInfo {
            code: m.code.clone(),
            name: m.name.clone(),
            unit_type: m.unit_type.clone(),
            province_code: m.province_code.clone(),
            province_name,
            district_code: m.district_code.clone(),
            brand_color: m.brand_color.clone(),
            tagline: m.tagline.clone(),
            contacts: Contacts {
                address: m.contact_address.clone(),
                phone: m.contact_phone.clone(),
                email: m.contact_email.clone(),
                hours: m.office_hours.clone(),
            },
            has_logo: m.logo_attachment_id.is_some(),
            active: m.active,
        }
    }
}

/// In-memory view of the commune table, reloaded after every change to it: here at once, in
/// the other processes of the deployment by the first request after they hear of it
/// ([`Self::fresh`], called by the context middleware).
type CommuneMap = HashMap<String, Arc<CommuneInfo>>;

#[derive(Clone, Default)]
pub struct CommuneCache {
    /// The [`COMMUNES`] generation the map was read at, and the map.
    map: Arc<RwLock<(u64, CommuneMap)>>,
    /// One reload at a time: the requests that find the map old wait for it.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

impl CommuneCache {
    pub async fn reload(&self, db: &DatabaseConnection) -> AppResult<()> {
        let _one = self.reloading.lock().await;
        let generation = crate::cache::generation(COMMUNES, "");
        let rows = commune::Entity::find().all(db).await?;
        let map = rows
            .iter()
            .map(|m| (m.code.clone(), Arc::new(CommuneInfo::from_model(m))))
            .collect();
        *self.map.write().unwrap_or_else(|e| e.into_inner()) = (generation, map);
        Ok(())
    }

    fn loaded(&self) -> u64 {
        self.map.read().unwrap_or_else(|e| e.into_inner()).0
    }

    /// Reloads when the commune table changed since it was read (here or in another process).
    pub async fn fresh(&self, db: &DatabaseConnection) -> AppResult<()> {
        if self.loaded() == crate::cache::generation(COMMUNES, "") {
            return Ok(());
        }
        {
            let _wait = self.reloading.lock().await;
            if self.loaded() == crate::cache::generation(COMMUNES, "") {
                return Ok(()); // another request reloaded it meanwhile
            }
        }
        self.reload(db).await
    }

    /// Reloads after a committed change to the commune table, and has every other process
    /// of the deployment reload too.
    pub async fn changed(&self, db: &DatabaseConnection) -> AppResult<()> {
        crate::cache::changed(COMMUNES, "");
        self.reload(db).await
    }

    pub fn get(&self, code: &str) -> Option<Arc<CommuneInfo>> {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .get(code)
            .cloned()
    }

    /// The active commune with this code, or `commune_unknown`.
    pub fn active(&self, code: &str) -> AppResult<Arc<CommuneInfo>> {
        normalise_commune_code(code)
            .and_then(|c| self.get(&c))
            .filter(|c| c.active)
            .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, "commune_unknown"))
    }

    pub fn all_active(&self) -> Vec<Arc<CommuneInfo>> {
        let mut v: Vec<_> = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .values()
            .filter(|c| c.active)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            a.province_code
                .cmp(&b.province_code)
                .then(a.name.cmp(&b.name))
        });
        v
    }
}

/// Activates a commune from the catalogue as a tenant (or re-activates it).
pub async fn activate_commune(db: &impl ConnectionTrait, code: &str) -> AppResult<commune::Model> {
    let code =
        normalise_commune_code(code).ok_or_else(|| AppError::invalid("commune_unknown", "code"))?;
    let unit = catalogue()
        .commune(&code)
        .ok_or_else(|| AppError::invalid("commune_unknown", "code"))?;
    if let Some(existing) = commune::Entity::find_by_id(code.clone()).one(db).await? {
        if existing.active {
            return Err(AppError::conflict("commune_active"));
        }
        let mut am: commune::ActiveModel = existing.into();
        am.active = Set(true);
        return Ok(am.update(db).await?);
    }
    let m = commune::ActiveModel {
        code: Set(code),
        name: Set(unit.name.clone()),
        unit_type: Set(unit.unit_type.clone()),
        province_code: Set(unit.province_code.clone()),
        district_code: Set(None),
        brand_color: Set(DEFAULT_COLOR.into()),
        tagline: Set(None),
        logo_attachment_id: Set(None),
        active: Set(true),
        created_at: Set(Utc::now()),
        contact_address: Set(None),
        contact_phone: Set(None),
        contact_email: Set(None),
        office_hours: Set(None),
    };
    Ok(m.insert(db).await?)
}

pub async fn deactivate_commune(
    db: &impl ConnectionTrait,
    code: &str,
) -> AppResult<commune::Model> {
    let m = commune::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .filter(|m| m.active)
        .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, "commune_unknown"))?;
    let mut am: commune::ActiveModel = m.into();
    am.active = Set(false);
    Ok(am.update(db).await?)
}

/// Validates a `#RRGGBB` colour.
pub fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn update_branding(
    db: &impl ConnectionTrait,
    code: &str,
    color: &str,
    tagline: Option<String>,
    logo: Option<Option<i64>>,
    contacts: Option<Contacts>,
) -> AppResult<commune::Model> {
    if !valid_color(color) {
        return Err(AppError::invalid("color_invalid", "brand_color"));
    }
    let tagline = tagline
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if tagline.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(AppError::invalid("text_too_long", "tagline"));
    }
    let m = commune::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut am: commune::ActiveModel = m.into();
    am.brand_color = Set(color.to_ascii_lowercase());
    am.tagline = Set(tagline);
    if let Some(logo) = logo {
        am.logo_attachment_id = Set(logo);
    }
    if let Some(c) = contacts {
        am.contact_address = Set(c.address);
        am.contact_phone = Set(c.phone);
        am.contact_email = Set(c.email);
        am.office_hours = Set(c.hours);
    }
    Ok(am.update(db).await?)
}

pub async fn create_district(
    db: &impl ConnectionTrait,
    code: &str,
    province_code: &str,
    name: &str,
) -> AppResult<district::Model> {
    let code = code.trim();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("district_code_invalid", "code"));
    }
    if catalogue().province(province_code).is_none() {
        return Err(AppError::invalid("province_unknown", "province_code"));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name_required", "name"));
    }
    if district::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::conflict("district_exists"));
    }
    Ok(district::ActiveModel {
        code: Set(code.into()),
        province_code: Set(province_code.into()),
        name: Set(name.into()),
    }
    .insert(db)
    .await?)
}

pub async fn districts(db: &impl ConnectionTrait) -> AppResult<Vec<district::Model>> {
    Ok(district::Entity::find()
        .order_by_asc(district::Column::Code)
        .all(db)
        .await?)
}

/// Puts a commune under a district (three-level deployments); the district must be in the
/// commune's province.
pub async fn assign_district(
    db: &impl ConnectionTrait,
    commune_code: &str,
    district_code: Option<&str>,
) -> AppResult<commune::Model> {
    let m = commune::Entity::find_by_id(commune_code.to_owned())
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Some(dc) = district_code {
        let d = district::Entity::find_by_id(dc.to_owned())
            .one(db)
            .await?
            .ok_or_else(|| AppError::invalid("district_unknown", "district_code"))?;
        if d.province_code != m.province_code {
            return Err(AppError::invalid(
                "district_other_province",
                "district_code",
            ));
        }
    }
    let mut am: commune::ActiveModel = m.into();
    am.district_code = Set(district_code.map(str::to_owned));
    Ok(am.update(db).await?)
}

pub async fn villages(
    db: &impl ConnectionTrait,
    commune_code: &str,
) -> AppResult<Vec<village::Model>> {
    Ok(village::Entity::find()
        .filter(village::Column::CommuneCode.eq(commune_code))
        .order_by_asc(village::Column::Name)
        .all(db)
        .await?)
}

pub async fn village(
    db: &impl ConnectionTrait,
    commune_code: &str,
    id: i64,
) -> AppResult<village::Model> {
    village::Entity::find_by_id((commune_code.to_owned(), id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

fn check_village(name: &str, kind: &str) -> AppResult<(String, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name_required", "name"));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid("text_too_long", "name"));
    }
    if !VILLAGE_KINDS.contains(&kind) {
        return Err(AppError::invalid("village_kind_invalid", "kind"));
    }
    Ok((name.to_owned(), fold_vi(name)))
}

pub async fn create_village(
    db: &impl ConnectionTrait,
    commune_code: &str,
    name: &str,
    kind: &str,
) -> AppResult<village::Model> {
    let (name, folded) = check_village(name, kind)?;
    let dup = village::Entity::find()
        .filter(village::Column::CommuneCode.eq(commune_code))
        .filter(village::Column::FoldedName.eq(&folded))
        .one(db)
        .await?;
    if dup.is_some() {
        return Err(AppError {
            field: Some("name"),
            ..AppError::conflict("village_exists")
        });
    }
    Ok(village::ActiveModel {
        commune_code: Set(commune_code.into()),
        name: Set(name),
        kind: Set(kind.into()),
        folded_name: Set(folded),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn rename_village(
    db: &impl ConnectionTrait,
    commune_code: &str,
    id: i64,
    name: &str,
    kind: &str,
) -> AppResult<village::Model> {
    let (name, folded) = check_village(name, kind)?;
    let existing = village(db, commune_code, id).await?;
    let dup = village::Entity::find()
        .filter(village::Column::CommuneCode.eq(commune_code))
        .filter(village::Column::FoldedName.eq(&folded))
        .filter(village::Column::Id.ne(id))
        .one(db)
        .await?;
    if dup.is_some() {
        return Err(AppError {
            field: Some("name"),
            ..AppError::conflict("village_exists")
        });
    }
    let mut am: village::ActiveModel = existing.into();
    am.name = Set(name);
    am.kind = Set(kind.into());
    am.folded_name = Set(folded);
    Ok(am.update(db).await?)
}

pub async fn delete_village(
    db: &impl ConnectionTrait,
    commune_code: &str,
    id: i64,
) -> AppResult<village::Model> {
    let v = village(db, commune_code, id).await?;
    village::Entity::delete_by_id((commune_code.to_owned(), id))
        .exec(db)
        .await?;
    Ok(v)
}
