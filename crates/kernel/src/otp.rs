//! One-time codes sent by SMS, for confirming a phone number and for resetting a forgotten
//! password: issued, throttled, checked and consumed here; the pages and API live in
//! `web::pages::otp`.
//!
//! A code is six digits from the operating system's generator, stored only as an HMAC under
//! the server secret, valid ten minutes and used once. Per phone and purpose: one request a
//! minute, five an hour; five wrong guesses kill the code and shut the purpose for fifteen
//! minutes. Requests for a phone nobody registered are throttled and answered exactly like
//! the others (a row is kept for them too) but no SMS leaves, so the answer never tells
//! whether a number has an account.
//!
//! A module of its own above `accounts` and `notify`: it sends through the outbox, and the
//! outbox reads accounts' users, so inside `accounts` it would make the two reach into each other.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::i18n::{Locale, t};
use crate::notify::{self, outbox};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "otp_code")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// [`super::Purpose`] as stored.
        pub purpose: String,
        /// Canonical `+84…`.
        pub phone: String,
        /// HMAC-SHA256 of purpose, phone and code under the server secret, hex.
        pub code_hash: String,
        /// Wrong guesses so far.
        pub attempts: i32,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        /// When the code was used, replaced by a newer one, or killed by too many guesses.
        pub consumed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity as otp_code;

pub const CODE_TTL: Duration = Duration::minutes(10);
pub const RESEND_GAP: Duration = Duration::seconds(60);
pub const MAX_PER_HOUR: usize = 5;
pub const MAX_ATTEMPTS: i32 = 5;
pub const LOCKOUT: Duration = Duration::minutes(15);
pub const SMS_CHANNEL: &str = "sms";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyPhone,
    ResetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyPhone => "verify_phone",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// A refusal, with how long to wait where waiting is the answer (for the message and for
/// the `Retry-After` header).
#[derive(Debug, Clone)]
pub struct OtpError {
    pub error: AppError,
    pub wait_secs: Option<i64>,
    /// Guesses left on the current code, after a wrong one.
    pub attempts_left: Option<i32>,
}

impl From<AppError> for OtpError {
    fn from(error: AppError) -> Self {
        OtpError {
            error,
            wait_secs: None,
            attempts_left: None,
        }
    }
}

impl From<sea_orm::DbErr> for OtpError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

fn refusal(status: u16, code: &'static str, wait: Duration) -> OtpError {
    OtpError {
        error: AppError::new(
            axum::http::StatusCode::from_u16(status).expect("valid status"),
            code,
        ),
        // Round up: "wait 0 seconds" would be a lie.
        wait_secs: Some((wait.num_milliseconds() + 999).div_euclid(1000).max(1)),
        attempts_left: None,
    }
}

impl OtpError {
    /// The message to show, with the number of seconds, minutes or guesses filled in.
    pub fn message(&self, locale: Locale) -> String {
        let key = match (self.error.code, self.wait_secs, self.attempts_left) {
            ("otp_wait", Some(_), _) => "otp.wait_seconds",
            ("otp_hourly", Some(_), _) => "otp.hourly_minutes",
            ("otp_locked", Some(_), _) => "otp.locked_minutes",
            ("otp_code_wrong", _, Some(_)) => "otp.wrong_left",
            _ => return self.error.message(locale).to_owned(),
        };
        let n = match (self.error.code, self.wait_secs, self.attempts_left) {
            ("otp_wait", Some(s), _) => s,
            (_, Some(s), _) => (s + 59) / 60,
            (_, _, Some(a)) => a as i64,
            _ => 0,
        };
        t(locale, key).replace("{n}", &n.to_string())
    }
}

pub type OtpResult<T> = Result<T, OtpError>;

/// Six digits, uniformly drawn from the operating system's generator.
pub fn new_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

fn code_hash(secret: &[u8], purpose: Purpose, phone: &str, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    for part in ["otp", purpose.as_str(), phone, code] {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// `"123 456"` → `"123456"`; anything but six digits is refused before it counts as a guess.
pub fn parse_code(raw: &str) -> Result<String, AppError> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(AppError::invalid("otp_code_invalid", "code"))
    }
}

/// The purpose is shut for this phone after a code died of wrong guesses: until when.
async fn locked_until(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
    let dead = otp_code::Entity::find()
        .filter(otp_code::Column::Phone.eq(phone))
        .filter(otp_code::Column::Purpose.eq(purpose.as_str()))
        .filter(otp_code::Column::Attempts.gte(MAX_ATTEMPTS))
        .filter(otp_code::Column::ConsumedAt.gt(now - LOCKOUT))
        .order_by_desc(otp_code::Column::ConsumedAt)
        .one(db)
        .await?;
    Ok(dead.and_then(|d| d.consumed_at).map(|at| at + LOCKOUT))
}

/// Who gets the SMS: the account behind the phone, if there is one.
pub struct Recipient<'a> {
    pub user_id: i64,
    pub commune_code: Option<&'a str>,
    pub locale: Locale,
}

/// Issues a code for `phone` (canonical) and queues its SMS to `to`, or, with no recipient,
/// keeps the throttling record alone. Refusals change nothing.
pub async fn request_code<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    secret: &[u8],
    purpose: Purpose,
    phone: &str,
    to: Option<Recipient<'_>>,
) -> OtpResult<DateTime<Utc>> {
    let now = Utc::now();
    if let Some(until) = locked_until(db, purpose, phone, now).await? {
        return Err(refusal(429, "otp_locked", until - now));
    }
    let recent = otp_code::Entity::find()
        .filter(otp_code::Column::Phone.eq(phone))
        .filter(otp_code::Column::Purpose.eq(purpose.as_str()))
        .filter(otp_code::Column::CreatedAt.gt(now - Duration::hours(1)))
        .order_by_desc(otp_code::Column::CreatedAt)
        .all(db)
        .await?;
    if let Some(last) = recent.first()
        && now - last.created_at < RESEND_GAP
    {
        return Err(refusal(429, "otp_wait", last.created_at + RESEND_GAP - now));
    }
    if recent.len() >= MAX_PER_HOUR {
        let oldest = recent[MAX_PER_HOUR - 1].created_at;
        return Err(refusal(
            429,
            "otp_hourly",
            oldest + Duration::hours(1) - now,
        ));
    }

    // Nobody can receive a code for an unknown phone; it still gets a row, with a code no one
    // knows, so that the throttling above answers alike for every number.
    let code = new_code();
    let expires_at = now + CODE_TTL;
    let txn = db.begin_with_options(crate::db::WRITE).await?;
    // Only the newest code works.
    otp_code::Entity::update_many()
        .col_expr(otp_code::Column::ConsumedAt, Expr::value(Some(now)))
        .filter(otp_code::Column::Phone.eq(phone))
        .filter(otp_code::Column::Purpose.eq(purpose.as_str()))
        .filter(otp_code::Column::ConsumedAt.is_null())
        .exec(&txn)
        .await?;
    // Records older than a day serve no throttle any more, whoever they were for (numbers
    // typed by mistake are not kept): the table holds one day of requests at most.
    otp_code::Entity::delete_many()
        .filter(otp_code::Column::CreatedAt.lt(now - Duration::days(1)))
        .exec(&txn)
        .await?;
    otp_code::ActiveModel {
        purpose: Set(purpose.as_str().into()),
        phone: Set(phone.into()),
        code_hash: Set(code_hash(secret, purpose, phone, &code)),
        attempts: Set(0),
        expires_at: Set(expires_at),
        created_at: Set(now),
        consumed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(to) = to {
        outbox::ActiveModel {
            commune_code: Set(to.commune_code.unwrap_or_default().into()),
            user_id: Set(to.user_id),
            channel: Set(SMS_CHANNEL.into()),
            title: Set(t(to.locale, "otp.sms_title").into()),
            body: Set(t(to.locale, "otp.sms_body").replace("{code}", &code)),
            link: Set(None),
            status: Set(notify::PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            priority: Set(notify::Priority::High.as_i16()),
            ref_kind: Set(Some("otp".into())),
            ref_id: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(expires_at)
}

/// Checks a code and consumes it. A wrong guess is counted (and the fifth shuts the purpose
/// for [`LOCKOUT`]); a malformed one is refused without counting.
pub async fn check_code(
    db: &impl ConnectionTrait,
    secret: &[u8],
    purpose: Purpose,
    phone: &str,
    raw_code: &str,
) -> OtpResult<()> {
    let code = parse_code(raw_code)?;
    let now = Utc::now();
    if let Some(until) = locked_until(db, purpose, phone, now).await? {
        return Err(refusal(429, "otp_locked", until - now));
    }
    let live = otp_code::Entity::find()
        .filter(otp_code::Column::Phone.eq(phone))
        .filter(otp_code::Column::Purpose.eq(purpose.as_str()))
        .filter(otp_code::Column::ConsumedAt.is_null())
        .order_by_desc(otp_code::Column::Id)
        .one(db)
        .await?
        .filter(|c| c.expires_at > now);
    let Some(row) = live else {
        return Err(AppError::invalid("otp_expired", "code").into());
    };
    let expected = code_hash(secret, purpose, phone, &code);
    if bool::from(expected.as_bytes().ct_eq(row.code_hash.as_bytes())) {
        // Conditional, so two simultaneous right answers cannot both pass.
        let used = otp_code::Entity::update_many()
            .col_expr(otp_code::Column::ConsumedAt, Expr::value(Some(now)))
            .filter(otp_code::Column::Id.eq(row.id))
            .filter(otp_code::Column::ConsumedAt.is_null())
            .filter(otp_code::Column::Attempts.lt(MAX_ATTEMPTS))
            .exec(db)
            .await?;
        return if used.rows_affected == 1 {
            Ok(())
        } else {
            Err(AppError::invalid("otp_expired", "code").into())
        };
    }
    // Count in the database, so parallel guesses cannot slip past the limit.
    otp_code::Entity::update_many()
        .col_expr(
            otp_code::Column::Attempts,
            sea_orm::sea_query::ExprTrait::add(Expr::col(otp_code::Column::Attempts), 1),
        )
        .filter(otp_code::Column::Id.eq(row.id))
        .filter(otp_code::Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    let attempts = otp_code::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .map_or(MAX_ATTEMPTS, |r| r.attempts);
    if attempts >= MAX_ATTEMPTS {
        otp_code::Entity::update_many()
            .col_expr(otp_code::Column::ConsumedAt, Expr::value(Some(now)))
            .filter(otp_code::Column::Id.eq(row.id))
            .exec(db)
            .await?;
        return Err(refusal(429, "otp_locked", LOCKOUT));
    }
    Err(OtpError {
        error: AppError::invalid("otp_code_wrong", "code"),
        wait_secs: None,
        attempts_left: Some(MAX_ATTEMPTS - attempts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 190, "{} distinct of 200", codes.len());
    }

    #[test]
    fn hash_binds_secret_purpose_phone_and_code() {
        let h = code_hash(b"k", Purpose::VerifyPhone, "+84912345678", "123456");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("123456"));
        assert_ne!(
            h,
            code_hash(b"j", Purpose::VerifyPhone, "+84912345678", "123456")
        );
        assert_ne!(
            h,
            code_hash(b"k", Purpose::ResetPassword, "+84912345678", "123456")
        );
        assert_ne!(
            h,
            code_hash(b"k", Purpose::VerifyPhone, "+84912345679", "123456")
        );
        assert_ne!(
            h,
            code_hash(b"k", Purpose::VerifyPhone, "+84912345678", "123457")
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        assert_eq!(parse_code(" 123 456 ").unwrap(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert_eq!(
                parse_code(bad).unwrap_err().code,
                "otp_code_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn waits_are_rounded_up_and_worded() {
        let e = refusal(429, "otp_wait", Duration::milliseconds(41_200));
        assert_eq!(e.wait_secs, Some(42));
        assert!(
            e.message(Locale::Vi).contains("42"),
            "{}",
            e.message(Locale::Vi)
        );
        let e = refusal(429, "otp_locked", Duration::minutes(15));
        assert!(
            e.message(Locale::Vi).contains("15"),
            "{}",
            e.message(Locale::Vi)
        );
    }
}
