//! The API keeps its contract: every error is JSON with a stable code (also when a query,
//! a path or a body does not parse), and the OpenAPI document is the reviewed snapshot in
//! `docs/openapi.json`, with query parameters in the query and one definition per schema name.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

fn assert_json_error(r: &common::Resp, status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.body);
    let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("application/json"), "{ct}: {}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["code"], code, "{}", r.body);
    assert_eq!(e["field"].as_str(), field, "{}", r.body);
    assert!(!e["message"].as_str().unwrap_or_default().is_empty());
}

#[tokio::test]
async fn api_errors_are_json_with_stable_codes() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let bad = StatusCode::BAD_REQUEST;
        // Queries that do not parse: a missing parameter, words where numbers belong.
        let r = c.get("/api/v1/track?receipt=").await;
        assert_json_error(&r, bad, "query_invalid", Some("phone"));
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Tham số")
        );
        let r = c.get("/api/v1/payment-code?phone=0912345678").await;
        assert_json_error(&r, bad, "query_invalid", Some("receipt"));
        let r = c.get("/api/v1/communes/17071/notices?page=two").await;
        assert_json_error(&r, bad, "query_invalid", Some("page"));
        let r = c.get("/api/v1/holidays?year=twenty").await;
        assert_json_error(&r, bad, "query_invalid", Some("year"));
        let r = c.get("/api/v1/units/communes?q=minh&limit=-1").await;
        assert_json_error(&r, bad, "query_invalid", Some("limit"));
        let r = c
            .get("/api/v1/communes/17071/feedback/board?page=1.5")
            .await;
        assert_json_error(&r, bad, "query_invalid", Some("page"));

        // Path parameters that do not parse.
        let r = c.get("/api/v1/communes/17071/procedures/abc").await;
        assert_json_error(&r, bad, "path_invalid", Some("id"));
        let r = c.get("/api/v1/communes/17071/notices/9x").await;
        assert_json_error(&r, bad, "path_invalid", Some("id"));

        // Bodies: not JSON, the wrong shape, no JSON content type.
        let post = |body: &'static str, ct: &'static str| {
            Request::post("/api/v1/auth/token")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap()
        };
        let r = c.send(post("not json", "application/json")).await;
        assert_json_error(&r, bad, "json_invalid", None);
        let r = c.send(post("{\"phone\": ", "application/json")).await;
        assert_json_error(&r, bad, "json_invalid", Some("phone"));
        let r = c
            .send(post(
                "{\"phone\": \"0912\", \"password\": 5}",
                "application/json",
            ))
            .await;
        assert_json_error(&r, bad, "json_invalid", Some("password"));
        let r = c
            .send(post(
                "{\"phone\": \"0912\", \"password\": \"x\"}",
                "application/json",
            ))
            .await;
        assert_json_error(&r, bad, "json_invalid", Some("name"));
        let r = c.send(post("phone=0912", "text/plain")).await;
        assert_json_error(
            &r,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type_invalid",
            None,
        );

        // In the caller's language.
        let r = c
            .send(
                Request::get("/api/v1/track?receipt=")
                    .header(header::COOKIE, "xaso_lang=en")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_json_error(&r, bad, "query_invalid", Some("phone"));
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("query parameter"),
            "{}",
            r.body
        );

        // A page's query that does not parse gets the error page, not axum's plain text.
        let r = c.get("/c/17071/notices?page=two").await;
        assert_eq!(r.status, bad);
        let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(ct.starts_with("text/html"), "{ct}: {}", r.body);
        assert!(r.body.contains("request_invalid"), "{}", r.body);
    });
}

/// The generated document, compared with the committed snapshot.
#[test]
fn openapi_matches_the_snapshot() {
    let generated = xaso::openapi_json().unwrap_or_else(|e| panic!("{e}"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("XASO_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/openapi.json differs from the API's OpenAPI document (first at line {}):\n  \
             committed: {}\n  generated: {}\nIf the API change is intended, rewrite the snapshot \
             and review its diff:\n  XASO_UPDATE_SNAPSHOTS=1 cargo test -p xaso --test it \
             openapi_matches_the_snapshot\n  git diff docs/openapi.json",
            first + 1,
            committed.lines().nth(first).unwrap_or("(end of file)"),
            generated.lines().nth(first).unwrap_or("(end of file)"),
        );
    }
}

#[test]
fn rooms_name_their_schemas_uniquely() {
    // Each room's document on its own, then merged with the check: a schema name two rooms
    // define differently (`Status` of dossiers and of feedback) fails here.
    if let Err(e) = xaso::openapi() {
        panic!("{e}");
    }
    let docs: Vec<_> = xaso::rooms()
        .iter()
        .filter_map(|r| r.api_doc().map(|d| (r.key(), d)))
        .collect();
    assert!(docs.len() >= 4);
    kernel::web::apidoc::merge_parts(docs).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn parameters_are_where_the_api_reads_them() {
    let doc = xaso::openapi().unwrap();
    let misplaced = kernel::web::apidoc::misplaced_parameters(&doc);
    assert!(
        misplaced.is_empty(),
        "parameters declared in the path but read from the query (add \
         `#[into_params(parameter_in = Query)]`):\n{}",
        misplaced.join("\n")
    );
    let v = serde_json::to_value(&doc).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    // The feedback step is documented with feedback's actions, not the dossiers'.
    let step = &v["components"]["schemas"]["StepBody"]["properties"]["action"]["$ref"];
    assert_eq!(step, "#/components/schemas/FeedbackAction");
    let feedback_actions = &v["components"]["schemas"]["FeedbackAction"]["enum"];
    assert!(
        feedback_actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "merge")
    );
    let track = &v["paths"]["/api/v1/track"]["get"];
    for p in track["parameters"].as_array().unwrap() {
        assert_eq!(p["in"], "query", "{p}");
    }
    // Statuses the platform returns everywhere are documented.
    assert_eq!(
        track["responses"]["400"]["$ref"],
        "#/components/responses/BadRequest"
    );
    let me = &v["paths"]["/api/v1/me"]["get"]["responses"];
    assert!(me.get("401").is_some(), "{me}");
    let ids: Vec<&str> = v["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "operation ids are unique across rooms"
    );
}

#[tokio::test]
async fn payment_code_lookups_are_throttled_like_tracking() {
    on_each_backend!(async |app: &common::TestApp| {
        // The payment code and its QR answer to a receipt and a phone alone, as tracking does:
        // guessing them must get slow too, and the 429 is documented.
        let mut guesser = app.client();
        for i in 0..60 {
            let r = guesser
                .get(&format!(
                    "/api/v1/payment-code?receipt=17071-000000-{i:05}&phone=0912000011"
                ))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        }
        let r = guesser
            .get("/api/v1/payment-code?receipt=17071-000000-99999&phone=0912000011")
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "track_throttled")
        );
        let r = guesser
            .get("/c/17071/dossiers/17071-000000-99998/qr.svg?phone=0912000011")
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        let doc = serde_json::to_value(xaso::openapi().unwrap()).unwrap();
        for path in ["/api/v1/payment-code", "/api/v1/track"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            assert!(responses.get("429").is_some(), "{path}: {responses}");
        }
    });
}
