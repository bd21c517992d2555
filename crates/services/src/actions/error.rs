//! The services room's refusals: each a stable code and a kind, mapped once to `AppError`.

kernel::refusals! {
    /// A required text is empty.
    NameRequired = "name_required", Invalid;
    TextTooLong = "text_too_long", Invalid;
    FeeInvalid = "fee_invalid", Invalid;
    DaysInvalid = "days_invalid", Invalid;
    OnlineLevelInvalid = "online_level_invalid", Invalid;
    /// A form field's key is not `a-z0-9_` (at most 40) or it has no label.
    FormFieldInvalid = "form_field_invalid", Invalid;
    /// Another procedure of the commune has this code.
    ProcedureExists = "procedure_exists", Conflict;
    /// The procedure is not in this commune's catalogue (or withdrawn).
    ProcedureUnknown = "procedure_unknown", NotFound;
    /// The desk's intake form names no procedure of the catalogue.
    ProcedureNotChosen = "procedure_unknown", Invalid;
    /// The procedure is only taken at the desk.
    ProcedureOffline = "procedure_offline", Invalid;
    /// Not one of the procedure's documents.
    DocumentUnknown = "document_unknown", Invalid;
    /// A required document is missing (its name rides in the error's detail).
    DocumentMissing = "document_missing", Invalid;
    /// A required form field is empty (its key rides in the error's detail).
    FieldRequired = "field_required", Invalid;
    /// A form field's answer is not a real date (the field's key rides in the detail).
    FieldDate = "field_date_invalid", Invalid;
    /// A birth date (or another past-only date) after today.
    FieldFutureDate = "field_date_future", Invalid;
    /// A person's name needs two letters or more, letters and spaces only.
    FieldName = "field_name_invalid", Invalid;
    FieldNumber = "field_number_invalid", Invalid;
    FieldPhone = "field_phone_invalid", Invalid;
    /// A citizen identity card number (CCCD) is 12 digits.
    FieldIdNumber = "field_id_number_invalid", Invalid;
    /// Not one of the choice field's options.
    FieldChoice = "field_choice_invalid", Invalid;
    /// A choice field of the editor needs two options or more.
    FieldOptionsMissing = "field_options_missing", Invalid;
    /// The upload carries no file.
    FileMissing = "file_missing", Invalid;
    /// Not a file this person may attach here.
    AttachmentUnknown = "attachment_unknown", Invalid;
    PhoneInvalid = "phone_invalid", Invalid;
    ReceiptUnknown = "receipt_unknown", NotFound;
    /// The phone is not the applicant's.
    PhoneMismatch = "phone_mismatch", NotFound;
    /// Too many failed tracking look-ups from one address.
    TrackThrottled = "track_throttled", Throttled;
    /// Not one of the workflow's steps.
    StepUnknown = "step_unknown", Invalid;
    /// The step is not possible from the dossier's status.
    TransitionInvalid = "transition_invalid", Conflict;
    /// The step is not this person's to take.
    StepForbidden = "step_forbidden", Forbidden;
    NoteRequired = "note_required", Invalid;
    AssigneeInvalid = "assignee_invalid", Invalid;
    /// Someone else changed the dossier since this version.
    DossierConflict = "dossier_conflict", Conflict;
    RatingInvalid = "rating_invalid", Invalid;
    RatingNotOpen = "rating_not_open", Conflict;
    PaymentNotDue = "payment_not_due", Conflict;
    /// The commune has no bank account for VietQR codes.
    BankAccountMissing = "bank_account_missing", Conflict;
    PaymentMethodInvalid = "payment_method_invalid", Invalid;
    /// Not a period of dates (`YYYY-MM-DD`, at most ten years, from before to).
    PeriodInvalid = "period_invalid", Invalid;
    /// The person may not do this here.
    Forbidden = "forbidden", Forbidden;
}

/// The services room's use cases fail with its refusals.
pub type ActionError = kernel::actions::Failure<Refusal>;
pub type ActionResult<T> = Result<T, ActionError>;

impl Refusal {
    /// This refusal blaming `field`, with a detail the form shows beside the message (the
    /// missing document's name, the empty field's key).
    pub fn with_detail(self, field: &'static str, detail: String) -> ActionError {
        kernel::actions::Failure::Below(kernel::error::AppError {
            detail: Some(detail),
            ..self.at(field).into()
        })
    }
}

impl From<crate::model::FieldError> for Refusal {
    fn from(e: crate::model::FieldError) -> Self {
        use crate::model::FieldError as E;
        match e {
            E::Date => Refusal::FieldDate,
            E::FutureDate => Refusal::FieldFutureDate,
            E::Name => Refusal::FieldName,
            E::Number => Refusal::FieldNumber,
            E::Phone => Refusal::FieldPhone,
            E::IdNumber => Refusal::FieldIdNumber,
            E::Choice => Refusal::FieldChoice,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::actions::RefusalCode;
    use kernel::error::AppError;

    #[test]
    fn every_refusal_has_a_vietnamese_and_an_english_text() {
        use kernel::i18n::{KERNEL_TEXTS, catalogue_has};
        let has = |k: &str| {
            (catalogue_has(KERNEL_TEXTS.vi, k) || catalogue_has(crate::I18N_VI, k))
                && (catalogue_has(KERNEL_TEXTS.en, k) || catalogue_has(crate::I18N_EN, k))
        };
        let missing: Vec<_> = Refusal::ALL
            .iter()
            .map(|r| format!("error.{}", r.code()))
            .filter(|k| !has(k))
            .collect();
        assert!(missing.is_empty(), "codes without both texts: {missing:?}");
    }

    #[test]
    fn refusals_keep_the_statuses_the_api_answers_with() {
        let cases = [
            (Refusal::ProcedureUnknown, 404),
            (Refusal::ProcedureNotChosen, 422),
            (Refusal::PhoneMismatch, 404),
            (Refusal::TrackThrottled, 429),
            (Refusal::StepForbidden, 403),
            (Refusal::TransitionInvalid, 409),
            (Refusal::DossierConflict, 409),
            (Refusal::ProcedureExists, 409),
        ];
        for (r, status) in cases {
            assert_eq!(AppError::from(ActionError::from(r)).status.as_u16(), status);
        }
        let e = AppError::from(Refusal::FieldRequired.with_detail("data", "ho_ten".into()));
        assert_eq!(
            (e.code, e.field, e.detail.as_deref(), e.status.as_u16()),
            ("field_required", Some("data"), Some("ho_ten"), 422)
        );
    }
}
