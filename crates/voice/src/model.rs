//! The rules of feedback: its states, the steps between them, who may take each step and
//! see each report, and what a valid report is. Pure: no database, unit-tested on its own.

use kernel::accounts::Role;
use serde::{Deserialize, Serialize};

/// Where a piece of feedback stands. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FeedbackStatus)]
pub enum Status {
    /// Sent, waiting for the commune to triage it.
    New,
    /// Given to a department or an official.
    Assigned,
    /// Answered publicly; the reporter may rate the answer.
    Answered,
    /// Done.
    Closed,
    /// Not taken up, with a reason the reporter sees.
    Rejected,
    /// The same problem as an earlier report; followed there.
    Merged,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Assigned,
        Status::Answered,
        Status::Closed,
        Status::Rejected,
        Status::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::Answered => "answered",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still waiting for the commune: the handling deadline applies.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::Assigned)
    }

    /// Open311's two states.
    pub fn open311(self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }

    pub fn label_key(self) -> String {
        format!("fb.status.{}", self.as_str())
    }
}

/// A step an official takes on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FeedbackAction)]
pub enum Action {
    Assign,
    Answer,
    Reject,
    Merge,
    Close,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Assign,
        Action::Answer,
        Action::Reject,
        Action::Merge,
        Action::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Answer => "answer",
            Action::Reject => "reject",
            Action::Merge => "merge",
            Action::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("fb.action.{}", self.as_str())
    }

    /// The state after the step, if the step is allowed from `from`.
    pub fn next(self, from: Status) -> Option<Status> {
        use Status::*;
        match (self, from) {
            (Action::Assign, New | Assigned) => Some(Assigned),
            (Action::Answer, New | Assigned) => Some(Answered),
            (Action::Reject, New | Assigned) => Some(Rejected),
            (Action::Merge, New | Assigned) => Some(Merged),
            (Action::Close, Answered) => Some(Closed),
            _ => None,
        }
    }

    /// A note is required: the reason for a rejection, the text of an answer.
    pub fn needs_note(self) -> bool {
        matches!(self, Action::Answer | Action::Reject)
    }
}

/// Who is acting, as far as the rules care.
pub struct Actor {
    pub roles: Vec<Role>,
    /// The department written on the actor's grant in this commune, if any.
    pub departments: Vec<String>,
    pub user_id: i64,
}

/// What the rules need to know of a report.
pub struct Report<'a> {
    pub restricted: bool,
    /// The category's department: for restricted reports, the only officials who see them.
    pub category_department: &'a str,
    pub assignee_id: Option<i64>,
    pub reporter_user_id: Option<i64>,
}

/// Officials who triage and answer feedback.
pub const HANDLERS: &[Role] = &[Role::Official, Role::Leader, Role::CommuneAdmin];
/// Those who may see every report of the commune, security ones included.
pub const OVERSEERS: &[Role] = &[Role::Leader, Role::CommuneAdmin];

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    NotAllowedFromState,
    NotPermitted,
}

/// May this person see the report in the back office? Security reports (restricted
/// categories) reach only the leaders, the category's own department and the assignee.
pub fn may_see(a: &Actor, r: &Report) -> bool {
    if a.roles.iter().any(|x| OVERSEERS.contains(x)) {
        return true;
    }
    if !a.roles.iter().any(|x| HANDLERS.contains(x)) {
        return false;
    }
    if !r.restricted {
        return true;
    }
    r.assignee_id == Some(a.user_id)
        || (!r.category_department.is_empty()
            && a.departments.iter().any(|d| d == r.category_department))
}

/// How much of one report a reader gets. Ordered: each level shows what the one before shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    /// Nothing: answered as if the receipt code did not exist.
    None,
    /// Whoever holds the receipt code: category, status and its history, dates, and the
    /// commune's public answer (or reason for rejecting). Not the text, the address, the
    /// coordinates, the village, the photos, nor the reporter's rating comment.
    Status,
    /// A report on the public board: the text, place and photos too (never who sent it).
    Public,
    /// The reporter, signed in: all of their own report.
    Reporter,
    /// An official who may see the report in the back office ([`may_see`]): everything.
    Staff,
}

/// Whether a report is on the public board (and so in every public list: the board page, its
/// map, the API's `feedback/board`, Open311's `requests`): answered or closed with an answer,
/// and never of a restricted (security) category. `store::public_reports` is the same
/// condition in SQL.
pub fn on_board(status: Status, answered: bool, restricted: bool) -> bool {
    answered && !restricted && matches!(status, Status::Answered | Status::Closed)
}

/// THE rule for what one report shows, the same through every door (the follow page and its
/// photos, `GET /api/v1/communes/{code}/feedback/{receipt}`, Open311 `requests/{id}` and
/// `tokens/{id}`); `receipt::look_up` applies it, after the per-address throttle on failed
/// look-ups:
/// - officials who [`may_see`] the report see everything ([`Sight::Staff`]);
/// - its signed-in reporter sees all of it ([`Sight::Reporter`]);
/// - a restricted (security) report shows nothing to anyone else ([`Sight::None`]);
/// - a report on the public board ([`on_board`]) shows what the board shows ([`Sight::Public`]);
/// - any other report shows only its status and the public answer to whoever holds the
///   code ([`Sight::Status`]): a receipt code is a claim check, not a key to a neighbour's
///   text, address and coordinates.
pub fn sight(reader: Option<&Actor>, r: &Report, public: bool) -> Sight {
    if let Some(a) = reader {
        if may_see(a, r) {
            return Sight::Staff;
        }
        if r.reporter_user_id.is_some() && r.reporter_user_id == Some(a.user_id) {
            return Sight::Reporter;
        }
    }
    if r.restricted {
        Sight::None
    } else if public {
        Sight::Public
    } else {
        Sight::Status
    }
}

/// Checks a step against the state machine and the actor's rights.
pub fn check(a: &Actor, r: &Report, action: Action, from: Status) -> Result<Status, Refusal> {
    if !may_see(a, r) {
        return Err(Refusal::NotPermitted);
    }
    let to = action.next(from).ok_or(Refusal::NotAllowedFromState)?;
    let overseer = a.roles.iter().any(|x| OVERSEERS.contains(x));
    // Answering in the commune's name is for the assignee or the leaders; triage is for all
    // handlers who can see the report.
    if action == Action::Answer && !overseer && r.assignee_id != Some(a.user_id) {
        return Err(Refusal::NotPermitted);
    }
    Ok(to)
}

/// The reporter rates an answer once it is given.
pub fn may_rate(reporter: Option<i64>, user: i64, status: Status, rated: bool) -> bool {
    reporter == Some(user) && matches!(status, Status::Answered | Status::Closed) && !rated
}

// ---- what a valid report is ----

pub const TEXT_MAX: usize = 4000;
pub const PHOTOS_MAX: usize = 5;

/// Viet Nam's extent, islands included (Hoàng Sa, Trường Sa): a report outside is a mistake.
pub const VIETNAM: Bounds = Bounds {
    south: 8.0,
    west: 102.0,
    north: 23.5,
    east: 117.9,
};

/// A rectangle of latitude and longitude.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bounds {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Bounds {
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        lat >= self.south && lat <= self.north && lon >= self.west && lon <= self.east
    }

    /// `south,west,north,east`, as stored and as the map widget reads it.
    pub fn to_csv(&self) -> String {
        format!("{},{},{},{}", self.south, self.west, self.north, self.east)
    }

    pub fn parse(s: &str) -> Option<Bounds> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [south, west, north, east] = v.as_slice() else {
            return None;
        };
        let b = Bounds {
            south: *south,
            west: *west,
            north: *north,
            east: *east,
        };
        (b.south < b.north
            && b.west < b.east
            && VIETNAM.contains(b.south, b.west)
            && VIETNAM.contains(b.north, b.east))
        .then_some(b)
    }
}

/// Why a report is not valid: the error code and the form field it concerns.
pub type Invalid = (&'static str, &'static str);

/// The text must say something, and not a book.
pub fn check_text(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(("text_empty", "text"));
    }
    if t.chars().count() > TEXT_MAX {
        return Err(("text_too_long", "text"));
    }
    Ok(t.to_owned())
}

/// A pin must be in Viet Nam and, when the commune has drawn its area, inside it; without a
/// pin an address is needed so the commune can find the place.
pub fn check_location(
    lat: Option<f64>,
    lon: Option<f64>,
    address: &str,
    village: Option<i64>,
    commune_area: Option<&Bounds>,
) -> Result<(), Invalid> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => {
            if !lat.is_finite() || !lon.is_finite() || !VIETNAM.contains(lat, lon) {
                return Err(("location_outside_vn", "lat"));
            }
            if let Some(area) = commune_area
                && !area.contains(lat, lon)
            {
                return Err(("location_outside_commune", "lat"));
            }
            Ok(())
        }
        (None, None) if !address.trim().is_empty() || village.is_some() => Ok(()),
        (None, None) => Err(("location_missing", "address")),
        _ => Err(("location_invalid", "lat")),
    }
}

/// Reads an optional coordinate typed into a form: empty is none, a comma is a decimal point.
pub fn parse_coordinate(s: &str) -> Result<Option<f64>, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.replace(',', ".")
        .parse::<f64>()
        .map(Some)
        .map_err(|_| ("location_invalid", "lat"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn what_a_report_shows_to_whom() {
        let r = |restricted| Report {
            restricted,
            category_department: "police",
            assignee_id: None,
            reporter_user_id: Some(7),
        };
        let person = |roles: Vec<Role>, id| Actor {
            roles,
            departments: vec![],
            user_id: id,
        };
        let official = person(vec![Role::Official], 1);
        let reporter = person(vec![], 7);
        let neighbour = person(vec![], 8);
        let village_head = person(vec![Role::VillageHead], 9);
        for public in [false, true] {
            assert_eq!(sight(Some(&official), &r(false), public), Sight::Staff);
            assert_eq!(sight(Some(&reporter), &r(false), public), Sight::Reporter);
            assert_eq!(sight(Some(&reporter), &r(true), public), Sight::Reporter);
            assert_eq!(sight(Some(&official), &r(true), public), Sight::None);
            assert_eq!(sight(None, &r(true), public), Sight::None);
        }
        for reader in [None, Some(&neighbour), Some(&village_head)] {
            assert_eq!(sight(reader, &r(false), false), Sight::Status);
            assert_eq!(sight(reader, &r(false), true), Sight::Public);
        }
        assert!(on_board(Status::Answered, true, false));
        assert!(on_board(Status::Closed, true, false));
        assert!(!on_board(Status::Closed, false, false));
        assert!(!on_board(Status::Answered, true, true));
        for s in [
            Status::New,
            Status::Assigned,
            Status::Rejected,
            Status::Merged,
        ] {
            assert!(!on_board(s, true, false));
        }
    }

    use super::*;

    fn official(id: i64, dept: &str) -> Actor {
        Actor {
            roles: vec![Role::Official],
            departments: vec![dept.to_owned()],
            user_id: id,
        }
    }

    fn report(restricted: bool, assignee: Option<i64>) -> Report<'static> {
        Report {
            restricted,
            category_department: "Công an xã",
            assignee_id: assignee,
            reporter_user_id: Some(99),
        }
    }

    #[test]
    fn steps_follow_the_state_machine() {
        assert_eq!(Action::Assign.next(Status::New), Some(Status::Assigned));
        assert_eq!(
            Action::Assign.next(Status::Assigned),
            Some(Status::Assigned)
        );
        assert_eq!(
            Action::Answer.next(Status::Assigned),
            Some(Status::Answered)
        );
        assert_eq!(Action::Close.next(Status::Answered), Some(Status::Closed));
        assert_eq!(Action::Close.next(Status::New), None);
        assert_eq!(Action::Answer.next(Status::Closed), None);
        assert_eq!(Action::Merge.next(Status::Rejected), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn security_reports_reach_only_leaders_their_department_and_the_assignee() {
        let leader = Actor {
            roles: vec![Role::Leader],
            departments: vec![],
            user_id: 1,
        };
        assert!(may_see(&leader, &report(true, None)));
        assert!(!may_see(
            &official(2, "Văn hóa - Xã hội"),
            &report(true, None)
        ));
        assert!(may_see(&official(3, "Công an xã"), &report(true, None)));
        assert!(may_see(
            &official(2, "Văn hóa - Xã hội"),
            &report(true, Some(2))
        ));
        assert!(may_see(
            &official(2, "Văn hóa - Xã hội"),
            &report(false, None)
        ));
        let citizen = Actor {
            roles: vec![Role::Citizen],
            departments: vec![],
            user_id: 99,
        };
        assert!(!may_see(&citizen, &report(false, None)));
    }

    #[test]
    fn only_the_assignee_or_a_leader_answers() {
        let r = report(false, Some(5));
        assert_eq!(
            check(&official(4, ""), &r, Action::Answer, Status::Assigned),
            Err(Refusal::NotPermitted)
        );
        assert_eq!(
            check(&official(5, ""), &r, Action::Answer, Status::Assigned),
            Ok(Status::Answered)
        );
        assert_eq!(
            check(&official(4, ""), &r, Action::Assign, Status::Assigned),
            Ok(Status::Assigned)
        );
        assert_eq!(
            check(&official(5, ""), &r, Action::Close, Status::Assigned),
            Err(Refusal::NotAllowedFromState)
        );
    }

    #[test]
    fn rating_once_by_the_reporter_after_the_answer() {
        assert!(may_rate(Some(9), 9, Status::Answered, false));
        assert!(!may_rate(Some(9), 9, Status::Answered, true));
        assert!(!may_rate(Some(9), 8, Status::Answered, false));
        assert!(!may_rate(Some(9), 9, Status::Assigned, false));
    }

    #[test]
    fn text_and_location() {
        assert_eq!(check_text("  "), Err(("text_empty", "text")));
        assert!(check_text(&"a".repeat(TEXT_MAX + 1)).is_err());
        assert_eq!(check_text(" Đèn đường hỏng ").unwrap(), "Đèn đường hỏng");
        let area = Bounds::parse("19.28,105.12,19.38,105.24").unwrap();
        assert!(check_location(Some(19.33), Some(105.18), "", None, Some(&area)).is_ok());
        assert_eq!(
            check_location(Some(21.02), Some(105.85), "", None, Some(&area)),
            Err(("location_outside_commune", "lat"))
        );
        assert_eq!(
            check_location(Some(48.85), Some(2.35), "", None, None),
            Err(("location_outside_vn", "lat"))
        );
        assert_eq!(
            check_location(None, None, " ", None, None),
            Err(("location_missing", "address"))
        );
        assert!(check_location(None, None, "", Some(3), None).is_ok());
        assert_eq!(
            check_location(Some(19.3), None, "", None, None),
            Err(("location_invalid", "lat"))
        );
        assert_eq!(parse_coordinate("19,33"), Ok(Some(19.33)));
        assert!(parse_coordinate("bắc").is_err());
        assert!(
            Bounds::parse("23,105,19,106").is_none(),
            "south above north"
        );
        assert!(Bounds::parse("1,2,3").is_none());
    }
}
