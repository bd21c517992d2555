//! Tests of the working-day calendar and the lunar conversion (kept apart: they are half the
//! module and mostly tables of dates).

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, 0, 0).expect("valid test time")
}

fn days_in(year: i32) -> impl Iterator<Item = NaiveDate> {
    iter::successors(Some(date(year, 1, 1)), |d| d.succ_opt()).take_while(move |d| d.year() == year)
}

/// The calendar as the government actually decided Tết Ất Tỵ (2025): off Saturday 25/1 to
/// Sunday 2/2, Monday 27/1 swapped for Saturday 8/2, back at work Monday 3/2.
fn vietnam_2025_plan() -> WorkCalendar {
    let mut cal = WorkCalendar::vietnam();
    cal.add_day_off(date(2025, 1, 27), "Nghỉ hoán đổi Tết Nguyên đán")
        .add_working_day(date(2025, 2, 3))
        .add_working_day(date(2025, 2, 8));
    cal
}

// --- lunar calendar -------------------------------------------------------------------

#[test]
fn julian_day_numbers_agree_with_chrono() {
    assert_eq!(jd_from_date(date(2000, 1, 1)), 2_451_545);
    assert_eq!(jd_from_date(date(1900, 1, 1)), 2_415_021);
    for d in [
        date(1, 1, 1),
        date(1582, 10, 4),
        date(2199, 12, 31),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ] {
        assert_eq!(jd_to_date(jd_from_date(d)), Some(d), "{d}");
    }
    assert_eq!(date(1, 1, 1).weekday(), Weekday::Mon);
}

#[test]
fn tet_dates() {
    let tet = [
        (1968, date(1968, 1, 29)), // Tết Mậu Thân (UTC+7; the South, on UTC+8, kept the 30th)
        (1985, date(1985, 1, 21)), // a month before China's, because of the time zone
        (2007, date(2007, 2, 17)), // a day before China's
        (2020, date(2020, 1, 25)),
        (2021, date(2021, 2, 12)),
        (2022, date(2022, 2, 1)),
        (2023, date(2023, 1, 22)),
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        (2027, date(2027, 2, 6)),
    ];
    for (year, expected) in tet {
        assert_eq!(
            lunar_to_solar(year, 1, 1, false),
            Some(expected),
            "Tết {year}"
        );
        assert_eq!(
            solar_to_lunar(expected),
            LunarDate {
                year,
                month: 1,
                day: 1,
                leap: false
            }
        );
    }
}

#[test]
fn hung_kings_dates() {
    for (year, expected) in [
        (2023, date(2023, 4, 29)),
        (2024, date(2024, 4, 18)),
        (2025, date(2025, 4, 7)),
        (2026, date(2026, 4, 26)),
    ] {
        assert_eq!(
            lunar_to_solar(year, 3, 10, false),
            Some(expected),
            "Giỗ Tổ {year}"
        );
    }
}

#[test]
fn leap_months() {
    // 2023 (Quý Mão): leap 2nd month from 22/3 to 19/4.
    assert_eq!(lunar_to_solar(2023, 2, 1, true), Some(date(2023, 3, 22)));
    assert_eq!(
        solar_to_lunar(date(2023, 4, 19)),
        LunarDate {
            year: 2023,
            month: 2,
            day: 29,
            leap: true
        }
    );
    assert_eq!(
        solar_to_lunar(date(2023, 4, 20)),
        LunarDate {
            year: 2023,
            month: 3,
            day: 1,
            leap: false
        }
    );
    assert_eq!(lunar_to_solar(2023, 2, 1, false), Some(date(2023, 2, 20)));
    // 2025 (Ất Tỵ): leap 6th month from 25/7 to 22/8.
    assert_eq!(lunar_to_solar(2025, 6, 1, true), Some(date(2025, 7, 25)));
    assert_eq!(
        solar_to_lunar(date(2025, 8, 22)),
        LunarDate {
            year: 2025,
            month: 6,
            day: 29,
            leap: true
        }
    );
    assert_eq!(lunar_to_solar(2025, 7, 1, false), Some(date(2025, 8, 23)));
    // Leap months a year does not have do not exist.
    assert_eq!(lunar_to_solar(2025, 5, 1, true), None);
    assert_eq!(lunar_to_solar(2024, 2, 1, true), None);
}

#[test]
fn impossible_lunar_dates_are_none() {
    assert_eq!(lunar_to_solar(2025, 0, 1, false), None);
    assert_eq!(lunar_to_solar(2025, 13, 1, false), None);
    assert_eq!(lunar_to_solar(2025, 1, 0, false), None);
    assert_eq!(lunar_to_solar(2025, 1, 31, false), None);
    // The 12th month of Giáp Thìn had 29 days: Tết 2025 eve was 29 Chạp.
    assert_eq!(lunar_to_solar(2024, 12, 29, false), Some(date(2025, 1, 28)));
    assert_eq!(lunar_to_solar(2024, 12, 30, false), None);
}

/// Every day of the supported range: the conversion is its own inverse, and consecutive
/// days walk the lunar calendar one day at a time, months of 29 or 30 days following each
/// other in order (a leap month repeating the number before it), the year changing at Tết.
#[test]
fn lunar_round_trip_every_day_1900_to_2199() {
    let mut prev: Option<LunarDate> = None;
    for d in iter::successors(Some(date(1900, 1, 1)), |d| d.succ_opt())
        .take_while(|d| *d <= date(2199, 12, 31))
    {
        let l = solar_to_lunar(d);
        assert_eq!(
            lunar_to_solar(l.year, l.month, l.day, l.leap),
            Some(d),
            "{d}: {l:?}"
        );
        if let Some(p) = prev {
            if l.day == 1 {
                assert!(p.day == 29 || p.day == 30, "{d}: {p:?} -> {l:?}");
                let repeat = l.leap && !p.leap && l.month == p.month;
                let next = !l.leap && l.month == p.month % 12 + 1;
                assert!(repeat || next, "{d}: {p:?} -> {l:?}");
                let year = if l.month == 1 && !l.leap {
                    p.year + 1
                } else {
                    p.year
                };
                assert_eq!(l.year, year, "{d}: {p:?} -> {l:?}");
            } else {
                assert_eq!(
                    (l.year, l.month, l.leap, l.day),
                    (p.year, p.month, p.leap, p.day + 1),
                    "{d}"
                );
            }
        }
        prev = Some(l);
    }
    for year in 1900..=2199 {
        let tet = lunar_to_solar(year, 1, 1, false).expect("every year has a Tết");
        assert!(
            tet >= date(year, 1, 21) && tet <= date(year, 2, 20),
            "Tết {year}: {tet}"
        );
    }
}

#[test]
fn month_start_guess_is_corrected_where_the_reference_code_gives_day_0() {
    // The reference code returns "day 0" for these two dates; they are the last day of
    // 30-day months.
    assert_eq!(
        solar_to_lunar(date(2054, 5, 7)),
        LunarDate {
            year: 2054,
            month: 3,
            day: 30,
            leap: false
        }
    );
    assert_eq!(
        solar_to_lunar(date(2062, 4, 9)),
        LunarDate {
            year: 2062,
            month: 2,
            day: 30,
            leap: false
        }
    );
}

#[test]
fn lunar_conversion_never_panics_at_the_edges() {
    for d in [NaiveDate::MIN, NaiveDate::MAX, date(1, 1, 1)] {
        let _ = solar_to_lunar(d);
    }
    for year in [i32::MIN, -262_144, 0, 262_143, i32::MAX] {
        let _ = lunar_to_solar(year, 1, 1, false);
        let _ = lunar_to_solar(year, 12, 30, true);
    }
}

// --- holidays -------------------------------------------------------------------------

#[test]
fn holidays_2025_default() {
    let h = WorkCalendar::vietnam().holidays(2025);
    let expected = [
        (date(2025, 1, 1), "Tết Dương lịch"),
        (date(2025, 1, 28), "Tết Nguyên đán"),
        (date(2025, 1, 29), "Tết Nguyên đán"),
        (date(2025, 1, 30), "Tết Nguyên đán"),
        (date(2025, 1, 31), "Tết Nguyên đán"),
        (date(2025, 2, 1), "Tết Nguyên đán"), // Saturday
        (date(2025, 2, 3), "Nghỉ bù Tết Nguyên đán"),
        (date(2025, 4, 7), "Giỗ Tổ Hùng Vương"),
        (date(2025, 4, 30), "Ngày Giải phóng miền Nam"),
        (date(2025, 5, 1), "Quốc tế Lao động"),
        (date(2025, 9, 1), "Quốc khánh"),
        (date(2025, 9, 2), "Quốc khánh"),
    ];
    let got: Vec<(NaiveDate, &str)> = h.iter().map(|(d, n)| (*d, n.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn tet_starts_on_the_last_day_of_the_lunar_year_29th_or_30th() {
    // Quý Mão's 12th month had 30 days: Tết 2024 began on 30 Chạp, Friday 9/2.
    assert_eq!(
        solar_to_lunar(date(2024, 2, 9)),
        LunarDate {
            year: 2023,
            month: 12,
            day: 30,
            leap: false
        }
    );
    // Ất Tỵ's had 29: Tết 2026 begins on 29 Chạp, Monday 16/2.
    assert_eq!(
        solar_to_lunar(date(2026, 2, 16)),
        LunarDate {
            year: 2025,
            month: 12,
            day: 29,
            leap: false
        }
    );
    assert_eq!(lunar_to_solar(2025, 12, 30, false), None);
    let cal = WorkCalendar::vietnam();
    for (year, eve) in [(2024, date(2024, 2, 9)), (2026, date(2026, 2, 16))] {
        let tet: Vec<NaiveDate> = cal
            .holidays(year)
            .into_iter()
            .filter(|(_, n)| n == TET_NGUYEN_DAN)
            .map(|(d, _)| d)
            .collect();
        assert_eq!(tet, days_from(eve, 5), "{year}");
    }
}

fn days_from(start: NaiveDate, n: usize) -> Vec<NaiveDate> {
    iter::successors(Some(start), |d| d.succ_opt())
        .take(n)
        .collect()
}

#[test]
fn national_day_on_saturday_2023_is_made_up_on_monday() {
    let cal = WorkCalendar::vietnam();
    assert_eq!(date(2023, 9, 2).weekday(), Weekday::Sat);
    assert!(!cal.is_working_day(date(2023, 9, 1)));
    assert!(!cal.is_working_day(date(2023, 9, 4)));
    assert!(cal.is_working_day(date(2023, 9, 5)));
    assert!(
        cal.holidays(2023)
            .contains(&(date(2023, 9, 4), "Nghỉ bù Quốc khánh".to_owned()))
    );
}

#[test]
fn hung_kings_on_sunday_2026_is_made_up_on_monday() {
    let cal = WorkCalendar::vietnam();
    assert_eq!(date(2026, 4, 26).weekday(), Weekday::Sun);
    assert!(!cal.is_working_day(date(2026, 4, 27)));
    assert!(cal.is_working_day(date(2026, 4, 28)));
    assert!(
        cal.holidays(2026)
            .contains(&(date(2026, 4, 27), "Nghỉ bù Giỗ Tổ Hùng Vương".to_owned()))
    );
}

#[test]
fn compensation_chains_skip_holidays_and_each_other() {
    let cal = WorkCalendar::vietnam();
    // 2023: Giỗ Tổ Saturday 29/4, 30/4 Sunday, 1/5 Monday: off 29/4..=3/5, as decided.
    for d in days_from(date(2023, 4, 29), 5) {
        assert!(!cal.is_working_day(d), "{d}");
    }
    assert!(cal.is_working_day(date(2023, 5, 4)));
    // 2022: 30/4 Saturday, 1/5 Sunday: made up Monday 2/5 and Tuesday 3/5.
    let h = cal.holidays(2022);
    assert!(h.contains(&(
        date(2022, 5, 2),
        "Nghỉ bù Ngày Giải phóng miền Nam".to_owned()
    )));
    assert!(h.contains(&(date(2022, 5, 3), "Nghỉ bù Quốc tế Lao động".to_owned())));
    assert!(cal.is_working_day(date(2022, 5, 4)));
    // 2022: 1/1 Saturday, made up Monday 3/1.
    assert!(h.contains(&(date(2022, 1, 3), "Nghỉ bù Tết Dương lịch".to_owned())));
    // 2024: Tết eve Friday 9/2, Tết Saturday 10/2: Saturday and Sunday made up 14/2, 15/2.
    for d in days_from(date(2024, 2, 9), 7) {
        assert!(!cal.is_working_day(d), "{d}");
    }
    assert!(cal.is_working_day(date(2024, 2, 16)));
}

#[test]
fn every_year_gives_eleven_weekdays_off() {
    // Each of the statute's 11 days is enjoyed on exactly one weekday: itself or its
    // compensation day, including years where Giỗ Tổ shares a date with 30/4 or 1/5.
    let cal = WorkCalendar::vietnam();
    for year in 1900..=2199 {
        let h = cal.holidays(year);
        assert!(h.windows(2).all(|w| w[0].0 < w[1].0), "{year} not sorted");
        assert!(h.iter().all(|(d, n)| d.year() == year && !n.is_empty()));
        let weekdays = h.iter().filter(|(d, _)| !is_weekend(*d)).count();
        assert_eq!(weekdays, 11, "{year}: {h:?}");
    }
}

#[test]
fn is_working_day_matches_the_holiday_list() {
    let cal = vietnam_2025_plan();
    let off: BTreeSet<NaiveDate> = cal.holidays(2025).into_iter().map(|(d, _)| d).collect();
    for d in days_in(2025) {
        let expected = cal.working_days.contains(&d) || !(is_weekend(d) || off.contains(&d));
        assert_eq!(cal.is_working_day(d), expected, "{d}");
    }
}

#[test]
fn overrides_are_configurable_and_last_call_wins() {
    let mut cal = WorkCalendar::vietnam();
    let d = date(2025, 5, 2); // Friday after 1/5: the government's 2025 bridge swap
    cal.add_day_off(d, "Nghỉ bắc cầu");
    assert!(!cal.is_working_day(d));
    assert!(cal.holidays(2025).contains(&(d, "Nghỉ bắc cầu".to_owned())));
    cal.add_working_day(d);
    assert!(cal.is_working_day(d));
    assert!(!cal.holidays(2025).iter().any(|(x, _)| *x == d));
    cal.add_day_off(d, "Nghỉ bắc cầu");
    assert!(!cal.is_working_day(d));
    // A statutory day made a working day leaves the list; a renamed one shows the new name.
    cal.add_working_day(date(2025, 2, 3));
    assert!(cal.is_working_day(date(2025, 2, 3)));
    assert!(
        !cal.holidays(2025)
            .iter()
            .any(|(x, _)| *x == date(2025, 2, 3))
    );
    cal.add_day_off(date(2025, 9, 1), "Quốc khánh (ngày liền kề)");
    assert!(
        cal.holidays(2025)
            .contains(&(date(2025, 9, 1), "Quốc khánh (ngày liền kề)".to_owned()))
    );
}

// --- due dates ------------------------------------------------------------------------

#[test]
fn weekends_are_skipped() {
    let cal = WorkCalendar::vietnam();
    // Monday 2025-03-03 + 5 working days = Monday 2025-03-10.
    assert_eq!(
        cal.add_working_days(at(2025, 3, 3, 9), 5),
        date(2025, 3, 10)
    );
    // Friday afternoon + 1 = Monday.
    assert_eq!(
        cal.add_working_days(at(2025, 3, 7, 16), 1),
        date(2025, 3, 10)
    );
    // Received on Saturday or Sunday: counting starts Monday.
    assert_eq!(
        cal.add_working_days(at(2025, 3, 8, 10), 1),
        date(2025, 3, 10)
    );
    assert_eq!(
        cal.add_working_days(at(2025, 3, 9, 10), 2),
        date(2025, 3, 11)
    );
    // The hour of receipt does not matter.
    assert_eq!(
        cal.add_working_days(at(2025, 3, 3, 23), 1),
        date(2025, 3, 4)
    );
    assert_eq!(cal.add_working_days(at(2025, 3, 3, 0), 1), date(2025, 3, 4));
}

#[test]
fn zero_days_is_same_day_or_next_working_day() {
    let cal = WorkCalendar::vietnam();
    assert_eq!(
        cal.add_working_days(at(2025, 3, 5, 10), 0),
        date(2025, 3, 5)
    );
    assert_eq!(
        cal.add_working_days(at(2025, 3, 8, 10), 0),
        date(2025, 3, 10)
    );
    assert_eq!(
        cal.add_working_days(at(2025, 1, 29, 10), 0),
        date(2025, 2, 4)
    );
}

#[test]
fn tet_2025_default_rule() {
    let cal = WorkCalendar::vietnam();
    // Friday before Tết, 3 working days: Monday 27/1, then Tết 28/1..=1/2, Sunday 2/2,
    // compensation 3/2, so Tuesday 4/2 and Wednesday 5/2.
    assert_eq!(
        cal.add_working_days(at(2025, 1, 24, 15), 3),
        date(2025, 2, 5)
    );
    assert_eq!(
        cal.add_working_days(at(2025, 1, 24, 15), 1),
        date(2025, 1, 27)
    );
    // Received on the eve of the break: the whole break is skipped.
    assert_eq!(
        cal.add_working_days(at(2025, 1, 27, 10), 1),
        date(2025, 2, 4)
    );
}

#[test]
fn tet_2025_government_plan() {
    let cal = vietnam_2025_plan();
    let off: Vec<NaiveDate> = days_from(date(2025, 1, 25), 9);
    for d in &off {
        assert!(!cal.is_working_day(*d), "{d}");
    }
    assert!(cal.is_working_day(date(2025, 2, 3)));
    assert!(cal.is_working_day(date(2025, 2, 8)));
    // Friday before Tết, 1 working day: now due the first day back.
    assert_eq!(
        cal.add_working_days(at(2025, 1, 24, 15), 1),
        date(2025, 2, 3)
    );
    assert_eq!(
        cal.add_working_days(at(2025, 1, 24, 15), 3),
        date(2025, 2, 5)
    );
    // Friday 7/2 + 1: the exchange Saturday 8/2 counts.
    assert_eq!(cal.add_working_days(at(2025, 2, 7, 9), 1), date(2025, 2, 8));
    assert_eq!(
        WorkCalendar::vietnam().add_working_days(at(2025, 2, 7, 9), 1),
        date(2025, 2, 10)
    );
}

#[test]
fn add_working_day_makes_a_saturday_count() {
    let mut cal = WorkCalendar::vietnam();
    let sat = date(2025, 3, 8);
    assert!(!cal.is_working_day(sat));
    cal.add_working_day(sat);
    assert!(cal.is_working_day(sat));
    assert_eq!(cal.add_working_days(at(2025, 3, 7, 9), 1), sat);
    assert_eq!(
        cal.add_working_days(at(2025, 3, 7, 9), 2),
        date(2025, 3, 10)
    );
    assert_eq!(cal.add_working_days(at(2025, 3, 8, 9), 0), sat);
}

#[test]
fn working_days_between_signs() {
    let cal = WorkCalendar::vietnam();
    let fri = date(2025, 3, 7);
    let mon = date(2025, 3, 10);
    assert_eq!(cal.working_days_between(fri, fri), 0);
    assert_eq!(cal.working_days_between(fri, mon), 1);
    assert_eq!(cal.working_days_between(mon, fri), -1);
    assert_eq!(cal.working_days_between(fri, date(2025, 3, 9)), 0);
    // Across the default Tết 2025 break.
    assert_eq!(
        cal.working_days_between(date(2025, 1, 24), date(2025, 2, 5)),
        3
    );
    assert_eq!(
        cal.working_days_between(date(2025, 2, 5), date(2025, 1, 24)),
        -3
    );
    // A whole year: 365 days, 104 weekend days, 11 weekdays off.
    assert_eq!(
        cal.working_days_between(date(2024, 12, 31), date(2025, 12, 31)),
        261 - 11
    );
}

/// A small deterministic generator, so the property tests need no dependency.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn working_days_between_agrees_with_counting_day_by_day() {
    let mut cal = vietnam_2025_plan();
    cal.add_day_off(date(2024, 12, 24), "Nghỉ thử")
        .add_day_off(date(2025, 3, 15), "Thứ Bảy nghỉ")
        .add_working_day(date(2024, 4, 30))
        .add_working_day(date(2026, 3, 1));
    let base = date(2023, 10, 1);
    let mut rng = Lcg(42);
    for _ in 0..400 {
        let a = base + chrono::Days::new(rng.next(1200));
        let b = base + chrono::Days::new(rng.next(1200));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let brute = iter::successors(lo.succ_opt(), |d| d.succ_opt())
            .take_while(|d| *d <= hi)
            .filter(|d| cal.is_working_day(*d))
            .count() as i64;
        let sign = if a <= b { 1 } else { -1 };
        assert_eq!(cal.working_days_between(a, b), sign * brute, "{a} -> {b}");
    }
}

#[test]
fn due_dates_agree_with_working_days_between() {
    let cal = vietnam_2025_plan();
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let start = date(2024, 6, 1) + chrono::Days::new(rng.next(700));
        let n = rng.next(40) as u32;
        let due = cal.add_working_days(start.and_hms_opt(10, 0, 0).expect("time"), n);
        assert!(cal.is_working_day(due), "{start} + {n} = {due}");
        if n > 0 {
            assert_eq!(
                cal.working_days_between(start, due),
                i64::from(n),
                "{start} + {n}"
            );
            // And it is the first such day.
            assert_eq!(
                cal.working_days_between(start, due.pred_opt().expect("day")),
                i64::from(n) - 1
            );
        }
    }
}

#[test]
fn no_panics_at_the_edges_of_time() {
    let cal = WorkCalendar::vietnam();
    for d in [
        NaiveDate::MIN,
        NaiveDate::MAX,
        date(1900, 1, 1),
        date(2199, 12, 31),
    ] {
        let _ = cal.is_working_day(d);
        let _ = cal.holidays(d.year());
        let _ = cal.add_working_days(d.and_hms_opt(12, 0, 0).expect("time"), 3);
        let _ = cal.add_working_days(d.and_hms_opt(12, 0, 0).expect("time"), 0);
    }
    let near_max = NaiveDate::MAX - chrono::Days::new(20);
    assert_eq!(
        cal.add_working_days(near_max.and_hms_opt(0, 0, 0).expect("time"), 1_000),
        NaiveDate::MAX
    );
    let _ = cal.working_days_between(near_max, NaiveDate::MAX);
    let near_min = NaiveDate::MIN + chrono::Days::new(20);
    let _ = cal.working_days_between(near_min, NaiveDate::MIN);
    assert_eq!(
        cal.working_days_between(date(1900, 1, 1), date(2199, 12, 31)),
        {
            let mut n = 0i64;
            for y in 1900..=2199 {
                n += cal.working_days_between(date(y - 1, 12, 31), date(y, 12, 31));
            }
            n
        }
    );
}

#[test]
fn calendar_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WorkCalendar>();
}
