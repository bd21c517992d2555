//! The voice room through HTTP: sending feedback with photos and a pin, refusing bad input
//! without writing anything, triage steps, the public board, ratings and who sees what.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

/// Inside the demo commune's area (19.27,105.12,19.37,105.24).
const LAT: &str = "19.3301";
const LON: &str = "105.1802";

type Fields = Vec<(&'static str, &'static str)>;
type Files = Vec<(&'static str, &'static str, &'static str, Vec<u8>)>;

async fn csrf_query(c: &mut common::Client) -> String {
    c.csrf().await
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("feedback").await,
        app.count("feedback_photo").await,
        app.count("attachment").await,
        app.count("audit_log").await,
    )
}

async fn my_id(c: &mut common::Client) -> i64 {
    c.get("/api/v1/me").await.json()["id"].as_i64().unwrap()
}

async fn submit_api(c: &mut common::Client, category: &str, text: &str) -> serde_json::Value {
    let r = c
        .post_json_csrf(
            "/api/v1/communes/17071/feedback",
            json!({"category": category, "text": text, "lat": 19.33, "lon": 105.18}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn citizen_sends_feedback_with_photos_and_a_pin_and_follows_it() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let form = citizen.get("/c/17071/feedback/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("data-map=\"picker\"") && form.body.contains("đốt rơm rạ"));
        assert!(
            form.body
                .contains("data-draft=\"feedback\" data-max-upload-bytes=\"204800\""),
            "the offline draft box learns the upload limit (the tests set 200 KiB)"
        );
        let token = csrf_query(&mut citizen).await;
        let r = citizen
            .post_multipart_files(
                &format!("/c/17071/feedback/new?csrf={token}"),
                &[
                    ("photos", "khoi.png", "image/png", common::png(40, 30)),
                    ("photos", "khoi2.png", "image/png", common::png(20, 20)),
                ],
                &[
                    ("category", "environment"),
                    (
                        "text",
                        "Có người đốt rơm rạ gần trường học <b>khói</b> mù mịt",
                    ),
                    ("lat", LAT),
                    ("lon", LON),
                    ("address", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (loc, sent) = r.location().split_once('?').unwrap();
        assert_eq!(sent, "sent=1", "the thank-you card after sending");
        let loc = loc.to_owned();
        assert!(loc.starts_with("/c/17071/feedback/PA17071-"), "{loc}");
        let page = citizen.get(&loc).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("khói") && !page.body.contains("<b>khói</b>"),
            "text kept as written and escaped"
        );
        assert!(page.body.contains("Mới tiếp nhận"));
        assert_eq!(app.count("feedback_photo").await, 2);
        let photo = page
            .body
            .split(&format!("{loc}/photos/"))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        let img = citizen.get(&format!("{loc}/photos/{photo}")).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.headers["content-type"], "image/png");

        app.deliver().await;
        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert!(inbox.to_string().contains("Đã nhận phản ánh PA17071-"));
        let mine = citizen.get("/c/17071/feedback/mine").await;
        assert!(mine.body.contains(loc.rsplit('/').next().unwrap()));
    });
}

#[tokio::test]
async fn bad_feedback_gets_a_clear_answer_and_changes_nothing() {
    on_each_backend!(
        |c: &mut kernel::config::Config| c.max_body_bytes = 400 * 1024,
        async |app: &TestApp| {
            let mut citizen = app.login(common::CITIZEN).await;
            let before = counts(app).await;
            let token = csrf_query(&mut citizen).await;
            let path = format!("/c/17071/feedback/new?csrf={token}");
            let ok_fields = [
                ("category", "infrastructure"),
                ("text", "Ổ gà lớn trên đường liên thôn"),
                ("lat", LAT),
                ("lon", LON),
            ];
            let with = |k: &'static str, v: &'static str| {
                let mut f = ok_fields.to_vec();
                f.retain(|(x, _)| *x != k);
                f.push((k, v));
                f
            };
            let long = "a".repeat(4001);
            let cases: Vec<(Fields, Files, &str)> = vec![
                (with("text", "   "), vec![], "Vui lòng nhập nội dung"),
                (
                    with("text", Box::leak(long.into_boxed_str())),
                    vec![],
                    "quá dài",
                ),
                (
                    with("category", "khong_co"),
                    vec![],
                    "Lĩnh vực phản ánh không tồn tại",
                ),
                (with("lat", "48.85"), vec![], "ngoài lãnh thổ Việt Nam"),
                (
                    {
                        let mut f = with("lat", "21.0285");
                        f.retain(|(x, _)| *x != "lon");
                        f.push(("lon", "105.8542"));
                        f
                    },
                    vec![],
                    "ngoài phạm vi của xã",
                ),
                (
                    {
                        let mut f = with("lat", "");
                        f.retain(|(x, _)| *x != "lon");
                        f
                    },
                    vec![],
                    "ghim vị trí",
                ),
                (with("lat", "bắc"), vec![], "Tọa độ không hợp lệ"),
                (
                    ok_fields.to_vec(),
                    (0..6)
                        .map(|i| {
                            (
                                "photos",
                                ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"][i],
                                "image/png",
                                common::png(8, 8),
                            )
                        })
                        .collect(),
                    "Quá nhiều ảnh",
                ),
                (
                    ok_fields.to_vec(),
                    vec![
                        ("photos", "ok.png", "image/png", common::png(8, 8)),
                        (
                            "photos",
                            "virus.jpg",
                            "image/jpeg",
                            b"MZ not a picture".to_vec(),
                        ),
                    ],
                    "không phải ảnh",
                ),
            ];
            for (fields, files, msg) in cases {
                let r = citizen.post_multipart_files(&path, &files, &fields).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{msg}: {}",
                    r.body
                );
                assert!(r.body.contains(msg), "[{}] expected «{msg}»", app.backend);
            }
            // Larger than the server takes at all.
            let big = vec![0u8; 500 * 1024];
            let r = citizen
                .post_multipart_files(
                    &path,
                    &[("photos", "big.png", "image/png", big)],
                    &ok_fields,
                )
                .await;
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
            // The same rules through the API, with stable codes.
            for (body, code) in [
                (
                    json!({"category": "infrastructure", "text": ""}),
                    "text_empty",
                ),
                (
                    json!({"category": "infrastructure", "text": "x", "lat": 1.0, "lon": 2.0}),
                    "location_outside_vn",
                ),
                (
                    json!({"category": "infrastructure", "text": "x", "lat": 19.33}),
                    "location_invalid",
                ),
                (
                    json!({"category": "nope", "text": "x", "address": "Thôn Minh Tiến"}),
                    "category_unknown",
                ),
                (
                    json!({"category": "infrastructure", "text": "x", "village_id": 999999}),
                    "village_unknown",
                ),
            ] {
                let r = citizen
                    .post_json_csrf("/api/v1/communes/17071/feedback", body)
                    .await;
                assert_eq!(
                    (r.status, r.error_code().as_str()),
                    (StatusCode::UNPROCESSABLE_ENTITY, code)
                );
            }
            // Signed out: no feedback from the web form.
            let mut anon = app.client();
            let r = anon.get("/c/17071/feedback/new").await;
            assert_ne!(r.status, StatusCode::OK);
            assert_eq!(
                counts(app).await,
                before,
                "[{}] nothing written",
                app.backend
            );
        }
    );
}

#[tokio::test]
async fn officials_triage_answer_and_the_reporter_rates() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let f = submit_api(
            &mut citizen,
            "infrastructure",
            "Cống thoát nước trước nhà văn hóa bị tắc",
        )
        .await;
        let receipt = f["receipt_code"].as_str().unwrap().to_owned();
        let id = f["id"].as_i64().unwrap();
        assert_eq!(f["status"], "new");

        let mut official = app.login(common::OFFICIAL).await;
        let me = my_id(&mut official).await;
        let list = official
            .get("/api/v1/communes/17071/office/feedback")
            .await
            .json();
        let row = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(
            row["reporter_name"], "Hoàng Văn Em",
            "officials see who reported"
        );
        let page = official.get("/c/17071/office/feedback").await;
        assert!(page.body.contains(&receipt) && page.body.contains("Hoàng Văn Em"));

        let step = |action: &str, version: i64, extra: serde_json::Value| {
            let mut b = json!({"action": action, "version": version});
            b.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            b
        };
        let path = format!("/api/v1/communes/17071/office/feedback/{id}/steps");
        // Not from this state, nor a stranger's answer.
        let r = official
            .post_json_csrf(&path, step("close", 1, json!({})))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "transition_invalid")
        );
        let r = official
            .post_json_csrf(&path, step("answer", 1, json!({"note": "Đã xử lý"})))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "step_forbidden"),
            "only the assignee or a leader answers"
        );
        let r = official
            .post_json_csrf(&path, step("assign", 1, json!({})))
            .await;
        assert_eq!(r.error_code(), "assignee_required");
        let r = official
            .post_json_csrf(&path, step("assign", 1, json!({"assignee_id": 1})))
            .await;
        assert_eq!(
            r.error_code(),
            "assignee_invalid",
            "the system admin is not the commune's handler"
        );
        let r = official
            .post_json_csrf(
                &path,
                step(
                    "assign",
                    1,
                    json!({"assignee_id": me, "department": "Địa chính - Xây dựng"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "assigned");
        // A second official acting on the old version loses, and nothing of theirs is kept.
        let mut leader = app.login(common::LEADER).await;
        let r = leader
            .post_json_csrf(&path, step("reject", 1, json!({"note": "Trùng"})))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "feedback_conflict")
        );
        let r = official
            .post_json_csrf(&path, step("answer", 2, json!({"note": ""})))
            .await;
        assert_eq!(r.error_code(), "note_required");
        // The board is read (and remembered) before the answer; the answer must still show.
        let before = app.client().get("/c/17071/feedback").await;
        assert!(!before.body.contains("Xã đã nạo vét cống"));
        // The web form, as the official would use it.
        let r = official
            .post_form(
                &format!("/c/17071/office/feedback/{id}/step"),
                &[
                    ("action", "answer"),
                    ("version", "2"),
                    ("note", "Xã đã nạo vét cống ngày 22/11."),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=feedback")
            .await
            .json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"feedback.assign") && actions.contains(&"feedback.answer"),
            "{actions:?}"
        );

        app.deliver().await;
        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert!(
            inbox.to_string().contains("Đã trả lời"),
            "the reporter is told: {inbox}"
        );

        // The public board shows the answer, never who asked.
        let mut anon = app.client();
        let board = anon.get("/c/17071/feedback").await;
        assert!(board.body.contains("Xã đã nạo vét cống") && !board.body.contains("Hoàng Văn Em"));
        let api = anon
            .get("/api/v1/communes/17071/feedback/board")
            .await
            .json();
        let item = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone();
        assert!(item["reporter_name"].is_null() && item["assignee_id"].is_null());
        let geo = anon.get("/c/17071/feedback/board.geojson").await.json();
        assert!(
            geo["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["properties"]["url"].as_str().unwrap().ends_with(&receipt))
        );

        // Only the reporter rates, once, 1 to 5.
        let rate = format!("/api/v1/communes/17071/feedback/{receipt}/rating");
        let r = official.post_json_csrf(&rate, json!({"rating": 5})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = citizen.post_json_csrf(&rate, json!({"rating": 9})).await;
        assert_eq!(r.error_code(), "rating_invalid");
        let r = citizen
            .post_form(
                &format!("/c/17071/feedback/{receipt}/rate"),
                &[("rating", "5"), ("comment", "Rất nhanh")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = citizen.post_json_csrf(&rate, json!({"rating": 1})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "rating_not_allowed")
        );
        let f = anon
            .get(&format!("/api/v1/communes/17071/feedback/{receipt}"))
            .await
            .json();
        assert_eq!(
            (f["status"].as_str(), f["rating"].as_i64()),
            (Some("closed"), Some(5))
        );
        assert_eq!(f["rating_comment"], "Rất nhanh");
        let page = citizen.get(&format!("/c/17071/feedback/{receipt}")).await;
        assert!(
            page.body.contains("Người phản ánh đánh giá") && page.body.contains("5/5 · Rất nhanh"),
            "the rating is a line of the history"
        );
        let figures = anon
            .get("/api/v1/communes/17071/feedback/stats")
            .await
            .json();
        assert!(
            figures["rated"].as_u64().unwrap() >= 1 && figures["satisfaction"].as_f64().is_some()
        );
    });
}

#[tokio::test]
async fn security_reports_reach_only_the_officials_allowed() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let f = submit_api(
            &mut citizen,
            "security",
            "Nhóm thanh niên đua xe lúc nửa đêm",
        )
        .await;
        let (id, receipt) = (
            f["id"].as_i64().unwrap(),
            f["receipt_code"].as_str().unwrap().to_owned(),
        );
        // The official of Tư pháp - Hộ tịch is not the security department.
        let mut official = app.login(common::OFFICIAL).await;
        let list = official
            .get("/api/v1/communes/17071/office/feedback?status=all")
            .await
            .json();
        assert!(
            !list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == id)
        );
        assert_eq!(
            official
                .get(&format!("/c/17071/office/feedback/{id}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/office/feedback/{id}/steps"),
                json!({"action": "reject", "version": 1, "note": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // The leader sees it and answers; it still never becomes public.
        let mut leader = app.login(common::LEADER).await;
        assert_eq!(
            leader
                .get(&format!("/c/17071/office/feedback/{id}"))
                .await
                .status,
            StatusCode::OK
        );
        let r = leader
            .post_json_csrf(&format!("/api/v1/communes/17071/office/feedback/{id}/steps"), json!({"action": "answer", "version": 1, "note": "Công an xã đã tăng cường tuần tra."}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut anon = app.client();
        assert!(!anon.get("/c/17071/feedback").await.body.contains("đua xe"));
        assert!(
            !anon
                .get("/open311/v2/requests.json")
                .await
                .body
                .contains(&receipt)
        );
        assert_eq!(
            anon.get(&format!("/c/17071/feedback/{receipt}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            anon.get(&format!("/api/v1/communes/17071/feedback/{receipt}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            anon.get(&format!("/open311/v2/requests/{receipt}.json"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let own = citizen.get(&format!("/c/17071/feedback/{receipt}")).await;
        assert!(own.status == StatusCode::OK && own.body.contains("tăng cường tuần tra"));
    });
}

#[tokio::test]
async fn duplicates_merge_and_rejections_carry_a_reason() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let first = submit_api(
            &mut citizen,
            "infrastructure",
            "Đường vào bản Hợp Tiến sạt lở",
        )
        .await;
        let second = submit_api(&mut citizen, "infrastructure", "Sạt lở đường bản Hợp Tiến").await;
        let third = submit_api(&mut citizen, "other", "Quảng cáo bán hàng").await;
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let step = |id: &serde_json::Value| {
            format!(
                "/api/v1/communes/17071/office/feedback/{}/steps",
                id.as_i64().unwrap()
            )
        };
        let r = admin
            .post_json_csrf(
                &step(&second["id"]),
                json!({"action": "merge", "version": 1, "merge_into": "PA17071-000000-XXXXX"}),
            )
            .await;
        assert_eq!(r.error_code(), "merge_target_unknown");
        let r = admin
            .post_json_csrf(
                &step(&second["id"]),
                json!({"action": "merge", "version": 1, "merge_into": second["receipt_code"]}),
            )
            .await;
        assert_eq!(r.error_code(), "merge_target_invalid", "not into itself");
        let r = admin
            .post_json_csrf(
                &step(&second["id"]),
                json!({"action": "merge", "version": 1, "merge_into": first["receipt_code"]}),
            )
            .await;
        assert_eq!(r.json()["status"], "merged");
        let page = citizen
            .get(&format!(
                "/c/17071/feedback/{}",
                second["receipt_code"].as_str().unwrap()
            ))
            .await;
        assert!(page.body.contains(first["receipt_code"].as_str().unwrap()));
        let r = admin
            .post_json_csrf(
                &step(&third["id"]),
                json!({"action": "reject", "version": 1}),
            )
            .await;
        assert_eq!(r.error_code(), "note_required");
        let r = admin
            .post_json_csrf(
                &step(&third["id"]),
                json!({"action": "reject", "version": 1, "note": "Không thuộc thẩm quyền của xã."}),
            )
            .await;
        assert_eq!(r.json()["status"], "rejected");
        let page = citizen
            .get(&format!(
                "/c/17071/feedback/{}",
                third["receipt_code"].as_str().unwrap()
            ))
            .await;
        assert!(page.body.contains("Lý do") && page.body.contains("Không thuộc thẩm quyền"));
    });
}

#[tokio::test]
async fn commune_admins_configure_categories_and_the_map_area() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        assert_eq!(
            official
                .get("/c/17071/office/feedback-settings")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let page = admin.get("/c/17071/office/feedback-settings").await;
        assert!(page.status == StatusCode::OK && page.body.contains("An ninh, trật tự"));
        let audit = app.count("audit_log").await;
        let r = admin
            .post_form(
                "/c/17071/office/feedback-settings/category",
                &[("code", "Chăn nuôi"), ("name", "x"), ("deadline_days", "5")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = admin
            .post_form(
                "/c/17071/office/feedback-settings/area",
                &[("area", "23,105,19,106")],
            )
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("Phạm vi không hợp lệ")
        );
        assert_eq!(app.count("audit_log").await, audit, "nothing written");
        let r = admin
            .post_form(
                "/c/17071/office/feedback-settings/category",
                &[
                    ("code", "livestock"),
                    ("name", "Chăn nuôi, dịch bệnh"),
                    ("deadline_days", "5"),
                    ("department", "Nông nghiệp"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cats = admin
            .get("/api/v1/communes/17071/feedback/categories")
            .await
            .json();
        assert!(
            cats.as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "livestock" && c["deadline_days"] == 5)
        );
        // Without an area, any place in Viet Nam is accepted.
        let r = admin
            .post_form("/c/17071/office/feedback-settings/area", &[("area", "")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_json_csrf("/api/v1/communes/17071/feedback", json!({"category": "livestock", "text": "Lợn chết bất thường", "lat": 21.0285, "lon": 105.8542}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=feedback")
            .await
            .json();
        assert!(audit["total"].as_u64().unwrap() >= 2);
    });
}

#[tokio::test]
async fn an_official_of_another_commune_cannot_act_here() {
    on_each_backend!(async |app: &TestApp| {
        let mut sys = app.login(common::ADMIN).await;
        sys.post_json_csrf("/api/v1/communes", json!({"code": "02269"}))
            .await;
        let r = sys.post_json_csrf("/api/v1/communes/02269/staff", json!({"full_name": "Ma Văn Tám", "phone": "0977000008", "role": "commune_admin", "password": "Thuong-Lam-88"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut citizen = app.login(common::CITIZEN).await;
        let f = submit_api(&mut citizen, "infrastructure", "Cầu treo bị gãy ván").await;
        let mut other = app.client();
        other
            .post_form(
                "/login",
                &[("phone", "0977000008"), ("password", "Thuong-Lam-88")],
            )
            .await;
        let before = counts(app).await;
        let r = other
            .post_json_csrf(
                &format!("/api/v1/communes/17071/office/feedback/{}/steps", f["id"]),
                json!({"action": "reject", "version": 1, "note": "x"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "other_commune")
        );
        assert_eq!(
            other.get("/c/17071/office/feedback").await.status,
            StatusCode::FORBIDDEN
        );
        // Their own commune's inbox does not show our report either.
        let theirs = other
            .get("/api/v1/communes/02269/office/feedback?status=all")
            .await
            .json();
        assert_eq!(theirs["total"], 0);
        assert_eq!(counts(app).await, before);
    });
}
