//! The back office frame and the kernel's own office pages: villages, staff, audit, branding.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use super::{form_error, vn_time};
use crate::accounts::{
    self, CurrentUser, Grant, NewUser, Role, entity::user, phone::display_phone,
};
use crate::audit::{self, Entry};
use crate::error::{AppError, AppResult};
use crate::files;
use crate::tenancy::{self, CommuneInfo, VILLAGE_KINDS};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render, render_for, render_status};

/// Who may change the commune's setup: its admins, and system admins.
pub use crate::accounts::access::{ADMINS, OVERSEERS};

/// The kernel's own back-office pages, each with the roles its handler checks.
pub fn nav() -> crate::web::nav::Nav {
    use crate::web::nav::OfficeLink;
    crate::web::nav::Nav {
        tile: None,
        office: vec![
            OfficeLink {
                label: "office.villages",
                path: "villages",
                roles: &[],
            },
            OfficeLink {
                label: "office.staff",
                path: "staff",
                roles: crate::accounts::STAFF_LIST_READERS,
            },
            OfficeLink {
                label: "office.audit",
                path: "audit",
                roles: OVERSEERS,
            },
            OfficeLink {
                label: "office.payments",
                path: "payments",
                roles: crate::payments::CONFIRMERS,
            },
            OfficeLink {
                label: "office.branding",
                path: "branding",
                roles: ADMINS,
            },
        ],
        admin: vec![("holidays.title", "/admin/holidays")],
    }
}

#[derive(Template)]
#[template(path = "office.html")]
struct Dashboard {
    shell: Shell,
    active: &'static str,
    role_label: String,
    villages: usize,
    staff: usize,
    citizens: u64,
    audit: u64,
}

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.staff(&c)?;
    let role_label = ctx.tr().get(&u.acting_role(&c).label_key()).to_owned();
    let villages = tenancy::villages(&state.db, &c.code).await?.len();
    let staff = accounts::staff_of(&state.db, &c.code).await?.len();
    let citizens = user::Entity::find()
        .filter(user::Column::CommuneCode.eq(&c.code))
        .count(&state.db)
        .await?;
    let (_, audit) = audit::list(&state.db, &c.code, &audit::Filter::default()).await?;
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.title")).await;
    Ok(render(&Dashboard {
        shell,
        active: "dash",
        role_label,
        villages,
        staff,
        citizens,
        audit,
    }))
}

// ---- villages ----

#[derive(Template)]
#[template(path = "villages.html")]
struct VillagesPage {
    shell: Shell,
    active: &'static str,
    villages: Vec<tenancy::village::Model>,
    kinds: &'static [&'static str],
    can_edit: bool,
    error: Option<String>,
}

async fn villages_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let u = ctx.staff(&c)?;
    let page = VillagesPage {
        can_edit: u.has_role_in(&c, ADMINS),
        villages: tenancy::villages(&state.db, &c.code).await?,
        kinds: &VILLAGE_KINDS,
        active: "villages",
        error: err.map(|e| form_error(ctx, e)),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("office.villages")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn villages(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    villages_page(&state, &ctx, c, None).await
}

#[derive(Deserialize)]
pub struct VillageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// Re-renders the page with the message for client errors; anything else propagates.
async fn on_client_error(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    res: AppResult<()>,
    back: &str,
) -> AppResult<Response> {
    match res {
        Ok(()) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            back,
        ))),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            villages_or(state, ctx, c, &e, back).await
        }
        Err(e) => Err(e),
    }
}

async fn villages_or(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    e: &AppError,
    back: &str,
) -> AppResult<Response> {
    if back.ends_with("/staff") {
        staff_page(state, ctx, c, Some(e)).await
    } else {
        villages_page(state, ctx, c, Some(e)).await
    }
}

pub async fn add_village(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<VillageForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let v = tenancy::create_village(&txn, &c.code, &f.name, &f.kind).await?;
        audit::record(
            &txn,
            Entry::in_commune(u, &c, "village.create", "village", v.id, v.name.clone()),
        )
        .await?;
        txn.commit().await?;
        state.home_facts.invalidate(&c.code);
        Ok(())
    }
    .await;
    on_client_error(
        &state,
        &ctx,
        c.clone(),
        res,
        &format!("/c/{}/office/villages", c.code),
    )
    .await
}

pub async fn edit_village(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<VillageForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let before = tenancy::village(&txn, &c.code, id).await?;
        let v = tenancy::rename_village(&txn, &c.code, id, &f.name, &f.kind).await?;
        audit::record(
            &txn,
            Entry::in_commune(
                u,
                &c,
                "village.update",
                "village",
                v.id,
                format!("{} → {}", before.name, v.name),
            ),
        )
        .await?;
        txn.commit().await?;
        state.home_facts.invalidate(&c.code);
        Ok(())
    }
    .await;
    on_client_error(
        &state,
        &ctx,
        c.clone(),
        res,
        &format!("/c/{}/office/villages", c.code),
    )
    .await
}

pub async fn delete_village(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let v = tenancy::delete_village(&txn, &c.code, id).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, &c, "village.delete", "village", v.id, v.name.clone()),
    )
    .await?;
    txn.commit().await?;
    state.home_facts.invalidate(&c.code);
    Ok(axum::response::IntoResponse::into_response(Redirect::to(
        &format!("/c/{}/office/villages", c.code),
    )))
}

// ---- staff ----

pub struct StaffRow {
    grant_id: i64,
    name: String,
    role_key: String,
    department: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    shell: Shell,
    active: &'static str,
    staff: Vec<StaffRow>,
    roles: Vec<(&'static str, String)>,
    can_edit: bool,
    error: Option<String>,
}

async fn staff_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let u = ctx.staff(&c)?;
    if !u.may_read_staff_list(&c) {
        return Err(AppError::forbidden());
    }
    let staff = accounts::staff_of(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|(g, person)| StaffRow {
            grant_id: g.id,
            name: person.full_name,
            role_key: format!("role.{}", g.role),
            department: g.department.unwrap_or_default(),
            phone: person
                .phone
                .as_deref()
                .map(display_phone)
                .unwrap_or_default(),
        })
        .collect();
    let page = StaffPage {
        can_edit: u.has_role_in(&c, ADMINS),
        staff,
        roles: Role::COMMUNE_STAFF
            .iter()
            .map(|r| (r.as_str(), r.label_key()))
            .collect(),
        active: "staff",
        error: err.map(|e| form_error(ctx, e)),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("office.staff")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    staff_page(&state, &ctx, c, None).await
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub password: String,
}

/// Creates an official (or gives an existing person of this commune a staff role), audited.
pub async fn add_staff_member(
    state: &AppState,
    u: &CurrentUser,
    c: &CommuneInfo,
    f: &StaffForm,
) -> AppResult<(i64, Role)> {
    let role = Role::parse(&f.role)
        .filter(|r| Role::COMMUNE_STAFF.contains(r))
        .ok_or_else(|| AppError::invalid("role_invalid", "role"))?;
    let department = Some(f.department.trim().to_owned()).filter(|d| !d.is_empty());
    if department.as_ref().is_some_and(|d| d.chars().count() > 100) {
        return Err(AppError::invalid("text_too_long", "department"));
    }
    let grant = Grant {
        role,
        unit_code: c.code.clone(),
        village_id: None,
        department,
    };
    let phone = accounts::parse_phone(&f.phone)?;
    let existing = user::Entity::find()
        .filter(user::Column::Phone.eq(&phone))
        .one(&state.db)
        .await?;
    // A new account's password is hashed before the write transaction (Argon2 takes a while).
    let hash = match existing {
        None => Some(accounts::hash_new_password(&f.password, &phone).await?),
        Some(_) => None,
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let (user_id, action) = match existing {
        Some(p) if p.commune_code.as_deref().is_none_or(|pc| pc == c.code) => {
            accounts::add_grant(&txn, p.id, &grant, Some(u.id)).await?;
            (p.id, "staff.grant")
        }
        Some(_) => {
            return Err(AppError {
                field: Some("phone"),
                ..AppError::conflict("phone_other_commune")
            });
        }
        None => {
            let email = Some(f.email.as_str()).filter(|e| !e.trim().is_empty());
            let new = NewUser {
                phone: &phone,
                password: &f.password,
                full_name: &f.full_name,
                email,
                commune_code: &c.code,
                village_id: None,
            };
            let hash = hash.ok_or_else(|| AppError::internal("new account without a hash"))?;
            let created =
                accounts::create_user_prehashed(&txn, new, hash, &[grant], Some(u.id)).await?;
            (created.id, "staff.create")
        }
    };
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            action,
            "user",
            user_id,
            format!("{} · {}", display_phone(&phone), role.as_str()),
        ),
    )
    .await?;
    txn.commit().await?;
    state.auth_cache.clear();
    Ok((user_id, role))
}

pub async fn add_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<StaffForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = add_staff_member(&state, u, &c, &f).await.map(|_| ());
    on_client_error(
        &state,
        &ctx,
        c.clone(),
        res,
        &format!("/c/{}/office/staff", c.code),
    )
    .await
}

pub async fn revoke_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, grant)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let g = accounts::revoke_grant(&txn, grant, &c.code).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, &c, "staff.revoke", "user", g.user_id, g.role.clone()),
    )
    .await?;
    txn.commit().await?;
    state.auth_cache.clear();
    Ok(axum::response::IntoResponse::into_response(Redirect::to(
        &format!("/c/{}/office/staff", c.code),
    )))
}

// ---- audit ----

pub struct AuditRow {
    when: String,
    who: String,
    role_key: String,
    action: String,
    object: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    active: &'static str,
    entries: Vec<AuditRow>,
    total: u64,
    page: u64,
    pages: u64,
    f_action: String,
    f_from: String,
    f_to: String,
    query: String,
}

pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<audit::Filter>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, OVERSEERS)?;
    let (rows, total) = audit::list(&state.db, &c.code, &f).await?;
    let entries = rows
        .into_iter()
        .map(|e| AuditRow {
            when: vn_time(e.at),
            who: e.actor_name,
            role_key: format!("role.{}", e.actor_role),
            action: e.action,
            object: format!("{} #{}", e.object_type, e.object_id),
            summary: e.summary,
        })
        .collect();
    let f_action = f.action.clone().unwrap_or_default();
    let f_from = f.from.clone().unwrap_or_default();
    let f_to = f.to.clone().unwrap_or_default();
    let query =
        serde_urlencoded::to_string([("action", &f_action), ("from", &f_from), ("to", &f_to)])
            .unwrap_or_default();
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.audit")).await;
    Ok(render(&AuditPage {
        shell,
        active: "audit",
        entries,
        total,
        page: crate::paging::page(f.page),
        pages: total.div_ceil(audit::PAGE_SIZE).max(1),
        f_action,
        f_from,
        f_to,
        query,
    }))
}

// ---- branding ----

#[derive(Template)]
#[template(path = "branding.html")]
struct BrandingPage {
    shell: Shell,
    active: &'static str,
    error: Option<String>,
}

pub async fn branding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.branding")).await;
    Ok(render(&BrandingPage {
        shell,
        active: "branding",
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct CsrfQuery {
    #[serde(default)]
    csrf: String,
}

pub async fn save_branding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mut mp: Multipart,
) -> AppResult<Response> {
    if !ctx.csrf_ok(&q.csrf) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "csrf_invalid"));
    }
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let (mut color, mut tagline, mut logo) = (c.brand_color.clone(), None, None);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("form_invalid"))?
    {
        match field.name() {
            Some("brand_color") => {
                color = field
                    .text()
                    .await
                    .map_err(|_| AppError::bad_request("form_invalid"))?
            }
            Some("tagline") => {
                tagline = Some(
                    field
                        .text()
                        .await
                        .map_err(|_| AppError::bad_request("form_invalid"))?,
                )
            }
            Some("logo") => {
                let name = field.file_name().unwrap_or("logo").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"))?;
                if !bytes.is_empty() {
                    logo = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let res: AppResult<()> = async {
        if !tenancy::valid_color(&color) {
            return Err(AppError::invalid("color_invalid", "brand_color"));
        }
        // The photo is checked and downscaled before the write lock is taken.
        let logo = match logo {
            Some((name, bytes)) => Some(state.files.put(&name, bytes, files::IMAGES).await?),
            None => None,
        };
        let txn = crate::db::begin_write(&state.db).await?;
        let logo_id = match logo {
            Some(stored) => Some(Some(stored.record(&txn, &c.code, Some(u.id)).await?.id)),
            None => None,
        };
        let m = tenancy::update_branding(&txn, &c.code, &color, tagline, logo_id).await?;
        audit::record(
            &txn,
            Entry::in_commune(
                u,
                &c,
                "commune.branding",
                "commune",
                &c.code,
                format!(
                    "{} {}",
                    m.brand_color,
                    m.tagline.clone().unwrap_or_default()
                ),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    match res {
        Ok(()) => {
            state.communes.reload(&state.db).await?;
            Ok(axum::response::IntoResponse::into_response(Redirect::to(
                &format!("/c/{}/office/branding", c.code),
            )))
        }
        Err(e) if e.status.is_client_error() => {
            let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.branding")).await;
            Ok(render_status(
                e.status,
                &BrandingPage {
                    shell,
                    active: "branding",
                    error: Some(form_error(&ctx, &e)),
                },
            ))
        }
        Err(e) => Err(e),
    }
}
