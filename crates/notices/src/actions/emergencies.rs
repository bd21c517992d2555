//! Use cases of emergency alerts: a recipient acknowledges one; publishers see who has not.

use chrono::Utc;
use kernel::accounts::{CurrentUser, access as kernel_access};
use kernel::actions::Kernel;
use kernel::tenancy::CommuneInfo;

use super::access::{self, publisher};
use super::{ActionResult, Refusal};
use crate::entity::{notice, recipient};
use crate::model::Category;
use crate::store::{self, Unacknowledged};

/// Use case: a recipient confirms they received an emergency alert they may read. A second
/// confirmation changes nothing; people outside the audience and ordinary notices are refused.
pub async fn acknowledge(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<(notice::Model, recipient::Model)> {
    let u = kernel_access::signed_in(actor)?;
    let (n, _) = access::readable(k.db, c, id, actor).await?;
    if n.category != Category::Emergency.as_str() {
        return Err(Refusal::AckNotEmergency.at("notice"));
    }
    let Some(r) = store::recipient_of(k.db, &n, u.id).await? else {
        return Err(Refusal::NotRecipient.into());
    };
    if r.ack_at.is_some() {
        return Ok((n, r));
    }
    store::set_acknowledged(k.db, &r, Utc::now()).await?;
    let r = store::recipient_of(k.db, &n, u.id).await?.unwrap_or(r);
    Ok((n, r))
}

/// Use case: the recipients who have not acknowledged a notice, by village then name (at most
/// `limit`), for its publishers.
pub async fn unacknowledged(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    village_id: Option<i64>,
    limit: u64,
) -> ActionResult<Vec<Unacknowledged>> {
    publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    Ok(store::unacknowledged(k.db, &n, village_id, limit).await?)
}
