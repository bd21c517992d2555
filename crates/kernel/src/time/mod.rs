//! Time as Vietnam lives it: the civil time zone (UTC+7, no daylight saving), local dates and
//! their display, and the working-day calendar every room counts deadlines with.
//!
//! Every instant is stored in UTC; these helpers are the one place that knows the offset, so a
//! deadline, a "today" or a period boundary is computed the same way in every room.

pub mod calendar;
pub mod holidays;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use sea_orm::ConnectionTrait;

pub use calendar::{LunarDate, WorkCalendar, lunar_to_solar, solar_to_lunar};

/// Vietnam's offset from UTC in seconds (Indochina Time, all year).
pub const VN_OFFSET_SECS: i32 = 7 * 3600;

/// Vietnam's civil time zone.
pub fn vn_zone() -> FixedOffset {
    FixedOffset::east_opt(VN_OFFSET_SECS).expect("UTC+7 is a valid offset")
}

/// The wall-clock time in Vietnam at instant `t`.
pub fn to_vn(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&vn_zone()).naive_local()
}

/// The date in Vietnam at instant `t`.
pub fn vn_date(t: DateTime<Utc>) -> NaiveDate {
    to_vn(t).date()
}

/// Today's date in Vietnam.
pub fn vn_today() -> NaiveDate {
    vn_date(Utc::now())
}

/// The instant a Vietnamese wall-clock time names.
pub fn from_vn(local: NaiveDateTime) -> DateTime<Utc> {
    local.and_utc() - Duration::seconds(i64::from(VN_OFFSET_SECS))
}

/// The instant a day begins in Vietnam (00:00 local), the lower bound of a period of days.
pub fn vn_day_start(d: NaiveDate) -> DateTime<Utc> {
    from_vn(d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The instant after a day ends in Vietnam (00:00 local of the next day), the exclusive upper
/// bound of a period ending on `d`.
pub fn vn_day_end(d: NaiveDate) -> DateTime<Utc> {
    vn_day_start(d) + Duration::days(1)
}

/// `dd/mm/yyyy HH:MM` in Vietnam, as officials and citizens read a time.
pub fn vn_datetime_text(t: DateTime<Utc>) -> String {
    to_vn(t).format("%d/%m/%Y %H:%M").to_string()
}

/// A `datetime-local` form value (`2025-12-01T08:00`), read as Vietnam time.
pub fn parse_local_input(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .map(from_vn)
}

/// The value a `datetime-local` input shows for instant `t`, in Vietnam time.
pub fn local_input_text(t: DateTime<Utc>) -> String {
    to_vn(t).format("%Y-%m-%dT%H:%M").to_string()
}

/// `dd/mm/yyyy`, the Vietnamese way of writing a date.
pub fn date_text(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The `crate::cache` kind of the calendar's overrides.
pub const CALENDAR: &str = "calendar";

/// The deployment's working-day calendar: the statute plus the government's yearly decisions
/// that the system admin records (`holiday_override`). Shared by every room (dossier due dates,
/// feedback deadlines, orders, reports); cheap to clone, rebuilt after an override changes.
#[derive(Clone, Default)]
pub struct WorkingDays {
    /// The [`CALENDAR`] generation the overrides were read at, and the calendar.
    calendar: Arc<RwLock<(u64, Arc<WorkCalendar>)>>,
    /// One rebuild at a time: the requests that find the calendar old wait for it.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

impl WorkingDays {
    /// The calendar with the overrides stored in the database.
    pub async fn load(db: &impl ConnectionTrait) -> crate::error::AppResult<Self> {
        let w = WorkingDays::default();
        w.reload(db).await?;
        Ok(w)
    }

    /// Rebuilds the calendar from the stored overrides (after an official changed one).
    pub async fn reload(&self, db: &impl ConnectionTrait) -> crate::error::AppResult<()> {
        let _one = self.reloading.lock().await;
        let generation = crate::cache::generation(CALENDAR, "");
        let mut cal = WorkCalendar::vietnam();
        for o in holidays::all_overrides(db).await? {
            if o.day_off {
                cal.add_day_off(o.day, &o.name);
            } else {
                cal.add_working_day(o.day);
            }
        }
        *self.calendar.write().unwrap_or_else(|e| e.into_inner()) = (generation, Arc::new(cal));
        Ok(())
    }

    fn loaded(&self) -> u64 {
        self.calendar.read().unwrap_or_else(|e| e.into_inner()).0
    }

    /// Rebuilds when an override changed since it was read (here or in another process).
    pub async fn fresh(&self, db: &impl ConnectionTrait) -> crate::error::AppResult<()> {
        if self.loaded() == crate::cache::generation(CALENDAR, "") {
            return Ok(());
        }
        {
            let _wait = self.reloading.lock().await;
            if self.loaded() == crate::cache::generation(CALENDAR, "") {
                return Ok(()); // another request rebuilt it meanwhile
            }
        }
        self.reload(db).await
    }

    /// Rebuilds after a committed change to an override, and has every other process of the
    /// deployment rebuild too.
    pub async fn changed(&self, db: &impl ConnectionTrait) -> crate::error::AppResult<()> {
        crate::cache::changed(CALENDAR, "");
        self.reload(db).await
    }

    /// The calendar as it is now; hold it for one computation, not across awaits of edits.
    pub fn get(&self) -> Arc<WorkCalendar> {
        self.calendar
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }
}

impl Default for WorkCalendar {
    fn default() -> Self {
        WorkCalendar::vietnam()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn vietnam_is_seven_hours_ahead_all_year() {
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 17, 30, 0).unwrap();
        assert_eq!(vn_date(t), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(vn_datetime_text(t), "01/01/2026 00:30");
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            vn_day_start(d),
            Utc.with_ymd_and_hms(2025, 12, 31, 17, 0, 0).unwrap()
        );
        assert_eq!(vn_day_end(d) - vn_day_start(d), Duration::days(1));
        assert_eq!(from_vn(to_vn(t)), t);
        assert_eq!(date_text(d), "01/01/2026");
    }
}
