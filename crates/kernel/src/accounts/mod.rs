//! Accounts: citizens and officials, role grants, sessions and personal API tokens.

pub mod access;
pub mod cache;
pub mod entity;
pub mod password;
pub mod phone;
pub mod roles;

use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use entity::{api_token, role_grant, session, user};
pub use roles::{Grant, Role};

/// The signed-in person, as every request sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentUser {
    pub id: i64,
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub commune_code: Option<String>,
    pub village_id: Option<i64>,
    pub locale: String,
    pub grants: Vec<Grant>,
}

impl CurrentUser {
    pub fn is_system_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::SystemAdmin)
    }

    /// Roles this user holds that reach the given commune.
    pub fn roles_in<'a>(
        &'a self,
        c: &'a crate::tenancy::CommuneInfo,
    ) -> impl Iterator<Item = Role> + 'a {
        self.grants
            .iter()
            .filter(move |g| g.covers(&c.code, &c.province_code, c.district_code.as_deref()))
            .map(|g| g.role)
    }

    pub fn has_role_in(&self, c: &crate::tenancy::CommuneInfo, wanted: &[Role]) -> bool {
        self.roles_in(c).any(|r| wanted.contains(&r))
    }

    /// Staff of this commune (or reviewers/admins above it) may open its back office.
    pub fn is_staff_of(&self, c: &crate::tenancy::CommuneInfo) -> bool {
        self.roles_in(c).any(Role::is_staff)
    }

    /// Who may read the commune's staff list (names, roles, departments, personal phone
    /// numbers): THE rule for the back-office staff page and `GET /api/v1/communes/{code}/staff`.
    /// The commune's officials, leaders and admins, and admins above it, who work with and
    /// manage these people. Village heads and reviewers have the public officials' directory
    /// (office hours, no personal numbers), as citizens do.
    pub fn may_read_staff_list(&self, c: &crate::tenancy::CommuneInfo) -> bool {
        self.has_role_in(c, STAFF_LIST_READERS)
    }

    /// The role to record in the audit log for an action in this commune: the strongest held.
    pub fn acting_role(&self, c: &crate::tenancy::CommuneInfo) -> Role {
        self.roles_in(c)
            .max_by_key(|r| *r as u8)
            .unwrap_or(Role::Citizen)
    }
}

/// See [`CurrentUser::may_read_staff_list`].
pub const STAFF_LIST_READERS: &[Role] = &[
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::SystemAdmin,
];

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name_required", "full_name"));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid("text_too_long", "full_name"));
    }
    Ok(name.to_owned())
}

fn check_email(email: Option<&str>) -> AppResult<Option<String>> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => {
            let ok = e.len() <= 200
                && e.split_once('@').is_some_and(|(u, d)| {
                    !u.is_empty() && d.contains('.') && !d.starts_with('.') && !e.contains(' ')
                });
            if ok {
                Ok(Some(e.to_owned()))
            } else {
                Err(AppError::invalid("email_invalid", "email"))
            }
        }
    }
}

pub fn check_password(pw: &str, phone: Option<&str>) -> AppResult<()> {
    use password::WeakPassword::*;
    password::check_strength(pw, phone).map_err(|w| {
        let code = match w {
            TooShort => "password_short",
            TooLong => "password_long",
            NeedsLetterAndDigit => "password_simple",
            TooCommon => "password_common",
            SameAsPhone => "password_phone",
        };
        AppError::invalid(code, "password")
    })
}

pub fn parse_phone(raw: &str) -> AppResult<String> {
    phone::normalise_phone(raw).ok_or_else(|| AppError::invalid("phone_invalid", "phone"))
}

pub struct NewUser<'a> {
    pub phone: &'a str,
    pub password: &'a str,
    pub full_name: &'a str,
    pub email: Option<&'a str>,
    pub commune_code: &'a str,
    pub village_id: Option<i64>,
}

/// Validates everything that does not need the database, then inserts the user and grants.
pub async fn create_user<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewUser<'_>,
    grants: &[Grant],
    granted_by: Option<i64>,
) -> AppResult<user::Model> {
    create(db, new, None, grants, granted_by).await
}

/// Checks a new account's password and hashes it: call before a write transaction, which
/// must not hold the database's write lock through a 19 MiB Argon2 hash.
pub async fn hash_new_password(password: &str, phone: &str) -> AppResult<String> {
    check_password(password, Some(phone))?;
    Ok(password::hash(password).await?)
}

/// [`create_user`] with the hash made beforehand by [`hash_new_password`].
pub async fn create_user_prehashed<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewUser<'_>,
    hash: String,
    grants: &[Grant],
    granted_by: Option<i64>,
) -> AppResult<user::Model> {
    create(db, new, Some(hash), grants, granted_by).await
}

async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewUser<'_>,
    hash: Option<String>,
    grants: &[Grant],
    granted_by: Option<i64>,
) -> AppResult<user::Model> {
    let phone = parse_phone(new.phone)?;
    let full_name = check_name(new.full_name)?;
    let email = check_email(new.email)?;
    if hash.is_none() {
        check_password(new.password, Some(&phone))?;
    }
    if let Some(v) = new.village_id {
        crate::tenancy::village(db, new.commune_code, v)
            .await
            .map_err(|_| AppError::invalid("village_unknown", "village_id"))?;
    }
    if user::Entity::find()
        .filter(user::Column::Phone.eq(&phone))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError {
            field: Some("phone"),
            ..AppError::conflict("phone_taken")
        });
    }
    let hash = match hash {
        Some(h) => h,
        None => password::hash(new.password).await?,
    };
    let txn = db.begin_with_options(crate::db::WRITE).await?;
    let u = user::ActiveModel {
        phone: Set(Some(phone)),
        full_name: Set(full_name),
        email: Set(email),
        password_hash: Set(hash),
        commune_code: Set(Some(new.commune_code.to_owned())),
        village_id: Set(new.village_id),
        locale: Set("vi".into()),
        failed_logins: Set(0),
        locked_until: Set(None),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        // Two registrations racing for one phone: the unique index decides.
        if e.to_string().to_lowercase().contains("unique") {
            AppError {
                field: Some("phone"),
                ..AppError::conflict("phone_taken")
            }
        } else {
            e.into()
        }
    })?;
    for g in grants {
        add_grant(&txn, u.id, g, granted_by).await?;
    }
    txn.commit().await?;
    Ok(u)
}

pub async fn add_grant(
    db: &impl ConnectionTrait,
    user_id: i64,
    g: &Grant,
    granted_by: Option<i64>,
) -> AppResult<role_grant::Model> {
    let exists = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(g.role.as_str()))
        .filter(role_grant::Column::UnitCode.eq(&g.unit_code))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(AppError::conflict("grant_exists"));
    }
    Ok(role_grant::ActiveModel {
        user_id: Set(user_id),
        role: Set(g.role.as_str().into()),
        unit_code: Set(g.unit_code.clone()),
        village_id: Set(g.village_id),
        department: Set(g.department.clone().filter(|d| !d.trim().is_empty())),
        granted_by: Set(granted_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn revoke_grant(
    db: &impl ConnectionTrait,
    grant_id: i64,
    unit_code: &str,
) -> AppResult<role_grant::Model> {
    let g = role_grant::Entity::find_by_id(grant_id)
        .filter(role_grant::Column::UnitCode.eq(unit_code))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    role_grant::Entity::delete_by_id(grant_id).exec(db).await?;
    Ok(g)
}

pub async fn grants_of(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Grant>> {
    Ok(role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|g| {
            Some(Grant {
                role: Role::parse(&g.role)?,
                unit_code: g.unit_code,
                village_id: g.village_id,
                department: g.department,
            })
        })
        .collect())
}

/// Staff of a commune: grants held on it, with the people holding them.
pub async fn staff_of(
    db: &impl ConnectionTrait,
    commune_code: &str,
) -> AppResult<Vec<(role_grant::Model, user::Model)>> {
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::UnitCode.eq(commune_code))
        .filter(role_grant::Column::Role.ne(Role::Citizen.as_str()))
        .order_by_asc(role_grant::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = grants.iter().map(|g| g.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(grants
        .into_iter()
        .filter_map(|g| {
            users
                .iter()
                .find(|u| u.id == g.user_id)
                .cloned()
                .map(|u| (g, u))
        })
        .collect())
}

/// The signed-in user with their grants, in one round trip: it runs on every signed-in request.
pub async fn load_user(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<CurrentUser>> {
    use sea_orm::{FromQueryResult, Statement};
    let sql = r#"SELECT u.*, g."role" AS g_role, g."unit_code" AS g_unit_code, g."village_id" AS g_village_id, g."department" AS g_department
        FROM "app_user" u LEFT JOIN "role_grant" g ON g."user_id" = u."id" WHERE u."id" = $1 ORDER BY g."id""#;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [id.into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let u = user::Model::from_query_result(first, "")?;
    if u.disabled {
        return Ok(None);
    }
    let mut grants = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(role) = r.try_get::<Option<String>>("", "g_role")? else {
            continue;
        };
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        grants.push(Grant {
            role,
            unit_code: r.try_get("", "g_unit_code")?,
            village_id: r.try_get("", "g_village_id")?,
            department: r.try_get("", "g_department")?,
        });
    }
    Ok(Some(CurrentUser {
        id: u.id,
        full_name: u.full_name,
        phone: u.phone,
        email: u.email,
        commune_code: u.commune_code,
        village_id: u.village_id,
        locale: u.locale,
        grants,
    }))
}

/// Checks a phone and password, counting failures and locking the account for a while after
/// too many. Unknown phones cost the same hashing time as known ones.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    raw_phone: &str,
    pw: &str,
    max_failures: u32,
    lockout_minutes: i64,
) -> AppResult<user::Model> {
    let phone = phone::normalise_phone(raw_phone);
    let found = match &phone {
        Some(p) => {
            user::Entity::find()
                .filter(user::Column::Phone.eq(p))
                .one(db)
                .await?
        }
        None => None,
    };
    let Some(u) = found.filter(|u| !u.disabled) else {
        password::verify(pw, password::dummy_hash()).await;
        return Err(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "login_failed",
        ));
    };
    let now = Utc::now();
    if u.locked_until.is_some_and(|t| t > now) {
        return Err(AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "login_locked",
        ));
    }
    if password::verify(pw, &u.password_hash).await {
        if u.failed_logins != 0 || u.locked_until.is_some() {
            let mut am: user::ActiveModel = u.clone().into();
            am.failed_logins = Set(0);
            am.locked_until = Set(None);
            am.update(db).await?;
        }
        return Ok(u);
    }
    // Count atomically so parallel guesses cannot slip past the limit.
    user::Entity::update_many()
        .col_expr(
            user::Column::FailedLogins,
            sea_orm::sea_query::ExprTrait::add(Expr::col(user::Column::FailedLogins), 1),
        )
        .filter(user::Column::Id.eq(u.id))
        .exec(db)
        .await?;
    if u.failed_logins + 1 >= max_failures as i32 {
        user::Entity::update_many()
            .col_expr(
                user::Column::LockedUntil,
                Expr::value(now + Duration::minutes(lockout_minutes)),
            )
            .col_expr(user::Column::FailedLogins, Expr::value(0))
            .filter(user::Column::Id.eq(u.id))
            .exec(db)
            .await?;
        return Err(AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "login_locked",
        ));
    }
    Err(AppError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "login_failed",
    ))
}

/// Changes a password the person knows, and signs out every other session of the account
/// (a device left signed in somewhere is what a change is often for). `keep_session` is the
/// session cookie of the device making the change. Returns how many sessions ended.
pub async fn change_password(
    db: &DatabaseConnection,
    user_id: i64,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> AppResult<u64> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !password::verify(current, &u.password_hash).await {
        return Err(AppError::invalid("password_wrong", "current_password"));
    }
    check_password(new, u.phone.as_deref())?;
    // Hashed before the transaction: Argon2 takes a while, and the write lock waits for no one.
    let hash = password::hash(new).await?;
    let txn = crate::db::begin_write(db).await?;
    let mut am: user::ActiveModel = u.into();
    am.password_hash = Set(hash);
    am.update(&txn).await?;
    let mut others = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(token) = keep_session {
        others = others.filter(session::Column::IdHash.ne(sha256_hex(token)));
    }
    let ended = others.exec(&txn).await?.rows_affected;
    txn.commit().await?;
    Ok(ended)
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    user_id: i64,
    full_name: &str,
    email: Option<&str>,
    locale: &str,
    village_id: Option<i64>,
) -> AppResult<user::Model> {
    let full_name = check_name(full_name)?;
    let email = check_email(email)?;
    let locale = crate::i18n::Locale::parse(locale)
        .ok_or_else(|| AppError::invalid("locale_invalid", "locale"))?;
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let (Some(v), Some(c)) = (village_id, u.commune_code.as_deref()) {
        crate::tenancy::village(db, c, v)
            .await
            .map_err(|_| AppError::invalid("village_unknown", "village_id"))?;
    }
    let mut am: user::ActiveModel = u.into();
    am.full_name = Set(full_name);
    am.email = Set(email);
    am.locale = Set(locale.code().into());
    am.village_id = Set(village_id);
    Ok(am.update(db).await?)
}

// ---- sessions ----

/// Creates a session and returns the cookie value (only its hash is stored).
pub async fn create_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    days: i64,
) -> AppResult<String> {
    let token = random_token(32);
    let now = Utc::now();
    session::ActiveModel {
        id_hash: Set(sha256_hex(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(days)),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The user behind a session cookie and when the session ends, if it is alive.
pub async fn session_user(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<(i64, chrono::DateTime<Utc>)>> {
    let Some(s) = session::Entity::find_by_id(sha256_hex(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if s.expires_at <= now {
        session::Entity::delete_by_id(s.id_hash).exec(db).await?;
        return Ok(None);
    }
    // Touch at most every few minutes: a write per page view would serialise SQLite readers.
    if now - s.last_seen_at > Duration::minutes(5) {
        let mut am: session::ActiveModel = s.clone().into();
        am.last_seen_at = Set(now);
        am.update(db).await?;
    }
    Ok(Some((s.user_id, s.expires_at)))
}

pub async fn delete_session(db: &impl ConnectionTrait, token: &str) -> AppResult<()> {
    session::Entity::delete_by_id(sha256_hex(token))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}

// ---- personal API tokens ----

pub const TOKEN_PREFIX: &str = "xaso_";

/// Creates a personal API token; the secret is returned once and stored only as a hash.
pub async fn create_api_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    name: &str,
) -> AppResult<(api_token::Model, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name_required", "name"));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid("text_too_long", "name"));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_token(24));
    let m = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.into()),
        token_hash: Set(sha256_hex(&secret)),
        prefix: Set(secret[..TOKEN_PREFIX.len() + 6].into()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((m, secret))
}

pub async fn api_tokens(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?)
}

pub async fn revoke_api_token(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<()> {
    let t = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .filter(|t| t.revoked_at.is_none())
        .ok_or_else(AppError::not_found)?;
    let mut am: api_token::ActiveModel = t.into();
    am.revoked_at = Set(Some(Utc::now()));
    am.update(db).await?;
    Ok(())
}

/// The user behind a bearer token, if it is live.
pub async fn token_user(db: &impl ConnectionTrait, secret: &str) -> AppResult<Option<i64>> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(sha256_hex(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let now = Utc::now();
    if t.last_used_at
        .is_none_or(|l| now - l > Duration::minutes(5))
    {
        let mut am: api_token::ActiveModel = t.clone().into();
        am.last_used_at = Set(Some(now));
        am.update(db).await?;
    }
    Ok(Some(t.user_id))
}
