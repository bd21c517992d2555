//! Kernel services on both databases: job queue, attachment store, notification outbox, backup.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use kernel::jobs::{self, JobRunner, NewJob};
use kernel::notify::{self, Message};

#[tokio::test]
async fn jobs_dedup_retry_with_backoff_and_schedule() {
    on_each_backend!(async |app: &common::TestApp| {
        let db = app.platform.state.db.clone();
        let ran = Arc::new(AtomicUsize::new(0));
        let seen = ran.clone();
        let runner = JobRunner::builder(db.clone())
            .handler("ok", move |_, v| {
                let seen = seen.clone();
                async move {
                    assert_eq!(v["n"], 7);
                    seen.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .handler("flaky", |_, _| async { Err("gateway down".to_owned()) })
            .every("tick", Duration::from_secs(3600))
            .handler("tick", |_, _| async { Ok(()) })
            .build();
        let now = Utc::now();

        // Deduplication: the same key while pending gives the same job.
        let a = jobs::enqueue(
            &db,
            NewJob::now("ok", serde_json::json!({"n": 7})).dedup("report:17071"),
        )
        .await
        .unwrap();
        let b = jobs::enqueue(
            &db,
            NewJob::now("ok", serde_json::json!({"n": 7})).dedup("report:17071"),
        )
        .await
        .unwrap();
        assert_eq!(a, b);
        // Scheduled in the future: not run yet.
        let later = jobs::enqueue(
            &db,
            NewJob::now("ok", serde_json::json!({"n": 7})).at(now + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
        let flaky = jobs::enqueue(
            &db,
            NewJob::now("flaky", serde_json::Value::Null).attempts(3),
        )
        .await
        .unwrap();

        let now = Utc::now();
        runner.run_due(now).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(jobs::get(&db, a).await.unwrap().unwrap().status, "done");
        assert_eq!(
            jobs::get(&db, later).await.unwrap().unwrap().status,
            "pending"
        );
        let f = jobs::get(&db, flaky).await.unwrap().unwrap();
        assert_eq!(
            (f.status.as_str(), f.attempts, f.last_error.as_deref()),
            ("pending", 1, Some("gateway down"))
        );
        assert!(f.run_at >= now + chrono::Duration::seconds(9), "backed off");
        // The key is free again once the job is done.
        let c = jobs::enqueue(
            &db,
            NewJob::now("ok", serde_json::json!({"n": 7})).dedup("report:17071"),
        )
        .await
        .unwrap();
        assert_ne!(c, a);

        // Retries follow the backoff, then the job fails for good.
        runner
            .run_due(now + chrono::Duration::seconds(11))
            .await
            .unwrap();
        runner
            .run_due(now + chrono::Duration::seconds(60))
            .await
            .unwrap();
        let f = jobs::get(&db, flaky).await.unwrap().unwrap();
        assert_eq!((f.status.as_str(), f.attempts), ("failed", 3));

        // One scheduled run per slot, however often the loop wakes.
        let ticks_before = app.count("job").await;
        runner
            .run_due(now + chrono::Duration::seconds(61))
            .await
            .unwrap();
        runner
            .run_due(now + chrono::Duration::seconds(62))
            .await
            .unwrap();
        let ticks = app.count("job").await - ticks_before;
        assert!(ticks <= 1, "at most one tick per hour slot, got {ticks}");
    });
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn attachments_checked_by_content_and_photos_downscaled() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.login(common::CITIZEN).await;
        c.cookies.remove("xaso_session");
        let r = c.post_json("/api/v1/auth/token", serde_json::json!({"phone": common::CITIZEN, "password": app.passwords[common::CITIZEN], "name": "phone"})).await;
        c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());

        let photo = jpeg(1200, 900);
        let r = c
            .post_multipart(
                "/api/v1/communes/17071/attachments",
                "file",
                "IMG_2025.jpg",
                "image/jpeg",
                &photo,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let a = r.json();
        assert_eq!(
            (a["width"].as_i64(), a["height"].as_i64()),
            (Some(800), Some(600)),
            "downscaled to the configured side"
        );
        assert_eq!(a["mime"], "image/jpeg");
        let again = c
            .post_multipart(
                "/api/v1/communes/17071/attachments",
                "file",
                "copy.jpg",
                "image/jpeg",
                &photo,
                &[],
            )
            .await
            .json();
        assert_eq!(again["sha256"], a["sha256"], "content-addressed");
        let pdf = c
            .post_multipart(
                "/api/v1/communes/17071/attachments",
                "file",
                "to-khai.pdf",
                "application/pdf",
                b"%PDF-1.4\n%test\n",
                &[],
            )
            .await;
        assert_eq!(pdf.status, StatusCode::CREATED);

        let before = app.count("attachment").await;
        let cases: [(&str, &[u8], &str); 3] = [
            ("anh.jpg", b"MZ\x90\x00 not an image", "file_type"),
            ("giay-to.pdf", &photo, "file_mismatch"),
            (
                "broken.jpg",
                &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
                "file_corrupt",
            ),
        ];
        for (name, bytes, code) in cases {
            let r = c
                .post_multipart(
                    "/api/v1/communes/17071/attachments",
                    "file",
                    name,
                    "image/jpeg",
                    bytes,
                    &[],
                )
                .await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, code),
                "{name}"
            );
        }
        let huge = vec![0xFFu8; 230 * 1024];
        let r = c
            .post_multipart(
                "/api/v1/communes/17071/attachments",
                "file",
                "huge.jpg",
                "image/jpeg",
                &huge,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        let r = c
            .post_multipart(
                "/api/v1/communes/99999/attachments",
                "file",
                "a.jpg",
                "image/jpeg",
                &photo,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(app.count("attachment").await, before, "nothing written");
    });
}

#[tokio::test]
async fn outbox_delivers_to_the_inbox_once() {
    on_each_backend!(async |app: &common::TestApp| {
        let db = &app.platform.state.db;
        // The second resident: the demo's feedback notifies the first one.
        let mut c = app.login("0912000012").await;
        let outbox = app.count("outbox").await;
        // The demo's notices are already in every resident's inbox.
        let unread_before = c.get("/api/v1/me/inbox").await.json()["unread"]
            .as_i64()
            .unwrap();
        let me = c.get("/api/v1/me").await.json();
        let uid = me["id"].as_i64().unwrap();
        notify::notify(
            db,
            Message {
                commune_code: "17071",
                user_id: uid,
                text: kernel::notify::Text::written("Lịch tiêm chủng", "Thứ Bảy tại trạm y tế xã"),
                link: Some("/c/17071"),
                ..Default::default()
            },
            &["sms"],
        )
        .await
        .unwrap();
        app.deliver().await;
        app.deliver().await;
        let inbox = c.get("/api/v1/me/inbox").await.json();
        assert_eq!(inbox["unread"].as_i64().unwrap(), unread_before + 1);
        assert_eq!(inbox["items"][0]["title"], "Lịch tiêm chủng");
        assert!(c.get("/c/17071").await.body.contains("class=\"badge\""));
        // The SMS channel is not configured yet: retried, not lost.
        assert_eq!(app.count("outbox").await, outbox + 2);

        let id = inbox["items"][0]["id"].as_i64().unwrap();
        let other = app.login(common::OFFICIAL).await;
        let mut other = other;
        let r = other
            .post_json_csrf(
                &format!("/api/v1/me/inbox/{id}/read"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "not someone else's message"
        );
        let r = c.post_form(&format!("/inbox/{id}/read"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            c.get("/api/v1/me/inbox").await.json()["unread"].as_i64(),
            Some(unread_before)
        );
    });
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let app = common::TestApp::start("sqlite", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("backup.db");
    kernel::db::backup_sqlite(&app.platform.state.db, &dest)
        .await
        .unwrap();
    let copy = kernel::db::connect(&format!("sqlite://{}", dest.display()))
        .await
        .unwrap();
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        kernel::accounts::entity::user::Entity::find()
            .count(&copy)
            .await
            .unwrap(),
        7
    );
    assert!(
        kernel::db::backup_sqlite(&app.platform.state.db, &dest)
            .await
            .is_err(),
        "never overwrites"
    );
    app.finish().await;
}
