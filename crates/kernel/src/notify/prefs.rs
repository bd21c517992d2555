//! Which channels a message to a person takes, and when they do not want to be disturbed.
//!
//! THE RULE (the bulk fan-out in `fanout.rs` encodes the same one in SQL; change both together):
//! - the in-app inbox, always;
//! - then each outside channel the person can be reached on — push: has a `push_subscription`
//!   row; email: `app_user.email` set (not empty); SMS: `app_user.phone` set; Zalo:
//!   `notify_pref.zalo_user_id` set —
//! - if their preference allows it. Without a `notify_pref` row: push on, email on, SMS off,
//!   Zalo on.
//! - A channel the caller names explicitly (one-time codes: `&["sms"]`) is added even when the
//!   preference is off, as long as the person can be reached on it.
//! - An emergency goes to every channel the person can be reached on, whatever the preferences.
//!
//! Quiet hours (`quiet_from`/`quiet_to`, minutes after local midnight in Asia/Ho_Chi_Minh,
//! UTC+7 without daylight saving; the window may cross midnight) hold push, SMS and Zalo
//! messages that are not emergencies until the window ends. The inbox and email are never held.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::{EMAIL, PUSH, Priority, SMS, ZALO};
use crate::accounts::entity::user;
use crate::error::{AppError, AppResult};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notify_pref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub push: bool,
        pub email: bool,
        pub sms: bool,
        pub zalo: bool,
        pub zalo_user_id: Option<String>,
        pub quiet_from: Option<i16>,
        pub quiet_to: Option<i16>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Vietnam's offset from UTC; the country has no daylight saving time.
const VN_OFFSET_MINUTES: i64 = 7 * 60;
const DAY_MINUTES: u16 = 24 * 60;
/// Outside channels in the order they are considered.
pub const OUTSIDE: [&str; 4] = [PUSH, EMAIL, SMS, ZALO];
/// Channels quiet hours hold back.
pub const HELD_IN_QUIET_HOURS: [&str; 3] = [PUSH, SMS, ZALO];

/// A daily window of local time in which push, SMS and Zalo wait; `from != to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    from: u16,
    to: u16,
}

impl QuietHours {
    /// `None` for an empty window or minutes outside the day.
    pub fn new(from: u16, to: u16) -> Option<Self> {
        (from < DAY_MINUTES && to < DAY_MINUTES && from != to).then_some(QuietHours { from, to })
    }

    pub fn from_row(from: Option<i16>, to: Option<i16>) -> Option<Self> {
        let from = u16::try_from(from?).ok()?;
        let to = u16::try_from(to?).ok()?;
        Self::new(from, to)
    }

    pub fn from_minutes(&self) -> u16 {
        self.from
    }
    pub fn to_minutes(&self) -> u16 {
        self.to
    }

    fn local(now: DateTime<Utc>) -> chrono::NaiveDateTime {
        (now + Duration::minutes(VN_OFFSET_MINUTES)).naive_utc()
    }

    /// Whether `now` falls inside the window (start included, end excluded).
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        let l = Self::local(now);
        let m = (l.hour() * 60 + l.minute()) as u16;
        if self.from < self.to {
            self.from <= m && m < self.to
        } else {
            m >= self.from || m < self.to
        }
    }

    /// When a message due at `now` may go: the end of the window, or `None` outside it.
    pub fn hold_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.contains(now) {
            return None;
        }
        let l = Self::local(now);
        let end = NaiveTime::from_hms_opt(u32::from(self.to / 60), u32::from(self.to % 60), 0)?;
        let mut at = l.date().and_time(end);
        if at <= l {
            at += Duration::days(1);
        }
        Some(at.and_utc() - Duration::minutes(VN_OFFSET_MINUTES))
    }
}

/// `HH:MM` (24-hour, `7:05` accepted) → minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub fn fmt_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A person's choices, with the defaults filled in when they never chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefs {
    pub push: bool,
    pub email: bool,
    pub sms: bool,
    pub zalo: bool,
    pub zalo_user_id: Option<String>,
    pub quiet: Option<QuietHours>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            push: true,
            email: true,
            sms: false,
            zalo: true,
            zalo_user_id: None,
            quiet: None,
        }
    }
}

impl From<entity::Model> for Prefs {
    fn from(m: entity::Model) -> Self {
        Prefs {
            push: m.push,
            email: m.email,
            sms: m.sms,
            zalo: m.zalo,
            quiet: QuietHours::from_row(m.quiet_from, m.quiet_to),
            zalo_user_id: m.zalo_user_id.filter(|z| !z.is_empty()),
        }
    }
}

impl Prefs {
    pub fn allows(&self, channel: &str) -> bool {
        match channel {
            PUSH => self.push,
            EMAIL => self.email,
            SMS => self.sms,
            ZALO => self.zalo,
            _ => false,
        }
    }
}

/// On which outside channels a person can be reached at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub push: bool,
    pub email: bool,
    pub sms: bool,
    pub zalo: bool,
}

impl Reach {
    pub fn can(&self, channel: &str) -> bool {
        match channel {
            PUSH => self.push,
            EMAIL => self.email,
            SMS => self.sms,
            ZALO => self.zalo,
            _ => false,
        }
    }
}

/// The channels a message takes (besides the inbox), by the rule at the top of this file.
/// Channels the rule does not know are kept when named explicitly.
pub fn channels_for<'a>(
    prefs: &Prefs,
    reach: &Reach,
    priority: Priority,
    explicit: &[&'a str],
) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = OUTSIDE
        .into_iter()
        .filter(|ch| reach.can(ch))
        .filter(|ch| priority == Priority::Emergency || prefs.allows(ch) || explicit.contains(ch))
        .collect();
    for ch in explicit {
        if !OUTSIDE.contains(ch) && *ch != super::INBOX && !out.contains(ch) {
            out.push(ch);
        }
    }
    out
}

/// A person's preferences (defaults when they have no row).
pub async fn load(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Prefs> {
    Ok(entity::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(Prefs::from)
        .unwrap_or_default())
}

/// Preferences and reach together, for [`super::notify`] and the preferences page.
pub async fn load_with_reach(db: &impl ConnectionTrait, user_id: i64) -> AppResult<(Prefs, Reach)> {
    let prefs = load(db, user_id).await?;
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok((prefs, Reach::default()));
    };
    let subs = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Alias::new("push_subscription"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
        .to_owned();
    let push = db
        .query_one(&subs)
        .await?
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0)
        > 0;
    let reach = Reach {
        push,
        email: u.email.as_deref().is_some_and(|e| !e.is_empty()),
        sms: u.phone.is_some(),
        zalo: prefs.zalo_user_id.is_some(),
    };
    Ok((prefs, reach))
}

/// What a person submits: on/off per channel, quiet hours as `HH:MM`, a Zalo user id.
/// `None` leaves a value as it is.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub push: Option<bool>,
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub zalo: Option<bool>,
    pub zalo_user_id: Option<String>,
    /// Both empty: no quiet hours.
    pub quiet: Option<(String, String)>,
}

/// Validates `c` against `current`; nothing is written when it fails.
pub fn apply(current: &Prefs, c: &Change) -> AppResult<Prefs> {
    let mut p = current.clone();
    p.push = c.push.unwrap_or(p.push);
    p.email = c.email.unwrap_or(p.email);
    p.sms = c.sms.unwrap_or(p.sms);
    p.zalo = c.zalo.unwrap_or(p.zalo);
    if let Some(z) = &c.zalo_user_id {
        let z = z.trim();
        if z.is_empty() {
            p.zalo_user_id = None;
        } else if z.len() > 64
            || !z
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        {
            return Err(AppError::invalid("zalo_id_invalid", "zalo_user_id"));
        } else {
            p.zalo_user_id = Some(z.to_owned());
        }
    }
    if let Some((from, to)) = &c.quiet {
        let (from, to) = (from.trim(), to.trim());
        p.quiet = match (from.is_empty(), to.is_empty()) {
            (true, true) => None,
            (false, true) => return Err(AppError::invalid("quiet_hours_incomplete", "quiet_to")),
            (true, false) => {
                return Err(AppError::invalid("quiet_hours_incomplete", "quiet_from"));
            }
            (false, false) => {
                let f = parse_hhmm(from)
                    .ok_or_else(|| AppError::invalid("quiet_hours_invalid", "quiet_from"))?;
                let t = parse_hhmm(to)
                    .ok_or_else(|| AppError::invalid("quiet_hours_invalid", "quiet_to"))?;
                Some(
                    QuietHours::new(f, t)
                        .ok_or_else(|| AppError::invalid("quiet_hours_empty", "quiet_to"))?,
                )
            }
        };
    }
    Ok(p)
}

/// Writes a person's preferences (insert or update of their one row).
pub async fn save(db: &impl ConnectionTrait, user_id: i64, p: &Prefs) -> AppResult<()> {
    let am = entity::ActiveModel {
        user_id: Set(user_id),
        push: Set(p.push),
        email: Set(p.email),
        sms: Set(p.sms),
        zalo: Set(p.zalo),
        zalo_user_id: Set(p.zalo_user_id.clone()),
        quiet_from: Set(p.quiet.map(|q| q.from as i16)),
        quiet_to: Set(p.quiet.map(|q| q.to as i16)),
        updated_at: Set(Utc::now()),
    };
    if entity::Entity::find_by_id(user_id).one(db).await?.is_some() {
        am.update(db).await?;
    } else {
        am.insert(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A UTC instant for a Vietnamese local time on 2025-10-10.
    fn vn(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 10, h, m, 0).unwrap() - Duration::hours(7)
    }

    #[test]
    fn same_day_window() {
        let q =
            QuietHours::new(parse_hhmm("12:00").unwrap(), parse_hhmm("13:30").unwrap()).unwrap();
        assert!(!q.contains(vn(11, 59)));
        assert!(q.contains(vn(12, 0)));
        assert!(q.contains(vn(13, 29)));
        assert!(!q.contains(vn(13, 30)), "the end is not inside");
        assert_eq!(q.hold_until(vn(12, 15)), Some(vn(13, 30)));
        assert_eq!(q.hold_until(vn(14, 0)), None);
    }

    #[test]
    fn window_across_midnight() {
        let q = QuietHours::new(22 * 60, 6 * 60).unwrap();
        assert!(q.contains(vn(22, 0)));
        assert!(q.contains(vn(23, 59)));
        assert!(q.contains(vn(0, 0)));
        assert!(q.contains(vn(5, 59)));
        assert!(!q.contains(vn(6, 0)));
        assert!(!q.contains(vn(21, 59)));
        assert!(!q.contains(vn(12, 0)));
        // In the evening the window ends the next morning; after midnight, the same morning.
        assert_eq!(q.hold_until(vn(23, 0)), Some(vn(6, 0) + Duration::days(1)));
        assert_eq!(q.hold_until(vn(2, 30)), Some(vn(6, 0)));
        // 23:00 in Vietnam is 16:00 UTC the same day: the offset is applied, not ignored.
        assert_eq!(
            q.hold_until(Utc.with_ymd_and_hms(2025, 10, 10, 16, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2025, 10, 10, 23, 0, 0).unwrap())
        );
    }

    #[test]
    fn window_ending_at_midnight_and_starting_at_it() {
        let q = QuietHours::new(21 * 60, 0).unwrap();
        assert!(q.contains(vn(23, 30)));
        assert!(!q.contains(vn(0, 0)));
        assert_eq!(q.hold_until(vn(23, 30)), Some(vn(0, 0) + Duration::days(1)));
        let q = QuietHours::new(0, 5 * 60).unwrap();
        assert!(q.contains(vn(0, 0)));
        assert_eq!(q.hold_until(vn(4, 59)), Some(vn(5, 0)));
        assert!(QuietHours::new(300, 300).is_none());
        assert!(QuietHours::new(1440, 10).is_none());
    }

    #[test]
    fn hhmm_parsing() {
        assert_eq!(parse_hhmm("22:00"), Some(1320));
        assert_eq!(parse_hhmm("7:05"), Some(425));
        assert_eq!(parse_hhmm(" 00:00 "), Some(0));
        for bad in [
            "24:00", "12:60", "12", "12:5", "ab:cd", "", "-1:00", "123:00",
        ] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(fmt_hhmm(425), "07:05");
    }

    #[test]
    fn the_channel_rule() {
        let all = Reach {
            push: true,
            email: true,
            sms: true,
            zalo: true,
        };
        let d = Prefs::default();
        assert_eq!(
            channels_for(&d, &all, Priority::Normal, &[]),
            [PUSH, EMAIL, ZALO]
        );
        // Named explicitly: SMS despite the preference; still not where unreachable.
        assert_eq!(
            channels_for(&d, &all, Priority::Normal, &[SMS]),
            [PUSH, EMAIL, SMS, ZALO]
        );
        let none = Reach::default();
        assert!(channels_for(&d, &none, Priority::Emergency, &[SMS]).is_empty());
        let off = Prefs {
            push: false,
            email: false,
            sms: false,
            zalo: false,
            ..d.clone()
        };
        assert!(channels_for(&off, &all, Priority::High, &[]).is_empty());
        assert_eq!(
            channels_for(&off, &all, Priority::Emergency, &[]),
            [PUSH, EMAIL, SMS, ZALO]
        );
        let phone_only = Reach { sms: true, ..none };
        assert!(channels_for(&d, &phone_only, Priority::Normal, &[]).is_empty());
        assert_eq!(
            channels_for(&d, &phone_only, Priority::Emergency, &[]),
            [SMS]
        );
    }

    #[test]
    fn bad_changes_are_refused() {
        let d = Prefs::default();
        let q = |f: &str, t: &str| Change {
            quiet: Some((f.into(), t.into())),
            ..Default::default()
        };
        assert_eq!(
            apply(&d, &q("22:00", "22:00")).unwrap_err().code,
            "quiet_hours_empty"
        );
        assert_eq!(
            apply(&d, &q("25:00", "06:00")).unwrap_err().code,
            "quiet_hours_invalid"
        );
        assert_eq!(
            apply(&d, &q("22:00", "")).unwrap_err().code,
            "quiet_hours_incomplete"
        );
        assert_eq!(
            apply(&d, &q("22:00", "06:00")).unwrap().quiet,
            QuietHours::new(1320, 360)
        );
        assert_eq!(apply(&d, &q("", "")).unwrap().quiet, None);
        let z = Change {
            zalo_user_id: Some("abc def".into()),
            ..Default::default()
        };
        assert_eq!(apply(&d, &z).unwrap_err().code, "zalo_id_invalid");
    }
}
