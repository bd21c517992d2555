//! The rules of the one-stop shop: dossier states, the steps between them and who may take
//! each step. Pure: no database, unit-tested on its own.

use chrono::Datelike;
use kernel::accounts::Role;
use serde::{Deserialize, Serialize};

/// Where a dossier stands. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DossierStatus)]
pub enum Status {
    /// Submitted online (or taken at the desk) and waiting for the desk to check it.
    Received,
    /// The applicant must add or fix documents; the clock stops.
    SupplementRequested,
    /// Refused with a reason; final.
    Refused,
    /// Checked and accepted by the desk.
    Accepted,
    /// Given to a handler.
    Assigned,
    /// The handler has done the work; waiting for the leader.
    Processed,
    /// Signed off by the commune leader.
    Approved,
    /// The result is with the applicant (downloaded or picked up).
    Returned,
    /// Done.
    Closed,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Received,
        Status::SupplementRequested,
        Status::Refused,
        Status::Accepted,
        Status::Assigned,
        Status::Processed,
        Status::Approved,
        Status::Returned,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::SupplementRequested => "supplement_requested",
            Status::Refused => "refused",
            Status::Accepted => "accepted",
            Status::Assigned => "assigned",
            Status::Processed => "processed",
            Status::Approved => "approved",
            Status::Returned => "returned",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No more work to do: the deadline no longer applies.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Refused | Status::Closed)
    }

    /// The legal clock counts until the result is ready (approved or later).
    pub fn is_done(self) -> bool {
        matches!(
            self,
            Status::Refused | Status::Approved | Status::Returned | Status::Closed
        )
    }

    pub fn label_key(self) -> String {
        format!("dossier.status.{}", self.as_str())
    }
}

/// A step an official (or the applicant) takes on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DossierAction)]
pub enum Action {
    Accept,
    RequestSupplement,
    Refuse,
    /// The applicant sends the missing documents.
    Supplement,
    Assign,
    Process,
    /// The leader sends the work back to the handler.
    SendBack,
    Approve,
    ReturnResult,
    Close,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Accept,
        Action::RequestSupplement,
        Action::Refuse,
        Action::Supplement,
        Action::Assign,
        Action::Process,
        Action::SendBack,
        Action::Approve,
        Action::ReturnResult,
        Action::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::RequestSupplement => "request_supplement",
            Action::Refuse => "refuse",
            Action::Supplement => "supplement",
            Action::Assign => "assign",
            Action::Process => "process",
            Action::SendBack => "send_back",
            Action::Approve => "approve",
            Action::ReturnResult => "return_result",
            Action::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_key(self) -> String {
        format!("dossier.action.{}", self.as_str())
    }

    /// From which state, to which state.
    pub fn transition(self) -> (&'static [Status], Status) {
        use Status::*;
        match self {
            Action::Accept => (&[Received], Accepted),
            Action::RequestSupplement => (&[Received], SupplementRequested),
            Action::Refuse => (&[Received, SupplementRequested], Refused),
            Action::Supplement => (&[SupplementRequested], Received),
            Action::Assign => (&[Accepted, Assigned], Assigned),
            Action::Process => (&[Assigned], Processed),
            Action::SendBack => (&[Processed], Assigned),
            Action::Approve => (&[Processed], Approved),
            Action::ReturnResult => (&[Approved], Returned),
            Action::Close => (&[Returned], Closed),
        }
    }

    /// A reason is part of the decision and is shown to the applicant.
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            Action::RequestSupplement | Action::Refuse | Action::SendBack
        )
    }
}

/// Who is asking to take a step, as far as the rules care.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub roles: Vec<Role>,
    pub is_applicant: bool,
    pub is_assigned_handler: bool,
}

impl Actor {
    fn has(&self, r: &[Role]) -> bool {
        self.roles.iter().any(|x| r.contains(x))
    }
}

/// Staff of this commune who work the one-stop desk (officials, leaders, admins). The rule lives
/// here, beside the steps it allows; the store's visibility and the pages use the same list.
pub const DESK: &[Role] = &[Role::Official, Role::Leader, Role::CommuneAdmin];
const LEADER: &[Role] = &[Role::Leader];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The step does not start from the dossier's current state.
    NotAllowedFromState,
    /// The step is allowed, but not for this person.
    NotPermitted,
}

/// Checks a step against the state machine and the permissions; returns the new state.
pub fn apply(current: Status, action: Action, actor: &Actor) -> Result<Status, Refusal> {
    let (from, to) = action.transition();
    if !from.contains(&current) {
        return Err(Refusal::NotAllowedFromState);
    }
    let permitted = match action {
        Action::Accept
        | Action::RequestSupplement
        | Action::Refuse
        | Action::Assign
        | Action::ReturnResult => actor.has(DESK),
        Action::Supplement => actor.is_applicant,
        // Assigned, and still working for the commune.
        Action::Process => actor.is_assigned_handler && actor.has(DESK),
        Action::SendBack | Action::Approve => actor.has(LEADER),
        Action::Close => actor.is_applicant || actor.has(DESK),
    };
    if permitted {
        Ok(to)
    } else {
        Err(Refusal::NotPermitted)
    }
}

/// The steps this person could take now, for the buttons on the dossier page.
pub fn available(current: Status, actor: &Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| apply(current, *a, actor).is_ok())
        .collect()
}

/// How a procedure can be used online (the public-service "level").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Submitted, paid and returned online.
    Full,
    /// Submitted online; the result or originals are handled at the desk.
    Partial,
    /// Only at the desk.
    Offline,
}

impl OnlineLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineLevel::Full => "full",
            OnlineLevel::Partial => "partial",
            OnlineLevel::Offline => "offline",
        }
    }
    pub fn parse(s: &str) -> Option<OnlineLevel> {
        [
            OnlineLevel::Full,
            OnlineLevel::Partial,
            OnlineLevel::Offline,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn accepts_online(self) -> bool {
        !matches!(self, OnlineLevel::Offline)
    }
}

/// A document the applicant must (or may) attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequiredDocument {
    pub name: String,
    pub required: bool,
    /// A blank form to download, when there is one (an attachment id).
    #[serde(default)]
    pub form_attachment_id: Option<i64>,
}

/// What a form field holds: decides the input a phone shows and the server's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of free text.
    #[default]
    Text,
    /// Several lines of free text.
    #[serde(alias = "textarea")]
    LongText,
    /// A person's full name: at least two letters, letters and spaces only.
    Name,
    /// A real calendar date (`dd/mm/yyyy` or `yyyy-mm-dd`), stored as `dd/mm/yyyy`.
    Date,
    /// A date that is today or before (a birth date, a date of death).
    PastDate,
    /// A whole number (digits only).
    Number,
    /// A Vietnamese mobile number.
    Phone,
    /// A citizen identity card number (CCCD): 12 digits.
    IdNumber,
    /// One of the field's `options`.
    Choice,
}

impl FieldKind {
    pub const ALL: [FieldKind; 9] = [
        FieldKind::Text,
        FieldKind::LongText,
        FieldKind::Name,
        FieldKind::Date,
        FieldKind::PastDate,
        FieldKind::Number,
        FieldKind::Phone,
        FieldKind::IdNumber,
        FieldKind::Choice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::LongText => "long_text",
            FieldKind::Name => "name",
            FieldKind::Date => "date",
            FieldKind::PastDate => "past_date",
            FieldKind::Number => "number",
            FieldKind::Phone => "phone",
            FieldKind::IdNumber => "id_number",
            FieldKind::Choice => "choice",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        let s = if s == "textarea" { "long_text" } else { s };
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn is_date(self) -> bool {
        matches!(self, FieldKind::Date | FieldKind::PastDate)
    }
}

/// Why a field's answer is refused (the form says it beside the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Date,
    FutureDate,
    Name,
    Number,
    Phone,
    IdNumber,
    Choice,
}

/// A person's name as typed: letters and single spaces, at least two letters.
pub fn check_name(raw: &str) -> Option<String> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let letters = words.iter().flat_map(|w| w.chars()).count();
    let ok = letters >= 2 && words.iter().all(|w| w.chars().all(char::is_alphabetic));
    ok.then(|| words.join(" "))
}

/// A real calendar date typed as `dd/mm/yyyy` (or `d/m/yyyy`, `dd-mm-yyyy`) or sent by a date
/// input as `yyyy-mm-dd`.
pub fn parse_date(raw: &str) -> Option<chrono::NaiveDate> {
    let s = raw.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Checks one non-empty answer against its field's kind; answers it as it is stored.
pub fn check_answer(
    f: &FormField,
    raw: &str,
    today: chrono::NaiveDate,
) -> Result<String, FieldError> {
    let v = raw.trim();
    let digits = || -> String { v.chars().filter(|c| !matches!(c, ' ' | '.')).collect() };
    match f.kind {
        FieldKind::Text | FieldKind::LongText => Ok(v.to_owned()),
        FieldKind::Name => check_name(v).ok_or(FieldError::Name),
        FieldKind::Date | FieldKind::PastDate => {
            let d = parse_date(v).ok_or(FieldError::Date)?;
            if d.year() < 1900 {
                return Err(FieldError::Date);
            }
            if f.kind == FieldKind::PastDate && d > today {
                return Err(FieldError::FutureDate);
            }
            Ok(d.format("%d/%m/%Y").to_string())
        }
        FieldKind::Number => {
            let n = digits();
            (!n.is_empty() && n.len() <= 12 && n.bytes().all(|b| b.is_ascii_digit()))
                .then_some(n)
                .ok_or(FieldError::Number)
        }
        FieldKind::Phone => kernel::accounts::phone::normalise_phone(v)
            .map(|p| kernel::accounts::phone::display_phone(&p))
            .ok_or(FieldError::Phone),
        FieldKind::IdNumber => {
            let n = digits();
            (n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit()))
                .then_some(n)
                .ok_or(FieldError::IdNumber)
        }
        FieldKind::Choice => f
            .options
            .iter()
            .find(|o| o.trim() == v)
            .map(|o| o.trim().to_owned())
            .ok_or(FieldError::Choice),
    }
}

/// A field of the procedure's application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormField {
    /// Stable key of the answer (`a-z0-9_`); made from the label when the editor adds a field.
    pub key: String,
    pub label: String,
    pub required: bool,
    /// What the field holds; fields stored before kinds existed are `text`.
    #[serde(default)]
    pub kind: FieldKind,
    /// The fixed answers of a `choice` field (empty for other kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// How payment was received.
pub const PAYMENT_METHODS: [&str; 3] = ["cash", "transfer", "vietqr"];

#[cfg(test)]
mod tests {
    use super::*;

    fn desk() -> Actor {
        Actor {
            roles: vec![Role::Official],
            ..Default::default()
        }
    }
    fn leader() -> Actor {
        Actor {
            roles: vec![Role::Leader],
            ..Default::default()
        }
    }
    fn handler() -> Actor {
        Actor {
            roles: vec![Role::Official],
            is_assigned_handler: true,
            ..Default::default()
        }
    }
    fn applicant() -> Actor {
        Actor {
            roles: vec![Role::Citizen],
            is_applicant: true,
            ..Default::default()
        }
    }

    #[test]
    fn the_whole_happy_path() {
        let mut s = Status::Received;
        for (a, who) in [
            (Action::Accept, desk()),
            (Action::Assign, desk()),
            (Action::Process, handler()),
            (Action::Approve, leader()),
            (Action::ReturnResult, desk()),
            (Action::Close, applicant()),
        ] {
            s = apply(s, a, &who).unwrap();
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn supplement_loop_and_refusal() {
        let s = apply(Status::Received, Action::RequestSupplement, &desk()).unwrap();
        assert_eq!(s, Status::SupplementRequested);
        assert_eq!(
            apply(s, Action::Supplement, &desk()),
            Err(Refusal::NotPermitted),
            "only the applicant supplements"
        );
        let s = apply(s, Action::Supplement, &applicant()).unwrap();
        assert_eq!(s, Status::Received);
        assert_eq!(apply(s, Action::Refuse, &desk()), Ok(Status::Refused));
        assert!(Status::Refused.is_final());
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        assert_eq!(
            apply(Status::Received, Action::Approve, &leader()),
            Err(Refusal::NotAllowedFromState)
        );
        assert_eq!(
            apply(Status::Closed, Action::Accept, &desk()),
            Err(Refusal::NotAllowedFromState)
        );
        assert_eq!(
            apply(Status::Accepted, Action::Process, &handler()),
            Err(Refusal::NotAllowedFromState)
        );
    }

    #[test]
    fn roles_are_enforced() {
        assert_eq!(
            apply(Status::Received, Action::Accept, &applicant()),
            Err(Refusal::NotPermitted)
        );
        assert_eq!(
            apply(Status::Assigned, Action::Process, &desk()),
            Err(Refusal::NotPermitted),
            "only the assigned handler"
        );
        assert_eq!(
            apply(Status::Processed, Action::Approve, &desk()),
            Err(Refusal::NotPermitted),
            "only the leader"
        );
        assert_eq!(
            apply(Status::Processed, Action::SendBack, &leader()),
            Ok(Status::Assigned)
        );
    }

    #[test]
    fn available_actions_follow_the_rules() {
        assert_eq!(
            available(Status::Received, &desk()),
            vec![Action::Accept, Action::RequestSupplement, Action::Refuse]
        );
        assert_eq!(
            available(Status::Processed, &leader()),
            vec![Action::SendBack, Action::Approve]
        );
        assert!(available(Status::Closed, &leader()).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }
}
