//! Health, metrics, OpenAPI, public pages, unit search, languages and error pages, through HTTP.

use crate::common;

use axum::http::StatusCode;

#[tokio::test]
async fn health_metrics_and_openapi() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let r = c.get("/healthz").await;
        assert_eq!(r.status, StatusCode::OK);
        let home = c.get("/").await;
        assert_eq!(home.headers["x-frame-options"], "DENY");
        assert_eq!(home.headers["x-content-type-options"], "nosniff");
        assert!(home.headers["x-request-id"].len() >= 8, "request id echoed");
        let m = c.get("/metrics").await;
        assert!(
            m.body.contains("xaso_http_requests_total{class=\"2xx\"}"),
            "{}",
            m.body
        );
        assert!(m.body.contains("xaso_active_communes 1"));
        // The document itself is checked against docs/openapi.json (api_contract.rs): the
        // server serves that one.
        let spec = c.get("/api/openapi.json").await.json();
        let generated: serde_json::Value =
            serde_json::from_str(&xaso::openapi_json().unwrap()).unwrap();
        assert_eq!(spec, generated);
        let docs = c.get("/api/docs").await;
        assert_eq!(docs.status, StatusCode::OK);
        assert!(docs.body.contains("/api/v1/auth/register"));
    });
}

#[tokio::test]
async fn commune_home_portal_and_units() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let home = c.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Xã Minh Hợp") && home.body.contains("Tỉnh Nghệ An"));
        assert!(home.body.contains("Thôn Minh Tiến"), "villages listed");
        assert!(home.body.contains("lang=\"vi\""));
        assert_eq!(c.get("/c/17071").await.status, StatusCode::OK);

        let units = c.get("/units?q=thuong+lam").await;
        assert!(
            units.body.contains("Xã Thượng Lâm"),
            "diacritic-insensitive search"
        );
        let api = c
            .get("/api/v1/units/communes?q=Thuong%20L%C3%A2m")
            .await
            .json();
        assert!(
            api.as_array()
                .unwrap()
                .iter()
                .any(|u| u["name"] == "Xã Thượng Lâm")
        );
        let api = c.get("/api/v1/units/communes?q=dong%20da").await.json();
        assert!(
            api.as_array()
                .unwrap()
                .iter()
                .any(|u| u["name"] == "Phường Đống Đa")
        );
        let provinces = c.get("/api/v1/units/provinces").await.json();
        assert_eq!(provinces.as_array().unwrap().len(), 34);

        // A second commune turns `/` into the province portal.
        let mut admin = app.login(common::ADMIN).await;
        assert_eq!(
            admin
                .post_form("/admin/communes", &[("code", "2269")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let portal = c.get("/").await;
        assert!(
            portal.body.contains("Xã Thượng Lâm") && portal.body.contains("Xã Minh Hợp"),
            "{}",
            portal.body
        );
        assert!(c.get("/c/02269").await.body.contains("Tuyên Quang"));
    });
}

#[tokio::test]
async fn error_pages_are_vietnamese_and_english_on_request() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let nf = c.get("/no/such/page").await;
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        assert!(nf.body.contains("Không tìm thấy trang"));
        let unknown = c.get("/c/99999").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.body.contains("Không có xã, phường với mã này"));
        let api = c.get("/api/v1/communes/99999/villages").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.error_code(), "commune_unknown");

        let r = c.get("/prefs?lang=en&back=/login").await;
        assert_eq!(r.location(), "/login");
        let page = c.get("/login").await;
        assert!(page.body.contains("lang=\"en\"") && page.body.contains("Log in"));
        let api = c.get("/api/v1/communes/99999/villages").await.json();
        assert_eq!(
            api["error"]["message"],
            "No commune with this code is served here."
        );

        let r = c.get("/prefs?font=2&back=//evil.example").await;
        assert_eq!(r.location(), "/", "no open redirect");
        assert!(c.get("/").await.body.contains("class=\"font-2\""));
    });
}

#[tokio::test]
async fn server_errors_get_a_vietnamese_page_and_a_json_body() {
    let app = common::TestApp::start("sqlite", |_| {}).await;
    async fn bug() -> &'static str {
        panic!("a bug in a handler")
    }
    let broken = axum::Router::new()
        .route("/c/17071/broken", axum::routing::get(bug))
        .route("/api/v1/broken", axum::routing::get(bug));
    let router = kernel::web::app(app.platform.state.clone(), broken);
    let mut c = common::Client::new(router);
    let r = c.get("/c/17071/broken").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains("Hệ thống đang gặp sự cố") && r.body.contains("Xã Minh Hợp"));
    let r = c.get("/api/v1/broken").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    let r = c
        .send(
            axum::http::Request::delete("/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("không được hỗ trợ"));
    app.finish().await;
}
