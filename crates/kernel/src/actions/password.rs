//! Use cases of one-time codes by SMS (`kernel::otp`): a forgotten password (send a code, set
//! a new password with it, ending every session and API token of the account), and verifying
//! the signed-in person's phone. Throttling per address is the web's part (it knows the address).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Kernel, Refusal};
use crate::accounts::entity::{api_token, session, user};
use crate::accounts::phone::display_phone;
use crate::accounts::{self, CurrentUser, Role, access};
use crate::audit;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::otp::{self, OtpResult, Purpose, Recipient};

fn recipient(u: &user::Model) -> Recipient<'_> {
    Recipient {
        user_id: u.id,
        commune_code: u.commune_code.as_deref(),
        locale: Locale::parse(&u.locale).unwrap_or_default(),
    }
}

async fn account_by_phone(k: Kernel<'_>, phone: &str) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Phone.eq(phone))
        .one(k.db)
        .await?
        .filter(|u| !u.disabled))
}

/// The strongest role a person holds anywhere, and where, for the audit log.
fn audit_entry<'a>(u: &'a CurrentUser, action: &'a str, summary: String) -> audit::Entry<'a> {
    let strongest = u.grants.iter().max_by_key(|g| g.role as u8);
    audit::Entry {
        actor: u,
        role: strongest.map_or(Role::Citizen, |g| g.role),
        unit_code: u
            .commune_code
            .as_deref()
            .or(strongest.map(|g| g.unit_code.as_str()))
            .unwrap_or(""),
        action,
        object_type: "user",
        object_id: u.id.to_string(),
        summary,
    }
}

/// Use case: sends a reset code if the phone has an account, and answers the same either way
/// (the canonical phone), so the answer never tells whether a number is registered.
pub async fn request_reset_code(k: Kernel<'_>, raw_phone: &str) -> OtpResult<String> {
    let phone = accounts::parse_phone(raw_phone)?;
    let account = account_by_phone(k, &phone).await?;
    otp::request_code(
        k.db,
        k.secret,
        Purpose::ResetPassword,
        &phone,
        account.as_ref().map(recipient),
    )
    .await?;
    k.dispatcher.wake();
    Ok(phone)
}

/// Use case: checks the code and sets the new password; every session of the account ends and
/// its personal API tokens are revoked: whoever made the reset necessary may have minted one.
/// Answers the account's id.
pub async fn reset_with_code(
    k: Kernel<'_>,
    raw_phone: &str,
    raw_code: &str,
    new_password: &str,
) -> OtpResult<i64> {
    let phone = accounts::parse_phone(raw_phone)?;
    // Malformed input is refused before it can use up a guess.
    otp::parse_code(raw_code)?;
    accounts::check_password(new_password, Some(&phone))?;
    otp::check_code(k.db, k.secret, Purpose::ResetPassword, &phone, raw_code).await?;
    // Only an account's phone ever receives a code, so this is there; be safe all the same.
    let u = account_by_phone(k, &phone)
        .await?
        .ok_or(Refusal::OtpExpired.at("code"))?;
    // Argon2 before the write lock.
    let hash = accounts::password::hash(new_password)
        .await
        .map_err(AppError::from)?;
    let txn = crate::db::begin_write(k.db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::FailedLogins, Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(user::Column::Id.eq(u.id))
        .exec(&txn)
        .await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(api_token::Column::UserId.eq(u.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let actor = accounts::load_user(&txn, u.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let summary = format!(
        "{} · {ended} sessions · {revoked} API tokens revoked",
        display_phone(&phone)
    );
    audit::record(&txn, audit_entry(&actor, "account.password_reset", summary)).await?;
    txn.commit().await?;
    k.auth_cache.clear();
    Ok(u.id)
}

/// Use case: sends a code to the signed-in person's own phone.
pub async fn request_phone_code(k: Kernel<'_>, actor: Option<&CurrentUser>) -> OtpResult<()> {
    let u = access::signed_in(actor)?;
    let phone = u.phone.clone().ok_or(Refusal::PhoneMissing.at("phone"))?;
    otp::request_code(
        k.db,
        k.secret,
        Purpose::VerifyPhone,
        &phone,
        Some(Recipient {
            user_id: u.id,
            commune_code: u.commune_code.as_deref(),
            locale: Locale::parse(&u.locale).unwrap_or_default(),
        }),
    )
    .await?;
    k.dispatcher.wake();
    Ok(())
}

/// Use case: confirms the signed-in person's phone with the code; answers when.
pub async fn confirm_phone(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    raw_code: &str,
) -> OtpResult<DateTime<Utc>> {
    let u = access::signed_in(actor)?;
    let phone = u.phone.clone().ok_or(Refusal::PhoneMissing.at("phone"))?;
    otp::parse_code(raw_code)?;
    otp::check_code(k.db, k.secret, Purpose::VerifyPhone, &phone, raw_code).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(k.db).await?;
    // Only if the number is still the one the code went to.
    let done = user::Entity::update_many()
        .col_expr(user::Column::PhoneVerifiedAt, Expr::value(Some(now)))
        .filter(user::Column::Id.eq(u.id))
        .filter(user::Column::Phone.eq(&phone))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(Refusal::OtpExpired.at("code").into());
    }
    audit::record(
        &txn,
        audit_entry(u, "account.phone_verify", display_phone(&phone)),
    )
    .await?;
    txn.commit().await?;
    k.auth_cache.clear();
    Ok(now)
}
