//! The back office frame and the kernel's own office pages: villages, staff, audit, branding.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{form_error, vn_time};
use crate::accounts::{Role, phone::display_phone};
use crate::actions::villages::{self, VillageInput};
use crate::actions::{ActionResult, staff};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, CommuneInfo, VILLAGE_KINDS};
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::flash::{self, Flash};
use crate::web::htmx::{HxRequest, render_partial};
use crate::web::shell::{Shell, render, render_for};

/// Who may change the commune's setup: its admins, and system admins.
pub use crate::accounts::access::{ADMINS, OVERSEERS};

/// The kernel's own back-office pages, each with the roles its handler checks.
pub fn nav() -> crate::web::nav::Nav {
    use crate::web::nav::{Group, OfficeLink};
    crate::web::nav::Nav {
        office: vec![
            OfficeLink {
                label: "office.villages",
                path: "villages",
                roles: &[],
                group: Group::Data,
                icon: "map-pin",
            },
            OfficeLink {
                label: "office.staff",
                path: "staff",
                roles: crate::accounts::STAFF_LIST_READERS,
                group: Group::Settings,
                icon: "users",
            },
            OfficeLink {
                label: "office.audit",
                path: "audit",
                roles: OVERSEERS,
                group: Group::Settings,
                icon: "scroll-text",
            },
            OfficeLink {
                label: "office.payments",
                path: "payments",
                roles: crate::payments::CONFIRMERS,
                group: Group::Desk,
                icon: "wallet",
            },
            OfficeLink {
                label: "office.branding",
                path: "branding",
                roles: ADMINS,
                group: Group::Settings,
                icon: "palette",
            },
        ],
        admin: vec![("holidays.title", "/admin/holidays")],
        ..Default::default()
    }
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
    /// The map area: whether the commune has a boundary, which villages have a shape, and
    /// whether a shape was just saved.
    has_boundary: bool,
    shaped: Vec<i64>,
    area_saved: bool,
    code: String,
}

pub(super) async fn villages_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    err: Option<&AppError>,
    area_saved: bool,
) -> AppResult<Response> {
    let u = ctx.staff(&c)?;
    let area = tenancy::area::area(&state.db, &c.code).await?;
    let page = VillagesPage {
        has_boundary: area.boundary.is_some(),
        shaped: area.villages.iter().map(|(id, _)| *id).collect(),
        area_saved,
        code: c.code.clone(),
        can_edit: u.has_role_in(&c, ADMINS),
        villages: tenancy::villages(&state.db, &c.code).await?,
        kinds: &VILLAGE_KINDS,
        active: "villages",
        error: err.map(|e| form_error(ctx, e)),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("office.villages")).await,
    };
    Ok(render_for(err, &page))
}

#[derive(Deserialize)]
pub struct VillagesQuery {
    #[serde(default)]
    area: Option<String>,
}

pub async fn villages(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<VillagesQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    villages_page(&state, &ctx, c, None, q.area.as_deref() == Some("saved")).await
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
    res: ActionResult<()>,
    back: &str,
    done: Flash,
) -> AppResult<Response> {
    match res.map_err(AppError::from) {
        Ok(()) => Ok(flash::redirect(back, done, state.config.cookies_secure())),
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
        villages_page(state, ctx, c, Some(e), false).await
    }
}

pub async fn add_village(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<VillageForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let v = VillageInput {
        name: &f.name,
        kind: &f.kind,
    };
    let res = villages::create(state.kernel(), ctx.actor(), &c, v).await;
    let back = format!("/c/{}/office/villages", c.code);
    on_client_error(
        &state,
        &ctx,
        c,
        res.map(|_| ()),
        &back,
        Flash::key("flash.village_saved"),
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
    let v = VillageInput {
        name: &f.name,
        kind: &f.kind,
    };
    let res = villages::rename(state.kernel(), ctx.actor(), &c, id, v).await;
    let back = format!("/c/{}/office/villages", c.code);
    on_client_error(
        &state,
        &ctx,
        c,
        res.map(|_| ()),
        &back,
        Flash::key("flash.village_saved"),
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
    villages::delete(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(flash::redirect(
        &format!("/c/{}/office/villages", c.code),
        Flash::key("flash.village_deleted"),
        state.config.cookies_secure(),
    ))
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
    let staff = staff::list(state.kernel(), ctx.actor(), &c)
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
        can_edit: ctx.staff(&c)?.has_role_in(&c, ADMINS),
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
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    password: String,
}

impl StaffForm {
    fn input(&self) -> staff::NewStaff<'_> {
        staff::NewStaff {
            full_name: &self.full_name,
            phone: &self.phone,
            email: &self.email,
            role: &self.role,
            department: &self.department,
            password: &self.password,
        }
    }
}

pub async fn add_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<StaffForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let res = staff::add(state.kernel(), ctx.actor(), &c, f.input()).await;
    let back = format!("/c/{}/office/staff", c.code);
    on_client_error(
        &state,
        &ctx,
        c,
        res.map(|_| ()),
        &back,
        Flash::key("flash.staff_added"),
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
    staff::revoke(state.kernel(), ctx.actor(), &c, grant).await?;
    Ok(flash::redirect(
        &format!("/c/{}/office/staff", c.code),
        Flash::key("flash.staff_revoked"),
        state.config.cookies_secure(),
    ))
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

/// The audit table with its count and pager: what the filter form and the pager swap in place.
#[derive(Template)]
#[template(path = "audit_table.html")]
struct AuditTable {
    tr: crate::i18n::Tr,
    entries: Vec<AuditRow>,
    total: u64,
    page: u64,
    pages: u64,
    query: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    active: &'static str,
    table: AuditTable,
    /// The filter's choices: (action prefix, words).
    kinds: Vec<(&'static str, &'static str)>,
    f_action: String,
    f_from: String,
    f_to: String,
}

/// An audit action (`notice.publish`) in words ("Đăng · Thông báo"): its own text where it has
/// one, else the verb and the object, so no code reaches the page whatever a room records.
pub fn audit_words(tr: &crate::i18n::Tr, action: &str) -> String {
    let exact = format!("audit.action.{action}");
    if tr.has(&exact) {
        return tr.get(&exact).to_owned();
    }
    let (object, verb) = action.split_once('.').unwrap_or((action, ""));
    let verb_key = format!("audit.verb.{verb}");
    let verb = if tr.has(&verb_key) {
        tr.get(&verb_key)
    } else {
        tr.get("audit.verb.other")
    };
    format!("{verb} · {}", object_words(tr, object))
}

/// The kind of thing an audit entry is about, in words.
pub fn object_words(tr: &crate::i18n::Tr, object: &str) -> &'static str {
    let key = format!("audit.object.{object}");
    if tr.has(&key) {
        tr.get(&key)
    } else {
        tr.get("audit.object.other")
    }
}

/// What the audit filter offers: the kinds of things officials act on, as (action prefix, text key).
const AUDIT_KINDS: [&str; 14] = [
    "dossier",
    "procedure",
    "payment",
    "feedback",
    "forum",
    "poll",
    "notice",
    "village",
    "staff",
    "commune",
    "directory",
    "team",
    "delivery",
    "account",
];

pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    hx: HxRequest,
    Path(code): Path<String>,
    Query(f): Query<audit::Filter>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, OVERSEERS)?;
    let (rows, total) = audit::list(&state.db, &c.code, &f).await?;
    let tr = ctx.tr();
    let entries = rows
        .into_iter()
        .map(|e| AuditRow {
            when: vn_time(e.at),
            who: e.actor_name,
            role_key: format!("role.{}", e.actor_role),
            action: audit_words(&tr, &e.action),
            object: format!("{} #{}", object_words(&tr, &e.object_type), e.object_id),
            summary: e.summary,
        })
        .collect();
    let f_action = f.action.clone().unwrap_or_default();
    let f_from = f.from.clone().unwrap_or_default();
    let f_to = f.to.clone().unwrap_or_default();
    let query =
        serde_urlencoded::to_string([("action", &f_action), ("from", &f_from), ("to", &f_to)])
            .unwrap_or_default();
    let table = AuditTable {
        tr: ctx.tr(),
        entries,
        total,
        page: crate::paging::page(f.page),
        pages: total.div_ceil(audit::PAGE_SIZE).max(1),
        query,
    };
    Ok(render_partial(hx, table, async |table| {
        let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.audit")).await;
        render(&AuditPage {
            shell,
            active: "audit",
            table,
            kinds: AUDIT_KINDS
                .iter()
                .map(|k| (*k, object_words(&tr, k)))
                .collect(),
            f_action,
            f_from,
            f_to,
        })
    })
    .await)
}
