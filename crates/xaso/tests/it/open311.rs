//! Open311 GeoReport v2 through HTTP: JSON and XML, keys, errors in the spec's shape, and
//! requests that are the same records as the web's feedback.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use serde_json::json;

async fn issue_key(app: &TestApp) -> (common::Client, String, i64) {
    let mut admin = app.login(common::COMMUNE_ADMIN).await;
    let r = admin
        .post_json_csrf(
            "/api/v1/communes/17071/open311-keys",
            json!({"name": "Ứng dụng thử"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let k = r.json();
    (
        admin,
        k["key"].as_str().unwrap().to_owned(),
        k["id"].as_i64().unwrap(),
    )
}

async fn post_form(c: &mut common::Client, path: &str, body: &str) -> common::Resp {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    c.send(req).await
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test]
async fn services_and_definitions_in_json_and_xml() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = app.client();
        let d = c.get("/open311/v2/discovery.json").await.json();
        assert_eq!(
            d["endpoints"][0]["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        let s = c.get("/open311/v2/services.json").await.json();
        let codes: Vec<&str> = s
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["service_code"].as_str().unwrap())
            .collect();
        for code in [
            "infrastructure",
            "environment",
            "security",
            "new_rural",
            "administration",
            "other",
        ] {
            assert!(codes.contains(&code), "{codes:?}");
        }
        let x = c.get("/open311/v2/services.xml").await;
        assert!(
            x.headers.get("set-cookie").is_none(),
            "machine clients get no CSRF cookie"
        );
        assert_eq!(x.headers["content-type"], "text/xml; charset=utf-8");
        assert!(
            x.body
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>")
        );
        assert!(
            x.body.contains("<service_code>environment</service_code>")
                && x.body.contains("đốt rơm rạ")
        );
        let def = c.get("/open311/v2/services/environment.json").await.json();
        assert_eq!(def["service_code"], "environment");
        assert_eq!(def["attributes"][0]["code"], "anonymous");
        let r = c.get("/open311/v2/services/khong_co.json").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json()[0]["code"], 404);
        let r = c.get("/open311/v2/services/khong_co.xml").await;
        assert!(
            r.body
                .contains("<errors><error><code>404</code><description>")
        );
        // Unknown jurisdiction, and a required one on a multi-commune deployment.
        assert_eq!(
            c.get("/open311/v2/services.json?jurisdiction_id=99999")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let mut sys = app.login(common::ADMIN).await;
        sys.post_json_csrf("/api/v1/communes", json!({"code": "02269"}))
            .await;
        let r = c.get("/open311/v2/services.json").await;
        assert_eq!(
            (r.status, r.json()[0]["code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(400))
        );
        assert_eq!(
            c.get("/open311/v2/services.json?jurisdiction_id=17071")
                .await
                .status,
            StatusCode::OK
        );
    });
}

#[tokio::test]
async fn posting_needs_a_key_and_creates_the_same_feedback_as_the_web() {
    on_each_backend!(async |app: &TestApp| {
        let (mut admin, key, key_id) = issue_key(app).await;
        let mut c = app.client();
        let good = [
            ("service_code", "environment"),
            ("lat", "19.3312"),
            ("long", "105.1788"),
            ("description", "Nước thải trại lợn chảy ra mương"),
            ("first_name", "Lương"),
            ("last_name", "Văn Bảy"),
            ("phone", "0987 111 222"),
        ];
        let before = app.count("feedback").await;
        let r = post_form(&mut c, "/open311/v2/requests.json", &form(&good)).await;
        assert_eq!(
            (r.status, r.json()[0]["code"].as_i64()),
            (StatusCode::FORBIDDEN, Some(403)),
            "no key"
        );
        let mut bad_key = good.to_vec();
        bad_key.push(("api_key", "o311_sai"));
        let r = post_form(&mut c, "/open311/v2/requests.xml", &form(&bad_key)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("<errors><error><code>403</code>"));
        let mut unknown = good.to_vec();
        unknown[0] = ("service_code", "khong_co");
        unknown.push(("api_key", &key));
        let r = post_form(&mut c, "/open311/v2/requests.json", &form(&unknown)).await;
        assert_eq!(
            (r.status, r.json()[0]["code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(400))
        );
        let mut outside = good.to_vec();
        outside[1] = ("lat", "21.0285");
        outside[2] = ("long", "105.8542");
        outside.push(("api_key", &key));
        let r = post_form(&mut c, "/open311/v2/requests.json", &form(&outside)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(
            r.json()[0]["description"]
                .as_str()
                .unwrap()
                .contains("ngoài phạm vi của xã")
        );
        let mut empty = good.to_vec();
        empty[3] = ("description", " ");
        empty.push(("api_key", &key));
        assert_eq!(
            post_form(&mut c, "/open311/v2/requests.json", &form(&empty))
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(app.count("feedback").await, before, "nothing written");

        // A list read now is remembered; the new request must still show in the next read.
        let warm = c.get("/open311/v2/requests.json").await;
        assert_eq!(warm.status, StatusCode::OK);
        let mut ok = good.to_vec();
        ok.push(("api_key", &key));
        let r = post_form(&mut c, "/open311/v2/requests.json", &form(&ok)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(id.starts_with("PA17071-"));

        // Not answered yet: the public list (the board's) leaves it out, and the request
        // itself shows its status without the reporter's text or position.
        let list = c.get("/open311/v2/requests.json").await;
        assert!(
            !list.body.contains(&id),
            "unanswered requests are not listed"
        );
        let xml = c.get(&format!("/open311/v2/requests/{id}.xml")).await;
        assert!(
            xml.body
                .contains(&format!("<service_request_id>{id}</service_request_id>"))
                && xml.body.contains("<status>open</status>")
                && !xml.body.contains("trại lợn")
        );
        let tok = c.get(&format!("/open311/v2/tokens/{id}.json")).await.json();
        assert_eq!(tok[0]["service_request_id"], id.as_str());

        // Answered publicly, it joins the list (past the list read remembered above).
        let inbox = admin
            .get("/api/v1/communes/17071/office/feedback")
            .await
            .json();
        let fid = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["receipt_code"] == id.as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = admin
            .post_json_csrf(
                &format!("/api/v1/communes/17071/office/feedback/{fid}/steps"),
                json!({"action": "answer", "version": 1, "note": "Đã yêu cầu trại lợn xử lý nước thải."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list = c.get("/open311/v2/requests.json").await.json();
        let found = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["service_request_id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            (found["status"].as_str(), found["service_code"].as_str()),
            (Some("closed"), Some("environment"))
        );
        assert_eq!(found["lat"].as_f64(), Some(19.3312));
        assert_eq!(found["description"], "Nước thải trại lợn chảy ra mương");
        // Filters: by id (others ignored), status, service code, dates.
        let by_id = c
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={id}&status=open"
            ))
            .await
            .json();
        assert_eq!(by_id.as_array().unwrap().len(), 1);
        let open = c.get("/open311/v2/requests.json?status=open").await.json();
        assert!(!open.to_string().contains(&id));
        let closed = c
            .get("/open311/v2/requests.json?status=closed")
            .await
            .json();
        assert!(closed.to_string().contains(&id));
        let infra = c
            .get("/open311/v2/requests.json?service_code=infrastructure")
            .await
            .json();
        assert!(!infra.to_string().contains(&id));
        let old = c
            .get("/open311/v2/requests.json?end_date=2020-01-01T00:00:00Z")
            .await
            .json();
        assert_eq!(old.as_array().unwrap().len(), 0);
        let r = c.get("/open311/v2/requests.json?start_date=hôm-qua").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = c.get("/open311/v2/requests.json?status=pending").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);

        // The officials see it in the same inbox as web feedback, with the caller's name.
        let list = admin
            .get("/api/v1/communes/17071/office/feedback?status=all")
            .await
            .json();
        let row = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["receipt_code"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            (
                row["reporter_name"].as_str(),
                row["reporter_phone"].as_str()
            ),
            (Some("Lương Văn Bảy"), Some("+84987111222"))
        );

        // A revoked key stops working at once; revoking is audited.
        let token = admin.csrf().await;
        let r = admin
            .send(
                Request::delete(format!("/api/v1/communes/17071/open311-keys/{key_id}"))
                    .header("x-csrf-token", token)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let r = post_form(&mut c, "/open311/v2/requests.json", &form(&ok)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=open311")
            .await
            .json();
        assert_eq!(audit["total"], 2);
        // Officials who are not admins cannot issue keys.
        let mut official = app.login(common::OFFICIAL).await;
        let r = official
            .post_json_csrf("/api/v1/communes/17071/open311-keys", json!({"name": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
