//! The services room through HTTP on both databases: catalogue, submission, the desk's
//! workflow, tracking, payment, rating, statistics, and every refusal changing nothing.

use crate::common;

use axum::http::StatusCode;
use common::{Client, TestApp};
use serde_json::json;

mod desk;
mod standard;
mod trust;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 200, 190]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn procedure_id(c: &mut Client, code: &str) -> i64 {
    let list = c.get("/api/v1/communes/17071/procedures").await.json();
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
        .unwrap_or_else(|| panic!("{code} in demo catalogue"))["id"]
        .as_i64()
        .unwrap()
}

/// A citizen with an API token, so the tests can upload and submit through the API.
async fn citizen_api(app: &TestApp) -> Client {
    let mut c = app.client();
    let r = c.post_json("/api/v1/auth/token", json!({"phone": common::CITIZEN, "password": app.passwords[common::CITIZEN], "name": "test"})).await;
    c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
    c
}

async fn staff_api(app: &TestApp, phone: &str) -> Client {
    let mut c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/token",
            json!({"phone": phone, "password": app.passwords[phone], "name": "test"}),
        )
        .await;
    c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
    c
}

async fn upload(c: &mut Client, name: &str) -> i64 {
    let r = c
        .post_multipart(
            "/api/v1/communes/17071/attachments",
            "file",
            name,
            "image/png",
            &png(),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// Submits a birth registration (HT-01) with both required documents; returns the dossier JSON.
async fn submit_birth(c: &mut Client) -> serde_json::Value {
    let pid = procedure_id(c, "HT-01").await;
    let a = upload(c, "to-khai.png").await;
    let b = upload(c, "giay-chung-sinh.png").await;
    let r = c
        .post_json(
            "/api/v1/communes/17071/dossiers",
            json!({"procedure_id": pid, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912 000 011",
                   "data": {"child_name": "Hoàng Minh Khôi", "birth_date": "01/11/2026", "birth_place": "Trạm y tế xã Minh Hợp"},
                   "documents": [{"name": "Tờ khai đăng ký khai sinh", "attachment_id": a}, {"name": "Giấy chứng sinh", "attachment_id": b}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn step(c: &mut Client, id: i64, body: serde_json::Value) -> common::Resp {
    c.post_json(&format!("/api/v1/communes/17071/dossiers/{id}/steps"), body)
        .await
}

#[tokio::test]
async fn catalogue_is_searchable_without_accents() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = app.client();
        let page = c.get("/c/17071/services").await;
        assert!(
            page.body.contains("Đăng ký khai sinh")
                && page.body.contains("Chứng thực bản sao từ bản chính")
        );
        let page = c.get("/c/17071/services?q=dang+ky+ket+hon").await;
        assert!(page.body.contains("Đăng ký kết hôn") && !page.body.contains("Đăng ký khai sinh"));
        let api = c
            .get("/api/v1/communes/17071/procedures?q=chung%20thuc")
            .await
            .json();
        assert_eq!(api.as_array().unwrap().len(), 2);
        let pid = procedure_id(&mut c, "HT-04").await;
        let detail = c.get(&format!("/c/17071/services/{pid}")).await;
        assert!(
            detail.body.contains("15.000 ₫")
                && detail.body.contains("3 ngày làm việc")
                && detail.body.contains("Nghị định 123/2015/NĐ-CP")
        );
        assert!(
            c.get("/c/17071")
                .await
                .body
                .contains("href=\"/c/17071/services\""),
            "the room's tile is a link now"
        );
    });
}

#[tokio::test]
async fn a_dossier_runs_the_whole_workflow() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = citizen_api(app).await;
        let d = submit_birth(&mut citizen).await;
        let (id, receipt) = (
            d["id"].as_i64().unwrap(),
            d["receipt_code"].as_str().unwrap().to_owned(),
        );
        assert!(
            receipt.starts_with("17071-") && receipt.len() == 18,
            "{receipt}"
        );
        assert_eq!(d["status"], "received");
        let cal = app.platform.state.calendar.get();
        let expected = cal.add_working_days(kernel::time::to_vn(chrono::Utc::now()), 1);
        assert_eq!(
            d["due_date"],
            expected.to_string(),
            "appointment in working days"
        );

        let mut official = staff_api(app, common::OFFICIAL).await;
        let mut leader = staff_api(app, common::LEADER).await;
        let me = official.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        let inbox = official
            .get("/api/v1/communes/17071/dossiers?status=received")
            .await
            .json();
        assert!(
            inbox
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["receipt_code"] == receipt.as_str())
        );

        let r = step(&mut official, id, json!({"action": "accept", "version": 1})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = step(
            &mut official,
            id,
            json!({"action": "assign", "version": 2, "assignee_id": me}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = step(
            &mut official,
            id,
            json!({"action": "process", "version": 3, "note": "Đã vào sổ hộ tịch"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = step(&mut leader, id, json!({"action": "approve", "version": 4})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let result = upload(&mut official, "giay-khai-sinh.png").await;
        let r = step(&mut official, id, json!({"action": "return_result", "version": 5, "result_attachment_id": result, "note": "Bản điện tử giấy khai sinh"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "returned");

        // Tracking without an account: receipt code and phone, any spelling.
        let mut anon = app.client();
        let t = anon
            .get(&format!(
                "/api/v1/track?receipt={}&phone=%2B84912000011",
                receipt.to_lowercase()
            ))
            .await
            .json();
        let actions: Vec<&str> = t["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "submit",
                "accept",
                "assign",
                "process",
                "approve",
                "return_result"
            ]
        );
        let page = anon
            .get(&format!(
                "/c/17071/track?receipt={receipt}&phone=0912000011"
            ))
            .await;
        assert!(page.body.contains("Đã trả kết quả") && page.body.contains("Đăng ký khai sinh"));

        // The applicant downloads the result and rates the service, which closes the dossier.
        let mut web = app.login(common::CITIZEN).await;
        let file = web
            .get(&format!("/c/17071/dossiers/{receipt}/files/{result}"))
            .await;
        assert_eq!(file.status, StatusCode::OK);
        let r = web
            .post_form(
                &format!("/c/17071/dossiers/{receipt}/rate"),
                &[("rating", "5"), ("comment", "Nhanh, không phải đi lại")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let t = anon
            .get(&format!("/api/v1/track?receipt={receipt}&phone=0912000011"))
            .await
            .json();
        assert_eq!(
            (
                t["dossier"]["status"].as_str(),
                t["dossier"]["rating"].as_i64()
            ),
            (Some("closed"), Some(5))
        );
        let r = web
            .post_form(
                &format!("/c/17071/dossiers/{receipt}/rate"),
                &[("rating", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "rated once");

        // Every status change reached the applicant's inbox; every official step is audited.
        app.deliver().await;
        let inbox = web.get("/api/v1/me/inbox").await.json();
        assert!(inbox["items"].as_array().unwrap().len() >= 6, "{inbox}");
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=dossier")
            .await
            .json();
        assert_eq!(audit["total"], 5);
        // A stranger cannot open the dossier or its files.
        let mut other = app.client();
        other.post_json("/api/v1/auth/register", json!({"commune_code":"17071","full_name":"Người Lạ","phone":"0987000123","password":"Nguoi-la-2025"})).await;
        other
            .post_form(
                "/login",
                &[("phone", "0987000123"), ("password", "Nguoi-la-2025")],
            )
            .await;
        assert_eq!(
            other
                .get(&format!("/c/17071/dossiers/{receipt}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            other
                .get(&format!("/c/17071/dossiers/{receipt}/files/{result}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn the_state_machine_and_roles_are_enforced_on_the_server() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = citizen_api(app).await;
        let d = submit_birth(&mut citizen).await;
        let id = d["id"].as_i64().unwrap();
        let mut official = staff_api(app, common::OFFICIAL).await;
        let mut leader = staff_api(app, common::LEADER).await;
        let events = app.count("dossier_event").await;
        let r = step(&mut citizen, id, json!({"action": "accept", "version": 1})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "step_forbidden")
        );
        let r = step(&mut leader, id, json!({"action": "approve", "version": 1})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "transition_invalid")
        );
        let r = step(&mut official, id, json!({"action": "refuse", "version": 1})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "note_required")
        );
        let r = step(&mut official, id, json!({"action": "fly", "version": 1})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "json_invalid")
        );
        step(&mut official, id, json!({"action": "accept", "version": 1})).await;
        let r = step(
            &mut official,
            id,
            json!({"action": "assign", "version": 2, "assignee_id": 999999}),
        )
        .await;
        assert_eq!(r.error_code(), "assignee_invalid");
        let leader_id = leader.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        step(
            &mut official,
            id,
            json!({"action": "assign", "version": 2, "assignee_id": leader_id}),
        )
        .await;
        let r = step(
            &mut official,
            id,
            json!({"action": "process", "version": 3}),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "step_forbidden"),
            "only the assigned handler"
        );
        assert_eq!(
            app.count("dossier_event").await,
            events + 2,
            "refused steps wrote nothing"
        );
        // The desk page says the same in Vietnamese.
        let mut web = app.login(common::OFFICIAL).await;
        let token = web.csrf().await;
        let r = web
            .post_multipart(
                &format!("/c/17071/office/dossiers/{id}/step?csrf={token}"),
                "result",
                "",
                "application/octet-stream",
                b"",
                &[("action", "accept"), ("version", "3")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("không cho phép bước này"));
    });
}

#[tokio::test]
async fn two_officials_at_once_one_wins_the_other_is_told() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = citizen_api(app).await;
        let id = submit_birth(&mut citizen).await["id"].as_i64().unwrap();
        let mut a = staff_api(app, common::OFFICIAL).await;
        let mut b = staff_api(app, common::COMMUNE_ADMIN).await;
        let (ra, rb) = tokio::join!(
            step(&mut a, id, json!({"action": "accept", "version": 1})),
            step(
                &mut b,
                id,
                json!({"action": "request_supplement", "version": 1, "note": "Thiếu bản chụp"})
            )
        );
        let mut statuses = [ra.status, rb.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
        let loser = if ra.status == StatusCode::CONFLICT {
            &ra
        } else {
            &rb
        };
        assert_eq!(loser.error_code(), "dossier_conflict");
        assert!(
            loser.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("vừa được người khác cập nhật")
        );
        let t = app
            .client()
            .get("/api/v1/track?receipt=x&phone=0912000011")
            .await;
        assert_eq!(t.error_code(), "receipt_unknown");
        let events = app.count("dossier_event").await;
        assert_eq!(events, 2, "submit + the winner's step only");
    });
}

#[tokio::test]
async fn bad_submissions_change_nothing() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = citizen_api(app).await;
        let birth = procedure_id(&mut c, "HT-01").await;
        let copy = procedure_id(&mut c, "CT-01").await;
        let a = upload(&mut c, "to-khai.png").await;
        let before = (app.count("dossier").await, app.count("dossier_event").await);
        let base = json!({"procedure_id": birth, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011",
                          "data": {"child_name": "Khôi", "birth_date": "01/11/2026", "birth_place": "Trạm y tế"},
                          "documents": [{"name": "Tờ khai đăng ký khai sinh", "attachment_id": a}, {"name": "Giấy chứng sinh", "attachment_id": a}]});
        let mut no_field = base.clone();
        no_field["data"]["child_name"] = json!("");
        let mut no_doc = base.clone();
        no_doc["documents"] = json!([{"name": "Tờ khai đăng ký khai sinh", "attachment_id": a}]);
        let mut bad_phone = base.clone();
        bad_phone["applicant_phone"] = json!("12345");
        let mut offline = base.clone();
        offline["procedure_id"] = json!(copy);
        let mut unknown = base.clone();
        unknown["procedure_id"] = json!(999999);
        let mut foreign_file = base.clone();
        foreign_file["documents"][1]["attachment_id"] = json!(987654);
        for (body, status, code) in [
            (no_field, StatusCode::UNPROCESSABLE_ENTITY, "field_required"),
            (no_doc, StatusCode::UNPROCESSABLE_ENTITY, "document_missing"),
            (bad_phone, StatusCode::UNPROCESSABLE_ENTITY, "phone_invalid"),
            (
                offline,
                StatusCode::UNPROCESSABLE_ENTITY,
                "procedure_offline",
            ),
            (unknown, StatusCode::NOT_FOUND, "procedure_unknown"),
            (
                foreign_file,
                StatusCode::UNPROCESSABLE_ENTITY,
                "attachment_unknown",
            ),
        ] {
            let r = c.post_json("/api/v1/communes/17071/dossiers", body).await;
            assert_eq!((r.status, r.error_code().as_str()), (status, code));
        }
        // Through the page: a file that is not what its name says, and a missing document.
        let mut web = app.login(common::CITIZEN).await;
        let token = web.csrf().await;
        let fields = [
            ("applicant_name", "Hoàng Văn Em"),
            ("applicant_phone", "0912000011"),
            ("data.child_name", "Khôi"),
            ("data.birth_date", "01/11/2026"),
            ("data.birth_place", "Trạm y tế"),
        ];
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{birth}?csrf={token}"),
                "doc_0",
                "to-khai.pdf",
                "application/pdf",
                &png(),
                &fields,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Nội dung tệp không khớp với tên tệp"));
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{birth}?csrf={token}"),
                "doc_0",
                "to-khai.png",
                "image/png",
                &png(),
                &fields,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Còn thiếu giấy tờ bắt buộc") && r.body.contains("Giấy chứng sinh")
        );
        assert!(
            r.body.contains("value=\"Khôi\""),
            "the form keeps what was typed"
        );
        let big = vec![0u8; 300 * 1024];
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{birth}?csrf={token}"),
                "doc_0",
                "big.png",
                "image/png",
                &big,
                &fields,
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{birth}"),
                "doc_0",
                "to-khai.png",
                "image/png",
                &png(),
                &fields,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
        assert_eq!(
            (app.count("dossier").await, app.count("dossier_event").await),
            before,
            "nothing written"
        );
        // Tracking mistakes get their own clear answers.
        let d = submit_birth(&mut c).await;
        let receipt = d["receipt_code"].as_str().unwrap();
        let r = app
            .client()
            .get(&format!("/api/v1/track?receipt={receipt}&phone=0987654321"))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::NOT_FOUND, "phone_mismatch")
        );
        let r = app
            .client()
            .get("/c/17071/track?receipt=17071-000000-AAAAA&phone=0912000011")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.contains("Không tìm thấy hồ sơ với mã này"));
    });
}
