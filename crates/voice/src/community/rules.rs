//! The community rules: what a valid title, post, contact or team member is, who belongs to
//! the commune's forum, who moderates it and who edits a directory entry. Pure: no database.

use crate::error::{ActionResult, Refusal};
use kernel::accounts::{CurrentUser, Role};
use kernel::tenancy::CommuneInfo;
use serde::{Deserialize, Serialize};

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;
pub const REASON_MAX: usize = 500;
pub const OFFICE_HOURS_MAX: usize = 500;
pub const SHORT_MAX: usize = 200;
pub const NAME_MAX: usize = 100;

/// Whose contact details the directory publishes (never citizens or village heads).
pub const DIRECTORY_ROLES: &[Role] = &[Role::Leader, Role::CommuneAdmin, Role::Official];
/// Who may open the directory's back-office page: the people listed in it, and admins.
pub const DIRECTORY_EDITORS: &[Role] = &[
    Role::Leader,
    Role::CommuneAdmin,
    Role::Official,
    Role::SystemAdmin,
];
/// Who moderates the forum.
pub const MODERATORS: &[Role] = &[
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];
/// Who manages the team and everyone's directory entries.
pub use kernel::accounts::access::ADMINS;

/// Leaders first, then the commune admin, then officials.
pub fn role_rank(r: Role) -> u8 {
    match r {
        Role::Leader => 0,
        Role::CommuneAdmin => 1,
        Role::Official => 2,
        _ => 3,
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A topic title: 3–200 characters once surrounding blanks are dropped; kept as written.
pub fn check_title(title: &str) -> ActionResult<String> {
    let t = title.trim();
    if !(TITLE_MIN..=TITLE_MAX).contains(&chars(t)) {
        return Err(Refusal::ForumTitleInvalid.at("title"));
    }
    Ok(t.to_owned())
}

/// A post: 1–10,000 characters; kept as written (escaped on output, never on input).
pub fn check_body(body: &str) -> ActionResult<String> {
    let b = body.trim();
    if b.is_empty() {
        return Err(Refusal::ForumBodyEmpty.at("body"));
    }
    if chars(b) > BODY_MAX {
        return Err(Refusal::ForumBodyTooLong.at("body"));
    }
    Ok(b.to_owned())
}

/// A moderator must say why a post is hidden.
pub fn check_hide_reason(reason: &str) -> ActionResult<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refusal::ForumReasonRequired.at("reason"));
    }
    if chars(r) > REASON_MAX {
        return Err(Refusal::ForumReasonTooLong.at("reason"));
    }
    Ok(r.to_owned())
}

/// An abuse report's optional reason.
pub fn check_report_reason(reason: &str) -> ActionResult<String> {
    let r = reason.trim();
    if chars(r) > REASON_MAX {
        return Err(Refusal::ForumReasonTooLong.at("reason"));
    }
    Ok(r.to_owned())
}

/// A public contact number: office lines are landlines too, so any 8–15 digits with the usual
/// separators (`+`, space, `.`, `-`, parentheses). Empty means none.
pub fn check_phone(raw: &str, field: &'static str) -> ActionResult<Option<String>> {
    let p = raw.trim();
    if p.is_empty() {
        return Ok(None);
    }
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let allowed = p
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'));
    if !allowed || !(8..=15).contains(&digits) || p.len() > 30 {
        return Err(Refusal::ContactPhoneInvalid.at(field));
    }
    Ok(Some(p.to_owned()))
}

/// A public email address. Empty means none.
pub fn check_email(raw: &str) -> ActionResult<Option<String>> {
    let e = raw.trim();
    if e.is_empty() {
        return Ok(None);
    }
    let ok = e.len() <= 200
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(u, d)| {
            !u.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        });
    if ok {
        Ok(Some(e.to_owned()))
    } else {
        Err(Refusal::EmailInvalid.at("public_email"))
    }
}

/// A directory entry's title and office hours.
pub fn check_profile_texts(title: &str, office_hours: &str) -> ActionResult<(String, String)> {
    let t = title.trim();
    if chars(t) > SHORT_MAX {
        return Err(Refusal::DirectoryTitleTooLong.at("title"));
    }
    let h = office_hours.trim();
    if chars(h) > OFFICE_HOURS_MAX {
        return Err(Refusal::OfficeHoursTooLong.at("office_hours"));
    }
    Ok((t.to_owned(), h.to_owned()))
}

/// A team member's name and role in the team.
pub fn check_member(name: &str, team_role: &str) -> ActionResult<(String, String)> {
    let n = name.trim();
    if n.is_empty() || chars(n) > NAME_MAX {
        return Err(Refusal::TeamNameInvalid.at("name"));
    }
    let r = team_role.trim();
    if r.is_empty() || chars(r) > NAME_MAX {
        return Err(Refusal::TeamRoleInvalid.at("team_role"));
    }
    Ok((n.to_owned(), r.to_owned()))
}

/// The forum is for the commune's own people: residents registered in it and anyone holding a
/// role that reaches it.
pub fn is_member(u: &CurrentUser, c: &CommuneInfo) -> bool {
    u.commune_code.as_deref() == Some(c.code.as_str()) || u.roles_in(c).next().is_some()
}

/// May this person write in a topic of commune `host`? Its own members always; for a topic
/// shared with province `shared`, members of any commune of that province among `communes`
/// (the deployment's active communes, given only where the province-wide forum is enabled).
pub fn may_post(
    u: &CurrentUser,
    host: &CommuneInfo,
    shared: Option<&str>,
    communes: Option<&[std::sync::Arc<CommuneInfo>]>,
) -> bool {
    if is_member(u, host) {
        return true;
    }
    match (shared, communes) {
        (Some(p), Some(all)) => all.iter().any(|c| c.province_code == p && is_member(u, c)),
        _ => false,
    }
}

/// Which topics a commune's forum lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ForumScope)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The commune's own topics and, where enabled, those shared by the province's communes.
    #[default]
    All,
    /// The commune's own topics only.
    Commune,
    /// Topics shared with the whole province only.
    Province,
}

impl Scope {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "commune" => Scope::Commune,
            "province" => Scope::Province,
            _ => Scope::All,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Commune => "commune",
            Scope::Province => "province",
        }
    }
}

pub fn is_moderator(u: &CurrentUser, c: &CommuneInfo) -> bool {
    u.has_role_in(c, MODERATORS)
}

/// An official edits their own entry; the commune admin edits anyone's.
pub fn may_edit_profile(u: &CurrentUser, c: &CommuneInfo, target_user_id: i64) -> bool {
    u.has_role_in(c, ADMINS) || (u.id == target_user_id && u.has_role_in(c, DIRECTORY_ROLES))
}

/// A moderator's step on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ForumTopicAction)]
#[serde(rename_all = "snake_case")]
pub enum TopicAction {
    Lock,
    Unlock,
    Pin,
    Unpin,
}

impl TopicAction {
    pub const ALL: [TopicAction; 4] = [
        TopicAction::Lock,
        TopicAction::Unlock,
        TopicAction::Pin,
        TopicAction::Unpin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TopicAction::Lock => "lock",
            TopicAction::Unlock => "unlock",
            TopicAction::Pin => "pin",
            TopicAction::Unpin => "unpin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// A moderator's step on a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ForumPostAction)]
#[serde(rename_all = "snake_case")]
pub enum PostAction {
    /// Needs a reason.
    Hide,
    Unhide,
}

impl PostAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PostAction::Hide => "hide",
            PostAction::Unhide => "unhide",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "hide" => Some(PostAction::Hide),
            "unhide" => Some(PostAction::Unhide),
            _ => None,
        }
    }
}

/// Topics and posts per page.
pub const TOPICS_PAGE: u64 = 20;
pub const POSTS_PAGE: u64 = 30;

/// Pages needed for `total` items, at least one.
pub fn pages(total: u64, per: u64) -> u64 {
    total.div_ceil(per).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::accounts::Grant;

    fn commune(code: &str) -> CommuneInfo {
        CommuneInfo {
            code: code.into(),
            name: "Xã".into(),
            unit_type: "xa".into(),
            province_code: "40".into(),
            province_name: "Nghệ An".into(),
            district_code: None,
            brand_color: "#000000".into(),
            tagline: None,
            has_logo: false,
            active: true,
            contacts: Default::default(),
        }
    }

    fn user(id: i64, home: Option<&str>, grants: &[(Role, &str)]) -> CurrentUser {
        CurrentUser {
            id,
            full_name: "X".into(),
            phone: None,
            email: None,
            commune_code: home.map(str::to_owned),
            village_id: None,
            locale: "vi".into(),
            grants: grants
                .iter()
                .map(|(r, u)| Grant {
                    role: *r,
                    unit_code: (*u).into(),
                    village_id: None,
                    department: None,
                })
                .collect(),
        }
    }

    #[test]
    fn titles_and_bodies() {
        assert_eq!(check_title("  Đường  ").unwrap(), "Đường");
        assert_eq!(
            kernel::error::AppError::from(check_title("ab").unwrap_err()).code,
            "forum_title_invalid"
        );
        assert!(check_title(&"đ".repeat(200)).is_ok());
        assert!(check_title(&"đ".repeat(201)).is_err());
        assert_eq!(
            kernel::error::AppError::from(check_body(" \n ").unwrap_err()).code,
            "forum_body_empty"
        );
        assert!(check_body(&"ư".repeat(10_000)).is_ok());
        assert_eq!(
            kernel::error::AppError::from(check_body(&"ư".repeat(10_001)).unwrap_err()).code,
            "forum_body_too_long"
        );
        // Stored as written: markup is not touched here, only escaped on output.
        assert_eq!(check_body("<b>x</b>").unwrap(), "<b>x</b>");
        assert_eq!(
            kernel::error::AppError::from(check_hide_reason("").unwrap_err()).code,
            "forum_reason_required"
        );
    }

    #[test]
    fn contacts() {
        assert_eq!(check_phone("", "p").unwrap(), None);
        assert_eq!(
            check_phone("0238 3861 234", "p").unwrap().as_deref(),
            Some("0238 3861 234")
        );
        assert!(check_phone("+84 912 345 678", "p").is_ok());
        assert!(check_phone("1234", "p").is_err());
        assert!(check_phone("0912abc678", "p").is_err());
        assert!(check_email("a@b.vn").is_ok());
        assert_eq!(check_email(" ").unwrap(), None);
        for bad in ["a@b", "@b.vn", "a b@c.vn", "a@.vn", "a@b."] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_member("", "Thành viên").is_err());
        assert!(check_member("Lò Văn A", " ").is_err());
        assert!(check_profile_texts("", &"x".repeat(501)).is_err());
    }

    #[test]
    fn membership_moderation_and_editing() {
        let c = commune("17071");
        let citizen = user(1, Some("17071"), &[(Role::Citizen, "17071")]);
        let outsider = user(2, Some("02269"), &[(Role::Citizen, "02269")]);
        let official = user(3, Some("17071"), &[(Role::Official, "17071")]);
        let other_official = user(4, Some("02269"), &[(Role::Official, "02269")]);
        let admin = user(5, Some("17071"), &[(Role::CommuneAdmin, "17071")]);
        let head = user(6, Some("17071"), &[(Role::VillageHead, "17071")]);
        assert!(is_member(&citizen, &c) && is_member(&official, &c));
        assert!(!is_member(&outsider, &c) && !is_member(&other_official, &c));
        assert!(is_moderator(&official, &c) && is_moderator(&admin, &c));
        assert!(!is_moderator(&citizen, &c) && !is_moderator(&other_official, &c));
        assert!(!is_moderator(&head, &c));
        assert!(may_edit_profile(&official, &c, 3));
        assert!(!may_edit_profile(&official, &c, 5));
        assert!(may_edit_profile(&admin, &c, 3));
        assert!(!may_edit_profile(&head, &c, 6));
        assert!(!may_edit_profile(&other_official, &c, 4));
    }

    #[test]
    fn actions_parse() {
        for a in TopicAction::ALL {
            assert_eq!(TopicAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(PostAction::parse("hide"), Some(PostAction::Hide));
        assert_eq!(PostAction::parse("delete"), None);
        assert_eq!(pages(0, 20), 1);
        assert_eq!(pages(41, 20), 3);
    }
}
