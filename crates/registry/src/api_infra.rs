//! The infrastructure and sensors API: points (wifi, cameras, waste-water sources), coverage
//! per village, sensors (register, list, series) and devices sending readings with their
//! token.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Duration, Utc};
use kernel::error::{AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::{ApiJson, ApiPath, ApiQuery};
use kernel::web::ctx::Ctx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::actions::infra::{self, NewPoint};
use crate::actions::sensors::{self, NewSensor};
use crate::entity::{point, sensor};
use crate::sensors::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/communes/{code}/infrastructure",
            get(points).post(add_point),
        )
        .route(
            "/api/v1/communes/{code}/infrastructure/{id}/status",
            put(point_status),
        )
        .route(
            "/api/v1/communes/{code}/villages/{id}/coverage",
            put(set_coverage),
        )
        .route("/api/v1/communes/{code}/sensors", get(list).post(register))
        .route(
            "/api/v1/communes/{code}/sensors/{device}/readings",
            post(readings).get(series),
        )
}

/// A wifi point, camera or waste-water source.
#[derive(Serialize, ToSchema)]
pub struct Point {
    id: i64,
    /// wifi, camera, wastewater
    kind: String,
    name: String,
    village_id: Option<i64>,
    lat: f64,
    lon: f64,
    /// working, broken, planned
    status: String,
    note: String,
}

fn point_json(p: point::Model) -> Point {
    Point {
        id: p.id,
        kind: p.kind,
        name: p.name,
        village_id: p.village_id,
        lat: p.lat,
        lon: p.lon,
        status: p.status,
        note: p.note,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointsQuery {
    /// wifi (public), camera or wastewater (the register's readers)
    kind: String,
}

#[utoipa::path(get, operation_id = "infra_points", path = "/api/v1/communes/{code}/infrastructure", tag = "registry",
    params(("code" = String, Path, description = "Commune code"), PointsQuery),
    responses((status = 200, body = [Point]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn points(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<PointsQuery>,
) -> AppResult<Json<Vec<Point>>> {
    let c = state.communes.active(&code)?;
    let rows = infra::points(state.kernel(), ctx.actor(), &c, &q.kind).await?;
    Ok(Json(rows.into_iter().map(point_json).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct PointInput {
    /// wifi, camera, wastewater
    kind: String,
    name: String,
    lat: f64,
    lon: f64,
    /// working (default), broken, planned
    #[serde(default)]
    status: Option<String>,
    /// A camera's purpose, what a waste-water source drains into…
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, operation_id = "infra_add", path = "/api/v1/communes/{code}/infrastructure", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = PointInput,
    responses((status = 201, body = Point), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`infra_kind_unknown`, `infra_name_invalid`, `infra_status_unknown`, `household_location_outside`", body = ErrorBody)))]
async fn add_point(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(p): ApiJson<PointInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let row = infra::add_point(
        state.kernel(),
        ctx.actor(),
        &c,
        NewPoint {
            kind: p.kind,
            name: p.name,
            lat: p.lat,
            lon: p.lon,
            status: p.status.unwrap_or_else(|| "working".into()),
            note: p.note,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(point_json(row))).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct StatusInput {
    /// working, broken, planned
    status: String,
}

#[utoipa::path(put, operation_id = "infra_status", path = "/api/v1/communes/{code}/infrastructure/{id}/status", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Point id")), request_body = StatusInput,
    responses((status = 200, body = Point), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn point_status(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(s): ApiJson<StatusInput>,
) -> AppResult<Json<Point>> {
    let c = state.communes.active(&code)?;
    let row = infra::set_status(state.kernel(), ctx.actor(), &c, id, &s.status).await?;
    Ok(Json(point_json(row)))
}

#[derive(Deserialize, ToSchema)]
pub struct CoverageInput {
    /// 4G/5G: full, partial, none
    mobile: String,
    /// Fibre reaches the village.
    fibre: bool,
}

#[utoipa::path(put, operation_id = "village_coverage_set", path = "/api/v1/communes/{code}/villages/{id}/coverage", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("id" = i64, Path, description = "Village id")), request_body = CoverageInput,
    responses((status = 204, description = "Recorded"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_coverage(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(v): ApiJson<CoverageInput>,
) -> AppResult<StatusCode> {
    let c = state.communes.active(&code)?;
    infra::set_coverage(state.kernel(), ctx.actor(), &c, id, &v.mobile, v.fibre).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sensor with its latest reading.
#[derive(Serialize, ToSchema)]
pub struct Sensor {
    id: i64,
    device: String,
    name: String,
    #[schema(inline)]
    kind: Kind,
    unit: String,
    lat: f64,
    lon: f64,
    village_id: Option<i64>,
    alert_above: Option<f64>,
    alert_below: Option<f64>,
    last_value: Option<f64>,
    last_at: Option<DateTime<Utc>>,
    /// new (no reading yet), ok, alert, silent (stopped reporting)
    state: String,
}

pub(crate) fn sensor_json(s: &sensor::Model) -> Sensor {
    let kind = Kind::parse(&s.kind).unwrap_or(Kind::WaterLevel);
    Sensor {
        id: s.id,
        device: s.device.clone(),
        name: s.name.clone(),
        kind,
        unit: kind.unit().into(),
        lat: s.lat,
        lon: s.lon,
        village_id: s.village_id,
        alert_above: s.alert_above,
        alert_below: s.alert_below,
        last_value: s.last_value,
        last_at: s.last_at,
        state: s.state.clone(),
    }
}

#[utoipa::path(get, operation_id = "sensors_list", path = "/api/v1/communes/{code}/sensors", tag = "registry",
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = [Sensor]), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Vec<Sensor>>> {
    let c = state.communes.active(&code)?;
    let rows = sensors::list(state.kernel(), &c).await?;
    Ok(Json(rows.iter().map(sensor_json).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct SensorInput {
    /// The device's id: the last level of its MQTT topic `xaso/<commune>/sensors/<device>`.
    device: String,
    name: String,
    #[schema(inline)]
    kind: Kind,
    lat: f64,
    lon: f64,
    alert_above: Option<f64>,
    alert_below: Option<f64>,
    /// Minutes without a reading before the device is flagged (5–10,080; default 60).
    silent_after_min: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredSensor {
    #[serde(flatten)]
    sensor: Sensor,
    /// The device's token for `POST …/readings` (header `X-Device-Token`): shown once.
    token: String,
}

#[utoipa::path(post, operation_id = "sensor_register", path = "/api/v1/communes/{code}/sensors", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")), request_body = SensorInput,
    responses((status = 201, body = RegisteredSensor), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "`sensor_exists`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(code): ApiPath<String>,
    ApiJson(s): ApiJson<SensorInput>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (row, token) = sensors::register(
        state.kernel(),
        ctx.actor(),
        &c,
        NewSensor {
            device: s.device,
            name: s.name,
            kind: s.kind.as_str().into(),
            lat: s.lat,
            lon: s.lon,
            alert_above: s.alert_above,
            alert_below: s.alert_below,
            silent_after_min: s.silent_after_min,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredSensor {
            sensor: sensor_json(&row),
            token,
        }),
    )
        .into_response())
}

/// The header a device sends its token in.
pub const DEVICE_TOKEN: &str = "x-device-token";

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    stored: u64,
}

#[utoipa::path(post, operation_id = "sensor_readings_post", path = "/api/v1/communes/{code}/sensors/{device}/readings", tag = "registry",
    params(("code" = String, Path, description = "Commune code"), ("device" = String, Path, description = "The device's id")),
    request_body(content = String, content_type = "application/json", description = "`{\"value\": 2.4}`, `{\"value\": 2.4, \"at\": \"2026-12-07T08:00:00Z\"}` (or Unix seconds), or `{\"readings\": [...]}` (at most 1,000). Send the device's token in the `X-Device-Token` header."),
    responses((status = 202, body = Accepted), (status = 403, description = "`sensor_token_invalid`", body = ErrorBody),
        (status = 404, description = "`sensor_unknown`", body = ErrorBody),
        (status = 422, description = "`reading_invalid`, `reading_time_invalid`, `readings_too_many`, `reading_out_of_range`: nothing stored", body = ErrorBody)))]
async fn readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((code, device)): ApiPath<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let body = body.map_err(kernel::web::map_body_rejection)?;
    // Not `Authorization`: that header carries people's tokens, which the shell checks.
    let token = headers.get(DEVICE_TOKEN).and_then(|v| v.to_str().ok());
    let r = sensors::receive(state.kernel(), &c, &device, token, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { stored: r.stored })).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// raw, hour (default) or day
    resolution: Option<String>,
    /// Days back from now (1–366; default 7).
    days: Option<i64>,
}

/// One point of a series: a reading (raw) or a period's mean, low and high.
#[derive(Serialize, ToSchema)]
pub struct SeriesPoint {
    at: DateTime<Utc>,
    count: i64,
    mean: f64,
    low: f64,
    high: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Series {
    sensor: Sensor,
    resolution: String,
    points: Vec<SeriesPoint>,
}

#[utoipa::path(get, operation_id = "sensor_series", path = "/api/v1/communes/{code}/sensors/{device}/readings", tag = "registry",
    params(("code" = String, Path, description = "Commune code"), ("device" = String, Path, description = "The device's id"), SeriesQuery),
    responses((status = 200, body = Series), (status = 404, description = "`sensor_unknown`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn series(
    State(state): State<AppState>,
    ApiPath((code, device)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> AppResult<Json<Series>> {
    let c = state.communes.active(&code)?;
    let resolution = q.resolution.unwrap_or_else(|| "hour".into());
    let days = q.days.unwrap_or(7).clamp(1, 366);
    let (s, points) = sensors::series(
        state.kernel(),
        &c,
        &device,
        &resolution,
        Utc::now() - Duration::days(days),
    )
    .await?;
    Ok(Json(Series {
        sensor: sensor_json(&s),
        resolution,
        points: points
            .into_iter()
            .map(|(at, count, mean, low, high)| SeriesPoint {
                at,
                count,
                mean,
                low,
                high,
            })
            .collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        points,
        add_point,
        point_status,
        set_coverage,
        list,
        register,
        readings,
        series
    ),
    components(schemas(
        Point,
        PointInput,
        StatusInput,
        CoverageInput,
        Sensor,
        SensorInput,
        RegisteredSensor,
        Accepted,
        Series,
        SeriesPoint
    ))
)]
pub struct InfraApi;
