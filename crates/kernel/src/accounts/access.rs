//! Who may act: the permission checks every use case starts with, the same for the pages and the
//! API (the web `Ctx` only hands its signed-in user to these).

use super::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::tenancy::CommuneInfo;

/// The roles that manage a commune's settings, staff and catalogues.
pub const ADMINS: &[Role] = &[Role::CommuneAdmin, Role::SystemAdmin];

/// Those who oversee the commune's work: the audit log, the delivery desk.
pub const OVERSEERS: &[Role] = &[Role::CommuneAdmin, Role::Leader, Role::SystemAdmin];

/// Anyone signed in.
pub fn signed_in(actor: Option<&CurrentUser>) -> AppResult<&CurrentUser> {
    actor.ok_or_else(AppError::unauthenticated)
}

/// Someone who works for (or oversees) this commune.
pub fn staff<'a>(actor: Option<&'a CurrentUser>, c: &CommuneInfo) -> AppResult<&'a CurrentUser> {
    let u = signed_in(actor)?;
    if u.is_staff_of(c) {
        Ok(u)
    } else if u.grants.iter().any(|g| g.role.is_staff()) {
        Err(AppError::other_commune())
    } else {
        Err(AppError::forbidden())
    }
}

/// Staff holding one of `roles` in this commune.
pub fn with_role<'a>(
    actor: Option<&'a CurrentUser>,
    c: &CommuneInfo,
    roles: &[Role],
) -> AppResult<&'a CurrentUser> {
    let u = staff(actor, c)?;
    if u.has_role_in(c, roles) {
        Ok(u)
    } else {
        Err(AppError::forbidden())
    }
}

/// The deployment's system administrator.
pub fn system_admin(actor: Option<&CurrentUser>) -> AppResult<&CurrentUser> {
    let u = signed_in(actor)?;
    if u.is_system_admin() {
        Ok(u)
    } else {
        Err(AppError::forbidden())
    }
}
