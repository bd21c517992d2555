//! Notices through HTTP on SQLite and PostgreSQL: publishing to an audience (inbox, outbox,
//! reach), sanitised markdown, the board and its search, scheduling, emergencies and their
//! acknowledgements, topics, the iCalendar feed, bulletins, and bad input that changes nothing
//! (each refusal of `notices::actions` with its code: `refusals`).

use crate::common;

mod refusals;
mod trust;

use axum::http::StatusCode;
use common::{Client, TestApp};
use serde_json::{Value, json};

async fn publish(c: &mut Client, v: Value) -> common::Resp {
    c.post_json_csrf("/api/v1/communes/17071/notices", v).await
}

fn whole() -> Value {
    json!({ "whole_commune": true })
}

async fn village_ids(c: &mut Client) -> Vec<i64> {
    c.get("/api/v1/communes/17071/villages")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

async fn my_village(c: &mut Client) -> Option<i64> {
    c.get("/api/v1/me").await.json()["village_id"].as_i64()
}

async fn board_ids(c: &mut Client) -> Vec<i64> {
    c.get("/api/v1/communes/17071/notices").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = &app.platform.state.db;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn writes(app: &TestApp) -> [i64; 5] {
    [
        app.count("notice").await,
        app.count("notice_recipient").await,
        app.count("inbox_item").await,
        app.count("outbox").await,
        app.count("audit_log").await,
    ]
}

#[tokio::test]
async fn a_notice_reaches_the_commune_its_board_and_its_reach_figures() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let people = scalar(
            app,
            "SELECT COUNT(*) AS n FROM app_user WHERE commune_code = '17071' AND disabled = FALSE",
        )
        .await;
        let inbox_before = app.count("inbox_item").await;
        let r = publish(
            &mut official,
            json!({
                "category": "notice",
                "title": "Lịch tiêm chủng mở rộng tháng 12",
                "body": "**Bà con** đưa trẻ đến trạm y tế. <script>alert(1)</script> [xem](javascript:alert(2))",
                "audience": whole(),
            }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let n = r.json();
        let id = n["id"].as_i64().unwrap();
        let html = n["body_html"].as_str().unwrap();
        assert!(html.contains("<strong>Bà con</strong>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("javascript:"),
            "{html}"
        );
        assert_eq!(n["status"], "published");
        assert_eq!(n["recipient_count"].as_i64().unwrap(), people);

        // Every person of the commune got it in their inbox, in one go.
        assert_eq!(app.count("inbox_item").await, inbox_before + people);
        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert!(
            inbox.to_string().contains("Lịch tiêm chủng mở rộng"),
            "{inbox}"
        );
        // Email went to the outbox for those with an address (the rule in kernel::notify::fanout).
        let with_email = scalar(app, "SELECT COUNT(*) AS n FROM app_user WHERE commune_code = '17071' AND disabled = FALSE AND email IS NOT NULL AND email <> ''").await;
        let queued = scalar(app, &format!("SELECT COUNT(*) AS n FROM outbox WHERE ref_kind = 'notice' AND ref_id = {id} AND channel = 'email'")).await;
        assert_eq!(queued, with_email);
        // SMS is off by default for ordinary notices.
        let sms = scalar(app, &format!("SELECT COUNT(*) AS n FROM outbox WHERE ref_kind = 'notice' AND ref_id = {id} AND channel = 'sms'")).await;
        assert_eq!(sms, 0);

        // The board shows it, anonymous and with accents or without.
        let mut anon = app.client();
        let page = anon.get("/c/17071/notices").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Lịch tiêm chủng mở rộng tháng 12"));
        let found = anon
            .get("/api/v1/communes/17071/notices?q=tiem%20chung%20thang")
            .await
            .json();
        assert_eq!(found["items"].as_array().unwrap().len(), 1);
        let none = anon
            .get("/api/v1/communes/17071/notices?q=bao%20lu")
            .await
            .json();
        assert!(none["items"].as_array().unwrap().is_empty());
        let page = anon.get(&format!("/c/17071/notices/{id}")).await;
        assert!(page.body.contains("<strong>Bà con</strong>"));
        assert!(!page.body.contains("alert(1)"));

        // The citizen reads it: reach counts them, by village too; the inbox item is read.
        let page = citizen.get(&format!("/c/17071/notices/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let reach = official
            .get(&format!("/api/v1/communes/17071/notices/{id}/reach"))
            .await;
        assert_eq!(reach.status, StatusCode::OK, "{}", reach.body);
        let reach = reach.json();
        assert_eq!(reach["audience"].as_i64().unwrap(), people);
        assert_eq!(reach["read"], 1);
        let village = my_village(&mut citizen).await;
        let row = reach["by_village"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["village_id"].as_i64() == village)
            .unwrap()
            .clone();
        assert_eq!(row["read"], 1);
        let inbox_ch = &reach["by_channel"][0];
        assert_eq!(
            (inbox_ch["channel"].as_str(), inbox_ch["sent"].as_i64()),
            (Some("inbox"), Some(people))
        );
        let page = official.get(&format!("/c/17071/office/notices/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Theo thôn, bản") && page.body.contains("Theo kênh gửi"));
        // Citizens do not see reach.
        let r = citizen
            .get(&format!("/api/v1/communes/17071/notices/{id}/reach"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Audited.
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=notice")
            .await
            .json();
        assert!(audit.to_string().contains("notice.publish"), "{audit}");

        // Pinned first; withdrawn leaves the board.
        let r = publish(&mut official, json!({"category": "guidance", "title": "Hướng dẫn phân loại rác", "body": "Rác hữu cơ để riêng.", "audience": whole()})).await;
        let second = r.json()["id"].as_i64().unwrap();
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{id}/action"),
                json!({"action": "pin"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let ids = board_ids(&mut anon).await;
        assert_eq!(ids[0], id, "pinned and newest first");
        let pos = |x: i64, ids: &[i64]| ids.iter().position(|i| *i == x);
        assert!(pos(id, &ids) < pos(second, &ids));
        official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{second}/action"),
                json!({"action": "withdraw"}),
            )
            .await;
        assert!(!board_ids(&mut anon).await.contains(&second));
        assert_eq!(
            anon.get(&format!("/c/17071/notices/{second}")).await.status,
            StatusCode::NOT_FOUND
        );
    });
}

#[tokio::test]
async fn bad_notices_are_refused_and_nothing_is_written() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let before = writes(app).await;
        let past = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
        let cases = [
            (
                json!({"category": "notice", "title": "Thông báo", "body": "Nội dung", "audience": {}}),
                "notice_audience_empty",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "Nội dung", "audience": whole(), "publish_at": past}),
                "notice_schedule_past",
            ),
            (
                json!({"category": "notice", "title": "Tb", "body": "Nội dung", "audience": whole()}),
                "notice_title_invalid",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "   ", "audience": whole()}),
                "notice_body_empty",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": {"village_ids": [999999]}}),
                "notice_village_unknown",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": {"roles": ["citizen"]}}),
                "notice_role_unknown",
            ),
            (
                json!({"category": "event", "title": "Họp thôn", "body": "x", "audience": whole()}),
                "notice_event_start_required",
            ),
        ];
        for (body, code) in cases {
            let r = publish(&mut official, body).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, code),
                "{}",
                r.body
            );
            assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
        }
        // Vietnamese message for the form too; the form keeps what was typed.
        let url = format!("/c/17071/office/notices?csrf={}", official.csrf().await);
        let r = official
            .post_multipart_files(
                &url,
                &[],
                &[
                    ("category", "notice"),
                    ("title", "Thông báo cắt điện"),
                    ("body", "Nội dung"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Vui lòng chọn người nhận"), "{}", r.body);
        assert!(r.body.contains("Thông báo cắt điện"));
        // A fake PDF is refused before anything is stored.
        let url = format!("/c/17071/office/notices?csrf={}", official.csrf().await);
        let r = official
            .post_multipart_files(
                &url,
                &[("files", "a.pdf", "application/pdf", b"not a pdf".to_vec())],
                &[
                    ("category", "notice"),
                    ("title", "Thông báo cắt điện"),
                    ("body", "Nội dung"),
                    ("a_all", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Citizens do not publish.
        let r = publish(
            &mut citizen,
            json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": whole()}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(writes(app).await, before, "nothing written");
    });
}

#[tokio::test]
async fn scheduled_notices_wait_then_publish_once() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let at = chrono::Utc::now() + chrono::Duration::hours(2);
        let r = publish(&mut official, json!({"category": "notice", "title": "Lịch cắt điện thứ Bảy", "body": "Cắt điện từ 7 giờ đến 11 giờ.", "audience": whole(), "publish_at": at.to_rfc3339()})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        assert_eq!(r.json()["status"], "scheduled");
        let inbox = app.count("inbox_item").await;
        let mut anon = app.client();
        assert!(!board_ids(&mut anon).await.contains(&id));
        assert_eq!(
            anon.get(&format!("/c/17071/notices/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        // The officials still see it.
        assert_eq!(
            official.get(&format!("/c/17071/notices/{id}")).await.status,
            StatusCode::OK
        );

        let db = &app.platform.state.db;
        assert_eq!(
            notices::actions::notices::publish_due(db, chrono::Utc::now())
                .await
                .unwrap(),
            0
        );
        let later = at + chrono::Duration::minutes(1);
        assert_eq!(
            notices::actions::notices::publish_due(db, later)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            notices::actions::notices::publish_due(db, later)
                .await
                .unwrap(),
            0,
            "only once"
        );
        assert!(app.count("inbox_item").await > inbox);
        assert!(board_ids(&mut anon).await.contains(&id));
    });
}

#[tokio::test]
async fn emergencies_go_on_every_channel_and_officials_see_who_has_not_acknowledged() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = app.login(common::LEADER).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let village = my_village(&mut citizen)
            .await
            .expect("the demo citizen has a village");
        let r = publish(&mut leader, json!({"category": "emergency", "title": "Cảnh báo lũ quét đêm nay", "body": "Bà con ven suối di chuyển lên nơi cao.", "audience": {"village_ids": [village]}})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let audience = r.json()["recipient_count"].as_i64().unwrap();
        assert!(audience >= 1);
        // SMS despite the default preference; highest priority.
        let sms = scalar(app, &format!("SELECT COUNT(*) AS n FROM outbox WHERE ref_id = {id} AND ref_kind = 'notice' AND channel = 'sms' AND priority = 2")).await;
        let with_phone = scalar(app, &format!("SELECT COUNT(*) AS n FROM app_user WHERE village_id = {village} AND disabled = FALSE AND phone IS NOT NULL")).await;
        assert_eq!(sms, with_phone);
        // Delivery status per recipient and channel: no SMS gateway here, so they wait.
        app.deliver().await;
        let d = leader
            .get(&format!(
                "/api/v1/communes/17071/notices/{id}/deliveries?channel=sms"
            ))
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let d = d.json();
        assert_eq!(d.as_array().unwrap().len() as i64, sms);
        assert!(
            d.as_array()
                .unwrap()
                .iter()
                .all(|m| m["status"] != "sent" && !m["full_name"].as_str().unwrap().is_empty())
        );
        let page = leader.get(&format!("/c/17071/office/notices/{id}")).await;
        assert!(page.body.contains("Chưa gửi được tới người nhận"));
        assert_eq!(
            citizen
                .get(&format!("/api/v1/communes/17071/notices/{id}/deliveries"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let title = scalar(app, &format!("SELECT COUNT(*) AS n FROM inbox_item WHERE title LIKE '[KHẨN CẤP]%' AND link = '/c/17071/notices/{id}'")).await;
        assert_eq!(title, audience);

        // Before: the citizen is on the waiting list.
        let waiting = leader
            .get(&format!(
                "/api/v1/communes/17071/notices/{id}/unacknowledged"
            ))
            .await
            .json();
        assert!(waiting.to_string().contains("\"read\":false"));
        let page = citizen.get(&format!("/c/17071/notices/{id}")).await;
        assert!(page.body.contains("Tôi đã nhận được"));
        let r = citizen
            .post_form(&format!("/c/17071/notices/{id}/ack"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = citizen.get(&format!("/c/17071/notices/{id}")).await;
        assert!(page.body.contains("Bạn đã xác nhận lúc"));
        let again = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{id}/ack"),
                json!({}),
            )
            .await;
        assert_eq!(again.status, StatusCode::OK);
        let reach = leader
            .get(&format!("/api/v1/communes/17071/notices/{id}/reach"))
            .await
            .json();
        assert_eq!(reach["acknowledged"], 1);
        let after = leader
            .get(&format!(
                "/api/v1/communes/17071/notices/{id}/unacknowledged"
            ))
            .await
            .json();
        assert_eq!(after.as_array().unwrap().len() as i64, audience - 1);
        let page = leader.get(&format!("/c/17071/office/notices/{id}")).await;
        assert!(page.body.contains("Chưa xác nhận"));

        // Someone outside the audience cannot acknowledge; an ordinary notice needs no acknowledgement.
        let mut official = app.login(common::OFFICIAL).await;
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{id}/ack"),
                json!({}),
            )
            .await;
        if r.status != StatusCode::OK {
            assert_eq!(r.error_code(), "notice_not_recipient");
        }
        let r = publish(&mut leader, json!({"category": "notice", "title": "Họp dân thôn", "body": "Tối thứ Sáu.", "audience": whole()})).await;
        let plain = r.json()["id"].as_i64().unwrap();
        let r = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{plain}/ack"),
                json!({}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "notice_ack_not_emergency")
        );
    });
}

#[tokio::test]
async fn topics_villages_and_roles_choose_the_audience() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/notice-topics",
                json!({"name": "Nông nghiệp"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let topic = r.json()["id"].as_i64().unwrap();
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/notice-topics",
                json!({"name": "Nông nghiệp"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = citizen
            .post_form(
                &format!("/c/17071/notices/topics/{topic}"),
                &[("follow", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = publish(&mut official, json!({"category": "guidance", "title": "Lịch gieo cấy vụ đông", "body": "Gieo trước 15/12.", "audience": {"topic_ids": [topic]}})).await;
        assert_eq!(r.json()["recipient_count"], 1, "{}", r.body);
        let r = publish(&mut official, json!({"category": "notice", "title": "Họp cán bộ", "body": "Sáng thứ Hai.", "audience": {"roles": ["leader", "official"]}})).await;
        let staff = scalar(app, "SELECT COUNT(DISTINCT user_id) AS n FROM role_grant WHERE unit_code = '17071' AND role IN ('leader', 'official')").await;
        assert_eq!(
            r.json()["recipient_count"].as_i64(),
            Some(staff),
            "{}",
            r.body
        );
        let villages = village_ids(&mut official).await;
        let r = publish(&mut official, json!({"category": "notice", "title": "Thu gom rác thôn", "body": "Sáng thứ Ba.", "audience": {"village_ids": [villages[0]]}})).await;
        let in_village = scalar(
            app,
            &format!(
                "SELECT COUNT(*) AS n FROM app_user WHERE village_id = {} AND disabled = FALSE",
                villages[0]
            ),
        )
        .await;
        assert_eq!(r.json()["recipient_count"].as_i64(), Some(in_village));
    });
}

#[tokio::test]
async fn events_are_an_icalendar_feed_and_bulletins_read_the_day_s_notices() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let start = "2030-03-05T01:30:00Z";
        let r = publish(&mut official, json!({"category": "event", "title": "Ngày hội tiêm chủng, uống vitamin A cho trẻ dưới 5 tuổi tại trạm y tế xã", "body": "Mang theo sổ tiêm chủng; trẻ cần ăn no.", "audience": whole(), "event_start": start, "event_end": "2030-03-05T04:00:00Z", "location": "Trạm y tế xã, thôn Minh Hòa"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let mut anon = app.client();
        let r = anon.get("/c/17071/events.ics").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/calendar")
        );
        let ics = r.body;
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "every line ends in CRLF"
        );
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "folded: {l}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("PRODID:-//Xa So//Notices//VI"));
        assert!(unfolded.contains(&format!("UID:notice-17071-{id}@")));
        assert!(unfolded.contains("DTSTAMP:"));
        assert!(unfolded.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh"));
        assert!(unfolded.contains("DTSTART;TZID=Asia/Ho_Chi_Minh:20300305T083000"));
        assert!(unfolded.contains("LOCATION:Trạm y tế xã\\, thôn Minh Hòa"));

        // Bulletin: nothing chosen is refused; then a script with the notice, audio or a clear "no".
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/bulletins",
                json!({"notice_ids": []}),
            )
            .await;
        assert_eq!(r.error_code(), "bulletin_empty");
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/bulletins",
                json!({"notice_ids": [id]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let b = r.json();
        assert!(
            b["script"]
                .as_str()
                .unwrap()
                .contains("BẢN TIN ĐÀI TRUYỀN THANH XÃ MINH HỢP")
        );
        assert!(
            b["script"]
                .as_str()
                .unwrap()
                .contains("1. Ngày hội tiêm chủng")
        );
        let espeak = notices::bulletin::espeak().is_some();
        assert_eq!(
            b["audio_status"],
            if espeak { "pending" } else { "unavailable" }
        );
        let page = official
            .get(&format!("/c/17071/office/bulletin/{}", b["id"]))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let bid = b["id"].as_i64().unwrap();
        if espeak {
            // The background job speaks the script into a WAV file.
            let state = &app.platform.state;
            notices::bulletin::render_audio(&state.db, &state.config.data_dir, Some("17071"), bid)
                .await
                .unwrap();
            let b = official
                .get(&format!("/api/v1/communes/17071/bulletins/{bid}"))
                .await
                .json();
            assert_eq!(b["audio_status"], "ready", "{b}");
            let wav = official.get(b["audio_url"].as_str().unwrap()).await;
            assert_eq!(wav.status, StatusCode::OK);
            assert_eq!(wav.headers["content-type"], "audio/wav");
        } else {
            assert!(page.body.contains("chưa cài espeak-ng"));
        }
        let mut citizen = app.login(common::CITIZEN).await;
        assert_eq!(
            citizen.get("/c/17071/office/bulletin").await.status,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn the_office_form_publishes_with_an_attachment() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let page = official.get("/c/17071/office/notices").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Soạn thông báo mới"));
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let url = format!("/c/17071/office/notices?csrf={}", official.csrf().await);
        let r = official
            .post_multipart_files(
                &url,
                &[("files", "ke-hoach.pdf", "application/pdf", pdf.clone())],
                &[
                    ("category", "law"),
                    ("title", "Kế hoạch xây dựng nông thôn mới 2026"),
                    ("body", "Xem tệp đính kèm."),
                    ("a_all", "1"),
                    ("pinned", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (path, flash) = r.location().split_once('?').unwrap();
        assert_eq!(flash, "published=1", "the reach page says it was published");
        let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
        let mut anon = app.client();
        let page = anon.get(&format!("/c/17071/notices/{id}")).await;
        assert!(page.body.contains("ke-hoach.pdf"));
        let aid = page
            .body
            .split(&format!("/c/17071/notices/{id}/files/"))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let f = anon
            .get(&format!("/c/17071/notices/{id}/files/{aid}"))
            .await;
        assert_eq!(f.status, StatusCode::OK);
        assert_eq!(f.headers["content-type"], "application/pdf");
        let board = anon.get("/c/17071/notices").await;
        assert!(board.body.contains("Kế hoạch xây dựng nông thôn mới 2026"));
    });
}
