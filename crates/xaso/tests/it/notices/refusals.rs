//! Each refusal of the notices room's use cases through HTTP, on both backends: the API answers
//! its code and status, the office form shows its message beside what was typed, and nothing
//! is written.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{publish, whole, writes};
use crate::common::{self, Client, TestApp};

/// Every row a refused request could have written.
async fn all_writes(app: &TestApp) -> Vec<i64> {
    let mut v = writes(app).await.to_vec();
    for t in [
        "notice_topic",
        "notice_subscription",
        "notice_bulletin",
        "notice_attachment",
        "attachment",
    ] {
        v.push(app.count(t).await);
    }
    v
}

async fn put_json_csrf(c: &mut Client, path: &str, v: Value) -> common::Resp {
    let token = c.csrf().await;
    let req = axum::http::Request::put(path)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(axum::body::Body::from(v.to_string()))
        .unwrap();
    c.send(req).await
}

#[tokio::test]
async fn each_refusal_answers_its_code_and_changes_nothing() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let mut citizen = app.login(common::CITIZEN).await;
        // What the refusals below meet: a withdrawn notice, a topic, a bulletin.
        let r = publish(
            &mut official,
            json!({"category": "notice", "title": "Lịch cắt điện", "body": "Chiều thứ Bảy.", "audience": whole()}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let topics = "/api/v1/communes/17071/notice-topics";
        let r = official
            .post_json_csrf(topics, json!({"name": "Nông nghiệp"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let bulletins = "/api/v1/communes/17071/bulletins";
        let r = official
            .post_json_csrf(bulletins, json!({"notice_ids": [id]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let bid = r.json()["id"].as_i64().unwrap();
        let notice = format!("/api/v1/communes/17071/notices/{id}");
        let r = official
            .post_json_csrf(&format!("{notice}/action"), json!({"action": "withdraw"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let before = all_writes(app).await;

        let now = chrono::Utc::now();
        let hours = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
        let bad = [
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x".repeat(20_001), "audience": whole()}),
                "notice_body_too_long",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": whole(), "expires_at": hours(-1)}),
                "notice_expiry_before_publish",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": whole(), "location": "x".repeat(201)}),
                "notice_location_too_long",
            ),
            (
                json!({"category": "event", "title": "Họp thôn", "body": "x", "audience": whole(), "event_start": hours(48), "event_end": hours(24)}),
                "notice_event_end_before_start",
            ),
            (
                json!({"category": "notice", "title": "Thông báo", "body": "x", "audience": {"topic_ids": [999999]}}),
                "notice_topic_unknown",
            ),
        ];
        for (body, code) in bad {
            let r = publish(&mut official, body).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, code),
                "{}",
                r.body
            );
        }

        let unknown = "/api/v1/communes/17071/notices/999999";
        let many: Vec<i64> = (1..=21).collect();
        let cases = [
            (
                official.get(unknown).await,
                StatusCode::NOT_FOUND,
                "notice_unknown",
            ),
            (
                official.get(&format!("{unknown}/reach")).await,
                StatusCode::NOT_FOUND,
                "notice_unknown",
            ),
            // Withdrawn: off the board, so not there for citizens.
            (
                citizen.get(&notice).await,
                StatusCode::NOT_FOUND,
                "notice_unknown",
            ),
            (
                citizen
                    .post_json_csrf(&format!("{notice}/ack"), json!({}))
                    .await,
                StatusCode::NOT_FOUND,
                "notice_unknown",
            ),
            (
                official
                    .post_json_csrf(&format!("{unknown}/action"), json!({"action": "pin"}))
                    .await,
                StatusCode::NOT_FOUND,
                "notice_unknown",
            ),
            (
                official
                    .post_json_csrf(&format!("{notice}/action"), json!({"action": "explode"}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "notice_action_unknown",
            ),
            (
                official
                    .post_json_csrf(&format!("{notice}/action"), json!({"action": "withdraw"}))
                    .await,
                StatusCode::CONFLICT,
                "notice_already_withdrawn",
            ),
            (
                official
                    .post_json_csrf(topics, json!({"name": " x "}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "notice_topic_name_invalid",
            ),
            (
                official
                    .post_json_csrf(topics, json!({"name": "Nông nghiệp"}))
                    .await,
                StatusCode::CONFLICT,
                "notice_topic_exists",
            ),
            (
                put_json_csrf(
                    &mut citizen,
                    &format!("{topics}/999999/subscription"),
                    json!({"following": true}),
                )
                .await,
                StatusCode::NOT_FOUND,
                "notice_topic_unknown",
            ),
            (
                official
                    .post_json_csrf(bulletins, json!({"notice_ids": many}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "bulletin_too_many",
            ),
            // The withdrawn notice is no longer on the board to be read out.
            (
                official
                    .post_json_csrf(bulletins, json!({"notice_ids": [id]}))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "bulletin_notice_unknown",
            ),
            (
                official.get(&format!("{bulletins}/999999")).await,
                StatusCode::NOT_FOUND,
                "bulletin_unknown",
            ),
        ];
        for (r, status, code) in cases {
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (status, code),
                "{}",
                r.body
            );
            assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
        }
        // The audio is not made until the job runs (or never, without espeak-ng).
        let r = official
            .get(&format!("/c/17071/office/bulletin/{bid}/audio.wav"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(
            r.body.contains("Bản tin chưa có tệp âm thanh"),
            "{}",
            r.body
        );
        assert_eq!(all_writes(app).await, before, "nothing written");
    });
}

#[tokio::test]
async fn the_office_form_refuses_bad_input_beside_what_was_typed() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let before = all_writes(app).await;
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let six: Vec<_> = (0..6)
            .map(|_| ("files", "a.pdf", "application/pdf", pdf.clone()))
            .collect();
        let fake = vec![("files", "a.pdf", "application/pdf", b"not a pdf".to_vec())];
        let cases = [
            (vec![], ("category", "xyz"), "Loại tin không hợp lệ."),
            (
                vec![],
                ("publish_at", "ngày mai"),
                "Thời gian không hợp lệ.",
            ),
            (six, ("category", "notice"), "Tối đa 5 tệp đính kèm."),
            (fake, ("category", "notice"), "Tệp đính kèm phải là PDF"),
        ];
        for (files, field, message) in cases {
            let mut fields = vec![
                ("title", "Thông báo cắt điện"),
                ("body", "Nội dung"),
                ("a_all", "1"),
            ];
            if field.0 != "category" {
                fields.push(("category", "notice"));
            }
            fields.push(field);
            let url = format!("/c/17071/office/notices?csrf={}", official.csrf().await);
            let r = official.post_multipart_files(&url, &files, &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            assert!(r.body.contains(message), "{message}: {}", r.body);
            assert!(r.body.contains("Thông báo cắt điện"));
        }
        assert_eq!(all_writes(app).await, before, "nothing written");
    });
}
