//! Feedback categories (with the built-in ones every commune starts with) and the commune's
//! map area.

use kernel::error::AppResult;
use kernel::tenancy::entity::setting;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TryIntoModel,
};

use crate::entity::category;
use crate::error::{ActionResult, Refusal};
use crate::model::Bounds;

/// The categories every commune starts with (requirement B5; 16.3 for straw burning and
/// farm discharge, 18.2 for security and order).
pub const BUILT_IN: &[(&str, &str, &str, i32, &str, bool)] = &[
    (
        "infrastructure",
        "Hạ tầng (đường, điện, nước, cầu cống)",
        "Đường hỏng, đèn đường, cấp nước, cầu cống, thoát nước.",
        10,
        "Địa chính - Xây dựng",
        false,
    ),
    (
        "environment",
        "Môi trường (rác thải, đốt rơm rạ, xả thải nông nghiệp)",
        "Rác thải, đốt rơm rạ, nước thải chăn nuôi, bao bì thuốc bảo vệ thực vật.",
        7,
        "Địa chính - Xây dựng",
        false,
    ),
    (
        "security",
        "An ninh, trật tự",
        "Trộm cắp, tụ tập gây rối, tệ nạn. Chỉ lãnh đạo và công an xã xem được.",
        3,
        "Công an xã",
        true,
    ),
    (
        "new_rural",
        "Xây dựng nông thôn mới",
        "Góp ý về các tiêu chí, công trình nông thôn mới.",
        15,
        "Văn phòng điều phối NTM",
        false,
    ),
    (
        "administration",
        "Thủ tục hành chính, thái độ phục vụ",
        "Phản ánh về thủ tục, cán bộ tiếp nhận, thời gian giải quyết.",
        10,
        "Văn phòng - Thống kê",
        false,
    ),
    (
        "other",
        "Khác",
        "Các phản ánh, kiến nghị khác.",
        15,
        "Văn phòng - Thống kê",
        false,
    ),
];

/// The commune's categories, creating the built-in ones on first use.
pub async fn categories(
    db: &impl ConnectionTrait,
    commune: &str,
    include_inactive: bool,
) -> AppResult<Vec<category::Model>> {
    let all = category::Entity::find()
        .filter(category::Column::CommuneCode.eq(commune))
        .order_by_asc(category::Column::Sort)
        .order_by_asc(category::Column::Id)
        .all(db)
        .await?;
    let all = if all.is_empty() {
        for (i, (code, name, description, days, department, restricted)) in
            BUILT_IN.iter().enumerate()
        {
            let res = category::ActiveModel {
                commune_code: Set(commune.into()),
                code: Set((*code).into()),
                name: Set((*name).into()),
                description: Set((*description).into()),
                deadline_days: Set(*days),
                department: Set((*department).into()),
                restricted: Set(*restricted),
                active: Set(true),
                sort: Set(i as i32 * 10),
                ..Default::default()
            }
            .insert(db)
            .await;
            // Two first requests at once: the unique index keeps one set; ignore the loser.
            if res.is_err() {
                break;
            }
        }
        category::Entity::find()
            .filter(category::Column::CommuneCode.eq(commune))
            .order_by_asc(category::Column::Sort)
            .order_by_asc(category::Column::Id)
            .all(db)
            .await?
    } else {
        all
    };
    Ok(all
        .into_iter()
        .filter(|c| include_inactive || c.active)
        .collect())
}

pub async fn category_by_code(
    db: &impl ConnectionTrait,
    commune: &str,
    code: &str,
) -> ActionResult<category::Model> {
    categories(db, commune, false)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or(Refusal::CategoryUnknown.at("category"))
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    /// Lower-case letters, digits and `_`; the Open311 service code.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub deadline_days: i32,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Adds a category or changes the one with the same code.
pub async fn save_category(
    db: &impl ConnectionTrait,
    commune: &str,
    input: &CategoryInput,
) -> ActionResult<category::Model> {
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Refusal::CategoryCodeInvalid.at("code"));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Refusal::NameInvalid.at("name"));
    }
    if !(1..=90).contains(&input.deadline_days) {
        return Err(Refusal::DeadlineInvalid.at("deadline_days"));
    }
    let existing = categories(db, commune, true).await?;
    let sort = existing.iter().map(|c| c.sort).max().unwrap_or(0) + 10;
    let mut am = match existing.into_iter().find(|c| c.code == code) {
        Some(c) => c.into(),
        None => category::ActiveModel {
            commune_code: Set(commune.into()),
            code: Set(code.into()),
            sort: Set(sort),
            ..Default::default()
        },
    };
    am.name = Set(name.into());
    am.description = Set(input.description.trim().into());
    am.deadline_days = Set(input.deadline_days);
    am.department = Set(input.department.trim().into());
    am.restricted = Set(input.restricted);
    am.active = Set(input.active);
    Ok(am.save(db).await?.try_into_model()?)
}

// ---- the commune's map area ----

fn area_key(commune: &str) -> String {
    format!("map.area.{commune}")
}

/// The rectangle a commune drew around itself; pins outside it are refused.
pub async fn area(db: &impl ConnectionTrait, commune: &str) -> AppResult<Option<Bounds>> {
    Ok(setting::Entity::find_by_id(area_key(commune))
        .one(db)
        .await?
        .and_then(|s| Bounds::parse(&s.value)))
}

pub async fn set_area(
    db: &impl ConnectionTrait,
    commune: &str,
    b: Option<Bounds>,
) -> AppResult<()> {
    setting::Entity::delete_by_id(area_key(commune))
        .exec(db)
        .await?;
    if let Some(b) = b {
        setting::ActiveModel {
            key: Set(area_key(commune)),
            value: Set(b.to_csv()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
