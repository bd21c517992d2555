//! Delivery when things go wrong: retries and dead letters, a gateway that hangs, quiet hours, the
//! SMS rate limit (shared by two processes), and two dispatchers that never send a message twice.

use super::*;

#[tokio::test]
async fn a_failing_gateway_is_retried_then_dead_lettered_then_sent_again_by_an_official() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 1000.0),
        async |app: &TestApp| {
            http.reset();
            http.answer(500, 0);
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            send(app, uid, "Mất điện thôn Đông", Priority::Normal, &["sms"]).await;
            let d = &app.platform.dispatcher;
            let t0 = Utc::now();
            for k in 0..MAX_ATTEMPTS {
                d.deliver_due(t0 + chrono::Duration::hours(i64::from(k)), 1000)
                    .await
                    .unwrap();
                let m = one(app, "Mất điện thôn Đông", "sms").await;
                assert_eq!(m.attempts, k + 1);
                let expected = if k + 1 < MAX_ATTEMPTS {
                    "pending"
                } else {
                    "dead"
                };
                assert_eq!(
                    m.status,
                    expected,
                    "[{}] after {} attempts",
                    app.backend,
                    k + 1
                );
                assert!(
                    m.last_error
                        .as_deref()
                        .unwrap()
                        .contains("gateway answered 500")
                );
            }
            assert_eq!(
                http.hits().len(),
                MAX_ATTEMPTS as usize,
                "one call per attempt"
            );
            // Dead: nothing more is tried.
            d.deliver_due(t0 + chrono::Duration::days(2), 1000)
                .await
                .unwrap();
            assert_eq!(http.hits().len(), MAX_ATTEMPTS as usize);
            let dead = one(app, "Mất điện thôn Đông", "sms").await;

            // Officials see it; who may retry it is checked on the server.
            let mut leader = app.login(common::LEADER).await;
            let page = leader.get("/c/17071/office/delivery").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("Tin không gửi được"));
            assert!(page.body.contains(&format!("id=\"dead-{}\"", dead.id)));
            assert!(page.body.contains("Hoàng Văn Em · 0912 000 011"));
            assert!(page.body.contains("gateway answered 500"));
            let api = leader.get("/api/v1/communes/17071/delivery").await.json();
            assert_eq!(api["dead_letters"][0]["id"], dead.id);
            assert_eq!(api["dead_letters"][0]["attempts"], MAX_ATTEMPTS);
            let sms = api["channels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["channel"] == "sms")
                .unwrap()
                .clone();
            assert_eq!(sms["dead"], 1);
            for phone in [common::OFFICIAL, common::CITIZEN] {
                let mut other = app.login(phone).await;
                assert_eq!(
                    other.get("/c/17071/office/delivery").await.status,
                    StatusCode::FORBIDDEN
                );
                let r = other
                    .post_form(&format!("/c/17071/office/delivery/{}/retry", dead.id), &[])
                    .await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}");
                let r = other
                    .post_json_csrf(
                        &format!(
                            "/api/v1/communes/17071/delivery/dead-letters/{}/retry",
                            dead.id
                        ),
                        json!({}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}");
            }
            assert_eq!(one(app, "Mất điện thôn Đông", "sms").await.status, "dead");

            // The gateway is fixed; the leader sends it again (audited) and it goes out.
            http.answer(200, 0);
            let audits = app.count("audit_log").await;
            let r = leader
                .post_form(&format!("/c/17071/office/delivery/{}/retry", dead.id), &[])
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert_eq!(app.count("audit_log").await, audits + 1);
            let m = one(app, "Mất điện thôn Đông", "sms").await;
            assert_eq!((m.status.as_str(), m.attempts), ("pending", 0));
            app.deliver().await;
            let m = one(app, "Mất điện thôn Đông", "sms").await;
            assert_eq!((m.status.as_str(), m.attempts), ("sent", 1));
            assert_eq!(http.hits().len(), MAX_ATTEMPTS as usize + 1);
            // Retrying what is not dead (or not there) changes nothing.
            let r = leader
                .post_json_csrf(
                    &format!(
                        "/api/v1/communes/17071/delivery/dead-letters/{}/retry",
                        dead.id
                    ),
                    json!({}),
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            let r = leader
                .post_json_csrf(
                    "/api/v1/communes/17071/delivery/dead-letters/retry",
                    json!({}),
                )
                .await;
            assert_eq!(r.json()["retried"], 0);
            assert_eq!(app.count("audit_log").await, audits + 1);
            assert!(
                !leader
                    .get("/c/17071/office/delivery")
                    .await
                    .body
                    .contains("gateway answered 500")
            );
        }
    );
}

#[tokio::test]
async fn a_gateway_that_does_not_answer_in_ten_seconds_has_failed() {
    let http = HttpSink::start().await;
    let smtp_unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    on_each_backend!(
        at_sinks(smtp_unused, http.addr, 1000.0),
        async |app: &TestApp| {
            http.reset();
            http.answer(200, 12_000);
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            send(app, uid, "Lịch họp", Priority::Normal, &["sms"]).await;
            let started = Instant::now();
            app.deliver().await;
            let took = started.elapsed();
            assert!(
                took >= Duration::from_secs(10) && took < Duration::from_secs(12),
                "{took:?}"
            );
            let m = one(app, "Lịch họp", "sms").await;
            assert_eq!(
                (m.status.as_str(), m.attempts),
                ("pending", 1),
                "[{}]",
                app.backend
            );
            assert!(m.last_error.unwrap().contains("did not answer within 10 s"));
            assert_eq!(http.hits().len(), 1, "it was called");
            assert!(
                m.next_attempt_at > Utc::now(),
                "retried later, with backoff"
            );
        }
    );
}

#[tokio::test]
async fn quiet_hours_hold_an_sms_but_not_an_emergency_nor_the_email() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 1000.0),
        async |app: &TestApp| {
            smtp.mails.lock().unwrap().clear();
            http.reset();
            let (mut c, uid) = citizen_with_email(app).await;
            // A window from half an hour ago to an hour from now, Vietnam time.
            let local = Utc::now() + chrono::Duration::hours(7);
            let m = (chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local)) as i64;
            let hhmm = |x: i64| {
                let x = x.rem_euclid(1440);
                format!("{:02}:{:02}", x / 60, x % 60)
            };
            let r = put_json_csrf(
                &mut c,
                "/api/v1/me/notification-preferences",
                json!({"quiet_from": hhmm(m - 30), "quiet_to": hhmm(m + 60)}),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            send(app, uid, "Họp thôn tối nay", Priority::Normal, &["sms"]).await;
            send(app, uid, "Bão số 3: sơ tán ngay", Priority::Emergency, &[]).await;
            app.deliver().await;

            let hits = http.hits();
            assert_eq!(hits.len(), 1, "[{}] only the emergency", app.backend);
            assert!(hits[0].body.contains("Bão số 3"));
            let held = one(app, "Họp thôn tối nay", "sms").await;
            assert_eq!(
                (held.status.as_str(), held.attempts),
                ("pending", 0),
                "held, no attempt counted"
            );
            let wait = held.next_attempt_at - Utc::now();
            assert!(
                wait > chrono::Duration::minutes(58) && wait <= chrono::Duration::minutes(61),
                "{wait:?}"
            );
            // The inbox and email are not held.
            assert_eq!(one(app, "Họp thôn tối nay", "inbox").await.status, "sent");
            assert_eq!(one(app, "Họp thôn tối nay", "email").await.status, "sent");
            assert_eq!(smtp.mails().len(), 2);

            // When the window ends it goes.
            app.platform
                .dispatcher
                .deliver_due(held.next_attempt_at + chrono::Duration::seconds(1), 1000)
                .await
                .unwrap();
            assert_eq!(one(app, "Họp thôn tối nay", "sms").await.status, "sent");
            assert!(http.hits()[1].body.contains("Họp thôn tối nay"));
        }
    );
}

#[tokio::test]
async fn the_sms_rate_limit_is_respected() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 5.0),
        async |app: &TestApp| {
            http.reset();
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            for i in 0..20 {
                send(app, uid, &format!("Tin {i}"), Priority::Normal, &["sms"]).await;
            }
            app.deliver().await;
            let mut at: Vec<Instant> = http.hits().iter().map(|h| h.at).collect();
            assert_eq!(at.len(), 20, "[{}] all within one round", app.backend);
            at.sort();
            let span = at[19] - at[0];
            // A burst of 5, then one every 200 ms: 3 s.
            assert!(span >= Duration::from_millis(2700), "{span:?}");
            assert!(span < Duration::from_secs(5), "{span:?}");
            let first_second = at
                .iter()
                .filter(|t| **t - at[0] < Duration::from_millis(900))
                .count();
            assert!(first_second <= 10, "{first_second} in the first second");
        }
    );
}

/// Two processes on one PostgreSQL database share the channel's rate: together they send no
/// faster than one would (each with a bucket of its own, they would send twice as fast).
#[tokio::test]
async fn two_processes_share_the_sms_rate() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 5.0),
        async |app: &TestApp| {
            if app.backend == "sqlite" {
                return; // one process owns a SQLite database
            }
            http.reset();
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            for i in 0..20 {
                send(app, uid, &format!("Tin {i}"), Priority::Normal, &["sms"]).await;
            }
            let sink = &http;
            let run = |d: Dispatcher| async move {
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(20) {
                    d.deliver_due(Utc::now(), 4).await.unwrap();
                    if sink.hits().len() >= 20 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            let (one, two) = (another_process(app).await, another_process(app).await);
            tokio::join!(run(one), run(two));
            let mut at: Vec<Instant> = http.hits().iter().map(|h| h.at).collect();
            assert_eq!(at.len(), 20, "[{}]", app.backend);
            at.sort();
            // A burst of 5, then one every 200 ms, whichever process sends: 3 s, as one
            // process alone would take (with two buckets: 1.5 s).
            let span = at[19] - at[0];
            assert!(
                span >= Duration::from_millis(2700),
                "[{}] {span:?}",
                app.backend
            );
            let first_second = at
                .iter()
                .filter(|t| **t - at[0] < Duration::from_millis(900))
                .count();
            assert!(first_second <= 10, "{first_second} in the first second");
        }
    );
}

#[tokio::test]
async fn two_dispatchers_never_send_the_same_message_twice() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 0.0),
        async |app: &TestApp| {
            http.reset();
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            // What the demo data left to send goes first, so the race is only about these.
            app.deliver().await;
            let unread = c.get("/api/v1/me/inbox").await.json()["unread"]
                .as_i64()
                .unwrap();
            for i in 0..150 {
                send(
                    app,
                    uid,
                    &format!("Tin số {i:03}"),
                    Priority::Normal,
                    &["sms"],
                )
                .await;
            }
            let run = |d: Dispatcher| async move {
                let mut n = 0;
                loop {
                    let k = d.deliver_due(Utc::now(), 20).await.unwrap();
                    if k == 0 {
                        return n;
                    }
                    n += k;
                }
            };
            let one = another_process(app).await;
            let two = another_process(app).await;
            let (a, b) = tokio::join!(run(one), run(two));
            // 150 SMS and their 150 inbox copies.
            assert_eq!(a + b, 300, "[{}] {a} + {b}", app.backend);
            let left = outbox::Entity::find()
                .filter(outbox::Column::Status.ne("sent"))
                .all(&app.platform.state.db)
                .await
                .unwrap();
            assert!(left.is_empty(), "{left:?}");
            let mut bodies: Vec<String> = http.hits().into_iter().map(|h| h.body).collect();
            assert_eq!(bodies.len(), 150, "[{}] each sent once", app.backend);
            bodies.sort();
            bodies.dedup();
            assert_eq!(bodies.len(), 150);
            let sent = outbox::Entity::find()
                .filter(outbox::Column::Channel.eq("sms"))
                .filter(outbox::Column::Status.eq("sent"))
                .all(&app.platform.state.db)
                .await
                .unwrap();
            assert_eq!(sent.len(), 150);
            assert!(sent.iter().all(|m| m.attempts == 1));
            let now_unread = c.get("/api/v1/me/inbox").await.json()["unread"]
                .as_i64()
                .unwrap();
            assert_eq!(now_unread - unread, 150, "one inbox copy each");
        }
    );
}

#[tokio::test]
async fn urgent_messages_of_every_commune_go_before_any_communes_backlog() {
    on_each_backend!(async |app: &TestApp| {
        let b = app.backend;
        let db = &app.platform.state.db;
        let mut c = app.login(common::CITIZEN).await;
        let me = my_id(&mut c).await;
        app.deliver().await;
        // The home commune: an emergency and a backlog; another commune: one high-priority
        // message. On Citus messages are claimed commune by commune; the high one must not
        // wait behind the first commune's backlog.
        send(app, me, "Lũ quét: sơ tán ngay", Priority::Emergency, &[]).await;
        for i in 0..4 {
            send(app, me, &format!("Tin thường {i}"), Priority::Normal, &[]).await;
        }
        notify::notify(
            db,
            Message {
                commune_code: "02269",
                user_id: me,
                text: kernel::notify::Text::written("Hồ sơ cần bổ sung", "Nộp bản sao sổ hộ khẩu."),
                priority: Priority::High,
                ..Default::default()
            },
            &[],
        )
        .await
        .unwrap();
        // A round just big enough for the urgent messages (every channel they take).
        let urgent = outbox::Entity::find()
            .filter(outbox::Column::Status.eq("pending"))
            .filter(outbox::Column::Priority.gte(Priority::High.as_i16()))
            .all(db)
            .await
            .unwrap()
            .len();
        assert!(urgent >= 2, "[{b}]");
        let claimed = app
            .platform
            .dispatcher
            .deliver_due(Utc::now(), urgent as u64)
            .await
            .unwrap();
        assert_eq!(claimed, urgent, "[{b}]");
        for title in ["Lũ quét: sơ tán ngay", "Hồ sơ cần bổ sung"] {
            let m = one(app, title, "inbox").await;
            assert_eq!(m.status, "sent", "[{b}] «{title}» went in the first round");
        }
        let waiting = one(app, "Tin thường 0", "inbox").await;
        assert_eq!(waiting.status, "pending", "[{b}] the backlog waits");
    });
}
