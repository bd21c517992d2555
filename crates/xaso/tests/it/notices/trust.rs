//! Pages people trust (issue 11): an active emergency comes first wherever notices are
//! listed; channels with no gateway are said so when publishing and on the reach page, and
//! their messages are not counted as pending; the writing help (preview of the Markdown).

use super::*;

#[tokio::test]
async fn an_active_emergency_comes_before_pinned_notices_everywhere() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = app.login(common::LEADER).await;
        let r = publish(&mut leader, json!({"category": "emergency", "title": "Cảnh báo sạt lở đất ven đồi", "body": "Bà con tránh xa chân đồi.", "audience": whole()})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let alert = r.json()["id"].as_i64().unwrap();
        // Published after the alert, and pinned: still below it.
        let r = publish(&mut leader, json!({"category": "notice", "title": "Lịch tiếp dân tháng này", "body": "Thứ Năm hằng tuần, ghim lên đầu.", "audience": whole(), "pinned": true})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let pinned = r.json()["id"].as_i64().unwrap();
        let r = publish(&mut leader, json!({"category": "notice", "title": "Lịch thu gom rác đất đồi", "body": "Sáng thứ Hai.", "audience": whole()})).await;
        let newest = r.json()["id"].as_i64().unwrap();

        let mut anon = app.client();
        let ids = board_ids(&mut anon).await;
        assert_eq!(&ids[..2], &[alert, pinned], "API board order");
        let pos = |id: i64| ids.iter().position(|i| *i == id).unwrap();
        assert!(
            pos(pinned) < pos(newest),
            "pinned before the newest ordinary notice"
        );
        // A search ranks by words, but the alert still leads.
        let found = anon
            .get("/api/v1/communes/17071/notices?q=dat%20doi")
            .await
            .json();
        let found: Vec<i64> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_i64().unwrap())
            .collect();
        assert_eq!(found.first(), Some(&alert), "{found:?}");
        let page = anon.get("/c/17071/notices").await.body;
        let at = |t: &str| page.find(t).unwrap_or_else(|| panic!("{t} missing"));
        assert!(at("Cảnh báo sạt lở đất ven đồi") < at("Lịch tiếp dân tháng này"));
        // The office list too, though the pinned notice and another are newer.
        let office = leader.get("/c/17071/office/notices").await.body;
        let at = |t: &str| office.find(t).unwrap_or_else(|| panic!("{t} missing"));
        assert!(at("Cảnh báo sạt lở đất ven đồi") < at("Lịch thu gom rác đất đồi"));

        // Withdrawn, it no longer leads the office list.
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{alert}/action"),
                json!({"action": "withdraw"}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let office = leader.get("/c/17071/office/notices").await.body;
        let at = |t: &str| office.find(t).unwrap_or_else(|| panic!("{t} missing"));
        assert!(at("Lịch thu gom rác đất đồi") < at("Cảnh báo sạt lở đất ven đồi"));
        assert_eq!(board_ids(&mut anon).await[0], pinned);
    });
}

#[tokio::test]
async fn channels_without_a_gateway_are_said_so_and_not_counted_as_pending() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = app.login(common::LEADER).await;
        // Before publishing: the form warns that SMS has no gateway here.
        let form = leader.get("/c/17071/office/notices").await.body;
        assert!(
            form.contains("Chưa cấu hình") && form.contains("SMS"),
            "warning before publishing"
        );
        let r = publish(&mut leader, json!({"category": "emergency", "title": "Cảnh báo lũ ống chiều nay", "body": "Bà con không qua ngầm tràn.", "audience": whole()})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let n = r.json();
        assert!(
            n["unconfigured_channels"]
                .as_array()
                .unwrap()
                .contains(&json!("sms")),
            "{n}"
        );
        let id = n["id"].as_i64().unwrap();
        let sms = scalar(app, &format!("SELECT COUNT(*) AS n FROM outbox WHERE ref_id = {id} AND ref_kind = 'notice' AND channel = 'sms'")).await;
        assert!(sms > 0);
        app.deliver().await;

        let reach = leader
            .get(&format!("/api/v1/communes/17071/notices/{id}/reach"))
            .await
            .json();
        let ch = reach["by_channel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "sms")
            .unwrap()
            .clone();
        assert_eq!(
            (
                ch["configured"].as_bool(),
                ch["pending"].as_i64(),
                ch["not_configured"].as_i64()
            ),
            (Some(false), Some(0), Some(sms)),
            "{ch}"
        );
        let d = leader
            .get(&format!(
                "/api/v1/communes/17071/notices/{id}/deliveries?channel=sms"
            ))
            .await
            .json();
        assert!(
            d.as_array()
                .unwrap()
                .iter()
                .all(|m| m["status"] == "not_configured")
        );
        let page = leader
            .get(&format!("/c/17071/office/notices/{id}?published=1"))
            .await
            .body;
        assert!(page.contains("Đã đăng thông báo"));
        assert!(page.contains("Chưa cấu hình SMS: không gửi được"), "{page}");
        assert!(!page.contains(">Đang gửi<") && !page.contains(">Đang chờ<"));
        // A leader cannot fix it: the page names the commune's administrators to call.
        assert!(page.contains("Hãy báo cho quản trị viên"), "{page}");
        assert!(page.contains("href=\"tel:+84"), "{page}");
        assert!(!page.contains("/c/17071/office/delivery/settings"));
        // An administrator gets the way to the settings instead.
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let page = admin
            .get(&format!("/c/17071/office/notices/{id}"))
            .await
            .body;
        assert!(
            page.contains("href=\"/c/17071/office/delivery/settings\""),
            "{page}"
        );
        let form = admin.get("/c/17071/office/notices").await.body;
        assert!(form.contains("href=\"/c/17071/office/delivery/settings\""));
        // The in-app inbox is always there.
        let inbox = &reach["by_channel"][0];
        assert_eq!(
            (inbox["channel"].as_str(), inbox["configured"].as_bool()),
            (Some("inbox"), Some(true))
        );
    });
}

/// A multipart form post, as the notice form sends it (htmx adds `HX-Request`).
async fn post_form_data(
    c: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    htmx: bool,
) -> common::Resp {
    use axum::body::Body;
    use axum::http::{Request, header};
    let boundary = "XASOPREVIEW0000";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let mut req = Request::post(path).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if htmx {
        req = req.header("HX-Request", "true");
    }
    c.send(req.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn a_draft_is_previewed_as_its_notice_page_shows_it_without_saving() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let form = official.get("/c/17071/office/notices").await.body;
        assert!(form.contains("data-md-toolbar") && form.contains("/static/md-toolbar.js"));
        assert!(form.contains("Xem trước") && form.contains("/office/notices/preview?csrf="));
        let js = app.client().get("/static/md-toolbar.js").await;
        assert_eq!(js.status, StatusCode::OK);
        assert!(
            js.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );

        let token = official.csrf().await;
        let path = format!("/c/17071/office/notices/preview?csrf={token}");
        let draft = [
            ("category", "notice"),
            ("title", "Họp dân thôn Đông"),
            (
                "body",
                "## Nội dung\n\n**Bà con** chú ý:\n\n- một\n- hai\n\n<script>alert(1)</script>",
            ),
            ("a_all", "1"),
        ];
        let before = writes(app).await;
        let r = post_form_data(&mut official, &path, &draft, true).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("id=\"md-preview\"") && !r.body.contains("<html"));
        assert!(r.body.contains("<strong>Bà con</strong>") && r.body.contains("<li>một</li>"));
        assert!(r.body.contains("<h2>Nội dung</h2>") || r.body.contains("<h2 "));
        assert!(!r.body.contains("<script>alert"));
        // Without script: the whole page, the draft kept, the preview in it.
        let r = post_form_data(&mut official, &path, &draft, false).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("<html") && r.body.contains("<strong>Bà con</strong>"));
        assert!(r.body.contains("value=\"Họp dân thôn Đông\""));
        assert!(r.body.contains("name=\"a_all\" value=\"1\" checked"));
        assert_eq!(writes(app).await, before, "nothing saved");
        // Only those who write notices.
        let mut citizen = app.login(common::CITIZEN).await;
        let token = citizen.csrf().await;
        let r = post_form_data(
            &mut citizen,
            &format!("/c/17071/office/notices/preview?csrf={token}"),
            &draft,
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
