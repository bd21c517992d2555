//! Use cases of tracking without an account: the receipt code and the applicant's phone must
//! both match, and an address with too many failed look-ups waits (guessing receipt codes and
//! phones gets slow); the payment code answers to the same pair under the same throttle.

use std::net::IpAddr;

use kernel::accounts::CurrentUser;
use kernel::payments::{self, bank_account};
use kernel::tenancy::CommuneInfo;

use super::{ActionError, ActionResult, Kernel, Refusal};
use crate::entity::dossier;
use crate::model::DESK;
use crate::store::{self, Tracked};

/// Where a look-up comes from, and the failed look-ups counted per address (shared by every
/// process of the deployment, `kernel::limits`).
#[derive(Clone, Copy)]
pub struct Guard<'a> {
    pub limiter: &'a kernel::limits::Limiter,
    pub ip: IpAddr,
}

fn check_phone(d: &dossier::Model, raw_phone: &str) -> ActionResult<()> {
    let phone = kernel::accounts::phone::normalise_phone(raw_phone)
        .ok_or(Refusal::PhoneInvalid.at("phone"))?;
    if phone != d.applicant_phone {
        return Err(Refusal::PhoneMismatch.at("phone"));
    }
    Ok(())
}

/// Counts failed look-ups (not found) per address and refuses the address once over the limit.
async fn throttled<T>(
    k: Kernel<'_>,
    guard: Guard<'_>,
    lookup: impl std::future::Future<Output = ActionResult<T>>,
) -> ActionResult<T> {
    if guard.limiter.exceeded(guard.ip) {
        return Err(Refusal::TrackThrottled.into());
    }
    let res = lookup.await;
    if res.as_ref().is_err_and(not_found) {
        guard.limiter.allow(k.db, guard.ip).await?;
    }
    res
}

fn not_found(e: &ActionError) -> bool {
    use kernel::actions::RefusalCode;
    match e {
        kernel::actions::Failure::Refused(r, _) => r.kind() == kernel::error::Refused::NotFound,
        kernel::actions::Failure::Below(e) => e.status.as_u16() == 404,
    }
}

/// Use case: a dossier, its procedure's name and its history, for whoever holds its receipt
/// code and applicant's phone; `commune` when the look-up is on that commune's page.
pub async fn track(
    k: Kernel<'_>,
    guard: Guard<'_>,
    commune: Option<&CommuneInfo>,
    receipt: &str,
    raw_phone: &str,
) -> ActionResult<Tracked> {
    let t = throttled(k, guard, async {
        let t = store::track_full(k.db, receipt)
            .await?
            .ok_or(Refusal::ReceiptUnknown)?;
        check_phone(&t.dossier, raw_phone)?;
        Ok(t)
    })
    .await?;
    if commune.is_some_and(|c| c.code != t.dossier.commune_code) {
        return Err(Refusal::ReceiptUnknown.into());
    }
    Ok(t)
}

/// The dossier for its receipt code and applicant's phone, under tracking's throttle.
async fn tracked_dossier(
    k: Kernel<'_>,
    guard: Guard<'_>,
    receipt: &str,
    raw_phone: &str,
) -> ActionResult<dossier::Model> {
    throttled(k, guard, async {
        let d = store::by_receipt(k.db, receipt)
            .await?
            .ok_or(Refusal::ReceiptUnknown)?;
        check_phone(&d, raw_phone)?;
        Ok(d)
    })
    .await
}

/// What a VietQR code for a dossier's fee shows.
pub struct PaymentCode {
    pub dossier: dossier::Model,
    pub account: bank_account::Model,
    /// The EMVCo/VietQR payload.
    pub payload: String,
}

/// Use case: the payment code of a dossier's fee still due, for its applicant or the desk
/// (`actor`), or anyone holding the receipt code and the phone. `commune` when asked on that
/// commune's page.
pub async fn payment_code(
    k: Kernel<'_>,
    guard: Guard<'_>,
    actor: Option<&CurrentUser>,
    commune: Option<&CommuneInfo>,
    receipt: &str,
    raw_phone: &str,
) -> ActionResult<PaymentCode> {
    let d = match (actor, commune) {
        (Some(u), Some(c)) => {
            let d = store::by_receipt(k.db, receipt)
                .await?
                .ok_or(Refusal::ReceiptUnknown)?;
            if d.applicant_user_id != Some(u.id) && !u.has_role_in(c, DESK) {
                return Err(Refusal::Forbidden.into());
            }
            d
        }
        _ => tracked_dossier(k, guard, receipt, raw_phone).await?,
    };
    if commune.is_some_and(|c| c.code != d.commune_code) {
        return Err(Refusal::ReceiptUnknown.into());
    }
    if d.fee_vnd == 0 || d.paid_at.is_some() {
        return Err(Refusal::PaymentNotDue.into());
    }
    let account = payments::account_of(k.db, &d.commune_code, payments::Owner::Commune)
        .await?
        .ok_or(Refusal::BankAccountMissing)?;
    let payload = payments::vietqr::payload(
        &account.to_vietqr(),
        Some(d.fee_vnd as u64),
        &d.receipt_code,
    )
    .map_err(kernel::error::AppError::internal)?;
    Ok(PaymentCode {
        dossier: d,
        account,
        payload,
    })
}
