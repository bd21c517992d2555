//! The refusals of the kernel's use cases: each a stable code with a kind (invalid, conflict,
//! …), mapped once to `AppError` (and so to HTTP) by [`AppError::refused`].

use crate::error::{AppError, Refused};

/// Declares [`Refusal`] with its code and kind, and `Refusal::ALL` from the same list, so a
/// new variant cannot be missing from the catalogue test.
macro_rules! refusals {
    ($($(#[$m:meta])* $name:ident = $code:literal, $kind:ident;)*) => {
        /// Why a kernel use case said no.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Refusal {
            $($(#[$m])* $name,)*
        }

        impl Refusal {
            /// Every refusal, for the test that each code has its texts.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$name,)*];

            /// The stable code API clients see; its texts are `error.<code>` in the catalogues.
            pub fn code(self) -> &'static str {
                match self {
                    $(Refusal::$name => $code,)*
                }
            }

            pub fn kind(self) -> Refused {
                match self {
                    $(Refusal::$name => Refused::$kind,)*
                }
            }
        }
    };
}

refusals! {
    /// Not a date (`YYYY-MM-DD`).
    DateInvalid = "period_invalid", Invalid;
    TextTooLong = "text_too_long", Invalid;
    NameRequired = "name_required", Invalid;
    /// Not one of the roles a commune grants to its staff.
    RoleInvalid = "role_invalid", Invalid;
    /// The phone belongs to a citizen of another commune.
    PhoneOtherCommune = "phone_other_commune", Conflict;
    CommuneUnknown = "commune_unknown", Invalid;
    VillageUnknown = "village_unknown", Invalid;
    ColorInvalid = "color_invalid", Invalid;
    /// The code is no longer good (or the phone changed since it was sent).
    OtpExpired = "otp_expired", Invalid;
    /// The account has no phone to send a code to.
    PhoneMissing = "phone_missing", Invalid;
    /// The person may not do this here.
    Forbidden = "forbidden", Forbidden;
}

#[derive(Debug, Clone)]
pub enum ActionError {
    /// The use case's own refusal, with the input field at fault.
    Refused(Refusal, Option<&'static str>),
    /// What a kernel service below refused or failed with (access rules, stores, the database).
    Below(AppError),
}

pub type ActionResult<T> = Result<T, ActionError>;

impl Refusal {
    /// This refusal, blaming one input field.
    pub fn at(self, field: &'static str) -> ActionError {
        ActionError::Refused(self, Some(field))
    }
}

impl From<Refusal> for ActionError {
    fn from(r: Refusal) -> Self {
        ActionError::Refused(r, None)
    }
}

impl From<AppError> for ActionError {
    fn from(e: AppError) -> Self {
        ActionError::Below(e)
    }
}

impl From<sea_orm::DbErr> for ActionError {
    fn from(e: sea_orm::DbErr) -> Self {
        ActionError::Below(e.into())
    }
}

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Refused(r, field) => AppError::refused(r.kind(), r.code(), field),
            ActionError::Below(e) => e,
        }
    }
}

impl From<ActionError> for crate::otp::OtpError {
    fn from(e: ActionError) -> Self {
        AppError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::catalogue_has;

    #[test]
    fn every_refusal_has_a_vietnamese_and_an_english_text() {
        let vi = include_str!("../../i18n/vi.txt");
        let en = include_str!("../../i18n/en.txt");
        let missing: Vec<_> = Refusal::ALL
            .iter()
            .map(|r| format!("error.{}", r.code()))
            .filter(|k| !catalogue_has(vi, k) || !catalogue_has(en, k))
            .collect();
        assert!(
            missing.is_empty(),
            "error codes without both texts: {missing:?}"
        );
        assert!(Refusal::ALL.len() >= 10);
    }

    #[test]
    fn refusals_map_to_their_code_and_field() {
        let e = AppError::from(Refusal::PhoneOtherCommune.at("phone"));
        assert_eq!(
            (e.code, e.field, e.status.as_u16()),
            ("phone_other_commune", Some("phone"), 409)
        );
        let e = AppError::from(ActionError::from(Refusal::RoleInvalid));
        assert_eq!((e.code, e.status.as_u16()), ("role_invalid", 422));
    }
}
