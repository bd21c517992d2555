//! Password rules and Argon2id hashing, kept off the async worker threads.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use tokio::sync::Semaphore;

/// Why a password is refused; each maps to one Vietnamese message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakPassword {
    TooShort,
    TooLong,
    NeedsLetterAndDigit,
    TooCommon,
    SameAsPhone,
}

pub const MIN_LEN: usize = 8;
const MAX_LEN: usize = 128;

const COMMON: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "matkhau",
    "matkhau1",
    "matkhau123",
    "abc12345",
    "abcd1234",
    "qwerty123",
    "11111111",
    "88888888",
    "iloveyou",
    "admin123",
    "vietnam1",
    "123456abc",
    "a1234567",
    "12345678a",
    "aa123456",
];

pub fn check_strength(password: &str, phone_digits: Option<&str>) -> Result<(), WeakPassword> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(WeakPassword::TooShort);
    }
    if n > MAX_LEN {
        return Err(WeakPassword::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(WeakPassword::TooCommon);
    }
    if let Some(p) = phone_digits {
        let national = p.trim_start_matches("+84");
        if lower.contains(national) {
            return Err(WeakPassword::SameAsPhone);
        }
    }
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !(has_letter && has_digit) {
        return Err(WeakPassword::NeedsLetterAndDigit);
    }
    Ok(())
}

/// At most two hashes run at once: each takes ~19 MiB and tens of milliseconds of CPU,
/// and a burst of logins must not starve the request threads or the memory budget.
fn permits() -> &'static Semaphore {
    static S: OnceLock<Semaphore> = OnceLock::new();
    S.get_or_init(|| Semaphore::new(2))
}

pub async fn hash(password: &str) -> anyhow::Result<String> {
    let _permit = permits().acquire().await?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

pub async fn verify(password: &str, stored: &str) -> bool {
    let Ok(_permit) = permits().acquire().await else {
        return false;
    };
    let (password, stored) = (password.to_owned(), stored.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody knows, verified against when the phone is unknown so that
/// "no such account" and "wrong password" take the same time. Computed once, with the same
/// parameters as real hashes, so the work is truly the same.
pub fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(crate::accounts::random_token(16).as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules() {
        assert_eq!(check_strength("abc1", None), Err(WeakPassword::TooShort));
        assert_eq!(
            check_strength("12345678", None),
            Err(WeakPassword::TooCommon)
        );
        assert_eq!(
            check_strength("onlyletters", None),
            Err(WeakPassword::NeedsLetterAndDigit)
        );
        assert_eq!(
            check_strength("x912345678y", Some("+84912345678")),
            Err(WeakPassword::SameAsPhone)
        );
        assert_eq!(check_strength("Lúa-nếp-2025", Some("+84912345678")), Ok(()));
    }

    #[tokio::test]
    async fn hash_roundtrip() {
        let h = hash("Lúa-nếp-2025").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Lúa-nếp-2025", &h).await);
        assert!(!verify("lua-nep-2025", &h).await);
        assert!(!verify("x", dummy_hash()).await);
    }
}
