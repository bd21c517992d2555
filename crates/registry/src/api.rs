//! The register's JSON API: households (officials; paged, searched without accents), one
//! household with its members and history, imports (preview or apply), the import template,
//! and the commune map's layers as GeoJSON.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::error::{AppError, AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::actions::households::{self, Detail};
use crate::actions::import::Report;
use crate::actions::imports::{self, Importer};
use crate::columns;
use crate::entity::household;
use crate::error::Refusal;
use crate::model::{Facts, Poverty};
use crate::sheet::Input;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communes/{code}/households", get(list))
        .route(
            "/api/v1/communes/{code}/households/template.csv",
            get(template),
        )
        .route(
            "/api/v1/communes/{code}/households/import",
            post(import_file),
        )
        .route(
            "/api/v1/communes/{code}/households/export",
            get(export_file),
        )
        .route(
            "/api/v1/communes/{code}/households/duplicates",
            get(duplicates),
        )
        .route(
            "/api/v1/communes/{code}/households/duplicates/dismiss",
            post(dismiss),
        )
        .route("/api/v1/communes/{code}/households/{id}/merge", post(merge))
        .route("/api/v1/communes/{code}/households/{id}", get(one))
        .route("/api/v1/communes/{code}/map/{layer}", get(layer))
}

/// A household in a list.
#[derive(Serialize, ToSchema)]
pub struct HouseholdItem {
    id: i64,
    household_code: String,
    village_id: Option<i64>,
    /// The village's name, when filed under one.
    village: Option<String>,
    head_name: String,
    head_birth_year: Option<i32>,
    members: i32,
    address: String,
    phone: Option<String>,
    #[schema(inline)]
    poverty: Poverty,
    /// `fibre`, `mobile` or `none`; absent when never observed.
    internet: Option<String>,
    /// The digital address code (Open Location Code) of its pin.
    plus_code: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    updated_at: DateTime<Utc>,
}

pub(crate) fn item(h: &household::Model, villages: &HashMap<i64, String>) -> HouseholdItem {
    HouseholdItem {
        id: h.id,
        household_code: h.code.clone(),
        village_id: h.village_id,
        village: h.village_id.and_then(|v| villages.get(&v).cloned()),
        head_name: h.head_name.clone(),
        head_birth_year: h.head_birth_year,
        members: h.members,
        address: h.address.clone(),
        phone: h.phone.clone(),
        poverty: Poverty::parse(&h.poverty).unwrap_or_default(),
        internet: h.internet.clone(),
        plus_code: h.plus_code.clone(),
        lat: h.lat,
        lon: h.lon,
        updated_at: h.updated_at,
    }
}

pub(crate) async fn village_names(state: &AppState, code: &str) -> AppResult<HashMap<i64, String>> {
    Ok(kernel::tenancy::villages(&state.db, code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words of the code, head's name, address or phone, any accents; each may be the start
    /// of a word, all must match (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    q: String,
    /// One village only (a village head always sees only theirs).
    village: Option<i64>,
    page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdPage {
    page: u64,
    /// Another page follows.
    more: bool,
    items: Vec<HouseholdItem>,
}

#[utoipa::path(get, operation_id = "households_list", path = "/api/v1/communes/{code}/households", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ListQuery),
    responses((status = 200, description = "50 households a page, by code; the read is audited", body = HouseholdPage),
        (status = 400, description = "`search_too_long`", body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Not an official, leader or administrator of the commune (village heads: their village)", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<HouseholdPage>> {
    let c = state.communes.active(&code)?;
    let page = kernel::paging::page(q.page);
    let found = households::list(state.kernel(), ctx.actor(), &c, q.village, &q.q, page).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(HouseholdPage {
        page,
        more: found.more,
        items: found.items.iter().map(|h| item(h, &villages)).collect(),
    }))
}

/// A member of the household besides its head.
#[derive(Serialize, ToSchema)]
pub struct MemberItem {
    name: String,
    birth_year: Option<i32>,
    /// `m` or `f`.
    sex: Option<String>,
    /// spouse, child, parent, grandchild, sibling, in_law, other
    relation: String,
    /// The last four digits of their national ID (the number is never stored).
    national_id_last4: Option<String>,
}

/// One observation of the household's attributes.
#[derive(Serialize, ToSchema)]
pub struct ObservationItem {
    observed_on: NaiveDate,
    /// import, survey, official or resident
    source: String,
    facts: Facts,
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdDetail {
    #[serde(flatten)]
    household: HouseholdItem,
    /// `m` or `f`.
    head_sex: Option<String>,
    head_national_id_last4: Option<String>,
    ethnicity: Option<String>,
    /// The latest value of each attribute.
    facts: Facts,
    /// When the latest of them was observed.
    observed_on: Option<NaiveDate>,
    member_list: Vec<MemberItem>,
    /// Observations, newest first.
    history: Vec<ObservationItem>,
}

pub(crate) fn detail(d: &Detail, villages: &HashMap<i64, String>) -> HouseholdDetail {
    let h = &d.household;
    HouseholdDetail {
        household: item(h, villages),
        head_sex: h.head_sex.clone(),
        head_national_id_last4: h.head_id_last4.clone(),
        ethnicity: h.ethnicity.clone(),
        facts: store::facts_of(h),
        observed_on: h.observed_on,
        member_list: d
            .members
            .iter()
            .map(|m| MemberItem {
                name: m.name.clone(),
                birth_year: m.birth_year,
                sex: m.sex.clone(),
                relation: m.relation.clone(),
                national_id_last4: m.id_last4.clone(),
            })
            .collect(),
        history: d
            .history
            .iter()
            .map(|o| ObservationItem {
                observed_on: o.observed_on,
                source: o.source.clone(),
                facts: store::observed(o),
            })
            .collect(),
    }
}

#[utoipa::path(get, operation_id = "household_get", path = "/api/v1/communes/{code}/households/{id}", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Household id")),
    responses((status = 200, description = "The household, its members and its history; the read is audited", body = HouseholdDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`household_unknown`", body = ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<Json<HouseholdDetail>> {
    let c = state.communes.active(&code)?;
    let d = households::read(state.kernel(), ctx.actor(), &c, id).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(detail(&d, &villages)))
}

#[utoipa::path(get, operation_id = "households_template", path = "/api/v1/communes/{code}/households/template.csv", tag = "registry",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "The import template's header row", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody)))]
async fn template(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Response> {
    state.communes.active(&code)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ho-gia-dinh-mau.csv\"",
            ),
        ],
        format!("{}\r\n", columns::template()),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Write the good rows; without it the answer is a preview and nothing changes.
    #[serde(default)]
    apply: bool,
}

#[utoipa::path(post, operation_id = "households_import", path = "/api/v1/communes/{code}/households/import", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A CSV (UTF-8, `,` `;` or tab), XLSX or ODS file whose first row names the columns: the template's (`GET …/households/template.csv`) or the Vietnamese headers offices use (Mã hộ, Chủ hộ, Thôn…). Columns the file lacks keep what the register has."),
    responses((status = 200, description = "What each row is (new, updated, unchanged) or why it is refused (row, column, reason); with `apply`, the good rows are written, idempotently by household code", body = Report),
        (status = 401, body = ErrorBody), (status = 403, description = "Not an official or administrator of the commune", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, description = "Larger than the platform's upload limit", body = ErrorBody),
        (status = 422, description = "The file was refused whole (`file`: not a spreadsheet, unknown or missing columns); nothing changed", body = Report)))]
async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let body = body.map_err(kernel::web::map_body_rejection)?;
    let mut progress = |_: u64, _: u64| {};
    let report = imports::direct(
        state.kernel(),
        Importer::Official(ctx.actor()),
        &c,
        Input::Bytes(Arc::new(body.to_vec())),
        q.apply,
        ctx.locale,
        &mut progress,
    )
    .await?;
    let status = if report.file.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

#[utoipa::path(get, operation_id = "map_layer", path = "/api/v1/communes/{code}/map/{layer}.geojson", tag = "registry",
    params(("code" = String, Path, description = "Commune code"),
        ("layer" = String, Path, description = "`villages` (public: shapes, names, households per village), `households` (officials: points with code, village, poverty and internet; audited), `coverage` (public: village shapes with 4G/5G coverage and fibre), `wifi` (public), `cameras` and `wastewater` (officials), `sensors` (public: latest value and state)")),
    responses((status = 200, description = "A GeoJSON FeatureCollection (RFC 7946)", content_type = "application/geo+json", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`map_layer_unknown`", body = ErrorBody)))]
async fn layer(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, file)): ApiPath<(String, String)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let name = file
        .strip_suffix(".geojson")
        .ok_or_else(|| AppError::from(crate::error::ActionError::from(Refusal::LayerUnknown)))?;
    let body = households::layer(state.kernel(), ctx.actor(), &c, name).await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
    /// Why the personal data leaves the register (5–300 characters): written to the audit log.
    #[serde(default)]
    reason: String,
}

#[utoipa::path(get, operation_id = "households_export", path = "/api/v1/communes/{code}/households/export", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ExportQuery),
    responses((status = 200, description = "The register in the import template's columns (national IDs as their last four digits); audited with the reason", content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`export_reason_required`, or a format other than csv or xlsx", body = ErrorBody)))]
async fn export_file(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    use crate::actions::export::{Format, export};
    let c = state.communes.active(&code)?;
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => return Err(AppError::invalid("form_invalid", "format")),
    };
    let (bytes, _) = export(state.kernel(), ctx.actor(), &c, format, &q.reason).await?;
    let (mime, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ho-gia-dinh-{}.{ext}\"", c.code),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Two households that look like one.
#[derive(Serialize, ToSchema)]
pub struct LikelyDuplicate {
    first: HouseholdItem,
    second: HouseholdItem,
    /// `same_head` (same head's name and birth year in the same village) or `same_phone`.
    reason: String,
}

#[utoipa::path(get, operation_id = "households_duplicates", path = "/api/v1/communes/{code}/households/duplicates", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "At most 200 pairs, the older household first", body = [LikelyDuplicate]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn duplicates(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<LikelyDuplicate>>> {
    use crate::actions::duplicates::{self, Why};
    let c = state.communes.active(&code)?;
    let pairs = duplicates::list(state.kernel(), ctx.actor(), &c).await?;
    let villages = village_names(&state, &c.code).await?;
    Ok(Json(
        pairs
            .iter()
            .map(|(a, b, why)| LikelyDuplicate {
                first: item(a, &villages),
                second: item(b, &villages),
                reason: match why {
                    Why::SameHead => "same_head",
                    Why::SamePhone => "same_phone",
                }
                .into(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct MergeInput {
    /// The household that stays; the one in the path goes into it.
    into: i64,
}

#[utoipa::path(post, operation_id = "household_merge", path = "/api/v1/communes/{code}/households/{id}/merge", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "The household that goes")),
    request_body = MergeInput,
    responses((status = 204, description = "Merged: members and history moved, the household gone; audited"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`household_unknown`", body = ErrorBody), (status = 422, description = "`household_merge_self`", body = ErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    kernel::web::api::ApiJson(m): kernel::web::api::ApiJson<MergeInput>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    crate::actions::duplicates::merge(state.kernel(), ctx.actor(), &c, m.into, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct DistinctInput {
    first: i64,
    second: i64,
}

#[utoipa::path(post, operation_id = "households_distinct", path = "/api/v1/communes/{code}/households/duplicates/dismiss", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = DistinctInput,
    responses((status = 204, description = "Recorded as two households; never flagged again; audited"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn dismiss(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    kernel::web::api::ApiJson(d): kernel::web::api::ApiJson<DistinctInput>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    crate::actions::duplicates::dismiss(state.kernel(), ctx.actor(), &c, d.first, d.second).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(
    paths(list, one, template, import_file, export_file, duplicates, merge, dismiss, layer),
    components(schemas(LikelyDuplicate, MergeInput, DistinctInput, HouseholdPage, HouseholdItem, HouseholdDetail, MemberItem, ObservationItem, Report, Facts)),
    tags((name = "registry", description = "The household register and the commune map (A2, A7, C1, C2, D1)"))
)]
pub struct RegistryApi;
