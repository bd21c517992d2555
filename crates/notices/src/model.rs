//! What a notice is: its category, audience, schedule and the rules a valid one follows.
//! Pure: no database.

use chrono::{DateTime, Utc};
use kernel::accounts::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;
pub const MAX_ATTACHMENTS: usize = 5;
/// A notice scheduled this far in the past is refused: a clock a minute off is not an error.
pub const SCHEDULE_GRACE_SECS: i64 = 60;

/// Which rule a notice's input breaks. The use cases' refusals give each its code and field
/// (`actions::error`), so that no code is spelt twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    AudienceEmpty,
    RoleUnknown,
    TitleInvalid,
    BodyEmpty,
    BodyTooLong,
    SchedulePast,
    ExpiryBeforePublish,
    LocationTooLong,
    EventStartRequired,
    EventEndBeforeStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = NoticeCategory)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Văn bản pháp luật.
    Law,
    /// Thông báo.
    Notice,
    /// Hướng dẫn.
    Guidance,
    /// Sự kiện (meetings, vaccination days, classes): has a date, goes to the calendar.
    Event,
    /// Khẩn cấp / cảnh báo thiên tai (indicator 17): every channel, acknowledgement asked.
    Emergency,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Law,
        Category::Notice,
        Category::Guidance,
        Category::Event,
        Category::Emergency,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Law => "law",
            Category::Notice => "notice",
            Category::Guidance => "guidance",
            Category::Event => "event",
            Category::Emergency => "emergency",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
    pub fn label_key(self) -> String {
        format!("nt.cat.{}", self.as_str())
    }
}

/// Who a notice is for. `whole_commune`, or any union of villages, roles and topic subscribers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = NoticeAudience)]
pub struct Audience {
    #[serde(default)]
    pub whole_commune: bool,
    #[serde(default)]
    pub village_ids: Vec<i64>,
    /// Roles held in the commune: `official`, `leader`, `village_head`, `commune_admin`.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub topic_ids: Vec<i64>,
}

/// Who writes, publishes and withdraws notices.
pub const PUBLISHERS: &[Role] = &[
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];

/// The roles an audience may name.
pub const AUDIENCE_ROLES: [Role; 4] = [
    Role::Official,
    Role::Leader,
    Role::VillageHead,
    Role::CommuneAdmin,
];

impl Audience {
    pub fn is_empty(&self) -> bool {
        !self.whole_commune
            && self.village_ids.is_empty()
            && self.roles.is_empty()
            && self.topic_ids.is_empty()
    }

    /// Checks the roles by name and drops duplicates; villages and topics are checked against
    /// the commune by the use case (`actions::notices::create`).
    pub fn normalised(mut self) -> Result<Self, Fault> {
        if self.is_empty() {
            return Err(Fault::AudienceEmpty);
        }
        for r in &self.roles {
            if !AUDIENCE_ROLES.iter().any(|a| a.as_str() == r) {
                return Err(Fault::RoleUnknown);
            }
        }
        if self.whole_commune {
            self.village_ids.clear();
            self.roles.clear();
            self.topic_ids.clear();
        }
        self.village_ids.sort_unstable();
        self.village_ids.dedup();
        self.roles.sort();
        self.roles.dedup();
        self.topic_ids.sort_unstable();
        self.topic_ids.dedup();
        Ok(self)
    }
}

/// A notice as an official writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NoticeInput)]
pub struct Input {
    pub category: Category,
    /// 3–200 characters.
    pub title: String,
    /// Markdown, up to 20,000 characters. Raw HTML is dropped, links only http(s), mailto, tel
    /// or relative.
    pub body: String,
    pub audience: Audience,
    /// When to publish; absent means now. A time in the past is refused.
    #[serde(default)]
    pub publish_at: Option<DateTime<Utc>>,
    /// When the notice leaves the board; must be after publication.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Events: when it starts (required for events) and ends.
    #[serde(default)]
    pub event_start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub event_end: Option<DateTime<Utc>>,
    /// Events: where.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub pinned: bool,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The checked notice: trimmed texts and a consistent schedule.
#[derive(Debug, Clone)]
pub struct Checked {
    pub category: Category,
    pub title: String,
    pub body: String,
    pub audience: Audience,
    pub publish_at: DateTime<Utc>,
    pub scheduled: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub event_start: Option<DateTime<Utc>>,
    pub event_end: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub pinned: bool,
}

pub fn check(input: Input, now: DateTime<Utc>) -> Result<Checked, Fault> {
    let title = input.title.trim().to_owned();
    if !(TITLE_MIN..=TITLE_MAX).contains(&chars(&title)) {
        return Err(Fault::TitleInvalid);
    }
    let body = input.body.trim().to_owned();
    if body.is_empty() {
        return Err(Fault::BodyEmpty);
    }
    if chars(&body) > BODY_MAX {
        return Err(Fault::BodyTooLong);
    }
    let audience = input.audience.normalised()?;
    let (publish_at, scheduled) = match input.publish_at {
        Some(t) if t < now - chrono::Duration::seconds(SCHEDULE_GRACE_SECS) => {
            return Err(Fault::SchedulePast);
        }
        Some(t) if t > now => (t, true),
        _ => (now, false),
    };
    if let Some(e) = input.expires_at
        && e <= publish_at
    {
        return Err(Fault::ExpiryBeforePublish);
    }
    let location = input
        .location
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if location.as_ref().is_some_and(|l| chars(l) > TITLE_MAX) {
        return Err(Fault::LocationTooLong);
    }
    if input.category == Category::Event {
        let Some(start) = input.event_start else {
            return Err(Fault::EventStartRequired);
        };
        if input.event_end.is_some_and(|end| end < start) {
            return Err(Fault::EventEndBeforeStart);
        }
    }
    let is_event = input.category == Category::Event;
    Ok(Checked {
        category: input.category,
        title,
        body,
        audience,
        publish_at,
        scheduled,
        expires_at: input.expires_at,
        event_start: input.event_start.filter(|_| is_event),
        event_end: input.event_end.filter(|_| is_event),
        location,
        pinned: input.pinned,
    })
}

/// "08:00 12/12/2026 – 11:00 12/12/2026 · Nhà văn hóa" for events, empty otherwise.
pub fn event_when(n: &crate::entity::notice::Model) -> String {
    let Some(start) = n.event_start else {
        return String::new();
    };
    let mut s = kernel::web::pages::vn_time(start);
    if let Some(end) = n.event_end {
        s.push_str(" – ");
        s.push_str(&kernel::web::pages::vn_time(end));
    }
    if let Some(l) = &n.location {
        s.push_str(" · ");
        s.push_str(l);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> Input {
        Input {
            category: Category::Notice,
            title: "Lịch tiêm chủng tháng 12".into(),
            body: "Bà con đưa trẻ đến trạm y tế.".into(),
            audience: Audience {
                whole_commune: true,
                ..Default::default()
            },
            publish_at: None,
            expires_at: None,
            event_start: None,
            event_end: None,
            location: None,
            pinned: false,
        }
    }

    #[test]
    fn a_plain_notice_publishes_now() {
        let now = Utc::now();
        let c = check(input(), now).unwrap();
        assert_eq!(c.publish_at, now);
        assert!(!c.scheduled);
    }

    #[test]
    fn bad_notices_are_refused_with_their_field() {
        let now = Utc::now();
        type Change = Box<dyn Fn(&mut Input)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|i| i.title = "  ab ".into()),
                "notice_title_invalid",
            ),
            (Box::new(|i| i.body = "   ".into()), "notice_body_empty"),
            (
                Box::new(|i| i.body = "x".repeat(BODY_MAX + 1)),
                "notice_body_too_long",
            ),
            (
                Box::new(|i| i.audience = Audience::default()),
                "notice_audience_empty",
            ),
            (
                Box::new(|i| {
                    i.audience = Audience {
                        roles: vec!["citizen".into()],
                        ..Default::default()
                    }
                }),
                "notice_role_unknown",
            ),
            (
                Box::new(move |i| i.publish_at = Some(Utc::now() - chrono::Duration::hours(2))),
                "notice_schedule_past",
            ),
            (
                Box::new(move |i| i.expires_at = Some(Utc::now() - chrono::Duration::hours(1))),
                "notice_expiry_before_publish",
            ),
            (
                Box::new(|i| i.category = Category::Event),
                "notice_event_start_required",
            ),
        ];
        for (f, code) in cases {
            let mut i = input();
            f(&mut i);
            let e = kernel::error::AppError::from(check(i, now).unwrap_err());
            assert_eq!(e.code, code);
        }
    }

    #[test]
    fn the_whole_commune_absorbs_the_other_choices() {
        let a = Audience {
            whole_commune: true,
            village_ids: vec![3, 1],
            roles: vec!["leader".into()],
            topic_ids: vec![],
        }
        .normalised()
        .unwrap();
        assert!(a.village_ids.is_empty() && a.roles.is_empty());
        let b = Audience {
            village_ids: vec![3, 1, 3],
            ..Default::default()
        }
        .normalised()
        .unwrap();
        assert_eq!(b.village_ids, [1, 3]);
    }
}
