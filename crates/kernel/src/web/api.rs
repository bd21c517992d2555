//! The kernel's JSON API under `/api/v1`, its OpenAPI 3.1 description and a readable docs page.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AppState;
use super::ctx::Ctx;
use crate::accounts::{self, CurrentUser, Role};
use crate::actions;
use crate::audit;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::files;
use crate::notify;
use crate::tenancy::{self, CommuneInfo};
use crate::units::{CommuneUnit, Province, catalogue};

pub use super::extract::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitSearch {
    /// Name (any accents, any case) or GSO code.
    #[serde(default)]
    q: String,
    /// Two-digit province code to search within.
    province: Option<String>,
    /// At most this many results (default 20, at most 100).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/units/provinces", tag = "units", responses((status = 200, body = [Province])))]
async fn provinces() -> Json<Vec<Province>> {
    Json(catalogue().provinces.clone())
}

#[utoipa::path(get, path = "/api/v1/units/communes", tag = "units", params(UnitSearch),
    responses((status = 200, description = "Matching communes, wards and special zones", body = [CommuneUnit])))]
async fn search_units(ApiQuery(q): ApiQuery<UnitSearch>) -> Json<Vec<CommuneUnit>> {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let hits = if q.q.trim().is_empty() {
        match &q.province {
            Some(p) => catalogue().communes_of(p).take(limit).cloned().collect(),
            None => vec![],
        }
    } else {
        catalogue()
            .search(&q.q, q.province.as_deref(), limit)
            .into_iter()
            .cloned()
            .collect()
    };
    Json(hits)
}

#[utoipa::path(get, path = "/api/v1/communes", tag = "communes", responses((status = 200, description = "Communes served by this deployment", body = [CommuneInfo])))]
async fn communes(State(state): State<AppState>) -> Json<Vec<CommuneInfo>> {
    Json(
        state
            .communes
            .all_active()
            .iter()
            .map(|c| (**c).clone())
            .collect(),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct ActivateRequest {
    /// GSO code of the commune to serve, e.g. `17071`.
    code: String,
}

#[utoipa::path(post, path = "/api/v1/communes", tag = "communes", request_body = ActivateRequest, security(("bearer" = [])),
    responses((status = 201, body = CommuneInfo), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(r): ApiJson<ActivateRequest>,
) -> AppResult<Response> {
    let m = actions::communes::activate(state.kernel(), ctx.actor(), &r.code).await?;
    let info = state.communes.active(&m.code)?;
    Ok((StatusCode::CREATED, Json((*info).clone())).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct Village {
    id: i64,
    name: String,
    /// `thon`, `ban`, `to_dan_pho`, `ap` or `khu_pho`.
    kind: String,
}

impl From<tenancy::village::Model> for Village {
    fn from(v: tenancy::village::Model) -> Self {
        Village {
            id: v.id,
            name: v.name,
            kind: v.kind,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/villages", tag = "communes", params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [Village]), (status = 404, body = ErrorBody)))]
async fn villages(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<Village>>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        tenancy::villages(&state.db, &c.code)
            .await?
            .into_iter()
            .map(Village::from)
            .collect(),
    ))
}

#[utoipa::path(put, path = "/api/v1/communes/{code}/contacts", tag = "communes", request_body = tenancy::Contacts, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "The contacts as saved (trimmed; empty parts left out)", body = tenancy::Contacts), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_contacts(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<tenancy::Contacts>,
) -> AppResult<Json<tenancy::Contacts>> {
    let c = state.communes.active(&code)?;
    Ok(Json(
        crate::actions::communes::set_contacts(state.kernel(), ctx.actor(), &c, b).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewVillage {
    name: String,
    kind: String,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/villages", tag = "communes", request_body = NewVillage, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Village), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_village(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(r): ApiJson<NewVillage>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let input = actions::villages::VillageInput {
        name: &r.name,
        kind: &r.kind,
    };
    let v = actions::villages::create(state.kernel(), ctx.actor(), &c, input).await?;
    Ok((StatusCode::CREATED, Json(Village::from(v))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct StaffMember {
    grant_id: i64,
    user_id: i64,
    full_name: String,
    role: Role,
    department: Option<String>,
    phone: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/staff", tag = "communes", params(("code" = String, Path, description = "Commune code")), security(("bearer" = [])),
    responses((status = 200, body = [StaffMember]), (status = 403, body = ErrorBody)))]
async fn staff(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<StaffMember>>> {
    let c = state.communes.active(&code)?;
    // The page's use case too: not for village heads.
    let rows = actions::staff::list(state.kernel(), ctx.actor(), &c).await?;
    Ok(Json(
        rows.into_iter()
            .filter_map(|(g, u)| {
                Some(StaffMember {
                    grant_id: g.id,
                    user_id: u.id,
                    full_name: u.full_name,
                    role: Role::parse(&g.role)?,
                    department: g.department,
                    phone: u.phone,
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewStaff {
    full_name: String,
    phone: String,
    #[serde(default)]
    email: String,
    /// `village_head`, `official`, `leader` or `commune_admin`.
    role: String,
    #[serde(default)]
    department: String,
    /// Initial password, for a person without an account yet.
    #[serde(default)]
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/staff", tag = "communes", request_body = NewStaff, security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(r): ApiJson<NewStaff>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let input = actions::staff::NewStaff {
        full_name: &r.full_name,
        phone: &r.phone,
        email: &r.email,
        role: &r.role,
        department: &r.department,
        password: &r.password,
    };
    let (id, _) = actions::staff::add(state.kernel(), ctx.actor(), &c, input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    total: u64,
    page: u64,
    entries: Vec<audit::entity::Model>,
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/audit", tag = "communes", params(("code" = String, Path, description = "Commune code"), audit::Filter), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(f): ApiQuery<audit::Filter>,
) -> AppResult<Json<AuditPage>> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, &[Role::CommuneAdmin, Role::Leader, Role::SystemAdmin])?;
    let (entries, total) = audit::list(&state.db, &c.code, &f).await?;
    Ok(Json(AuditPage {
        total,
        page: crate::paging::page(f.page),
        entries,
    }))
}

#[utoipa::path(post, path = "/api/v1/communes/{code}/attachments", tag = "files", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    request_body(content_type = "multipart/form-data", description = "One part named `file`: a JPEG, PNG, WebP photo or a PDF"),
    responses((status = 201, body = files::entity::Model), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    if u.commune_code.as_deref() != Some(c.code.as_str()) && !u.is_staff_of(&c) {
        return Err(AppError::other_commune());
    }
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("form_invalid"))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("file").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"))?;
            let m = state
                .files
                .store(
                    &state.db,
                    &c.code,
                    Some(u.id),
                    &name,
                    bytes.to_vec(),
                    files::IMAGES_AND_PDF,
                )
                .await?;
            return Ok((StatusCode::CREATED, Json(m)).into_response());
        }
    }
    Err(AppError::invalid("file_missing", "file"))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    commune_code: String,
    full_name: String,
    /// Vietnamese mobile number in any usual spelling: `0912345678`, `+84912345678`, `84 912 345 678`.
    phone: String,
    password: String,
    village_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Registered {
    id: i64,
    /// Canonical E.164 form.
    phone: String,
    commune_code: String,
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = Registered), (status = 409, description = "Phone already registered", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    ext: Extensions,
    ApiJson(r): ApiJson<RegisterRequest>,
) -> AppResult<Response> {
    super::pages::auth::throttle_sign_ups(&state, &ext).await?;
    let village_id = r.village_id.map(|v| v.to_string()).unwrap_or_default();
    let input = actions::citizens::Registration {
        commune_code: &r.commune_code,
        full_name: &r.full_name,
        phone: &r.phone,
        password: &r.password,
        village_id: &village_id,
    };
    let u = actions::citizens::register(state.kernel(), input).await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id: u.id,
            phone: u.phone.unwrap_or_default(),
            commune_code: u.commune_code.unwrap_or_default(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    phone: String,
    password: String,
    /// A name to recognise the token by, e.g. the client program.
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenIssued {
    id: i64,
    /// Send as `Authorization: Bearer <token>`. Shown once; only a hash is stored.
    token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "accounts", request_body = TokenRequest,
    responses((status = 201, body = TokenIssued), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn issue_token(
    State(state): State<AppState>,
    ext: Extensions,
    ApiJson(r): ApiJson<TokenRequest>,
) -> AppResult<Response> {
    if !state
        .login_limiter
        .allow(&state.db, super::ops::client_ip(&ext))
        .await?
    {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
        ));
    }
    let u = accounts::authenticate(
        &state.db,
        &r.phone,
        &r.password,
        state.config.login_max_failures,
        state.config.login_lockout_minutes,
    )
    .await?;
    let (m, token) = accounts::create_api_token(&state.db, u.id, &r.name).await?;
    Ok((StatusCode::CREATED, Json(TokenIssued { id: m.id, token })).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])), responses((status = 200, body = CurrentUser), (status = 401, body = ErrorBody)))]
async fn me(ctx: Ctx) -> AppResult<Json<CurrentUser>> {
    Ok(Json(ctx.user()?.clone()))
}

#[derive(Serialize, ToSchema)]
pub struct Inbox {
    unread: u64,
    items: Vec<notify::inbox_item::Model>,
}

#[utoipa::path(get, path = "/api/v1/me/inbox", tag = "accounts", security(("bearer" = [])), responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
async fn inbox(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Inbox>> {
    let u = ctx.user()?;
    Ok(Json(Inbox {
        unread: state.unread.get(&state.db, u.id).await?,
        items: notify::inbox(&state.db, u.id, 100, ctx.tr().0).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/me/inbox/{id}/read", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path, description = "Inbox item id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn inbox_read(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    notify::mark_read(&state.db, ctx.user()?.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let comps = api.components.get_or_insert_with(Default::default);
        comps.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("Personal API token (`xaso_…`), or the session cookie plus an `X-CSRF-Token` header for writes from the browser.")).build()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Xã Số API", description = "The JSON API of Xã Số, the smart-commune and e-commerce-commune platform. Errors always have the shape `{\"error\": {\"code\", \"message\", \"field\"}}` with a stable `code` and a Vietnamese `message` (English with `Cookie: xaso_lang=en`).", license(name = "AGPL-3.0-or-later")),
    paths(provinces, search_units, communes, activate, villages, create_village, set_contacts, staff, add_staff, audit_log, upload, register, issue_token, me, inbox, inbox_read, super::pages::holidays::api_list, super::pages::holidays::api_set, super::pages::prefs::notification_prefs_get, super::pages::prefs::notification_prefs_put, super::figures_api::figures, super::pages::payments::api_statement, super::pages::payments::api_confirm),
    components(schemas(ErrorBody, crate::error::ErrorDetail, Role, accounts::Grant)),
    modifiers(&BearerAuth),
    tags((name = "units", description = "The official catalogue of administrative units (July 2025)"), (name = "communes", description = "Tenants, villages, staff, audit"), (name = "accounts", description = "Registration, tokens, the signed-in user"), (name = "files", description = "Attachments"), (name = "calendar", description = "Working days: public holidays and the government's yearly adjustments"), (name = "payments", description = "Payment records and bank statements matched to them"))
)]
pub struct KernelApi;

/// The whole API description: the kernel's paths plus every room's, merged with a check that
/// no two parts define one schema name differently, with the shared error responses added.
pub fn openapi(
    rooms: Vec<(&str, utoipa::openapi::OpenApi)>,
) -> Result<utoipa::openapi::OpenApi, String> {
    let mut parts = vec![
        ("kernel", KernelApi::openapi()),
        ("kernel/otp", super::pages::otp::OtpApi::openapi()),
    ];
    parts.extend(rooms);
    let mut doc = super::apidoc::merge_parts(parts)?;
    super::apidoc::add_shared_errors(&mut doc);
    Ok(doc)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units/provinces", get(provinces))
        .route("/api/v1/units/communes", get(search_units))
        .route("/api/v1/communes", get(communes).post(activate))
        .route(
            "/api/v1/communes/{code}/villages",
            get(villages).post(create_village),
        )
        .route("/api/v1/communes/{code}/staff", get(staff).post(add_staff))
        .route("/api/v1/communes/{code}/contacts", put(set_contacts))
        .route("/api/v1/communes/{code}/audit", get(audit_log))
        .route("/api/v1/communes/{code}/attachments", post(upload))
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/token", post(issue_token))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/inbox", get(inbox))
        .route("/api/v1/me/inbox/{id}/read", post(inbox_read))
}

/// The OpenAPI document and its docs page, mounted by the binary once every room is known.
pub fn docs_router(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    let json = std::sync::Arc::new(doc.to_pretty_json().unwrap_or_default());
    let ops = std::sync::Arc::new(operations(&doc));
    let title = doc.info.title.clone();
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        (*json).clone(),
                    )
                }
            }),
        )
        .route(
            "/api/docs",
            get(move |State(state): State<AppState>, ctx: Ctx| {
                let ops = ops.clone();
                let title = title.clone();
                async move {
                    let shell = super::shell::Shell::new(&state, &ctx, None, &title).await;
                    super::shell::render(&DocsPage { shell, ops: &ops })
                }
            }),
        )
}

pub struct Operation {
    method: String,
    path: String,
    summary: String,
    tag: String,
    responses: String,
}

fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<Operation> {
    let value = serde_json::to_value(doc).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let summary = op
                    .get("summary")
                    .or_else(|| op.get("description"))
                    .and_then(|s| s.as_str())
                    .unwrap_or("")
                    .to_owned();
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_owned();
                let responses = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                out.push(Operation {
                    method: method.clone(),
                    path: path.clone(),
                    summary,
                    tag,
                    responses,
                });
            }
        }
    }
    out.sort_by(|a, b| a.tag.cmp(&b.tag).then(a.path.cmp(&b.path)));
    out
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage<'a> {
    shell: super::shell::Shell,
    ops: &'a [Operation],
}
