//! Use cases of dossier fees and the commune's account: the desk's "fee paid" (the dossier's
//! own checks first, then the kernel's `payments::confirm`), and the admin setting the bank
//! account VietQR codes pay into.

use kernel::accounts::CurrentUser;
use kernel::accounts::access::{self, ADMINS};
use kernel::audit::{self, Entry};
use kernel::payments::{self, Settlers, bank_account};
use kernel::tenancy::CommuneInfo;

use super::dossiers::by_id;
use super::{ActionResult, Kernel, Refusal};
use crate::entity::dossier;
use crate::model::Status;
use crate::store::{self, FEE_REF};

/// Use case: the fee of dossier `id` was paid by `method`. The dossier's own checks (its
/// version, a fee still due) come first; the kernel's use case owns the transaction and the
/// audit entry, and the room's settle hook brings the dossier in step.
pub async fn confirm_fee(
    k: Kernel<'_>,
    settlers: &Settlers,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    method: &str,
    version: i32,
) -> ActionResult<dossier::Model> {
    let u = access::with_role(actor, c, payments::CONFIRMERS)?;
    if !payments::METHODS.contains(&method) {
        return Err(Refusal::PaymentMethodInvalid.at("method"));
    }
    let d = by_id(k.db, &c.code, id).await?;
    if d.version != version {
        return Err(Refusal::DossierConflict.into());
    }
    if d.fee_vnd == 0
        || d.paid_at.is_some()
        || Status::parse(&d.status).is_some_and(|s| s.is_final())
    {
        return Err(Refusal::PaymentNotDue.into());
    }
    let due = match payments::for_ref(k.db, &c.code, FEE_REF, id).await? {
        Some(p) if p.status == payments::status::DUE => p,
        // A dossier submitted before fees were payment records, or whose record went astray.
        _ => {
            let txn = kernel::db::begin_write(k.db).await?;
            store::open_fee(&txn, &d).await?;
            txn.commit().await?;
            payments::for_ref(k.db, &c.code, FEE_REF, id)
                .await?
                .ok_or_else(|| kernel::error::AppError::internal("fee record not opened"))?
        }
    };
    payments::confirm(k.db, settlers, Some(u), c, due.id, method).await?;
    by_id(k.db, &c.code, id).await
}

/// The bank account the commune's VietQR codes pay into.
pub struct Account<'a> {
    pub bank_bin: &'a str,
    pub account_number: &'a str,
    pub account_name: &'a str,
}

/// Use case: the commune admin sets the commune's bank account (audited).
pub async fn set_account(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    f: Account<'_>,
) -> ActionResult<bank_account::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let a = payments::set_account(
        &txn,
        &c.code,
        payments::Owner::Commune,
        f.bank_bin,
        f.account_number,
        f.account_name,
        "",
    )
    .await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "payment_account.set",
            "commune",
            &c.code,
            format!("{} · {}", a.bank_bin, a.account_number),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}
