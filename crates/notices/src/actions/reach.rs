//! Use cases of a notice's reach, for its publishers: received, read and acknowledged by
//! village and channel (indicator 1.3), and each message's delivery.

use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::tenancy::CommuneInfo;

use super::ActionResult;
use super::access::{self, publisher};
use crate::entity::notice;
use crate::model::Category;
use crate::store::{self, Delivery, Reach, Unacknowledged};

/// Use case: a notice with its reach.
pub async fn reach(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<(notice::Model, Reach)> {
    publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    let reach = store::reach(k.db, &n).await?;
    Ok((n, reach))
}

/// Use case: delivery status per recipient and channel, unsent first, narrowed to one channel
/// or status when asked (blank is any); at most `limit`.
pub async fn deliveries(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    channel: Option<&str>,
    status: Option<&str>,
    limit: u64,
) -> ActionResult<Vec<Delivery>> {
    publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    let (channel, status) = (blank(channel), blank(status));
    Ok(store::deliveries(k.db, &n, channel, status, limit).await?)
}

fn blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The office's reach page of one notice.
pub struct Report {
    pub notice: notice::Model,
    pub reach: Reach,
    /// Emergencies: who has yet to acknowledge (at most 500).
    pub waiting: Vec<Unacknowledged>,
    /// Messages to outside channels, unsent first (at most 200).
    pub deliveries: Vec<Delivery>,
}

/// Use case: a notice's reach, who has not acknowledged it (emergencies) and its deliveries.
pub async fn report(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<Report> {
    publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    let reach = store::reach(k.db, &n).await?;
    let waiting = if n.category == Category::Emergency.as_str() {
        store::unacknowledged(k.db, &n, None, 500).await?
    } else {
        Vec::new()
    };
    let deliveries = store::deliveries(k.db, &n, None, None, 200).await?;
    Ok(Report {
        notice: n,
        reach,
        waiting,
        deliveries,
    })
}
