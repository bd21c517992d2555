//! Dossier fees as kernel payments: a `due` record opened when a dossier with a fee is
//! submitted, the desk's "fee paid" action through `kernel::payments::confirm`, and the hook
//! that keeps the dossier's `paid_at` and `payment_method` in step when a payment is confirmed
//! (at the desk or from a bank statement).

use std::sync::Arc;

use kernel::accounts::CurrentUser;
use kernel::error::{AppError, AppResult};
use kernel::future::BoxFuture;
use kernel::payments::{self, Settle, Settlers, payment};
use kernel::tenancy::CommuneInfo;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::entity::dossier;
use crate::model::Status;
use crate::store;

pub use crate::store::{FEE_REF as REF_KIND, open_fee};

/// The desk's action: the fee of dossier `id` was paid by `method`. The dossier's own checks
/// (its version, a fee still due) come first; the kernel's use case owns the permission rule,
/// the transaction and the audit entry.
pub async fn confirm_fee(
    db: &DatabaseConnection,
    settlers: &Settlers,
    c: &CommuneInfo,
    id: i64,
    u: &CurrentUser,
    method: &str,
    version: i32,
) -> AppResult<dossier::Model> {
    kernel::accounts::access::with_role(Some(u), c, payments::CONFIRMERS)?;
    if !payments::METHODS.contains(&method) {
        return Err(AppError::invalid("payment_method_invalid", "method"));
    }
    let d = store::by_id(db, &c.code, id).await?;
    if d.version != version {
        return Err(AppError::conflict("dossier_conflict"));
    }
    if d.fee_vnd == 0
        || d.paid_at.is_some()
        || Status::parse(&d.status).is_some_and(|s| s.is_final())
    {
        return Err(AppError::conflict("payment_not_due"));
    }
    let due = match payments::for_ref(db, &c.code, REF_KIND, id).await? {
        Some(p) if p.status == payments::status::DUE => p,
        // A dossier submitted before fees were payment records, or whose record went astray.
        _ => {
            let txn = kernel::db::begin_write(db).await?;
            open_fee(&txn, &d).await?;
            txn.commit().await?;
            payments::for_ref(db, &c.code, REF_KIND, id)
                .await?
                .ok_or_else(|| AppError::internal("fee record not opened"))?
        }
    };
    payments::confirm(db, settlers, Some(u), c, due.id, method).await?;
    store::by_id(db, &c.code, id).await
}

/// Brings a dossier in step with its confirmed fee.
pub struct DossierFees;

impl Settle for DossierFees {
    fn ref_kind(&self) -> &'static str {
        REF_KIND
    }

    fn settled<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        p: &'a payment::Model,
        actor: &'a CurrentUser,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(store::mark_paid(txn, p, actor))
    }

    fn committed(&self, commune: &str) {
        kernel::cache::changed(store::DOSSIERS, commune);
    }
}

/// The settle hooks the services room gives the platform.
pub fn hooks() -> Vec<Arc<dyn Settle>> {
    vec![Arc::new(DossierFees)]
}
