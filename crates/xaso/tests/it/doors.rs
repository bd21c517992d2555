//! Both doors agree: what the pages show and what the JSON API (and Open311) answer follow
//! one rule per use case, for every role.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{self, CITIZEN, COMMUNE_ADMIN, OFFICIAL, TestApp};

const TEXT: &str = "Ống nước nhà bà Lan ở số 12 ngõ 3 bị vỡ";
const ADDRESS: &str = "Số 12 ngõ 3, thôn Đông";

/// A report of the demo citizen with text, address and a pin; returns (id, receipt).
async fn report(c: &mut common::Client) -> (i64, String) {
    let r = c
        .post_json_csrf(
            "/api/v1/communes/17071/feedback",
            json!({"category": "infrastructure", "text": TEXT, "address": ADDRESS,
                   "lat": 19.331_23, "lon": 105.187_65}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    (
        v["id"].as_i64().unwrap(),
        v["receipt_code"].as_str().unwrap().to_owned(),
    )
}

/// A stranger holding the receipt code of an unanswered report sees its status, not the
/// reporter's text, address or pin, through every door; nothing unanswered is listed.
#[tokio::test]
async fn a_receipt_shows_status_not_the_report_until_it_is_public() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(CITIZEN).await;
        let (id, receipt) = report(&mut citizen).await;
        let mut anon = app.client();
        let mut neighbour = app.login("0912000004").await;
        for c in [&mut anon, &mut neighbour] {
            let page = c.get(&format!("/c/17071/feedback/{receipt}")).await;
            assert_eq!(page.status, StatusCode::OK, "[{}]", app.backend);
            assert!(page.body.contains(&receipt));
            assert!(
                !page.body.contains("bà Lan"),
                "[{}] text leaked",
                app.backend
            );
            assert!(
                !page.body.contains("ngõ 3"),
                "[{}] address leaked",
                app.backend
            );
            assert!(
                !page.body.contains("19.33123"),
                "[{}] pin leaked",
                app.backend
            );
            let api = c
                .get(&format!("/api/v1/communes/17071/feedback/{receipt}"))
                .await;
            assert_eq!(api.status, StatusCode::OK);
            let v = api.json();
            assert_eq!(v["status"], "new");
            assert_eq!(v["text"], "", "[{}] {v}", app.backend);
            assert!(v["address"].is_null() && v["lat"].is_null() && v["lon"].is_null());
        }
        let o311 = anon
            .get(&format!("/open311/v2/requests/{receipt}.json"))
            .await;
        assert_eq!(o311.status, StatusCode::OK);
        let one = &o311.json()[0];
        assert_eq!(one["status"], "open");
        assert!(one["description"].is_null() && one["address"].is_null() && one["lat"].is_null());
        assert!(!o311.body.contains("bà Lan"));
        // Asking the list by id is a look-up by receipt too: status, not the report.
        let by_id = anon
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={receipt}"
            ))
            .await;
        assert_eq!(by_id.json()[0]["service_request_id"], receipt.as_str());
        assert!(!by_id.body.contains("bà Lan") && !by_id.body.contains("19.33"));
        let list = anon.get("/open311/v2/requests.json").await;
        assert!(
            !list.body.contains(&receipt),
            "unanswered reports are not listed"
        );
        assert!(!list.body.contains("bà Lan"));

        // The reporter sees all of it.
        let own = citizen.get(&format!("/c/17071/feedback/{receipt}")).await;
        assert!(own.body.contains("bà Lan") && own.body.contains("ngõ 3"));
        let own = citizen
            .get(&format!("/api/v1/communes/17071/feedback/{receipt}"))
            .await
            .json();
        assert_eq!(own["text"], TEXT);
        assert_eq!(own["address"], ADDRESS);

        // A rejected report stays off every public list.
        let mut official = app.login(OFFICIAL).await;
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/office/feedback/{id}/steps"),
                json!({"action": "reject", "version": 1, "note": "Không thuộc thẩm quyền của xã."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list = anon.get("/open311/v2/requests.json?status=closed").await;
        assert!(
            !list.body.contains(&receipt),
            "rejected reports are not listed"
        );
        let page = anon.get(&format!("/c/17071/feedback/{receipt}")).await;
        assert!(
            page.body.contains("Không thuộc thẩm quyền"),
            "the reason is public"
        );
        assert!(!page.body.contains("bà Lan"));

        // Answered publicly, a report is on the board and shows in full (never who sent it).
        let (id2, receipt2) = report(&mut citizen).await;
        let mut leader = app.login(common::LEADER).await;
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/office/feedback/{id2}/steps"),
                json!({"action": "answer", "version": 1, "note": "Đã sửa xong đường ống."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = anon.get(&format!("/c/17071/feedback/{receipt2}")).await;
        assert!(page.body.contains("bà Lan") && page.body.contains("Đã sửa xong"));
        assert!(!page.body.contains("Hoàng Văn Em"));
        let list = anon.get("/open311/v2/requests.json").await;
        assert!(list.body.contains(&receipt2) && !list.body.contains(&receipt));
        let one = anon
            .get(&format!("/open311/v2/requests/{receipt2}.json"))
            .await
            .json();
        assert_eq!(one[0]["description"], TEXT);
    });
}

/// Guessing receipt codes is throttled per address, across the page, the API and Open311.
#[tokio::test]
async fn guessing_receipts_is_throttled_on_every_door() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(CITIZEN).await;
        let (_, receipt) = report(&mut citizen).await;
        let mut anon = app.client();
        let mut statuses = vec![];
        for i in 0..70 {
            let guess = format!("17071-000000-G{i:04}");
            let path = match i % 3 {
                0 => format!("/c/17071/feedback/{guess}"),
                1 => format!("/api/v1/communes/17071/feedback/{guess}"),
                _ => format!("/open311/v2/requests/{guess}.json"),
            };
            statuses.push(anon.get(&path).await.status);
        }
        assert!(
            statuses[..60].iter().all(|s| *s == StatusCode::NOT_FOUND),
            "[{}] {statuses:?}",
            app.backend
        );
        assert!(
            statuses[60..]
                .iter()
                .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "[{}] {statuses:?}",
            app.backend
        );
        // Throttled, even a right code waits, on every door.
        for path in [
            format!("/c/17071/feedback/{receipt}"),
            format!("/api/v1/communes/17071/feedback/{receipt}"),
            format!("/open311/v2/requests/{receipt}.json"),
            format!("/open311/v2/tokens/{receipt}.json"),
        ] {
            let r = anon.get(&path).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        }
        let api = anon
            .get(&format!("/api/v1/communes/17071/feedback/{receipt}"))
            .await;
        assert_eq!(api.error_code(), "feedback_throttled");
    });
}

const VILLAGE_HEAD: &str = "0912000004";

/// For each role, the notice page and the notice API agree on a scheduled notice, and the
/// staff page and the staff API agree on the staff list (with its phone numbers).
#[tokio::test]
async fn page_and_api_agree_for_every_role() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(OFFICIAL).await;
        let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/notices",
                json!({"category": "notice", "title": "Lịch tiêm phòng tháng sau",
                       "body": "Dự thảo, chưa công bố.", "audience": {"whole_commune": true},
                       "publish_at": later}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let page = format!("/c/17071/notices/{id}");
        let api = format!("/api/v1/communes/17071/notices/{id}");
        let expected = [
            (CITIZEN, StatusCode::NOT_FOUND, StatusCode::FORBIDDEN),
            (VILLAGE_HEAD, StatusCode::NOT_FOUND, StatusCode::FORBIDDEN),
            (OFFICIAL, StatusCode::OK, StatusCode::OK),
            (COMMUNE_ADMIN, StatusCode::OK, StatusCode::OK),
        ];
        for (who, notice, staff) in expected {
            let mut c = app.login(who).await;
            let p = c.get(&page).await.status;
            let a = c.get(&api).await.status;
            assert_eq!(
                (p, a),
                (notice, notice),
                "[{}] {who}: scheduled notice",
                app.backend
            );
            let p = c.get("/c/17071/office/staff").await;
            let a = c.get("/api/v1/communes/17071/staff").await;
            assert_eq!(
                (p.status, a.status),
                (staff, staff),
                "[{}] {who}: staff list",
                app.backend
            );
            if staff == StatusCode::OK {
                assert!(p.body.contains("912 000 003") || p.body.contains("0912000003"));
                assert!(a.body.contains("+84912000003"));
            } else {
                assert!(!p.body.contains("912 000 003") && !a.body.contains("+84912000003"));
            }
        }
        // Nobody signed in: neither door.
        let mut anon = app.client();
        assert_eq!(anon.get(&page).await.status, StatusCode::NOT_FOUND);
        assert_eq!(anon.get(&api).await.status, StatusCode::NOT_FOUND);
    });
}
