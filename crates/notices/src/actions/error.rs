//! The notices room's refusals: each a stable code and kind, mapped once to `AppError`; the
//! rules of a notice's input (`model::Fault`) are given their codes here too.

use kernel::error::AppError;

use crate::model::Fault;

kernel::refusals! {
    /// No such notice in this commune, or not one this reader may see.
    NoticeUnknown = "notice_unknown", NotFound;
    TitleInvalid = "notice_title_invalid", Invalid;
    BodyEmpty = "notice_body_empty", Invalid;
    BodyTooLong = "notice_body_too_long", Invalid;
    AudienceEmpty = "notice_audience_empty", Invalid;
    /// A role the audience cannot name.
    RoleUnknown = "notice_role_unknown", Invalid;
    /// A village of the audience is not the commune's.
    VillageUnknown = "notice_village_unknown", Invalid;
    /// A topic of the audience is not the commune's.
    AudienceTopicUnknown = "notice_topic_unknown", Invalid;
    SchedulePast = "notice_schedule_past", Invalid;
    ExpiryBeforePublish = "notice_expiry_before_publish", Invalid;
    EventStartRequired = "notice_event_start_required", Invalid;
    EventEndBeforeStart = "notice_event_end_before_start", Invalid;
    LocationTooLong = "notice_location_too_long", Invalid;
    /// A time input that is not a time.
    TimeInvalid = "notice_time_invalid", Invalid;
    CategoryUnknown = "notice_category_unknown", Invalid;
    TooManyFiles = "notice_too_many_files", Invalid;
    /// An attachment that is not a PDF or a picture, or too big.
    FileInvalid = "notice_file_invalid", Invalid;
    /// Only emergency alerts are acknowledged.
    AckNotEmergency = "notice_ack_not_emergency", Invalid;
    /// Only the alert's audience acknowledges it.
    NotRecipient = "notice_not_recipient", Forbidden;
    /// Not `pin`, `unpin` or `withdraw`.
    ActionUnknown = "notice_action_unknown", Invalid;
    AlreadyWithdrawn = "notice_already_withdrawn", Conflict;
    TopicNameInvalid = "notice_topic_name_invalid", Invalid;
    TopicExists = "notice_topic_exists", Conflict;
    /// No such topic to follow in this commune.
    TopicUnknown = "notice_topic_unknown", NotFound;
    BulletinEmpty = "bulletin_empty", Invalid;
    BulletinTooMany = "bulletin_too_many", Invalid;
    /// A chosen notice is no longer on the board.
    BulletinNoticeUnknown = "bulletin_notice_unknown", Invalid;
    BulletinUnknown = "bulletin_unknown", NotFound;
    /// The bulletin's audio is not ready (or could not be made).
    BulletinAudioMissing = "bulletin_audio_missing", NotFound;
}

pub type ActionError = kernel::actions::Failure<Refusal>;
pub type ActionResult<T> = Result<T, ActionError>;

impl From<Fault> for ActionError {
    fn from(f: Fault) -> Self {
        let (r, field) = match f {
            Fault::AudienceEmpty => (Refusal::AudienceEmpty, "audience"),
            Fault::RoleUnknown => (Refusal::RoleUnknown, "roles"),
            Fault::TitleInvalid => (Refusal::TitleInvalid, "title"),
            Fault::BodyEmpty => (Refusal::BodyEmpty, "body"),
            Fault::BodyTooLong => (Refusal::BodyTooLong, "body"),
            Fault::SchedulePast => (Refusal::SchedulePast, "publish_at"),
            Fault::ExpiryBeforePublish => (Refusal::ExpiryBeforePublish, "expires_at"),
            Fault::LocationTooLong => (Refusal::LocationTooLong, "location"),
            Fault::EventStartRequired => (Refusal::EventStartRequired, "event_start"),
            Fault::EventEndBeforeStart => (Refusal::EventEndBeforeStart, "event_end"),
        };
        r.at(field)
    }
}

/// For the demo data and the load bench, which check notices outside a use case.
impl From<Fault> for AppError {
    fn from(f: Fault) -> Self {
        ActionError::from(f).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::actions::RefusalCode;
    use kernel::i18n::catalogue_has;

    #[test]
    fn every_refusal_has_a_vietnamese_and_an_english_text() {
        let missing: Vec<_> = Refusal::ALL
            .iter()
            .map(|r| format!("error.{}", r.code()))
            .filter(|k| !catalogue_has(crate::I18N_VI, k) || !catalogue_has(crate::I18N_EN, k))
            .collect();
        assert!(missing.is_empty(), "codes without both texts: {missing:?}");
    }

    #[test]
    fn refusals_keep_the_statuses_the_api_answered_with() {
        let status = |r: Refusal| AppError::from(ActionError::from(r)).status.as_u16();
        assert_eq!(status(Refusal::NoticeUnknown), 404);
        assert_eq!(status(Refusal::NotRecipient), 403);
        assert_eq!(status(Refusal::AlreadyWithdrawn), 409);
        assert_eq!(status(Refusal::TopicUnknown), 404);
        assert_eq!(status(Refusal::AudienceTopicUnknown), 422);
        let e = AppError::from(Fault::SchedulePast);
        assert_eq!(
            (e.code, e.field),
            ("notice_schedule_past", Some("publish_at"))
        );
    }
}
