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

/// Outside channels the commune's messages cannot go through now: no gateway or mail server
/// is configured for them (`Dispatcher::configured`). The in-app inbox always works.
pub async fn unconfigured(k: Kernel<'_>, c: &CommuneInfo) -> Vec<&'static str> {
    let mut out = vec![];
    for ch in k.dispatcher.channel_names() {
        if ch != kernel::notify::INBOX && !k.dispatcher.configured(ch, &c.code).await {
            out.push(ch);
        }
    }
    out
}

/// Messages waiting for a channel that is not configured are not "pending": they will not
/// go until someone sets the channel up.
fn mark_unconfigured(reach: &mut Reach, deliveries: &mut [Delivery], off: &[&str]) {
    for ch in reach.by_channel.iter_mut() {
        if off.contains(&ch.channel.as_str()) {
            ch.configured = false;
            ch.not_configured = ch.pending;
            ch.pending = 0;
        }
    }
    for d in deliveries.iter_mut() {
        let waiting = d.status == kernel::notify::PENDING || d.status == kernel::notify::SENDING;
        if waiting && off.contains(&d.channel.as_str()) {
            d.status = NOT_CONFIGURED.into();
        }
    }
}

/// The delivery status of a message whose channel has no gateway configured.
pub const NOT_CONFIGURED: &str = "not_configured";

/// Use case: a notice with its reach.
pub async fn reach(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<(notice::Model, Reach)> {
    publisher(actor, c)?;
    let n = access::notice(k.db, c, id).await?;
    let mut reach = store::reach(k.db, &n).await?;
    mark_unconfigured(&mut reach, &mut [], &unconfigured(k, c).await);
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
    let off = unconfigured(k, c).await;
    let asked = match status {
        Some(NOT_CONFIGURED) => None,
        s => s,
    };
    let mut list = store::deliveries(k.db, &n, channel, asked, limit).await?;
    mark_unconfigured(&mut Reach::default(), &mut list, &off);
    // A message waiting for an unconfigured channel is no longer "pending" or "sending".
    if let Some(s) = status {
        list.retain(|d| d.status == s);
    }
    Ok(list)
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
    /// Outside channels with no gateway configured ([`unconfigured`]).
    pub unconfigured: Vec<&'static str>,
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
    let mut reach = store::reach(k.db, &n).await?;
    let waiting = if n.category == Category::Emergency.as_str() {
        store::unacknowledged(k.db, &n, None, 500).await?
    } else {
        Vec::new()
    };
    let mut deliveries = store::deliveries(k.db, &n, None, None, 200).await?;
    let unconfigured = unconfigured(k, c).await;
    mark_unconfigured(&mut reach, &mut deliveries, &unconfigured);
    Ok(Report {
        unconfigured,
        notice: n,
        reach,
        waiting,
        deliveries,
    })
}
