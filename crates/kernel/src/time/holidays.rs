//! The government's yearly decisions on days off (the official Tết span, bridge days, Saturdays
//! worked in exchange), recorded by the system admin: the store and the rules. The use case that
//! changes them is `actions::holidays::set_override`: it writes the audit log, and `audit` reads
//! Vietnam's time from here, so the use case sits above both.

use chrono::Datelike;
use sea_orm::{ConnectionTrait, EntityTrait};

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
