//! Refusals of use cases, the kernel's and (through `refusals!`) each room's: each a stable
//! code with a kind (invalid, conflict, …), mapped once to `AppError` (and so to HTTP) by
//! [`AppError::refused`].

use crate::error::{AppError, Refused};

/// A use case's refusal enum: each variant a stable code and a kind. Implemented by
/// [`refusals!`](crate::refusals), which the kernel and every room use to declare theirs.
pub trait RefusalCode: Copy + std::fmt::Debug + 'static {
    /// The stable code API clients see; its texts are `error.<code>` in the catalogues.
    fn code(self) -> &'static str;
    fn kind(self) -> Refused;
}

/// Declares a use-case refusal enum (the kernel's [`Refusal`], a room's own) with its code and
/// kind, `ALL` from the same list (so a new variant cannot be missing from the catalogue test),
/// `CODES` for `Room::error_codes`, `at(field)` and the conversion into [`Failure`].
///
/// ```ignore
/// xaso_kernel::refusals! {
///     /// The procedure is not in this commune's catalogue.
///     ProcedureUnknown = "procedure_unknown", NotFound;
/// }
/// ```
#[macro_export]
macro_rules! refusals {
    ($($(#[$m:meta])* $name:ident = $code:literal, $kind:ident;)*) => {
        /// Why a use case said no.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Refusal {
            $($(#[$m])* $name,)*
        }

        impl Refusal {
            /// Every refusal, for the test that each code has its texts.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$name,)*];
            /// Every code, for `Room::error_codes`.
            pub const CODES: &'static [&'static str] = &[$($code,)*];

            /// This refusal, blaming one input field.
            pub fn at(self, field: &'static str) -> $crate::actions::Failure<Refusal> {
                $crate::actions::Failure::Refused(self, Some(field))
            }
        }

        impl $crate::actions::RefusalCode for Refusal {
            fn code(self) -> &'static str {
                match self {
                    $(Refusal::$name => $code,)*
                }
            }

            fn kind(self) -> $crate::error::Refused {
                match self {
                    $(Refusal::$name => $crate::error::Refused::$kind,)*
                }
            }
        }

        impl From<Refusal> for $crate::actions::Failure<Refusal> {
            fn from(r: Refusal) -> Self {
                $crate::actions::Failure::Refused(r, None)
            }
        }
    };
}

crate::refusals! {
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
    /// Not a phone number an office could have (8 to 15 digits).
    OfficePhoneInvalid = "office_phone_invalid", Invalid;
    EmailInvalid = "email_invalid", Invalid;
    /// The code is no longer good (or the phone changed since it was sent).
    OtpExpired = "otp_expired", Invalid;
    /// The account has no phone to send a code to.
    PhoneMissing = "phone_missing", Invalid;
    /// The person may not do this here.
    Forbidden = "forbidden", Forbidden;
}

/// How a use case failed: its own refusal (`R`, the kernel's or a room's enum), or what a
/// service below refused or failed with.
#[derive(Debug, Clone)]
pub enum Failure<R> {
    /// The use case's own refusal, with the input field at fault.
    Refused(R, Option<&'static str>),
    /// What a kernel service below refused or failed with (access rules, stores, the database).
    Below(AppError),
}

/// The kernel's use cases fail with the kernel's refusals.
pub type ActionError = Failure<Refusal>;
pub type ActionResult<T> = Result<T, ActionError>;

impl<R> From<AppError> for Failure<R> {
    fn from(e: AppError) -> Self {
        Failure::Below(e)
    }
}

impl<R> From<sea_orm::DbErr> for Failure<R> {
    fn from(e: sea_orm::DbErr) -> Self {
        Failure::Below(e.into())
    }
}

impl<R: RefusalCode> From<Failure<R>> for AppError {
    fn from(e: Failure<R>) -> Self {
        match e {
            Failure::Refused(r, field) => AppError::refused(r.kind(), r.code(), field),
            Failure::Below(e) => e,
        }
    }
}

impl<R: RefusalCode> From<Failure<R>> for crate::otp::OtpError {
    fn from(e: Failure<R>) -> Self {
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
