//! Use cases of a commune's staff: who may read the list (with phone numbers), and its admins
//! adding an official (a new account or a role for an existing one of this commune) and taking
//! a role back. Changes are audited and clear the credential cache, since roles changed.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{ActionError, ActionResult, Kernel, Refusal};

/// The generation kind of a commune's staff (`crate::cache`): bumped when an official is added
/// or a role taken back, for what rooms keep in memory about the staff (the directory).
pub const STAFF: &str = "staff";
use crate::accounts::access::{self, ADMINS};
use crate::accounts::entity::{role_grant, user};
use crate::accounts::phone::display_phone;
use crate::accounts::{self, CurrentUser, Grant, NewUser, Role};
use crate::audit::{self, Entry};
use crate::tenancy::CommuneInfo;

/// Use case: the commune's staff with their roles and phones. Not for village heads, who
/// work for one village (`CurrentUser::may_read_staff_list`).
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<(role_grant::Model, user::Model)>> {
    if !access::staff(actor, c)?.may_read_staff_list(c) {
        return Err(Refusal::Forbidden.into());
    }
    Ok(accounts::staff_of(k.db, &c.code).await?)
}

/// A new official, as the staff form and the API give it.
pub struct NewStaff<'a> {
    pub full_name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    /// `village_head`, `official`, `leader` or `commune_admin`.
    pub role: &'a str,
    pub department: &'a str,
    /// For a person without an account yet.
    pub password: &'a str,
}

/// Use case: creates an official (or gives an existing person of this commune a staff role).
/// Answers the person's id and the role granted.
pub async fn add(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    f: NewStaff<'_>,
) -> ActionResult<(i64, Role)> {
    let u = access::with_role(actor, c, ADMINS)?;
    let role = Role::parse(f.role)
        .filter(|r| Role::COMMUNE_STAFF.contains(r))
        .ok_or(Refusal::RoleInvalid.at("role"))?;
    let department = Some(f.department.trim().to_owned()).filter(|d| !d.is_empty());
    if department.as_ref().is_some_and(|d| d.chars().count() > 100) {
        return Err(Refusal::TextTooLong.at("department"));
    }
    let grant = Grant {
        role,
        unit_code: c.code.clone(),
        village_id: None,
        department,
    };
    let phone = accounts::parse_phone(f.phone)?;
    let existing = user::Entity::find()
        .filter(user::Column::Phone.eq(&phone))
        .one(k.db)
        .await?;
    if existing
        .as_ref()
        .is_some_and(|p| p.commune_code.as_deref().is_some_and(|pc| pc != c.code))
    {
        return Err(Refusal::PhoneOtherCommune.at("phone"));
    }
    // A new account's password is hashed before the write transaction (Argon2 takes a while).
    let hash = match existing {
        None => Some(accounts::hash_new_password(f.password, &phone).await?),
        Some(_) => None,
    };
    let txn = crate::db::begin_write(k.db).await?;
    let (user_id, action) = match (existing, hash) {
        (Some(p), _) => {
            accounts::add_grant(&txn, p.id, &grant, Some(u.id)).await?;
            (p.id, "staff.grant")
        }
        (None, Some(hash)) => {
            let email = Some(f.email).filter(|e| !e.trim().is_empty());
            let new = NewUser {
                phone: &phone,
                password: f.password,
                full_name: f.full_name,
                email,
                commune_code: &c.code,
                village_id: None,
            };
            let created =
                accounts::create_user_prehashed(&txn, new, hash, &[grant], Some(u.id)).await?;
            (created.id, "staff.create")
        }
        (None, None) => {
            return Err(ActionError::Below(crate::error::AppError::internal(
                "new account without a hash",
            )));
        }
    };
    let summary = format!("{} · {}", display_phone(&phone), role.as_str());
    audit::record(
        &txn,
        Entry::in_commune(u, c, action, "user", user_id, summary),
    )
    .await?;
    txn.commit().await?;
    k.auth_cache.clear();
    crate::cache::changed(STAFF, &c.code);
    Ok((user_id, role))
}

/// Use case: the commune's admins take a staff role back.
pub async fn revoke(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    grant_id: i64,
) -> ActionResult<role_grant::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let txn = crate::db::begin_write(k.db).await?;
    let g = accounts::revoke_grant(&txn, grant_id, &c.code).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, c, "staff.revoke", "user", g.user_id, g.role.clone()),
    )
    .await?;
    txn.commit().await?;
    k.auth_cache.clear();
    crate::cache::changed(STAFF, &c.code);
    Ok(g)
}
