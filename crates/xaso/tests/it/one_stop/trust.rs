//! Pages people trust (issue 11) in the one-stop shop: form fields checked by their kind, words
//! instead of codes, the thank-you page, the printed appointment slip, Vietnamese figures and a
//! catalogue served from memory that shows an edit at once.

use super::*;

use sea_orm::{ConnectionTrait, Statement};

/// The birth registration's answers, every one valid.
fn birth_answers() -> serde_json::Value {
    json!({"child_name": "Hoàng Minh Khôi", "birth_date": "2025-03-02", "birth_place": "Trạm y tế xã Minh Hợp",
           "sex": "Nam", "requester_id": "001 203 004 567"})
}

#[tokio::test]
async fn form_fields_are_checked_by_kind() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = citizen_api(app).await;
        let birth = procedure_id(&mut c, "HT-01").await;
        let copies = procedure_id(&mut c, "HT-05").await;
        let a = upload(&mut c, "to-khai.png").await;
        let docs = json!([{"name": "Tờ khai đăng ký khai sinh", "attachment_id": a}, {"name": "Giấy chứng sinh", "attachment_id": a}]);
        let before = (app.count("dossier").await, app.count("dossier_event").await);
        let tomorrow = (kernel::time::vn_today() + chrono::Duration::days(1))
            .format("%d/%m/%Y")
            .to_string();
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("birth_date", json!("31/02/2026"), "field_date_invalid"),
            ("birth_date", json!("2026-02-31"), "field_date_invalid"),
            ("birth_date", json!("ngày mai"), "field_date_invalid"),
            ("birth_date", json!(tomorrow), "field_date_future"),
            ("child_name", json!("K"), "field_name_invalid"),
            ("child_name", json!("Khôi 2"), "field_name_invalid"),
            ("requester_id", json!("12345"), "field_id_number_invalid"),
            ("sex", json!("Khác"), "field_choice_invalid"),
        ];
        for (key, value, code) in cases {
            let mut data = birth_answers();
            data[key] = value.clone();
            let r = c
                .post_json(
                    "/api/v1/communes/17071/dossiers",
                    json!({"procedure_id": birth, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011",
                           "data": data, "documents": docs}),
                )
                .await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, code),
                "{key} = {value}: {}",
                r.body
            );
            assert!(
                !r.json()["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty()
            );
        }
        let r = c
            .post_json(
                "/api/v1/communes/17071/dossiers",
                json!({"procedure_id": birth, "applicant_name": "E", "applicant_phone": "0912000011",
                       "data": birth_answers(), "documents": docs}),
            )
            .await;
        assert_eq!(
            (r.error_code().as_str(), r.json()["error"]["field"].as_str()),
            ("field_name_invalid", Some("applicant_name")),
            "a one-letter applicant is refused too"
        );
        let r = c
            .post_json(
                "/api/v1/communes/17071/dossiers",
                json!({"procedure_id": copies, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011",
                       "data": {"copies": "hai"}, "documents": [{"name": "Tờ khai cấp bản sao trích lục", "attachment_id": a}]}),
            )
            .await;
        assert_eq!(r.error_code(), "field_number_invalid");
        assert_eq!(
            (app.count("dossier").await, app.count("dossier_event").await),
            before,
            "no refused answer wrote anything"
        );

        // Valid answers are kept as Vietnamese write them.
        let r = c
            .post_json(
                "/api/v1/communes/17071/dossiers",
                json!({"procedure_id": birth, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011",
                       "data": birth_answers(), "documents": docs}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let page = app
            .login(common::OFFICIAL)
            .await
            .get(&format!("/c/17071/office/dossiers/{id}"))
            .await;
        assert!(
            page.body.contains("02/03/2025") && page.body.contains("001203004567"),
            "the date as dd/mm/yyyy, the ID number as its digits"
        );

        // The form shows each kind as the right input, and a refusal beside its field.
        let mut web = app.login(common::CITIZEN).await;
        let form = web.get(&format!("/c/17071/services/{birth}")).await;
        for needle in [
            r#"id="f_birth_date" name="data.birth_date" required type="date""#,
            r#"name="data.requester_id" inputmode="numeric""#,
            r#"type="radio" name="data.sex" value="Nam""#,
            r#"autocomplete="name""#,
            r#"type="tel" inputmode="tel" autocomplete="tel""#,
        ] {
            assert!(form.body.contains(needle), "{needle} in the form");
        }
        let max = format!(r#"max="{}""#, kernel::time::vn_today().format("%Y-%m-%d"));
        assert!(
            form.body.contains(&max),
            "a birth date cannot be after today"
        );
        let token = web.csrf().await;
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{birth}?csrf={token}"),
                "doc_0",
                "to-khai.png",
                "image/png",
                &png(),
                &[
                    ("applicant_name", "Hoàng Văn Em"),
                    ("applicant_phone", "0912000011"),
                    ("data.child_name", "Khôi"),
                    ("data.birth_date", "31/02/2026"),
                    ("data.birth_place", "Trạm y tế"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="err_birth_date">Ngày không có thật"#),
            "the message sits beside the field: {}",
            r.body
        );
        assert!(
            r.body
                .contains(r#"aria-invalid="true" aria-describedby="err_birth_date""#)
        );
        assert!(
            r.body.contains("(Ngày sinh)"),
            "the summary names the field by its label"
        );
        assert!(
            r.body.contains(r#"value="31/02/2026""#),
            "what was typed is kept"
        );
    });
}

#[tokio::test]
async fn the_editor_sets_each_fields_kind_and_old_fields_read_as_text() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let page = admin.get("/c/17071/office/procedures/new").await;
        assert!(
            page.body
                .contains(r#"<option value="id_number">Số CCCD (12 chữ số)</option>"#)
        );
        let mut form = vec![
            ("code", "TP-09"),
            ("name", "Cấp bản sao giấy tờ"),
            ("field", "Tư pháp"),
            ("documents", "*Đơn đề nghị"),
            ("fee_vnd", "0"),
            ("processing_days", "2"),
            ("online_level", "full"),
            ("active", "on"),
            ("ff0_key", ""),
            ("ff0_label", "Họ tên người yêu cầu"),
            ("ff0_kind", "name"),
            ("ff0_req", "on"),
            ("ff1_key", ""),
            ("ff1_label", "Ngày cấp"),
            ("ff1_kind", "date"),
            ("ff2_key", ""),
            ("ff2_label", "Loại bản"),
            ("ff2_kind", "choice"),
            ("ff2_options", "Bản chính"),
            ("ff3_key", ""),
            ("ff3_label", ""),
            ("ff3_kind", "text"),
        ];
        let before = app.count("procedure").await;
        let r = admin
            .post_form("/c/17071/office/procedures/new", &form)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("cần ít nhất 2 lựa chọn") && r.body.contains("(Loại bản)"));
        assert!(
            r.body.contains(r#"value="Họ tên người yêu cầu""#),
            "the rows come back as typed"
        );
        assert_eq!(app.count("procedure").await, before);
        form[18] = ("ff2_options", "Bản chính, Bản sao");
        let r = admin
            .post_form("/c/17071/office/procedures/new", &form)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let list = admin
            .get("/api/v1/communes/17071/procedures?q=ban%20sao%20giay%20to")
            .await
            .json();
        let p = &list[0];
        assert_eq!(p["form_fields"].as_array().unwrap().len(), 3);
        assert_eq!(
            p["form_fields"][0],
            json!({"key": "ho_ten_nguoi_yeu_cau", "label": "Họ tên người yêu cầu", "required": true, "kind": "name"})
        );
        assert_eq!(p["form_fields"][1]["kind"], "date");
        assert_eq!(
            p["form_fields"][2]["options"],
            json!(["Bản chính", "Bản sao"])
        );
        let id = p["id"].as_i64().unwrap();
        let edit = admin.get(&format!("/c/17071/office/procedures/{id}")).await;
        assert!(edit.body.contains(r#"<option value="choice" selected>"#));
        assert!(edit.body.contains(r#"value="Bản chính, Bản sao""#));
        assert!(
            edit.body
                .contains(r#"name="ff0_key" value="ho_ten_nguoi_yeu_cau""#)
        );

        // Fields stored before kinds existed (no kind, the old `textarea`, an unknown one).
        let db = &app.platform.state.db;
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE procedure SET form_fields = $1 WHERE id = $2",
            vec![
                r#"[{"key":"a","label":"Cũ","required":true},{"key":"b","label":"Dài","required":false,"kind":"textarea"},{"key":"c","label":"Lạ","required":false,"kind":"weird"}]"#.into(),
                id.into(),
            ],
        ))
        .await
        .unwrap();
        let p = admin
            .get(&format!("/api/v1/communes/17071/procedures/{id}"))
            .await
            .json();
        let kinds: Vec<&str> = p["form_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["text", "long_text", "text"]);
        let form = admin.get(&format!("/c/17071/services/{id}")).await;
        assert!(form.body.contains(r#"<textarea id="f_b""#));
    });
}

#[tokio::test]
async fn dossier_words_say_what_happened() {
    on_each_backend!(async |app: &TestApp| {
        let mut api = citizen_api(app).await;
        let d = submit_birth(&mut api).await;
        let (id, receipt) = (
            d["id"].as_i64().unwrap(),
            d["receipt_code"].as_str().unwrap().to_owned(),
        );
        let mut citizen = app.login(common::CITIZEN).await;
        let page = citizen.get(&format!("/c/17071/dossiers/{receipt}")).await;
        assert!(page.body.contains("Đã gửi, chờ tiếp nhận"), "{}", page.body);
        assert!(
            page.body.contains("<dd>Miễn phí"),
            "a free procedure says so"
        );
        assert!(!page.body.contains("0 ₫"));
        let mut official = staff_api(app, common::OFFICIAL).await;
        let r = step(&mut official, id, json!({"action": "accept", "version": 1})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = citizen.get(&format!("/c/17071/dossiers/{receipt}")).await;
        assert!(page.body.contains(r#"s-accepted">Đã tiếp nhận</span>"#));

        // A fee paid by VietQR reads as words in the history, the amount as Vietnamese write it.
        let pid = procedure_id(&mut api, "HT-04").await;
        let a = upload(&mut api, "to-khai.png").await;
        let r = api
            .post_json("/api/v1/communes/17071/dossiers", json!({"procedure_id": pid, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011", "data": {"purpose": "Kết hôn"}, "documents": [{"name": "Tờ khai cấp giấy xác nhận tình trạng hôn nhân", "attachment_id": a}]}))
            .await;
        let d = r.json();
        let r = official
            .post_json(
                &format!(
                    "/api/v1/communes/17071/dossiers/{}/payment",
                    d["id"].as_i64().unwrap()
                ),
                json!({"method": "vietqr", "version": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut desk = app.login(common::OFFICIAL).await;
        let page = desk
            .get(&format!("/c/17071/office/dossiers/{}", d["id"]))
            .await;
        assert!(page.body.contains("Chuyển khoản VietQR") && page.body.contains("15.000 ₫"));
        assert!(
            !page.body.contains("<br>vietqr") && !page.body.contains("15000"),
            "no code on screen"
        );
    });
}

#[tokio::test]
async fn a_submission_ends_on_a_thank_you_page() {
    on_each_backend!(async |app: &TestApp| {
        let mut api = citizen_api(app).await;
        let pid = procedure_id(&mut api, "HT-04").await;
        let mut web = app.login(common::CITIZEN).await;
        let token = web.csrf().await;
        let r = web
            .post_multipart(
                &format!("/c/17071/services/{pid}?csrf={token}"),
                "doc_0",
                "to-khai.png",
                "image/png",
                &png(),
                &[
                    ("applicant_name", "Hoàng Văn Em"),
                    ("applicant_phone", "0912000011"),
                    ("data.purpose", "Kết hôn"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("?sent=1"), "{}", r.location());
        let page = web.get(r.location()).await;
        let receipt = r
            .location()
            .trim_end_matches("?sent=1")
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let due = regex_free_date(&page.body);
        assert!(page.body.contains(r#"<section class="card thanks""#));
        assert!(page.body.contains(&format!(
            r#"<strong class="thanks-code">{receipt}</strong>"#
        )));
        assert!(page.body.contains(r#"<ol class="next">"#) && page.body.contains("15.000 ₫"));
        assert!(due.is_some(), "the due date in dd/mm/yyyy: {}", page.body);
        assert!(
            page.body
                .contains(&format!(r#"href="/c/17071/dossiers/{receipt}""#))
        );
        let again = web.get(&format!("/c/17071/dossiers/{receipt}")).await;
        assert!(
            !again.body.contains("card thanks"),
            "only right after sending"
        );

        // At the counter: the desk's own thank-you, with the slip to print.
        let mut desk = app.login(common::OFFICIAL).await;
        let copy = procedure_id(&mut api, "CT-01").await;
        let token = desk.csrf().await;
        let r = desk
            .post_multipart(
                &format!("/c/17071/office/dossiers/new?csrf={token}"),
                "doc_0",
                "ban-chinh.png",
                "image/png",
                &png(),
                &[
                    ("procedure_id", &copy.to_string()),
                    ("applicant_name", "Lữ Thị Mai"),
                    ("applicant_phone", "0388123456"),
                    ("data.document", "Sổ đỏ"),
                    ("data.pages", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("?taken=1"));
        let page = desk.get(r.location()).await;
        assert!(page.body.contains("card thanks") && page.body.contains("Đã nhận hồ sơ tại quầy"));
        assert!(page.body.contains("/slip\"") && page.body.contains("In giấy hẹn"));

        // The counter's form shows the chosen procedure's fields, checked like online ones.
        let form = desk
            .get(&format!(
                "/c/17071/office/dossiers/new?procedure_id={copy}&applicant_name=L%E1%BB%AF%20Th%E1%BB%8B%20Mai"
            ))
            .await;
        assert!(
            form.body
                .contains(r#"name="data.pages" required inputmode="numeric""#)
        );
        assert!(
            form.body.contains(r#"value="Lữ Thị Mai""#),
            "what was typed is kept"
        );
        let before = app.count("dossier").await;
        let r = desk
            .post_multipart(
                &format!("/c/17071/office/dossiers/new?csrf={token}"),
                "doc_0",
                "ban-chinh.png",
                "image/png",
                &png(),
                &[
                    ("procedure_id", &copy.to_string()),
                    ("applicant_name", "Lữ Thị Mai"),
                    ("applicant_phone", "0388123456"),
                    ("data.document", "Sổ đỏ"),
                    ("data.pages", "hai"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains(r#"id="err_pages">Chỉ nhập chữ số"#),
            "{}",
            r.body
        );
        assert!(r.body.contains(r#"value="Sổ đỏ""#));
        assert_eq!(app.count("dossier").await, before);
    });
}

/// The thank-you card's due date, when it is written `dd/mm/yyyy`.
fn regex_free_date(body: &str) -> Option<String> {
    let start =
        body.find(r#"<strong class="thanks-due">"#)? + r#"<strong class="thanks-due">"#.len();
    let date = body.get(start..start + 10)?;
    chrono::NaiveDate::parse_from_str(date, "%d/%m/%Y")
        .ok()
        .map(|_| date.to_owned())
}

#[tokio::test]
async fn the_desk_prints_the_receipt_and_appointment_slip() {
    on_each_backend!(async |app: &TestApp| {
        let mut api = citizen_api(app).await;
        let d = submit_birth(&mut api).await;
        let (id, receipt) = (
            d["id"].as_i64().unwrap(),
            d["receipt_code"].as_str().unwrap().to_owned(),
        );
        let mut official = staff_api(app, common::OFFICIAL).await;
        step(&mut official, id, json!({"action": "accept", "version": 1})).await;
        let path = format!("/c/17071/office/dossiers/{id}/slip");

        let mut desk = app.login(common::OFFICIAL).await;
        let page = desk.get(&format!("/c/17071/office/dossiers/{id}")).await;
        assert!(
            page.body.contains(&format!(r#"href="{path}""#)) && page.body.contains("In giấy hẹn")
        );
        let slip = desk.get(&path).await;
        assert_eq!(slip.status, StatusCode::OK);
        let due = chrono::NaiveDate::parse_from_str(d["due_date"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap()
            .format("%d/%m/%Y")
            .to_string();
        let received = kernel::time::vn_today().format("%d/%m/%Y").to_string();
        for needle in [
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            &format!(r#"<strong class="receipt">{receipt}</strong>"#),
            "Hoàng Văn Em",
            "Đăng ký khai sinh",
            "<li>Tờ khai đăng ký khai sinh</li>",
            "<li>Giấy chứng sinh</li>",
            &format!(r#"<span class="slip-received">{received}</span>"#),
            &format!(r#"<strong class="slip-due">ngày {due}</strong>"#),
            r#"<p class="slip-name slip-official">Lê Văn Cường</p>"#,
            "<svg",
            &format!("/c/17071/track?receipt={receipt}"),
            "ỦY BAN NHÂN DÂN XÃ MINH HỢP",
        ] {
            assert!(slip.body.contains(needle), "{needle} on the slip");
        }
        assert!(
            !slip.body.contains("hx-boost"),
            "a page of its own, not the shell"
        );

        // The desk of this commune only.
        let mut citizen = app.login(common::CITIZEN).await;
        assert_eq!(citizen.get(&path).await.status, StatusCode::FORBIDDEN);
        let anon = app.client().get(&path).await;
        assert!(anon.status == StatusCode::SEE_OTHER || anon.status == StatusCode::UNAUTHORIZED);
        let mut head = app.login(common::VILLAGE_HEAD).await;
        assert_eq!(head.get(&path).await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            desk.get("/c/17071/office/dossiers/999999/slip")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The QR code's link fills the receipt in and asks for the phone, looking nothing up.
        let track = app
            .client()
            .get(&format!("/c/17071/track?receipt={receipt}"))
            .await;
        assert_eq!(track.status, StatusCode::OK);
        assert!(
            track.body.contains(&format!(r#"value="{receipt}""#)) && !track.body.contains("alert")
        );
    });
}

#[tokio::test]
async fn statistics_speak_vietnamese() {
    on_each_backend!(async |app: &TestApp| {
        let mut api = citizen_api(app).await;
        submit_birth(&mut api).await;
        let mut leader = app.login(common::LEADER).await;
        let page = leader.get("/c/17071/office/services-stats").await;
        assert_eq!(page.status, StatusCode::OK);
        let today = kernel::time::vn_today();
        use chrono::Datelike;
        let month = format!("T{}/{}", today.month(), today.year());
        assert!(
            page.body
                .contains(&format!("<th scope=\"row\">{month}</th>")),
            "{month} in the table"
        );
        assert!(
            page.body.contains(&format!("T{}<tspan", today.month())),
            "and under the chart's bar"
        );
        assert!(
            !page.body.contains(".0%")
                && !page
                    .body
                    .contains(&format!(">{}-{:02}<", today.year() % 100, today.month()))
        );
        assert!(
            page.body.contains(r#"<table class="table stack">"#)
                && page.body.contains("data-label=")
        );
    });
}

#[tokio::test]
async fn the_catalogue_serves_from_memory_and_shows_an_edit_at_once() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let first = anon.get("/c/17071/services").await;
        assert!(first.body.contains("Đăng ký khai tử"));
        // Cached now: a write behind the room's back is not seen...
        let db = &app.platform.state.db;
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "UPDATE procedure SET name = 'Tên đổi lén' WHERE code = 'HT-02'",
        ))
        .await
        .unwrap();
        assert!(
            anon.get("/c/17071/services")
                .await
                .body
                .contains("Đăng ký khai tử"),
            "served from memory"
        );
        // ...but an edit through the editor shows at once, on every search.
        let mut api = citizen_api(app).await;
        let id = procedure_id(&mut api, "HT-02").await;
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let edit = admin.get(&format!("/c/17071/office/procedures/{id}")).await;
        assert_eq!(edit.status, StatusCode::OK);
        let form = [
            ("code", "HT-02"),
            ("name", "Đăng ký khai tử (mới)"),
            ("field", "Hộ tịch"),
            ("documents", "*Tờ khai đăng ký khai tử"),
            ("fee_vnd", "0"),
            ("processing_days", "1"),
            ("online_level", "full"),
            ("active", "on"),
        ];
        let r = admin
            .post_form(&format!("/c/17071/office/procedures/{id}"), &form)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = anon.get("/c/17071/services").await;
        assert!(
            page.body.contains("Đăng ký khai tử (mới)"),
            "the edit shows at once"
        );
        let found = anon.get("/c/17071/services?q=khai%20tu").await;
        assert!(found.body.contains("Đăng ký khai tử (mới)"));
        // Withdrawn: gone from the catalogue at once.
        let r = admin
            .post_form(&format!("/c/17071/office/procedures/{id}"), &form[..7])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            !anon
                .get("/c/17071/services")
                .await
                .body
                .contains("Đăng ký khai tử")
        );
    });
}
