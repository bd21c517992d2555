//! Use cases of the working-day calendar.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::{ActionResult, Refusal};
use crate::accounts::{CurrentUser, Role, access};
use crate::time::WorkingDays;
use crate::time::holidays::{OverrideKind, entity};

/// Use case: add, change or remove the override of one date, then rebuild the calendar.
/// System admins only: the calendar is national and every commune's due dates follow it.
pub async fn set_override(
    db: &sea_orm::DatabaseConnection,
    calendar: &WorkingDays,
    actor: Option<&CurrentUser>,
    date: &str,
    kind: &str,
    name: &str,
) -> ActionResult<()> {
    let u = access::system_admin(actor)?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| Refusal::DateInvalid.at("date"))?;
    let kind = OverrideKind::parse(kind)?;
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(Refusal::TextTooLong.at("name"));
    }
    if kind == OverrideKind::DayOff && name.is_empty() {
        return Err(Refusal::NameRequired.at("name"));
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
    Ok(calendar.changed(db).await?)
}
