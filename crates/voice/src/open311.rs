//! Open311 GeoReport v2 at `/open311/v2/`, in JSON and XML: discovery, services, service
//! definitions, posting and reading requests, tokens. A request is a feedback record: the
//! same row the web form writes, its receipt code the `service_request_id`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use kernel::error::AppError;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use crate::actions;
use crate::entity::{category, feedback};
use crate::model::{self, Sight, Status};
use crate::receipt;
use crate::store::{self, NewFeedback};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{resource}", get(top).post(post_top))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        .layer(axum::Extension(std::sync::Arc::new(ListCache::default())))
}

/// The spec's default window for `GET requests` and its largest page.
const DEFAULT_DAYS: i64 = 90;
const MAX_REQUESTS: u64 = 1000;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

/// `services.json` → ("services", Json).
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let f = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    Some((name, f))
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// Writes a JSON value as the spec's XML: arrays become repeated `item` elements.
fn xml_value(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Null => {
            let _ = write!(out, "<{name}/>");
        }
        Value::Array(items) => {
            let _ = write!(out, "<{name}>");
            let item = xml_item_name(name);
            for i in items {
                xml_value(out, item, i);
            }
            let _ = write!(out, "</{name}>");
        }
        Value::Object(map) => {
            let _ = write!(out, "<{name}>");
            for (k, v) in map {
                xml_value(out, k, v);
            }
            let _ = write!(out, "</{name}>");
        }
        Value::String(s) => {
            let _ = write!(out, "<{name}>{}</{name}>", xml_escape(s));
        }
        other => {
            let _ = write!(out, "<{name}>{other}</{name}>");
        }
    }
}

/// The element names the spec uses inside its lists.
fn xml_item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        _ => "item",
    }
}

/// A list (or object) answered in the asked format; `root` names the XML document element.
fn respond(status: StatusCode, f: Format, root: &str, v: Value) -> Response {
    let (body, content_type) = encode(f, root, &v);
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn encode(f: Format, root: &str, v: &Value) -> (Bytes, &'static str) {
    match f {
        Format::Json => (
            Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            "application/json",
        ),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            xml_value(&mut out, root, v);
            (Bytes::from(out), "text/xml; charset=utf-8")
        }
    }
}

/// `GET requests` answers: a page of 1,000 requests is expensive to build and clients poll
/// it; serving the same bytes again costs almost nothing.
pub type ListCache = kernel::cache::GenerationCache<(Bytes, &'static str)>;

/// The spec's error shape: a list of `{code, description}`.
fn error(f: Format, status: StatusCode, description: &str) -> Response {
    respond(
        status,
        f,
        "errors",
        json!([{"code": status.as_u16(), "description": description}]),
    )
}

/// An error in the spec's shape. Server errors are logged first, as the kernel's `AppError`
/// does for every other route: Open311 answers in its own shape, so they would otherwise
/// vanish without a trace.
fn app_error(f: Format, e: &AppError) -> Response {
    if e.status.is_server_error() {
        tracing::error!(code = e.code, detail = ?e.detail, "request failed");
    }
    let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        e.status
    };
    let mut msg = e.message(kernel::i18n::Locale::Vi).to_owned();
    if let Some(field) = e.field {
        let _ = write!(msg, " ({field})");
    }
    error(f, status, &msg)
}

fn params(q: &str) -> BTreeMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// The commune a call is about: `jurisdiction_id` when given; required when the deployment
/// serves several communes.
fn jurisdiction(
    state: &AppState,
    p: &BTreeMap<String, String>,
) -> Result<std::sync::Arc<CommuneInfo>, (StatusCode, &'static str)> {
    match p
        .get("jurisdiction_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(code) => state
            .communes
            .active(code)
            .map_err(|_| (StatusCode::NOT_FOUND, "jurisdiction_id không tồn tại")),
        None => {
            let all = state.communes.all_active();
            if all.len() == 1 {
                Ok(all[0].clone())
            } else {
                Err((
                    StatusCode::BAD_REQUEST,
                    "Cần jurisdiction_id (mã xã) vì hệ thống phục vụ nhiều xã",
                ))
            }
        }
    }
}

/// `services.json` → ("services", Json, the query's parameters); `None` for another format.
fn call<'a>(
    file: &'a str,
    query: Option<&str>,
) -> Option<(&'a str, Format, BTreeMap<String, String>)> {
    let (name, f) = split(file)?;
    Some((name, f, params(query.unwrap_or(""))))
}

fn unknown_resource() -> Response {
    error(
        Format::Json,
        StatusCode::NOT_FOUND,
        "Không có tài nguyên này",
    )
}

/// The value, or an early return with the error in the spec's shape.
macro_rules! or_spec_error {
    ($e:expr, $f:expr) => {
        match $e {
            Ok(x) => x,
            Err(e) => return app_error($f, &e),
        }
    };
}

macro_rules! commune_or_error {
    ($state:expr, $p:expr, $f:expr) => {
        match jurisdiction($state, $p) {
            Ok(c) => c,
            Err((s, m)) => return error($f, s, m),
        }
    };
}

fn service_json(c: &category::Model) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": true,
        "type": "realtime",
        "keywords": "",
        "group": if c.restricted { "Bảo mật" } else { "Phản ánh, kiến nghị" },
    })
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn request_json(f: &feedback::Model, cats: &[category::Model], media_url: Option<String>) -> Value {
    let cat = cats.iter().find(|c| c.id == f.category_id);
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    json!({
        "service_request_id": f.receipt_code,
        "status": status.open311(),
        "status_notes": f.answer,
        "service_name": cat.map(|c| c.name.clone()),
        "service_code": cat.map(|c| c.code.clone()),
        "description": f.text,
        "agency_responsible": f.department,
        "service_notice": null,
        "requested_datetime": rfc3339(f.created_at),
        "updated_datetime": rfc3339(f.updated_at),
        "expected_datetime": rfc3339(f.due_at),
        "address": f.address,
        "address_id": null,
        "zipcode": null,
        "lat": f.lat,
        "long": f.lon,
        "media_url": media_url,
    })
}

/// `/open311/v2/{discovery|services|requests}.{json|xml}`.
async fn top(
    State(state): State<AppState>,
    axum::Extension(cache): axum::Extension<std::sync::Arc<ListCache>>,
    axum::Extension(guard): axum::Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((name, f, p)) = call(&resource, q.as_deref()) else {
        return unknown_resource();
    };
    match name {
        "discovery" => discovery(&state, &headers, f),
        "services" => {
            let c = commune_or_error!(&state, &p, f);
            match store::categories(&state.db, &c.code, false).await {
                Ok(cats) => {
                    let list: Vec<Value> = cats.iter().map(service_json).collect();
                    respond(StatusCode::OK, f, "services", Value::Array(list))
                }
                Err(e) => app_error(f, &e),
            }
        }
        "requests" => match p.get("service_request_id").filter(|s| !s.trim().is_empty()) {
            Some(ids) => {
                let ip = kernel::web::ops::client_ip(&ext);
                requests_by_id(&state, &guard, ip, f, &p, ids).await
            }
            None => list_requests(&state, &cache, f, &p).await,
        },
        _ => error(f, StatusCode::NOT_FOUND, "Không có tài nguyên này"),
    }
}

/// The endpoint's address: the configured public URL, else the host the client used.
fn discovery(state: &AppState, headers: &axum::http::HeaderMap, f: Format) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base = match state.config.public_url.trim_end_matches('/') {
        "" => format!("http://{host}"),
        url => url.to_owned(),
    };
    respond(
        StatusCode::OK,
        f,
        "discovery",
        json!({
            "changeset": "2025-07-01T00:00:00Z",
            "contact": "Ủy ban nhân dân xã, qua trang Phản ánh, kiến nghị",
            "key_service": "Khóa API do quản trị xã cấp tại trang Cài đặt phản ánh",
            "endpoints": [{
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": format!("{base}/open311/v2"),
                "changeset": "2025-07-01T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }],
        }),
    )
}

async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, f, p)) = call(&file, q.as_deref()) else {
        return unknown_resource();
    };
    let c = commune_or_error!(&state, &p, f);
    let cats = or_spec_error!(store::categories(&state.db, &c.code, false).await, f);
    let Some(cat) = cats.iter().find(|x| x.code == code) else {
        return error(f, StatusCode::NOT_FOUND, "service_code không tồn tại");
    };
    respond(
        StatusCode::OK,
        f,
        "service_definition",
        json!({
            "service_code": cat.code,
            "attributes": [{
                "variable": true,
                "code": "anonymous",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": "Ẩn danh tính người phản ánh với cán bộ xã",
                "order": 1,
                "description": "Gửi ẩn danh?",
                "values": [{"key": "false", "name": "Không"}, {"key": "true", "name": "Có"}],
            }, {
                "variable": true,
                "code": "village_id",
                "datatype": "number",
                "required": false,
                "datatype_description": "Mã thôn/bản trong xã",
                "order": 2,
                "description": "Thôn, bản",
                "values": [],
            }],
        }),
    )
}

/// The commune's public requests: exactly those on the public board.
async fn list_requests(
    state: &AppState,
    cache: &ListCache,
    f: Format,
    p: &BTreeMap<String, String>,
) -> Response {
    let c = commune_or_error!(state, p, f);
    // Read before the query: a write committed meanwhile bumps it and the entry is not reused.
    let generation = store::generation(&c.code);
    let key = format!(
        "{}|{}|{}",
        c.code,
        matches!(f, Format::Xml),
        serde_urlencoded::to_string(p).unwrap_or_default()
    );
    if let Some((body, content_type)) = cache.get(&key, generation) {
        return (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let _flight = cache.flight(&key).await;
    if let Some((body, content_type)) = cache.get(&key, generation) {
        return (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let cats = or_spec_error!(store::categories(&state.db, &c.code, true).await, f);
    // The public list is the public board (`model::on_board`): answered reports of open
    // categories. Others are followed one by one with their receipt code.
    let mut q = feedback::Entity::find()
        .filter(feedback::Column::CommuneCode.eq(&c.code))
        .filter(store::public_reports(&cats));
    let parse_time = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| format!("{k} phải theo ISO 8601, ví dụ 2025-07-01T00:00:00+07:00")),
        }
    };
    {
        let (start, end) = match (parse_time("start_date"), parse_time("end_date")) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(m), _) | (_, Err(m)) => return error(f, StatusCode::BAD_REQUEST, &m),
        };
        let end = end.unwrap_or_else(Utc::now);
        let start = start.unwrap_or(end - Duration::days(DEFAULT_DAYS));
        q = q
            .filter(feedback::Column::CreatedAt.gte(start))
            .filter(feedback::Column::CreatedAt.lte(end));
        if let Some(codes) = p.get("service_code").filter(|s| !s.trim().is_empty()) {
            let ids: Vec<i64> = codes
                .split(',')
                .filter_map(|code| cats.iter().find(|c| c.code == code.trim()))
                .map(|c| c.id)
                .collect();
            q = q.filter(feedback::Column::CategoryId.is_in(ids));
        }
        match p.get("status").map(|s| s.trim()).unwrap_or("") {
            "" => {}
            s => {
                let mut wanted = vec![];
                for one in s.split(',') {
                    match one.trim() {
                        "open" => wanted.extend([Status::New, Status::Assigned]),
                        "closed" => wanted.extend([
                            Status::Answered,
                            Status::Closed,
                            Status::Rejected,
                            Status::Merged,
                        ]),
                        _ => {
                            return error(
                                f,
                                StatusCode::BAD_REQUEST,
                                "status phải là open hoặc closed",
                            );
                        }
                    }
                }
                q = q
                    .filter(feedback::Column::Status.is_in(wanted.into_iter().map(Status::as_str)));
            }
        }
    }
    let rows = match q
        .order_by_desc(feedback::Column::CreatedAt)
        .order_by_desc(feedback::Column::Id)
        .limit(MAX_REQUESTS)
        .all(&state.db)
        .await
    {
        Ok(r) => r,
        Err(e) => return app_error(f, &AppError::from(e)),
    };
    let list: Vec<Value> = rows.iter().map(|x| request_json(x, &cats, None)).collect();
    let (body, content_type) = encode(f, "service_requests", &Value::Array(list));
    cache.put(key, generation, (body.clone(), content_type));
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `requests.{json|xml}?service_request_id=a,b,…`: each id is a look-up by receipt code, as
/// for `requests/{id}` (throttled, and shown as [`crate::model::sight`] allows a caller without
/// an account), not a filter on the public list. Other filters are ignored, as the spec says.
async fn requests_by_id(
    state: &AppState,
    guard: &receipt::Guard,
    ip: std::net::IpAddr,
    f: Format,
    p: &BTreeMap<String, String>,
    ids: &str,
) -> Response {
    let c = commune_or_error!(state, p, f);
    let mut list = vec![];
    for id in ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(50)
    {
        match receipt::look_up(&state.db, guard, ip, &c, id, None).await {
            Ok(found) => list.push(public_request(state, &c, found).await),
            Err(e) if e.status == StatusCode::NOT_FOUND => {}
            Err(e) => return app_error(f, &e),
        }
    }
    match list.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(list) => respond(StatusCode::OK, f, "service_requests", Value::Array(list)),
        Err(e) => app_error(f, &e),
    }
}

/// A found request as an anonymous caller may see it: redacted below [`Sight::Public`]
/// (no description, address, position nor photo).
async fn public_request(
    state: &AppState,
    c: &CommuneInfo,
    found: receipt::Found,
) -> Result<Value, AppError> {
    let fb = receipt::redacted(found.report, found.sight);
    let media = if found.sight < Sight::Public {
        None
    } else {
        store::photos(&state.db, fb.id).await?.first().map(|a| {
            format!(
                "{}/c/{}/feedback/{}/photos/{a}",
                state.config.public_url.trim_end_matches('/'),
                c.code,
                fb.receipt_code
            )
        })
    };
    let mut one = request_json(&fb, &found.cats, media);
    if found.sight < Sight::Public {
        one["description"] = Value::Null;
    }
    Ok(one)
}

/// One request by its id (the receipt code): [`crate::model::sight`] for a caller without an
/// account, through the throttled look-up the follow page and the API share. A request not on
/// the public board shows its status and answer, without description, address or position.
async fn one_request(
    State(state): State<AppState>,
    axum::Extension(guard): axum::Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, f, p)) = call(&file, q.as_deref()) else {
        return unknown_resource();
    };
    let c = commune_or_error!(&state, &p, f);
    let ip = kernel::web::ops::client_ip(&ext);
    let found = match receipt::look_up(&state.db, &guard, ip, &c, id, None).await {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return error(f, StatusCode::NOT_FOUND, "service_request_id không tồn tại");
        }
        Err(e) => return app_error(f, &e),
    };
    let one = match public_request(&state, &c, found).await {
        Ok(one) => one,
        Err(e) => return app_error(f, &e),
    };
    respond(StatusCode::OK, f, "service_requests", json!([one]))
}

/// Requests are created at once, so a token is the request's own receipt code (looked up
/// through the same throttle, so tokens cannot be guessed either).
async fn token(
    State(state): State<AppState>,
    axum::Extension(guard): axum::Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((tok, f, p)) = call(&file, q.as_deref()) else {
        return unknown_resource();
    };
    let c = commune_or_error!(&state, &p, f);
    let ip = kernel::web::ops::client_ip(&ext);
    match receipt::look_up(&state.db, &guard, ip, &c, tok, None).await {
        Ok(found) => respond(
            StatusCode::OK,
            f,
            "service_requests",
            json!([{"service_request_id": found.report.receipt_code, "token": tok}]),
        ),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            error(f, StatusCode::NOT_FOUND, "token không tồn tại")
        }
        Err(e) => app_error(f, &e),
    }
}

/// `POST /open311/v2/requests.{json|xml}`, form-encoded, `api_key` required.
async fn post_top(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let Some((name, f, mut p)) = call(&resource, q.as_deref()) else {
        return unknown_resource();
    };
    if name != "requests" {
        return error(f, StatusCode::METHOD_NOT_ALLOWED, "Chỉ POST requests");
    }
    // Parameters come in the body (the spec) or, from lenient clients, the query string.
    p.extend(params(std::str::from_utf8(&body).unwrap_or("")));
    let c = commune_or_error!(&state, &p, f);
    let key = p.get("api_key").map(String::as_str).unwrap_or("");
    if key.trim().is_empty() {
        return error(f, StatusCode::FORBIDDEN, "Thiếu api_key");
    }
    match store::key_commune(&state.db, key).await {
        Ok(Some(code)) if code == c.code => {}
        Ok(_) => return error(f, StatusCode::FORBIDDEN, "api_key không hợp lệ cho xã này"),
        Err(e) => return app_error(f, &e),
    }
    let code = p.get("service_code").map(|s| s.trim()).unwrap_or("");
    if code.is_empty() {
        return error(f, StatusCode::BAD_REQUEST, "Thiếu service_code");
    }
    let cats = or_spec_error!(store::categories(&state.db, &c.code, false).await, f);
    if !cats.iter().any(|x| x.code == code) {
        return error(f, StatusCode::BAD_REQUEST, "service_code không tồn tại");
    }
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let coordinate = |k: &str| model::parse_coordinate(&get(k));
    let (lat, lon) = match (coordinate("lat"), coordinate("long")) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return error(f, StatusCode::BAD_REQUEST, "lat/long không hợp lệ"),
    };
    let village_id = get("attribute[village_id]").trim().parse::<i64>().ok();
    let name = format!("{} {}", get("first_name").trim(), get("last_name").trim());
    let phone = match get("phone").trim() {
        "" => None,
        raw => match kernel::accounts::parse_phone(raw) {
            Ok(p) => Some(p),
            Err(_) => return error(f, StatusCode::BAD_REQUEST, "phone không hợp lệ"),
        },
    };
    let nf = NewFeedback {
        category_code: code.to_owned(),
        text: get("description"),
        anonymous: get("attribute[anonymous]") == "true",
        reporter: None,
        reporter_name: Some(name.trim().to_owned()),
        reporter_phone: phone,
        reporter_email: Some(get("email").trim().to_owned()),
        lat,
        lon,
        village_id,
        address: get("address_string"),
        source: "open311",
    };
    match actions::feedback::submit(state.kernel(), &c, nf, vec![])
        .await
        .map_err(AppError::from)
    {
        Ok(fb) => respond(
            StatusCode::CREATED,
            f,
            "service_requests",
            json!([{
                "service_request_id": fb.receipt_code,
                "service_notice": format!("Xã sẽ trả lời trước {}", kernel::web::pages::vn_time(fb.due_at)),
                "account_id": null,
            }]),
        ),
        Err(e) => app_error(f, &e),
    }
}

// ---- OpenAPI descriptions (the handlers above answer both formats) ----

/// Open311 services of a commune.
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    params(("jurisdiction_id" = Option<String>, Query, description = "Commune code; required on multi-commune deployments")),
    responses((status = 200, description = "List of services (also as services.xml)"), (status = 400, description = "jurisdiction_id missing"), (status = 404, description = "Unknown jurisdiction")))]
#[allow(dead_code)]
pub(crate) async fn services_doc() {}

/// Open311 requests: default window 90 days, at most 1,000.
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311",
    params(("jurisdiction_id" = Option<String>, Query, description = "Commune code"),
        ("service_request_id" = Option<String>, Query, description = "Comma-separated ids; other filters are ignored"),
        ("service_code" = Option<String>, Query, description = "Comma-separated service codes"),
        ("start_date" = Option<String>, Query, description = "ISO 8601"),
        ("end_date" = Option<String>, Query, description = "ISO 8601"),
        ("status" = Option<String>, Query, description = "open, closed or both")),
    responses((status = 200, description = "List of requests (also as requests.xml)"), (status = 400, description = "Bad parameter"), (status = 404, description = "Unknown jurisdiction")))]
#[allow(dead_code)]
pub(crate) async fn requests_doc() {}

/// Posts a request (form-encoded, `api_key` required).
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "api_key, service_code, lat/long or address_string, description, first_name, last_name, phone, email, attribute[anonymous], attribute[village_id]"),
    responses((status = 201, description = "[{service_request_id, service_notice}]"), (status = 400, description = "Bad parameter or unknown service_code"), (status = 403, description = "Missing or invalid api_key")))]
#[allow(dead_code)]
pub(crate) async fn post_request_doc() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` into a shared buffer, for a subscriber the test can read.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn server_errors_are_logged_client_errors_are_not() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let res = app_error(Format::Json, &AppError::internal("database is down"));
            assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let res = app_error(Format::Xml, &AppError::invalid("text_empty", "description"));
            assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        });
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("ERROR") && text.contains("request failed"),
            "{text}"
        );
        assert!(text.contains("database is down"), "{text}");
        assert_eq!(text.lines().count(), 1, "only the 5xx is logged: {text}");
    }

    #[test]
    fn xml_lists_use_the_spec_element_names_and_escape_text() {
        let mut out = String::new();
        xml_value(
            &mut out,
            "service_requests",
            &json!([{"service_request_id": "PA1", "description": "a < b & \"c\"", "lat": 19.3, "media_url": null}]),
        );
        assert_eq!(
            out,
            "<service_requests><request><description>a &lt; b &amp; &quot;c&quot;</description><lat>19.3</lat><media_url/><service_request_id>PA1</service_request_id></request></service_requests>"
        );
        assert_eq!(split("services.xml").map(|x| x.0), Some("services"));
        assert!(split("services.html").is_none());
    }
}
