//! Who may do what with notices, one rule each for the pages and the API alike: who writes
//! them (and reads their reach and bulletins), and who may read one notice.

use chrono::Utc;
use kernel::accounts::{CurrentUser, access};
use kernel::tenancy::CommuneInfo;
use sea_orm::ConnectionTrait;

use super::{ActionResult, Refusal};
use crate::entity::notice;
use crate::model::PUBLISHERS;
use crate::store;

/// Whether `reader` may write notices in the commune (and so see them before and after
/// their time on the board, with their reach).
pub fn is_publisher(reader: Option<&CurrentUser>, c: &CommuneInfo) -> bool {
    reader.is_some_and(|u| u.has_role_in(c, PUBLISHERS))
}

/// The actor, if they may write notices, bulletins and topics in the commune and read the
/// reach of its notices (officials, leaders, commune and system admins).
pub fn publisher<'a>(
    actor: Option<&'a CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<&'a CurrentUser> {
    Ok(access::with_role(actor, c, PUBLISHERS)?)
}

/// One notice of the commune, whoever asks (publishers' pages; refused as unknown if absent).
pub async fn notice(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<notice::Model> {
    Ok(store::find(db, &c.code, id)
        .await?
        .ok_or(Refusal::NoticeUnknown)?)
}

/// One notice of the commune as `reader` may read it, and whether they read it as a
/// publisher. THE rule, for `/c/{code}/notices/{id}` and `GET /api/v1/…/notices/{id}`:
/// a notice on the board (published, not expired) is for everyone; off the board (scheduled,
/// withdrawn, expired) it is for its publishers only (officials, leaders, commune and system
/// admins). Village heads and citizens see it when it is published, like everyone else:
/// before that it is a draft that may still change. To anyone else it does not exist (404).
pub async fn readable(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    id: i64,
    reader: Option<&CurrentUser>,
) -> ActionResult<(notice::Model, bool)> {
    let n = notice(db, c, id).await?;
    let publisher = is_publisher(reader, c);
    if !publisher && !store::is_public(&n, Utc::now()) {
        return Err(Refusal::NoticeUnknown.into());
    }
    Ok((n, publisher))
}
