//! Working days in Vietnam: weekends, public holidays (solar and lunar), per-year configuration.
//!
//! A public-service dossier's legal due date ("ngày hẹn trả kết quả") is counted in working
//! days, so the one-stop desk needs to know, for any date, whether the commune's offices are
//! open. Offices work Monday to Friday; the days off are those of the Labour Code 2019
//! (art. 111–112), two of which follow the Vietnamese lunar calendar, so this module also owns
//! that calendar's conversion. The government fixes the exact Tết span and any bridge days each
//! year, which is why [`WorkCalendar`] starts from the statutory defaults and takes overrides.
//!
//! ```text
//! Tết Dương lịch            1/1 solar                          1 day
//! Tết Nguyên đán            last day of the lunar year..4/1    5 days (default span)
//! Giỗ Tổ Hùng Vương         10/3 lunar                         1 day
//! Ngày Giải phóng miền Nam  30/4 solar                         1 day
//! Quốc tế Lao động          1/5 solar                          1 day
//! Quốc khánh                2/9 solar and the day before it    2 days (default adjacent day)
//! Nghỉ bù                   the next free Monday–Friday after each holiday that fell on a
//!                           weekend (or on another holiday)
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::PI;
use std::iter;
use std::ops::Bound::{Excluded, Included};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};

// ---------------------------------------------------------------------------------------------
// Vietnamese lunar calendar (Hồ Ngọc Đức's algorithm)
// ---------------------------------------------------------------------------------------------

/// Vietnam's civil time zone, in hours. A lunar month begins on the civil day of the new moon
/// and the months are named by the solar terms they contain, both read on the clock in Hà Nội;
/// using China's UTC+8 instead moves some month starts (Tết 1985 and 2007 differ by a day or
/// a month), so the zone is part of the definition, not a detail.
const TIME_ZONE: f64 = 7.0;

/// Mean length of a synodic month in days, used to guess which new moon is near a date.
const SYNODIC_MONTH: f64 = 29.530_588_853;

/// Julian day of the new moon of 1900-01-01 (k = 0 in the new-moon series).
const NEW_MOON_EPOCH: f64 = 2_415_021.076_998_695;

/// Julian day number minus chrono's "days from the Common Era" count, so both views of a date
/// convert exactly without going through the calendar formulas twice.
const JD_CE_OFFSET: i64 = 1_721_425;

/// A date in the Vietnamese lunar calendar ("âm lịch").
///
/// `year` is the solar year in which the lunar year begins (Tết), so 2025-01-28, the last day
/// of the year of Giáp Thìn, is `{ year: 2024, month: 12, day: 29 }`. `leap` marks an
/// intercalary month ("tháng nhuận"), which repeats the number of the month before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LunarDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub leap: bool,
}

/// Julian day number of a proleptic Gregorian date given as integers.
///
/// Integers rather than a `NaiveDate` because the algorithm asks for 31 December of the
/// neighbouring years, which may lie outside chrono's range at its edges. No Julian-calendar
/// branch (before 1582) because chrono itself is proleptic Gregorian and the two must agree.
fn jd_from_ymd(year: i64, month: i64, day: i64) -> i64 {
    let a = (14 - month).div_euclid(12);
    let y = year + 4800 - a;
    let m = month + 12 * a - 3;
    day + (153 * m + 2).div_euclid(5) + 365 * y + y.div_euclid(4) - y.div_euclid(100)
        + y.div_euclid(400)
        - 32_045
}

/// Julian day number of a date: the lunar algorithm works on a continuous day count.
fn jd_from_date(d: NaiveDate) -> i64 {
    jd_from_ymd(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    )
}

/// The date of a Julian day number, `None` outside chrono's range.
fn jd_to_date(jd: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jd - JD_CE_OFFSET).ok()?)
}

/// Moment (Julian day, fractional, UT) of the k-th new moon after 1900-01-01.
///
/// Meeus' series truncated as in Hồ Ngọc Đức's reference code. It is kept as is, rather than
/// a more precise ephemeris, so that dates agree with the Vietnamese calendars published with
/// that code; it differs from Hồ's own precise tables only for a few new moons within minutes
/// of midnight (first in 2054; none affects Tết or Giỗ Tổ before 2175).
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    jd1 + c1 - delta_t
}

/// Julian day number of the civil day (in Vietnam) on which the k-th new moon falls: that day
/// is the first of a lunar month.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The sun's apparent ecliptic longitude, in radians in [0, 2π), at a Julian day (UT).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin()
        + (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin()
        + 0.000_290 * (dr * 3.0 * m).sin();
    ((l0 + dl) * dr).rem_euclid(2.0 * PI)
}

/// Which 30° sector (0..=11) of the ecliptic the sun is in at the start of a civil day.
///
/// A lunar month is named by the major solar term ("trung khí") it contains, i.e. by the sector
/// boundary the sun crosses during it; a month without one is the leap month.
fn sun_sector(day_number: i64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// Julian day number of the first day of the 11th lunar month of `year`, the one containing
/// the winter solstice: the lunar year is anchored on it, not on Tết.
fn lunar_month_11(year: i64) -> i64 {
    let off = jd_from_ymd(year, 12, 31) - 2_415_021;
    let k = (off as f64 / SYNODIC_MONTH).floor() as i64;
    let nm = new_moon_day(k);
    if sun_sector(nm) >= 9 {
        new_moon_day(k - 1)
    } else {
        nm
    }
}

/// In a year with 13 months after the 11th month starting at `a11`, the offset (in months
/// from `a11`) of the leap month: the first month during which the sun stays in one sector.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            return i - 1;
        }
    }
}

/// The lunar date of a solar date.
///
/// Used to name days for citizens (and to test [`lunar_to_solar`] against its inverse); it
/// never fails because every solar day lies in some lunar month.
pub fn solar_to_lunar(d: NaiveDate) -> LunarDate {
    let day_number = jd_from_date(d);
    let yy = i64::from(d.year());
    let k = ((day_number as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH).floor() as i64;
    // The mean-month guess `k` can be one month too late because true new moons wander
    // around the mean by up to about 14 hours; the reference code only looks back once, which
    // gives "day 0" on 2054-05-07 and 2062-04-09, so step back until the month has begun.
    let mut k = k + 1;
    let mut month_start = new_moon_day(k);
    while month_start > day_number {
        k -= 1;
        month_start = new_moon_day(k);
    }
    let mut a11 = lunar_month_11(yy);
    let mut b11 = a11;
    let mut lunar_year = yy;
    if a11 >= month_start {
        a11 = lunar_month_11(yy - 1);
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1);
    }
    let day = day_number - month_start + 1;
    let diff = (month_start - a11).div_euclid(29);
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11);
        if diff >= leap_diff {
            month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        year: i32::try_from(lunar_year).unwrap_or(d.year()),
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
        leap,
    }
}

/// The solar date of a lunar date; `None` if that lunar date does not exist (month outside
/// 1..=12, day 30 of a 29-day month, or a leap month the year does not have), so holiday rules
/// can never silently land on a neighbouring day.
pub fn lunar_to_solar(lunar_year: i32, month: u32, day: u32, leap: bool) -> Option<NaiveDate> {
    if !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    let year = i64::from(lunar_year);
    let month = i64::from(month);
    let (a11, b11) = if month < 11 {
        (lunar_month_11(year - 1), lunar_month_11(year))
    } else {
        (lunar_month_11(year), lunar_month_11(year + 1))
    };
    let k = (0.5 + (a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH).floor() as i64;
    let mut off = (month - 11).rem_euclid(12);
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11);
        let leap_month = (leap_off - 2).rem_euclid(12);
        if leap && month != leap_month {
            return None;
        }
        if leap || off >= leap_off {
            off += 1;
        }
    } else if leap {
        return None;
    }
    let month_start = new_moon_day(k + off);
    let month_len = new_moon_day(k + off + 1) - month_start;
    if i64::from(day) > month_len {
        return None;
    }
    jd_to_date(month_start + i64::from(day) - 1)
}

// ---------------------------------------------------------------------------------------------
// Statutory holidays
// ---------------------------------------------------------------------------------------------

const TET_DUONG_LICH: &str = "Tết Dương lịch";
const TET_NGUYEN_DAN: &str = "Tết Nguyên đán";
const GIO_TO_HUNG_VUONG: &str = "Giỗ Tổ Hùng Vương";
const GIAI_PHONG_MIEN_NAM: &str = "Ngày Giải phóng miền Nam";
const QUOC_TE_LAO_DONG: &str = "Quốc tế Lao động";
const QUOC_KHANH: &str = "Quốc khánh";
const NGHI_BU: &str = "Nghỉ bù";

/// Years whose statutory holidays are computed once per process and kept: every date a
/// dossier, a report or a test can plausibly use. Other years are computed on each use, which
/// is correct but slower.
const CACHED_FIRST_YEAR: i32 = 1900;
const CACHED_LAST_YEAR: i32 = 2199;
const CACHED_YEARS: usize = (CACHED_LAST_YEAR - CACHED_FIRST_YEAR + 1) as usize;

/// A year's days off, sorted by date, one entry per date.
type DayList = Vec<(NaiveDate, String)>;

/// One lazily filled slot per cached year. The statutory list depends only on the law and the
/// sky, not on any deployment's overrides, so it is shared by all [`WorkCalendar`]s; a
/// `OnceLock` per year makes the first lookup of a year pay for its lunar arithmetic (a few
/// dozen new-moon evaluations) and every later one a single atomic load, without locks.
static STATUTORY: [OnceLock<DayList>; CACHED_YEARS] = [const { OnceLock::new() }; CACHED_YEARS];

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The statutory days off of a solar year, sorted.
fn statutory(year: i32) -> Cow<'static, [(NaiveDate, String)]> {
    let slot = year
        .checked_sub(CACHED_FIRST_YEAR)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| STATUTORY.get(i));
    match slot {
        Some(cell) => Cow::Borrowed(cell.get_or_init(|| compute_statutory(year))),
        None => Cow::Owned(compute_statutory(year)),
    }
}

/// Whether a date is a statutory day off (holiday or compensation day).
fn is_statutory_day_off(d: NaiveDate) -> bool {
    statutory(d.year())
        .binary_search_by_key(&d, |e| e.0)
        .is_ok()
}

/// The Labour Code's holidays of a solar year, with their compensation days.
///
/// Compensation (art. 111(3)): a holiday falling on a weekly rest day is made up on the next
/// working day. The holidays are walked in date order and each one owed a day takes the first
/// Monday–Friday after it that is neither a holiday nor already given as compensation, so
/// chains resolve naturally: 30/4 on Saturday and 1/5 on Sunday give Monday 2/5 and Tuesday
/// 3/5. When two holidays share a date (Giỗ Tổ can fall on 30/4 or 1/5) the second is owed a
/// day too, because the worker otherwise loses one of the statute's eleven days.
///
/// Compensation deliberately ignores a deployment's overrides: those record the government's
/// actual plan for the year, which already settles where the compensation goes; an official
/// moves a misplaced default with [`WorkCalendar::add_working_day`] and
/// [`WorkCalendar::add_day_off`].
fn compute_statutory(year: i32) -> DayList {
    let mut days: Vec<(NaiveDate, &'static str)> = Vec::with_capacity(12);
    let mut solar = |month: u32, day: u32, name: &'static str| {
        if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
            days.push((d, name));
        }
    };
    solar(1, 1, TET_DUONG_LICH);
    solar(4, 30, GIAI_PHONG_MIEN_NAM);
    solar(5, 1, QUOC_TE_LAO_DONG);
    solar(9, 1, QUOC_KHANH);
    solar(9, 2, QUOC_KHANH);
    // Tết: the last day of the old lunar year (29 or 30 of the 12th month, whichever it has,
    // i.e. simply the eve of Tết) through the 4th day of the 1st month. Tết is never before
    // 21 January, so all five days lie in the same solar year as Tết.
    if let Some(tet) = lunar_to_solar(year, 1, 1, false) {
        days.extend(
            iter::successors(tet.pred_opt(), |d| d.succ_opt())
                .take(5)
                .map(|d| (d, TET_NGUYEN_DAN)),
        );
    }
    // The 3rd month itself, never its leap repeat: the anniversary is kept once.
    if let Some(d) = lunar_to_solar(year, 3, 10, false) {
        days.push((d, GIO_TO_HUNG_VUONG));
    }
    days.sort_by_key(|e| e.0);

    let off: BTreeSet<NaiveDate> = days.iter().map(|e| e.0).collect();
    let mut out: BTreeMap<NaiveDate, String> = BTreeMap::new();
    let mut given: BTreeSet<NaiveDate> = BTreeSet::new();
    for &(date, name) in &days {
        let shared = out.contains_key(&date);
        if is_weekend(date) || shared {
            let mut c = date.succ_opt();
            while let Some(x) = c {
                if is_weekend(x) || off.contains(&x) || given.contains(&x) {
                    c = x.succ_opt();
                } else {
                    break;
                }
            }
            if let Some(x) = c {
                // Never a holiday's date (`off` was skipped), so `shared` above only ever
                // matches a real coincidence of two holidays.
                given.insert(x);
                out.insert(x, format!("{NGHI_BU} {name}"));
            }
        }
        out.entry(date)
            .and_modify(|n| {
                n.push_str(", ");
                n.push_str(name);
            })
            .or_insert_with(|| name.to_owned());
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Working-day calendar
// ---------------------------------------------------------------------------------------------

/// The working days of a deployment: Monday–Friday, minus the statutory holidays and
/// compensation days, with the government's decisions for each year layered on top.
///
/// Overrides win over the statute because they record what actually happened: the official
/// Tết span, bridge days ("nghỉ bắc cầu") and the Saturdays worked in exchange ("làm bù").
/// The statutory part is shared by all calendars and cached per year, so building a
/// calendar is free and every query is a couple of `BTreeMap` lookups and a binary search.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    days_off: BTreeMap<NaiveDate, String>,
    working_days: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    /// The Labour Code 2019 defaults for public employees, without any year's decisions.
    pub fn vietnam() -> Self {
        WorkCalendar {
            days_off: BTreeMap::new(),
            working_days: BTreeSet::new(),
        }
    }

    /// Makes `date` a day off named `name` (e.g. a bridge day the government granted).
    ///
    /// The latest call for a date wins over an earlier [`Self::add_working_day`], so replaying
    /// stored overrides in any order of edits gives what the official last said.
    pub fn add_day_off(&mut self, date: NaiveDate, name: impl Into<String>) -> &mut Self {
        self.working_days.remove(&date);
        self.days_off.insert(date, name.into());
        self
    }

    /// Makes `date` a working day even if it is a weekend or a statutory day off (e.g. the
    /// Saturday worked in exchange for a bridge day, or a default compensation day the
    /// government's plan placed elsewhere). The latest call for a date wins.
    pub fn add_working_day(&mut self, date: NaiveDate) -> &mut Self {
        self.days_off.remove(&date);
        self.working_days.insert(date);
        self
    }

    /// The days off of `year` other than ordinary weekends, sorted by date: statutory holidays
    /// (also those falling on a weekend, so citizens see them), compensation days and extra
    /// days off, without the days made working days. An extra day off's own name replaces the
    /// statutory one, because it is the official's latest word on that date.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, String)> {
        let mut out: BTreeMap<NaiveDate, String> = statutory(year)
            .iter()
            .filter(|(d, _)| !self.working_days.contains(d))
            .cloned()
            .collect();
        out.extend(
            self.days_off
                .iter()
                .filter(|(d, _)| d.year() == year)
                .map(|(d, n)| (*d, n.clone())),
        );
        out.into_iter().collect()
    }

    /// Whether the commune's offices are open on `date`: an explicit working day, or a
    /// Monday–Friday that is neither a statutory day off nor an extra day off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_days.contains(&date) {
            return true;
        }
        !(is_weekend(date) || self.days_off.contains_key(&date) || is_statutory_day_off(date))
    }

    /// The legal due date of a dossier received at `start` (Vietnam local time) with a
    /// processing time of `days` working days.
    ///
    /// Rule: the day of receipt never counts, whatever the hour, and counting starts on the
    /// next working day; the due date is the `days`-th working day after the receipt date. So
    /// a dossier received on Friday with 1 working day is due on Monday, and one received on
    /// the eve of the Tết break is counted from the first working day after it. The time of
    /// day is ignored on purpose: a receipt-hour cut-off is not required by the procedure
    /// rules this platform implements, and ignoring it keeps the date predictable for
    /// citizens. `days == 0` (results given on the spot) gives the receipt date if it is a
    /// working day, else the next working day.
    pub fn add_working_days(&self, start: NaiveDateTime, days: u32) -> NaiveDate {
        let mut day = start.date();
        if days == 0 {
            while !self.is_working_day(day) {
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => break,
                }
            }
            return day;
        }
        let mut left = days;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                // The end of representable time: nothing later can be returned.
                None => break,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The number of working days after `from` up to and including `to`; negative (the same
    /// count, negated) when `to` is before `from`. With `from` the due date and `to` today it
    /// tells how many working days a dossier is late, consistently with
    /// [`Self::add_working_days`]: `working_days_between(d, add_working_days(d, n)) == n` for
    /// every `n > 0`.
    ///
    /// Counted arithmetically (weekdays in the span, corrected by the days off and extra
    /// working days inside it), so a span of years costs one pass over those years' holidays.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let span = (Excluded(from), Included(to));
        let mut n = weekdays_through(to) - weekdays_through(from);
        for year in from.year()..=to.year() {
            n -= statutory(year)
                .iter()
                .filter(|(d, _)| *d > from && *d <= to)
                .filter(|(d, _)| {
                    !is_weekend(*d)
                        && !self.working_days.contains(d)
                        && !self.days_off.contains_key(d)
                })
                .count() as i64;
        }
        n -= self
            .days_off
            .range(span)
            .filter(|(d, _)| !is_weekend(**d))
            .count() as i64;
        n += self
            .working_days
            .range(span)
            .filter(|d| is_weekend(**d))
            .count() as i64;
        n
    }
}

/// The number of Monday–Friday days from 0001-01-01 (a Monday) through `d`, extended to
/// earlier dates so that differences count the weekdays in any span.
fn weekdays_through(d: NaiveDate) -> i64 {
    let i = i64::from(d.num_days_from_ce()) - 1;
    i.div_euclid(7) * 5 + (i.rem_euclid(7) + 1).min(5)
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
