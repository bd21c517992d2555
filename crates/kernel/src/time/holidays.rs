//! The government's yearly decisions on days off (the official Tết span, bridge days, Saturdays
//! worked in exchange), recorded by the system admin: the store and the one use case.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::WorkingDays;
use crate::accounts::{CurrentUser, Role, access};
use crate::error::{AppError, AppResult};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "holiday_override")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        /// true: an extra day off; false: a weekend day made a working day.
        pub day_off: bool,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every override ever recorded (a few per year).
pub async fn all_overrides(db: &impl ConnectionTrait) -> AppResult<Vec<entity::Model>> {
    Ok(entity::Entity::find().all(db).await?)
}

/// The overrides of one year, by date.
pub async fn overrides_of(db: &impl ConnectionTrait, year: i32) -> AppResult<Vec<entity::Model>> {
    let mut v: Vec<_> = all_overrides(db)
        .await?
        .into_iter()
        .filter(|o| o.day.year() == year)
        .collect();
    v.sort_by_key(|o| o.day);
    Ok(v)
}

/// What the system admin decided for one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideKind {
    DayOff,
    WorkingDay,
    Remove,
}

impl OverrideKind {
    pub fn parse(s: &str) -> AppResult<Self> {
        match s {
            "day_off" => Ok(OverrideKind::DayOff),
            "working_day" => Ok(OverrideKind::WorkingDay),
            "remove" => Ok(OverrideKind::Remove),
            _ => Err(AppError::invalid("holiday_kind_invalid", "kind")),
        }
    }
}

/// A year the calendar can speak about.
pub fn check_year(y: i32) -> AppResult<i32> {
    if (1900..=2199).contains(&y) {
        Ok(y)
    } else {
        Err(AppError::invalid("period_invalid", "year"))
    }
}

/// Use case: add, change or remove the override of one date, then rebuild the calendar.
/// System admins only: the calendar is national and every commune's due dates follow it.
pub async fn set_override(
    db: &sea_orm::DatabaseConnection,
    calendar: &WorkingDays,
    actor: Option<&CurrentUser>,
    date: &str,
    kind: &str,
    name: &str,
) -> AppResult<()> {
    let u = access::system_admin(actor)?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("period_invalid", "date"))?;
    let kind = OverrideKind::parse(kind)?;
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(AppError::invalid("text_too_long", "name"));
    }
    if kind == OverrideKind::DayOff && name.is_empty() {
        return Err(AppError::invalid("name_required", "name"));
    }
    let txn = crate::db::begin_write(db).await?;
    entity::Entity::delete_by_id(date).exec(&txn).await?;
    let summary = match kind {
        OverrideKind::Remove => format!("{date}: bỏ điều chỉnh"),
        OverrideKind::DayOff | OverrideKind::WorkingDay => {
            let day_off = kind == OverrideKind::DayOff;
            entity::ActiveModel {
                day: Set(date),
                day_off: Set(day_off),
                name: Set(if name.is_empty() {
                    "Ngày làm việc bù".into()
                } else {
                    name.into()
                }),
            }
            .insert(&txn)
            .await?;
            format!(
                "{date}: {} {name}",
                if day_off { "nghỉ" } else { "làm việc" }
            )
        }
    };
    // The calendar is national: recorded under the system admin's own commune, or VN-wide.
    let unit = u.commune_code.clone().unwrap_or_else(|| "VN".into());
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor: u,
            role: Role::SystemAdmin,
            unit_code: &unit,
            action: "calendar.override",
            object_type: "date",
            object_id: date.to_string(),
            summary,
        },
    )
    .await?;
    txn.commit().await?;
    calendar.reload(db).await
}
