//! Who may read a notice: one rule for the notice page and the API alike.

use axum::http::StatusCode;
use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use sea_orm::ConnectionTrait;

use crate::entity::notice;
use crate::model::PUBLISHERS;
use crate::store;

/// Whether `reader` may write notices in the commune (and so see them before and after
/// their time on the board, with their reach).
pub fn is_publisher(reader: Option<&CurrentUser>, c: &CommuneInfo) -> bool {
    reader.is_some_and(|u| u.has_role_in(c, PUBLISHERS))
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
) -> AppResult<(notice::Model, bool)> {
    let n = store::find(db, &c.code, id).await?;
    let publisher = is_publisher(reader, c);
    if !publisher && !store::is_public(&n, Utc::now()) {
        return Err(AppError::new(StatusCode::NOT_FOUND, "notice_unknown"));
    }
    Ok((n, publisher))
}
