//! The one-stop desk and its catalogue through HTTP: fees confirmed at the desk, counter intake,
//! statistics and reminders, the catalogue, days off, blank forms, and who may reach a citizen's
//! documents.

use super::*;

#[tokio::test]
async fn fees_are_paid_by_vietqr_and_confirmed_at_the_desk() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = citizen_api(app).await;
        let pid = procedure_id(&mut c, "HT-04").await;
        let a = upload(&mut c, "to-khai.png").await;
        let r = c
            .post_json("/api/v1/communes/17071/dossiers", json!({"procedure_id": pid, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011", "data": {"purpose": "Kết hôn"}, "documents": [{"name": "Tờ khai cấp giấy xác nhận tình trạng hôn nhân", "attachment_id": a}]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let d = r.json();
        let (id, receipt) = (
            d["id"].as_i64().unwrap(),
            d["receipt_code"].as_str().unwrap().to_owned(),
        );
        let code = app
            .client()
            .get(&format!(
                "/api/v1/payment-code?receipt={receipt}&phone=0912000011"
            ))
            .await
            .json();
        let payload = code["payload"].as_str().unwrap();
        let fields = kernel::payments::vietqr::parse(payload).expect("valid CRC and structure");
        let get = |tag: &str| {
            fields
                .iter()
                .find(|(t, _)| t == tag)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            (get("53"), get("54"), get("58")),
            ("704".into(), "15000".into(), "VN".into())
        );
        assert!(get("38").contains("970405") && get("62").contains(&receipt));
        let png = app.client().get(code["png_url"].as_str().unwrap()).await;
        assert_eq!(png.headers["content-type"], "image/png");
        let page = app
            .login(common::CITIZEN)
            .await
            .get(&format!("/c/17071/dossiers/{receipt}"))
            .await;
        assert!(page.body.contains("<svg") && page.body.contains("15.000 ₫"));

        let mut official = staff_api(app, common::OFFICIAL).await;
        let r = official
            .post_json(
                &format!("/api/v1/communes/17071/dossiers/{id}/payment"),
                json!({"method": "bitcoin", "version": 1}),
            )
            .await;
        assert_eq!(r.error_code(), "payment_method_invalid");
        let r = c
            .post_json(
                &format!("/api/v1/communes/17071/dossiers/{id}/payment"),
                json!({"method": "cash", "version": 1}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "citizens cannot confirm their own payment"
        );
        let r = official
            .post_json(
                &format!("/api/v1/communes/17071/dossiers/{id}/payment"),
                json!({"method": "vietqr", "version": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (
                r.json()["paid"].as_bool(),
                r.json()["payment_method"].as_str()
            ),
            (Some(true), Some("vietqr"))
        );
        let r = official
            .post_json(
                &format!("/api/v1/communes/17071/dossiers/{id}/payment"),
                json!({"method": "cash", "version": 2}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "payment_not_due")
        );
        let r = app
            .client()
            .get(&format!(
                "/api/v1/payment-code?receipt={receipt}&phone=0912000011"
            ))
            .await;
        assert_eq!(r.error_code(), "payment_not_due");
    });
}

#[tokio::test]
async fn counter_intake_statistics_and_reminders() {
    on_each_backend!(async |app: &TestApp| {
        let mut desk = app.login(common::OFFICIAL).await;
        let mut api = citizen_api(app).await;
        let pid = procedure_id(&mut api, "CT-01").await;
        let token = desk.csrf().await;
        let r = desk
            .post_multipart(
                &format!("/c/17071/office/dossiers/new?csrf={token}"),
                "doc_0",
                "ban-chinh.png",
                "image/png",
                &png(),
                &[
                    ("procedure_id", &pid.to_string()),
                    ("applicant_name", "Lữ Thị Mai"),
                    ("applicant_phone", "0388123456"),
                    ("data.document", "Sổ đỏ"),
                    ("data.pages", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = desk.get(r.location()).await;
        assert!(page.body.contains("Lữ Thị Mai") && page.body.contains("Trực tiếp"));
        submit_birth(&mut api).await;

        let mut leader = staff_api(app, common::LEADER).await;
        let f = leader
            .get("/api/v1/communes/17071/services/stats")
            .await
            .json();
        assert_eq!(
            (
                f["total"]["received"].as_u64(),
                f["total"]["online"].as_u64(),
                f["total"]["offline"].as_u64()
            ),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(f["online_share"].as_f64(), Some(0.5));
        let page = desk.get("/c/17071/office/services-stats").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<svg") && page.body.contains("50%") && !page.body.contains("50.0%")
        );
        let x = desk.get("/c/17071/office/services-stats.xlsx").await;
        assert!(
            x.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        assert!(x.body.as_bytes().starts_with(b"PK"), "an XLSX is a zip");
        let r = app
            .login(common::CITIZEN)
            .await
            .get("/c/17071/office/services-stats")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = leader
            .get("/api/v1/communes/17071/services/stats?from=2026-13-01")
            .await;
        assert_eq!(r.error_code(), "period_invalid");

        // An assigned dossier past its due date reaches its handler in the daily reminder.
        let mut official = staff_api(app, common::OFFICIAL).await;
        let list = official
            .get("/api/v1/communes/17071/dossiers?channel=offline")
            .await
            .json();
        let did = list[0]["id"].as_i64().unwrap();
        let me = official.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        step(
            &mut official,
            did,
            json!({"action": "accept", "version": 1}),
        )
        .await;
        step(
            &mut official,
            did,
            json!({"action": "assign", "version": 2, "assignee_id": me}),
        )
        .await;
        let db = &app.platform.state.db;
        use sea_orm::{ConnectionTrait, Statement};
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE dossier SET due_date = $1 WHERE id = $2",
            [
                chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap().into(),
                did.into(),
            ],
        ))
        .await
        .unwrap();
        let overdue = official
            .get("/api/v1/communes/17071/dossiers?due=overdue")
            .await
            .json();
        assert_eq!(overdue.as_array().unwrap().len(), 1);
        let sent = services::reminders::send(db, &app.platform.state.calendar.get())
            .await
            .unwrap();
        assert_eq!(sent, 1);
        app.deliver().await;
        let inbox = official.get("/api/v1/me/inbox").await.json();
        assert!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["title"].as_str().unwrap().starts_with("Nhắc việc"))
        );
    });
}

#[tokio::test]
async fn commune_admin_edits_the_catalogue() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let inbox = admin.get("/c/17071/office/dossiers").await;
        assert!(!inbox.body.contains("Xác nhận hợp đồng thuê đất"));
        let form = [
            ("code", "DD-01"),
            ("name", "Xác nhận hợp đồng thuê đất"),
            ("field", "Đất đai"),
            ("legal_basis", "Luật Đất đai 2024"),
            ("documents", "*Đơn đề nghị\nBản sao hợp đồng"),
            ("ff0_label", "Số thửa"),
            ("fee_vnd", "20.000"),
            ("processing_days", "5"),
            ("online_level", "partial"),
            ("steps", "Nộp hồ sơ\nNhận kết quả"),
            ("active", "on"),
            ("ff0_key", "parcel"),
            ("ff0_req", "on"),
        ];
        let r = admin
            .post_form("/c/17071/office/procedures/new", &form)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let inbox = admin.get("/c/17071/office/dossiers").await;
        assert!(
            inbox.body.contains("Xác nhận hợp đồng thuê đất"),
            "the desk's procedure filter sees a new procedure at once"
        );
        let list = admin
            .get("/api/v1/communes/17071/procedures?q=hop%20dong%20thue%20dat")
            .await
            .json();
        let p = &list[0];
        assert_eq!(
            (
                p["fee_vnd"].as_i64(),
                p["processing_days"].as_i64(),
                p["documents"][0]["required"].as_bool(),
                p["form_fields"][0]["key"].as_str()
            ),
            (Some(20000), Some(5), Some(true), Some("parcel"))
        );
        let r = admin
            .post_form("/c/17071/office/procedures/new", &form)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let mut bad = form;
        bad[0] = ("code", "DD-02");
        bad[7] = ("processing_days", "nhiều");
        let r = admin
            .post_form("/c/17071/office/procedures/new", &bad)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Thời hạn giải quyết không hợp lệ"));
        let mut official = app.login(common::OFFICIAL).await;
        assert_eq!(
            official
                .post_form("/c/17071/office/procedures/new", &form)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=procedure")
            .await
            .json();
        assert_eq!(audit["total"], 1);
    });
}

#[tokio::test]
async fn the_system_admin_adjusts_the_days_off_and_due_dates_follow() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let days = anon.get("/api/v1/holidays?year=2026").await.json();
        let names: Vec<&str> = days
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().any(|n| n.contains("Tết Nguyên đán"))
                && names.iter().any(|n| n.contains("Hùng")),
            "{names:?}"
        );
        assert!(
            days.as_array()
                .unwrap()
                .iter()
                .any(|d| d["date"] == "2026-02-17"),
            "Tết 2026 is 17 February"
        );

        let mut sys = app.login(common::ADMIN).await;
        let page = sys.get("/admin/holidays?year=2026").await;
        assert!(
            page.body.contains("17/02/2026"),
            "{} {}",
            page.status,
            &page.body[page.body.len().saturating_sub(1500)..]
        );
        let cal = app.platform.state.calendar.get();
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(cal.is_working_day(monday));
        let r = sys
            .post_form(
                "/admin/holidays",
                &[
                    ("date", "2026-12-07"),
                    ("kind", "day_off"),
                    ("name", "Nghỉ thử"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            !app.platform.state.calendar.get().is_working_day(monday),
            "the calendar follows at once"
        );
        let r = sys
            .post_form(
                "/admin/holidays",
                &[("date", "2026-13-07"), ("kind", "day_off"), ("name", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let r = admin
            .post_form(
                "/admin/holidays",
                &[("date", "2026-12-08"), ("kind", "day_off"), ("name", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the calendar is national");
        let r = sys
            .post_json_csrf(
                "/api/v1/holidays",
                json!({"date": "2026-12-07", "kind": "remove"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert!(app.platform.state.calendar.get().is_working_day(monday));
    });
}

#[tokio::test]
async fn blank_forms_are_published_for_download() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let mut anon = app.client();
        let pid = procedure_id(&mut anon, "HT-01").await;
        let token = admin.csrf().await;
        let pdf = b"%PDF-1.4\n% to khai dang ky khai sinh\n";
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/procedures/{pid}/forms?csrf={token}"),
                "form",
                "to-khai.pdf",
                "application/pdf",
                pdf,
                &[("document", "0")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = anon.get(&format!("/c/17071/services/{pid}")).await;
        assert!(
            page.body
                .contains(&format!("/c/17071/services/{pid}/forms/0"))
        );
        let f = anon.get(&format!("/c/17071/services/{pid}/forms/0")).await;
        assert_eq!(
            (f.status, f.headers["content-type"].to_str().unwrap()),
            (StatusCode::OK, "application/pdf")
        );
        assert_eq!(
            anon.get(&format!("/c/17071/services/{pid}/forms/1"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/procedures/{pid}/forms?csrf={token}"),
                "form",
                "to-khai.pdf",
                "application/pdf",
                &png(),
                &[("document", "0")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a picture named .pdf is refused"
        );
        let mut official = app.login(common::OFFICIAL).await;
        let t = official.csrf().await;
        let r = official
            .post_multipart(
                &format!("/c/17071/office/procedures/{pid}/forms?csrf={t}"),
                "form",
                "x.pdf",
                "application/pdf",
                pdf,
                &[("document", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn other_staff_and_strangers_cannot_reach_a_citizens_documents() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = citizen_api(app).await;
        let d = submit_birth(&mut citizen).await;
        let receipt = d["receipt_code"].as_str().unwrap().to_owned();
        let id = d["id"].as_i64().unwrap();
        let mine = upload(&mut citizen, "cccd.png").await;
        // The village head is staff, but not the one-stop desk.
        let mut head = app.client();
        let pw = app.passwords["0912000004"].clone();
        head.post_form("/login", &[("phone", "0912000004"), ("password", &pw)])
            .await;
        assert_eq!(
            head.get(&format!("/c/17071/dossiers/{receipt}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let pid = procedure_id(&mut head, "HT-04").await;
        let r = head
            .post_json_csrf("/api/v1/communes/17071/dossiers", json!({"procedure_id": pid, "applicant_name": "Phạm Thị Dung", "applicant_phone": "0912000004", "data": {"purpose": "x"}, "documents": [{"name": "Tờ khai cấp giấy xác nhận tình trạng hôn nhân", "attachment_id": mine}]}))
            .await;
        assert_eq!(
            r.error_code(),
            "attachment_unknown",
            "cannot borrow a citizen's upload"
        );

        // A refused dossier takes no payment; the result must be the official's own upload.
        let mut official = staff_api(app, common::OFFICIAL).await;
        let r = step(
            &mut official,
            id,
            json!({"action": "refuse", "version": 1, "note": "Sai thẩm quyền"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let d2 = submit_birth(&mut citizen).await;
        let id2 = d2["id"].as_i64().unwrap();
        let me = official.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        for (action, v) in [("accept", 1), ("assign", 2)] {
            step(
                &mut official,
                id2,
                json!({"action": action, "version": v, "assignee_id": me}),
            )
            .await;
        }
        step(
            &mut official,
            id2,
            json!({"action": "process", "version": 3}),
        )
        .await;
        let mut leader = staff_api(app, common::LEADER).await;
        step(&mut leader, id2, json!({"action": "approve", "version": 4})).await;
        let r = step(
            &mut official,
            id2,
            json!({"action": "return_result", "version": 5, "result_attachment_id": mine}),
        )
        .await;
        assert_eq!(
            r.error_code(),
            "attachment_unknown",
            "a citizen's document is not a result"
        );

        // Supplement: only the applicant, with the version they saw; the clock restarts.
        let d3 = submit_birth(&mut citizen).await;
        let (id3, receipt3) = (
            d3["id"].as_i64().unwrap(),
            d3["receipt_code"].as_str().unwrap().to_owned(),
        );
        step(&mut official, id3, json!({"action": "request_supplement", "version": 1, "note": "Ảnh giấy chứng sinh bị mờ"})).await;
        let mut web = app.login(common::CITIZEN).await;
        let token = web.csrf().await;
        let r = web
            .post_multipart(
                &format!("/c/17071/dossiers/{receipt3}/supplement?csrf={token}"),
                "doc_1",
                "chung-sinh.png",
                "image/png",
                &png(),
                &[("version", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "stale version");
        let files_before = app.count("attachment").await;
        let r = web
            .post_multipart(
                &format!("/c/17071/dossiers/{receipt3}/supplement?csrf={token}"),
                "doc_1",
                "chung-sinh.png",
                "image/png",
                &png(),
                &[("version", "2")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(app.count("attachment").await, files_before + 1);
        let t = app
            .client()
            .get(&format!(
                "/api/v1/track?receipt={receipt3}&phone=0912000011"
            ))
            .await
            .json();
        assert_eq!(t["dossier"]["status"], "received");
        assert_eq!(t["history"].as_array().unwrap().len(), 3);
        let r = web
            .post_multipart(
                &format!("/c/17071/dossiers/{receipt3}/supplement?csrf={token}"),
                "doc_1",
                "x.png",
                "image/png",
                &png(),
                &[("version", "3")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "not waiting for documents any more"
        );
        assert_eq!(
            app.count("attachment").await,
            files_before + 1,
            "no file stored for a refused step"
        );

        // Guessing receipt codes gets slow.
        let mut guesser = app.client();
        for i in 0..60 {
            guesser
                .get(&format!(
                    "/api/v1/track?receipt=17071-000000-{i:05}&phone=0912000011"
                ))
                .await;
        }
        let r = guesser
            .get(&format!(
                "/api/v1/track?receipt={receipt3}&phone=0912000011"
            ))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "track_throttled")
        );
    });
}
