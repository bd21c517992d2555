//! The commune's saved column mapping through the API: how the headers of its spreadsheets
//! read as the register's fields, for every later import.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::actions::mapping;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/communes/{code}/households/columns",
            get(list).put(save),
        )
        .route(
            "/api/v1/communes/{code}/households/columns/{id}",
            delete(forget),
        )
}

/// How one header of the commune's spreadsheets reads.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ColumnMapping {
    #[serde(default, skip_deserializing)]
    id: i64,
    /// The header as the spreadsheet writes it (matched without accents or case).
    header: String,
    /// A field of the import template (`household_code`, `head_name`, …) or `ignore`.
    field: String,
}

#[utoipa::path(get, operation_id = "household_columns", path = "/api/v1/communes/{code}/households/columns", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, description = "The commune's saved headers", body = [ColumnMapping]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<ColumnMapping>>> {
    let c = state.communes.active(&code)?;
    let rows = mapping::list(state.kernel(), ctx.actor(), &c).await?;
    Ok(Json(
        rows.into_iter()
            .map(|m| ColumnMapping {
                id: m.id,
                header: m.written,
                field: m.field,
            })
            .collect(),
    ))
}

#[utoipa::path(put, operation_id = "household_columns_save", path = "/api/v1/communes/{code}/households/columns", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = [ColumnMapping],
    responses((status = 204, description = "Saved (headers saved before read the new way); every later import reads them so; audited"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`import_mapping_field_unknown`, `import_mapping_header_invalid`: nothing saved", body = ErrorBody)))]
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(pairs): ApiJson<Vec<ColumnMapping>>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    let pairs: Vec<(String, String)> = pairs.into_iter().map(|m| (m.header, m.field)).collect();
    mapping::save(state.kernel(), ctx.actor(), &c, &pairs).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, operation_id = "household_columns_forget", path = "/api/v1/communes/{code}/households/columns/{id}", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Saved header id")),
    responses((status = 204, description = "Forgotten; audited"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "`import_mapping_unknown`", body = ErrorBody)))]
async fn forget(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    mapping::forget(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(paths(list, save, forget), components(schemas(ColumnMapping)))]
pub struct ColumnsApi;
