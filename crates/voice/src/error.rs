//! The voice room's refusals: every code its rules, stores and use cases answer with, each
//! with its kind (and so its HTTP status), mapped once to `AppError` by the kernel's
//! `Failure`. A leaf module, so every layer may use it without an import circle.

use kernel::actions::RefusalCode;

kernel::refusals! {
    // ---- feedback ----
    /// No report with this receipt code (or id) in this commune, or none this reader may see.
    FeedbackUnknown = "feedback_unknown", NotFound;
    /// Too many failed receipt look-ups from this address.
    FeedbackThrottled = "feedback_throttled", Throttled;
    /// Someone else changed the report since it was read (its `version`).
    FeedbackConflict = "feedback_conflict", Conflict;
    CategoryUnknown = "category_unknown", Invalid;
    CategoryCodeInvalid = "category_code_invalid", Invalid;
    NameInvalid = "name_invalid", Invalid;
    DeadlineInvalid = "deadline_invalid", Invalid;
    AreaInvalid = "area_invalid", Invalid;
    AddressTooLong = "address_too_long", Invalid;
    VillageUnknown = "village_unknown", Invalid;
    TextEmpty = "text_empty", Invalid;
    TextTooLong = "text_too_long", Invalid;
    LocationOutsideVn = "location_outside_vn", Invalid;
    LocationOutsideCommune = "location_outside_commune", Invalid;
    LocationMissing = "location_missing", Invalid;
    LocationInvalid = "location_invalid", Invalid;
    PhotosTooMany = "photos_too_many", Invalid;
    PhotoInvalid = "photo_invalid", Invalid;
    /// The step is not one the report's status allows.
    TransitionInvalid = "transition_invalid", Conflict;
    /// This official may not take this step on this report.
    StepForbidden = "step_forbidden", Forbidden;
    ActionUnknown = "action_unknown", Invalid;
    NoteRequired = "note_required", Invalid;
    AssigneeRequired = "assignee_required", Invalid;
    AssigneeInvalid = "assignee_invalid", Invalid;
    MergeTargetRequired = "merge_target_required", Invalid;
    MergeTargetUnknown = "merge_target_unknown", Invalid;
    MergeTargetInvalid = "merge_target_invalid", Invalid;
    RatingInvalid = "rating_invalid", Invalid;
    /// Not answered yet, already rated, or not the reporter's.
    RatingNotAllowed = "rating_not_allowed", Conflict;
    /// The person may not do this here.
    Forbidden = "forbidden", Forbidden;
    /// The thing is not there (an Open311 key, a report seen by someone who may not see it).
    NotFound = "not_found", NotFound;
    // ---- polls ----
    PollUnknown = "poll_unknown", NotFound;
    PollNotOpen = "poll_not_open", Conflict;
    PollClosed = "poll_closed", Conflict;
    /// The person is not in the poll's audience (its villages, its commune).
    PollNotForYou = "poll_not_for_you", Forbidden;
    PollAlreadyAnswered = "poll_already_answered", Conflict;
    PollTitleInvalid = "poll_title_invalid", Invalid;
    PollQuestionsInvalid = "poll_questions_invalid", Invalid;
    QuestionTextInvalid = "question_text_invalid", Invalid;
    QuestionOptionsInvalid = "question_options_invalid", Invalid;
    QuestionScaleInvalid = "question_scale_invalid", Invalid;
    QuestionsFormat = "questions_format", Invalid;
    PollDatesInvalid = "poll_dates_invalid", Invalid;
    PollClosesInPast = "poll_closes_in_past", Invalid;
    AnswersInvalid = "answers_invalid", Invalid;
    AnswerRequired = "answer_required", Invalid;
    AnswerInvalid = "answer_invalid", Invalid;
    // ---- the directory, the team, the forum ----
    OfficialUnknown = "official_unknown", NotFound;
    TeamMemberUnknown = "team_member_unknown", NotFound;
    ForumTopicUnknown = "forum_topic_unknown", NotFound;
    ForumPostUnknown = "forum_post_unknown", NotFound;
    /// Only residents and officials of the commune write in its forum.
    ForumNotMember = "forum_not_member", Forbidden;
    ForumTopicLocked = "forum_topic_locked", Conflict;
    ForumReportExists = "forum_report_exists", Conflict;
    ForumActionUnknown = "forum_action_unknown", Invalid;
    /// Sharing a topic with the province needs the province-wide forum.
    ForumProvinceDisabled = "forum_province_disabled", Invalid;
    ForumTitleInvalid = "forum_title_invalid", Invalid;
    ForumBodyEmpty = "forum_body_empty", Invalid;
    ForumBodyTooLong = "forum_body_too_long", Invalid;
    ForumReasonRequired = "forum_reason_required", Invalid;
    ForumReasonTooLong = "forum_reason_too_long", Invalid;
    ContactPhoneInvalid = "contact_phone_invalid", Invalid;
    EmailInvalid = "email_invalid", Invalid;
    DirectoryTitleTooLong = "directory_title_too_long", Invalid;
    OfficeHoursTooLong = "office_hours_too_long", Invalid;
    TeamNameInvalid = "team_name_invalid", Invalid;
    TeamRoleInvalid = "team_role_invalid", Invalid;
}

pub type ActionError = kernel::actions::Failure<Refusal>;
pub type ActionResult<T> = Result<T, ActionError>;

/// A pure rule's `(code, field)` refusal (`model::Invalid`, `polls::model::Invalid`) as this
/// room's refusal of that code, blaming that field. A code the enum lacks stays a 422
/// (the test below keeps the rules' codes in the enum).
pub fn invalid((code, field): (&'static str, &'static str)) -> ActionError {
    match Refusal::ALL.iter().find(|r| r.code() == code) {
        Some(r) => r.at(field),
        None => kernel::error::AppError::invalid(code, field).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::error::AppError;

    #[test]
    fn every_refusal_has_a_vietnamese_and_an_english_text() {
        let vi: &'static str = [
            crate::I18N_VI,
            crate::POLLS_VI,
            crate::community::I18N_VI,
            kernel::i18n::KERNEL_TEXTS.vi,
        ]
        .join("\n")
        .leak();
        let en: &'static str = [
            crate::I18N_EN,
            crate::POLLS_EN,
            crate::community::I18N_EN,
            kernel::i18n::KERNEL_TEXTS.en,
        ]
        .join("\n")
        .leak();
        // Codes whose texts the services room holds (the platform-wide check,
        // `Rooms::missing_texts`, sees every room's catalogue).
        const SHARED_WITH_SERVICES: &[&str] = &[
            "transition_invalid",
            "step_forbidden",
            "note_required",
            "assignee_invalid",
            "rating_invalid",
        ];
        let missing: Vec<_> = Refusal::ALL
            .iter()
            .filter(|r| !SHARED_WITH_SERVICES.contains(&r.code()))
            .map(|r| format!("error.{}", r.code()))
            .filter(|k| !kernel::i18n::catalogue_has(vi, k) || !kernel::i18n::catalogue_has(en, k))
            .collect();
        assert!(missing.is_empty(), "codes without both texts: {missing:?}");
    }

    #[test]
    fn refusals_keep_their_statuses() {
        for (r, status) in [
            (Refusal::FeedbackUnknown, 404),
            (Refusal::FeedbackThrottled, 429),
            (Refusal::FeedbackConflict, 409),
            (Refusal::StepForbidden, 403),
            (Refusal::PollNotForYou, 403),
            (Refusal::ForumNotMember, 403),
            (Refusal::CategoryUnknown, 422),
        ] {
            assert_eq!(AppError::from(ActionError::from(r)).status.as_u16(), status);
        }
    }

    #[test]
    fn the_rules_codes_are_refusals() {
        for code in [
            "text_empty",
            "text_too_long",
            "location_outside_vn",
            "location_outside_commune",
            "location_missing",
            "location_invalid",
            "poll_title_invalid",
            "poll_questions_invalid",
            "question_text_invalid",
            "question_options_invalid",
            "question_scale_invalid",
            "poll_dates_invalid",
            "poll_closes_in_past",
            "answers_invalid",
            "answer_required",
            "answer_invalid",
            "questions_format",
        ] {
            let e = invalid((code, "f"));
            assert!(
                matches!(e, kernel::actions::Failure::Refused(_, Some("f"))),
                "{code}"
            );
        }
    }
}
