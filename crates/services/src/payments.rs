//! Dossier fees as kernel payments: a `due` record opened when a dossier with a fee is
//! submitted (`store::open_fee`), the desk's "fee paid" use case (`actions::payments`), and
//! the hook that keeps the dossier's `paid_at` and `payment_method` in step when a payment is
//! confirmed (at the desk or from a bank statement).

use std::sync::Arc;

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::error::{AppError, AppResult};
use kernel::future::BoxFuture;
use kernel::payments::{Settle, payment};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::actions::Refusal;
use crate::model::Status;
use crate::store::{self, Event};

pub use crate::store::{FEE_REF as REF_KIND, open_fee};

/// Brings dossier `p.ref_id` in step with its fee `p`, just confirmed paid (inside the
/// confirming transaction): paid time and method, a new version, and a "payment" event in its
/// history.
pub async fn mark_paid(
    txn: &impl ConnectionTrait,
    p: &payment::Model,
    u: &CurrentUser,
) -> AppResult<()> {
    let now = p.confirmed_at.unwrap_or_else(Utc::now);
    let d = store::by_id(txn, &p.commune_code, p.ref_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !store::write_paid(txn, &d, now, p.method.clone()).await? {
        return Err(crate::actions::ActionError::from(Refusal::DossierConflict).into());
    }
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    let updated = store::by_id(txn, &d.commune_code, d.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    store::event(
        txn,
        &updated,
        Event {
            actor_id: Some(u.id),
            actor_name: &u.full_name,
            action: "payment",
            from: Some(status),
            to: status,
            note: p.method.as_deref(),
        },
    )
    .await?;
    Ok(())
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
        Box::pin(mark_paid(txn, p, actor))
    }

    fn committed(&self, commune: &str) {
        kernel::cache::changed(store::DOSSIERS, commune);
    }
}

/// The settle hooks the services room gives the platform.
pub fn hooks() -> Vec<Arc<dyn Settle>> {
    vec![Arc::new(DossierFees)]
}
