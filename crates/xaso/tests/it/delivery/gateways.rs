//! Delivery through the commune's own gateways: what the commune admin configures, what stays
//! hidden or refused (another commune, this machine, a private network), and SMTP trying each
//! address.

use super::*;

#[tokio::test]
async fn without_a_gateway_messages_wait_until_the_commune_configures_one() {
    let http = HttpSink::start().await;
    // The commune's own gateway will be the sink on this machine.
    let local_gateways = |c: &mut Config| {
        let own = delivery::DeliveryConfig {
            allow_private_commune_gateways: true,
            ..Default::default()
        };
        c.rooms.insert("delivery".into(), own.into_section());
    };
    on_each_backend!(local_gateways, async |app: &TestApp| {
        http.reset();
        let mut c = app.login(common::CITIZEN).await;
        let uid = my_id(&mut c).await;
        send(app, uid, "Nhắc nộp hồ sơ", Priority::Normal, &["sms"]).await;
        let t0 = Utc::now();
        for k in 0..MAX_ATTEMPTS + 2 {
            app.platform
                .dispatcher
                .deliver_due(t0 + chrono::Duration::hours(2 * i64::from(k)), 1000)
                .await
                .unwrap();
        }
        let m = one(app, "Nhắc nộp hồ sơ", "sms").await;
        assert_eq!(
            (m.status.as_str(), m.attempts),
            ("pending", 0),
            "[{}] never dead-lettered",
            app.backend
        );
        assert_eq!(m.last_error.as_deref(), Some("channel not configured"));
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let page = admin.get("/c/17071/office/delivery").await;
        assert!(
            page.body
                .contains("Có tin đang chờ vì kênh chưa được cấu hình")
        );
        let api = admin.get("/api/v1/communes/17071/delivery").await.json();
        let sms = api["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "sms")
            .unwrap()
            .clone();
        assert_eq!(
            (
                sms["pending"].as_i64(),
                sms["waiting_for_configuration"].as_i64()
            ),
            (Some(1), Some(1))
        );

        // Bad settings are refused with nothing written.
        let settings = app.count("system_setting").await;
        let audits = app.count("audit_log").await;
        let path = "/api/v1/communes/17071/delivery/settings";
        let bad = [
            (
                json!({"sms": {"url": "ftp://gw.example/send", "body": "{}"}}),
                "gateway_url_invalid",
            ),
            (
                json!({"sms": {"url": "http://gw.example/send", "body": "{\"to\":{phone}}"}}),
                "gateway_template_json",
            ),
            (
                json!({"sms": {"url": "http://gw.example/send", "auth_header": "X Key", "body": "{}"}}),
                "gateway_header_invalid",
            ),
            (
                json!({"smtp": {"host": "mail.example", "from": "không phải thư"}}),
                "smtp_from_invalid",
            ),
        ];
        for (body, code) in bad {
            let r = put_json_csrf(&mut admin, path, body.clone()).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, code),
                "{body}"
            );
        }
        assert_eq!(
            (
                app.count("system_setting").await,
                app.count("audit_log").await
            ),
            (settings, audits)
        );
        let mut leader = app.login(common::LEADER).await;
        let r = put_json_csrf(&mut leader, path, json!({"sms": null})).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the leader sees, the admin configures"
        );

        // The commune admin plugs in the commune's gateway: the waiting message goes.
        let r = put_json_csrf(&mut admin, path, json!({"sms": {"url": format!("http://{}/xa-sms", http.addr), "auth_header": "Authorization", "auth_value": "Bearer xa-bi-mat-0987", "body": SMS_BODY}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["own"]["sms"]["auth_value"], "••••••87");
        assert!(!r.body.contains("xa-bi-mat-0987"));
        assert_eq!(app.count("audit_log").await, audits + 1);
        app.platform
            .dispatcher
            .deliver_due(t0 + chrono::Duration::hours(30), 1000)
            .await
            .unwrap();
        let m = one(app, "Nhắc nộp hồ sơ", "sms").await;
        assert_eq!(m.status, "sent", "[{}] {:?}", app.backend, m.last_error);
        let hits = http.hits();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].path, "/xa-sms");
        assert_eq!(hits[0].headers["authorization"], "Bearer xa-bi-mat-0987");
    });
}

#[tokio::test]
async fn the_commune_admin_sets_an_own_zalo_gateway_on_the_desk_and_secrets_stay_hidden() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 1000.0),
        async |app: &TestApp| {
            http.reset();
            let mut c = app.login(common::CITIZEN).await;
            let uid = my_id(&mut c).await;
            put_json_csrf(
                &mut c,
                "/api/v1/me/notification-preferences",
                json!({"zalo_user_id": "8491200011"}),
            )
            .await;
            let mut admin = app.login(common::COMMUNE_ADMIN).await;
            let page = admin.get("/c/17071/office/delivery").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("Hệ thống đã có cấu hình chung"));
            assert!(
                !page.body.contains(SMS_KEY),
                "the deployment's secret is not on the page"
            );
            let url = format!("http://{}/zalo-xa", http.addr);
            let form = |url: &str, secret: &str| {
                vec![
                    ("smtp_own".to_owned(), "0".to_owned()),
                    ("sms_own".to_owned(), "0".to_owned()),
                    ("zalo_own".to_owned(), "1".to_owned()),
                    ("zalo_url".to_owned(), url.to_owned()),
                    ("zalo_auth_header".to_owned(), "Authorization".to_owned()),
                    ("zalo_auth_value".to_owned(), secret.to_owned()),
                    (
                        "zalo_content_type".to_owned(),
                        "application/json".to_owned(),
                    ),
                    (
                        "zalo_body".to_owned(),
                        r#"{"user_id":"{zalo_user_id}","message":"{text}"}"#.to_owned(),
                    ),
                ]
            };
            let audits = app.count("audit_log").await;
            let fields = form("ftp://zalo.example", "Bearer zalo-xa-bi-mat-987");
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let r = admin
                .post_form("/c/17071/office/delivery/settings", &refs)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(
                r.body.contains("Địa chỉ cổng gửi phải là URL"),
                "{}",
                r.body
            );
            assert_eq!(app.count("audit_log").await, audits, "nothing written");
            let fields = form(&url, "Bearer zalo-xa-bi-mat-987");
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let r = admin
                .post_form("/c/17071/office/delivery/settings", &refs)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert!(r.body.contains("Đã lưu cấu hình kênh gửi."));
            assert!(!r.body.contains("zalo-xa-bi-mat-987"));
            assert!(r.body.contains("••••••87"));
            assert_eq!(app.count("audit_log").await, audits + 1);
            let audit = admin
                .get("/api/v1/communes/17071/audit?action=delivery")
                .await
                .json();
            assert_eq!(audit["entries"][0]["action"], "delivery.settings");
            assert!(!audit.to_string().contains("bi-mat"));
            // Saved again with the secret left empty: the stored one is kept.
            let fields = form(&url, "");
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                admin
                    .post_form("/c/17071/office/delivery/settings", &refs)
                    .await
                    .status,
                StatusCode::OK
            );

            send(app, uid, "Thu gom rác", Priority::Normal, &[]).await;
            app.deliver().await;
            let hits = http.hits();
            let hit = hits
                .iter()
                .find(|h| h.path == "/zalo-xa")
                .expect("the commune's gateway");
            assert_eq!(hit.headers["authorization"], "Bearer zalo-xa-bi-mat-987");
            let v: Value = serde_json::from_str(&hit.body).unwrap();
            assert_eq!(v["user_id"], "8491200011");
            assert!(
                !hits.iter().any(|h| h.path == "/zalo"),
                "not the deployment's"
            );
            // Officials who do not administer the commune cannot change it.
            let mut leader = app.login(common::LEADER).await;
            let page = leader.get("/c/17071/office/delivery").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains("name=\"zalo_url\""));
            let r = leader
                .post_form("/c/17071/office/delivery/settings", &refs)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
    );
}

#[tokio::test]
async fn nothing_from_another_commune_is_visible_or_retried() {
    on_each_backend!(async |app: &TestApp| {
        let db = &app.platform.state.db;
        let mut c = app.login(common::CITIZEN).await;
        let uid = my_id(&mut c).await;
        let now = Utc::now();
        let dead = outbox::ActiveModel {
            commune_code: Set("17071".into()),
            user_id: Set(uid),
            channel: Set("sms".into()),
            title: Set("Tin của xã Minh Hợp".into()),
            body: Set(String::new()),
            status: Set("dead".into()),
            attempts: Set(MAX_ATTEMPTS),
            next_attempt_at: Set(now),
            last_error: Set(Some("gateway answered 503".into())),
            created_at: Set(now),
            priority: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        let mut sys = app.login(common::ADMIN).await;
        let r = sys
            .post_json_csrf("/api/v1/communes", json!({"code": "02269"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let other = sys.get("/api/v1/communes/02269/delivery").await.json();
        assert_eq!(other["dead_letters"], json!([]));
        assert_eq!(other["channels"], json!([]));
        let r = sys
            .post_json_csrf(
                &format!(
                    "/api/v1/communes/02269/delivery/dead-letters/{}/retry",
                    dead.id
                ),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = sys
            .post_json_csrf(
                "/api/v1/communes/02269/delivery/dead-letters/retry",
                json!({}),
            )
            .await;
        assert_eq!(r.json()["retried"], 0);
        assert!(
            !sys.get("/c/02269/office/delivery")
                .await
                .body
                .contains("Tin của xã Minh Hợp")
        );
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let r = admin.get("/c/02269/office/delivery").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = admin.get("/api/v1/communes/02269/delivery").await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "other_commune")
        );
        let m = outbox::Entity::find_by_id((dead.commune_code.clone(), dead.id))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.status, "dead");
        // Its own commune's admin retries all of it.
        let r = admin
            .post_json_csrf(
                "/api/v1/communes/17071/delivery/dead-letters/retry",
                json!({}),
            )
            .await;
        assert_eq!(r.json()["retried"], 1);
    });
}

/// A commune admin cannot make the server call into its own machine or network (server-side
/// request forgery): such settings are refused when saved, and a name that resolves there is
/// never dialled. The deployment's own gateway on 127.0.0.1 is trusted and still delivers.
#[tokio::test]
async fn a_communes_own_gateway_may_not_reach_this_machine_or_a_private_network() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    let deployment_at_sinks = at_sinks_with(smtp.addr, http.addr, 1000.0, false);
    on_each_backend!(&deployment_at_sinks, async |app: &TestApp| {
        http.reset();
        let mails = smtp.mails().len();
        let (_, uid) = citizen_with_email(app).await;
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let before = (
            app.count("system_setting").await,
            app.count("audit_log").await,
        );
        let path = "/api/v1/communes/17071/delivery/settings";
        let port = http.addr.port();
        let refused = [
            (
                json!({"sms": {"url": format!("http://127.0.0.1:{port}/xa"), "body": "{}"}}),
                "sms_url",
            ),
            (
                json!({"zalo": {"url": format!("http://localhost:{port}/xa"), "body": "{}"}}),
                "zalo_url",
            ),
            (
                json!({"sms": {"url": "http://[::1]/xa", "body": "{}"}}),
                "sms_url",
            ),
            (
                json!({"sms": {"url": "http://169.254.169.254/latest/meta-data", "body": "{}"}}),
                "sms_url",
            ),
            (
                json!({"smtp": {"host": "10.0.0.5", "from": "Xã Minh Hợp <a@minhhop.vn>"}}),
                "smtp_host",
            ),
        ];
        for (body, field) in refused {
            let r = put_json_csrf(&mut admin, path, body.clone()).await;
            assert_eq!(
                (
                    r.status,
                    r.error_code().as_str(),
                    r.json()["error"]["field"].as_str()
                ),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "gateway_host_private",
                    Some(field)
                ),
                "[{}] {body}",
                app.backend
            );
            assert!(r.body.contains("mạng nội bộ"), "{}", r.body);
        }
        let plain = json!({"smtp": {"host": "mail.minhhop.vn", "security": "none", "from": "Xã Minh Hợp <a@minhhop.vn>"}});
        let r = put_json_csrf(&mut admin, path, plain).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "smtp_plain_commune"),
            "[{}] a public server without TLS",
            app.backend
        );
        let page = admin
            .post_form(
                "/c/17071/office/delivery/settings",
                &[
                    ("sms_own", "1"),
                    ("sms_url", &format!("http://127.0.0.1:{port}/xa")),
                    ("sms_content_type", "application/json"),
                    ("sms_body", "{}"),
                ],
            )
            .await;
        assert!(page.body.contains("mạng nội bộ"), "{}", page.body);
        assert_eq!(
            (
                app.count("system_setting").await,
                app.count("audit_log").await
            ),
            before,
            "nothing written"
        );

        // Settings already stored that lead here are not followed: by a name that resolves
        // to this machine, by an address, and for email as for SMS.
        send(
            app,
            uid,
            "Lịch tiêm chủng",
            Priority::Normal,
            &["sms", "email"],
        )
        .await;
        for url in [
            format!("http://localhost:{port}/xa-sms"),
            format!("http://127.0.0.1:{port}/xa-sms"),
        ] {
            let mut smtp_here = smtp_settings(smtp.addr);
            smtp_here.host = "localhost".into();
            store_own(
                app,
                ChannelSettings {
                    smtp: Some(smtp_here),
                    sms: Some(GatewaySettings {
                        url: url.clone(),
                        auth_header: String::new(),
                        auth_value: String::new(),
                        content_type: "application/json".into(),
                        body: SMS_BODY.into(),
                    }),
                    zalo: None,
                },
            )
            .await;
            app.platform
                .dispatcher
                .deliver_due(Utc::now() + chrono::Duration::hours(1), 1000)
                .await
                .unwrap();
            for channel in ["sms", "email"] {
                let m = one(app, "Lịch tiêm chủng", channel).await;
                assert_ne!(m.status, "sent", "[{}] {channel} via {url}", app.backend);
                let err = m.last_error.unwrap_or_default();
                assert!(
                    err.contains("private network"),
                    "[{}] {channel}: {err}",
                    app.backend
                );
            }
        }
        assert!(
            http.hits().is_empty(),
            "the gateway on this machine was never called"
        );
        assert_eq!(
            smtp.mails().len(),
            mails,
            "nor the SMTP server on this machine"
        );

        // Without the commune's own settings, the deployment's gateways (trusted) deliver.
        store_own(app, ChannelSettings::default()).await;
        app.platform
            .dispatcher
            .deliver_due(Utc::now() + chrono::Duration::hours(3), 1000)
            .await
            .unwrap();
        for channel in ["sms", "email"] {
            let m = one(app, "Lịch tiêm chủng", channel).await;
            assert_eq!(
                m.status, "sent",
                "[{}] {channel}: {:?}",
                app.backend, m.last_error
            );
        }
        assert_eq!(http.hits().len(), 1);
        assert_eq!(http.hits()[0].path, "/sms");
        assert_eq!(smtp.mails().len(), mails + 1);
    });
}

#[tokio::test]
async fn email_tries_each_address_of_the_server_until_one_takes_it() {
    use delivery::settings::DeliverySettings;
    use delivery::smtp::{EmailChannel, addresses, build_message};
    use kernel::notify::{Delivery, Recipient};

    let sink = SmtpSink::start().await;
    // An address of the server that is down: a port just freed, so the connection is refused.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let channel = EmailChannel::new(Arc::new(DeliverySettings::none()));
    let s = smtp_settings(sink.addr);
    let to = Recipient {
        user_id: 1,
        full_name: "Hoàng Văn Em".into(),
        locale: kernel::i18n::Locale::Vi,
        phone: None,
        email: Some("em@minhhop.test".into()),
        zalo_user_id: None,
        quiet: None,
    };
    let mail = build_message(&s.from, &to, "Lịch tiêm chủng", "Thứ Bảy, 7 giờ".into())
        .ok()
        .unwrap();

    // The first address refuses; the second is the working server, and the mail arrives once.
    let r = channel.send_in_turn(&s, &[down, sink.addr], &mail).await;
    assert_eq!(r, Delivery::Sent);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["em@minhhop.test".to_owned()]);

    // Every address down: a failure naming each, to be retried.
    match channel.send_in_turn(&s, &[down, down], &mail).await {
        Delivery::Failed(e) => assert_eq!(e.matches(&down.to_string()).count(), 2, "{e}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(sink.mails().len(), 1);

    // A commune's own server is dialled only at public addresses: a name or literal on this
    // machine gives nothing to try; the deployment's own server may be anywhere.
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        assert!(addresses(host, 25, true).await.is_err(), "{host}");
    }
    let own = addresses("localhost", 25, false).await.unwrap();
    assert!(!own.is_empty() && own.iter().all(|a| a.ip().is_loopback() && a.port() == 25));
}
