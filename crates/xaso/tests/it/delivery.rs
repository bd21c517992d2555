//! Delivery channels on both databases against real peers started inside the test: a small
//! SMTP server (EHLO, MAIL, RCPT, DATA, QUIT over a TCP socket) and an HTTP gateway (axum),
//! both on 127.0.0.1. Preferences, quiet hours, retries and dead letters, rate limits, the
//! commune's own settings, and that two dispatchers never send a message twice.

use crate::common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode, Uri, header};
use chrono::Utc;
use common::{Client, TestApp};
use delivery::settings::{ChannelSettings, GatewaySettings, SmtpSecurity, SmtpSettings};
use kernel::config::Config;
use kernel::notify::{self, Dispatcher, MAX_ATTEMPTS, Message, Priority, outbox};
use mailparse::MailHeaderMap;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

// ---- the SMTP sink ----

#[derive(Clone, Debug)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

#[derive(Clone)]
struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(sock, store).await;
                });
            }
        });
        SmtpSink { addr, mails }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// The address inside `<…>` of a MAIL FROM or RCPT TO argument.
fn angle(arg: &str) -> String {
    let a = arg.split('<').nth(1).unwrap_or(arg);
    a.split('>').next().unwrap_or(a).trim().to_owned()
}

async fn smtp_session(
    sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let cmd = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = angle(&cmd[10..]);
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(angle(&cmd[8..]));
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if r.read_until(b'\n', &mut l).await? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
                // Dot-stuffing (RFC 5321 4.5.2).
                let l = if l.starts_with(b"..") {
                    &l[1..]
                } else {
                    &l[..]
                };
                data.extend_from_slice(l);
            }
            store.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"250 OK\r\n").await?;
        }
    }
}

// ---- the HTTP gateway sink ----

#[derive(Clone, Debug)]
struct Hit {
    at: Instant,
    path: String,
    headers: HeaderMap,
    body: String,
}

struct SinkState {
    status: AtomicU16,
    delay_ms: AtomicU64,
    hits: Mutex<Vec<Hit>>,
}

#[derive(Clone)]
struct HttpSink {
    addr: SocketAddr,
    state: Arc<SinkState>,
}

async fn sink_handler(
    State(s): State<Arc<SinkState>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    s.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.to_string(),
        headers,
        body,
    });
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap()
}

impl HttpSink {
    async fn start() -> HttpSink {
        let state = Arc::new(SinkState {
            status: AtomicU16::new(200),
            delay_ms: AtomicU64::new(0),
            hits: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(sink_handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        HttpSink { addr, state }
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    fn answer(&self, status: u16, delay_ms: u64) {
        self.state.status.store(status, Ordering::SeqCst);
        self.state.delay_ms.store(delay_ms, Ordering::SeqCst);
    }

    fn reset(&self) {
        self.answer(200, 0);
        self.state.hits.lock().unwrap().clear();
    }
}

// ---- the platform pointed at the sinks ----

const SMS_KEY: &str = "khoa-bi-mat-sms-123456";
const SMS_BODY: &str = r#"{"to":"{phone}","text":"{title}: {text} {link}"}"#;

fn smtp_settings(addr: SocketAddr) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port: addr.port(),
        security: SmtpSecurity::Plain,
        username: String::new(),
        password: String::new(),
        from: "Xã Minh Hợp <thongbao@minhhop.test>".into(),
    }
}

/// The dispatcher of another process of the same deployment: its own channels, the same data.
async fn another_process(app: &TestApp) -> Dispatcher {
    use kernel::room::Room;
    let (db, config) = (&app.platform.state.db, &app.platform.state.config);
    let room = delivery::DeliveryRoom::default();
    room.configure(config.rooms.get("delivery")).unwrap();
    let channels = room.channels(db, config).await.unwrap();
    Dispatcher::with_channels(db.clone(), config, channels)
}

/// SMTP, SMS (JSON) and Zalo (form) at the sinks; rates high enough not to slow the tests.
/// Communes may use gateways on this machine too, as the sinks are here.
fn at_sinks(smtp: SocketAddr, http: SocketAddr, sms_rate: f64) -> impl Fn(&mut Config) {
    at_sinks_with(smtp, http, sms_rate, true)
}

/// As [`at_sinks`], saying whether communes' own gateways may be on this machine.
fn at_sinks_with(
    smtp: SocketAddr,
    http: SocketAddr,
    sms_rate: f64,
    private_ok: bool,
) -> impl Fn(&mut Config) {
    move |c: &mut Config| {
        c.public_url = "http://xaso.test".into();
        let mut own = delivery::DeliveryConfig {
            allow_private_commune_gateways: private_ok,
            ..Default::default()
        };
        own.smtp = Some(smtp_settings(smtp));
        own.sms = Some(GatewaySettings {
            url: format!("http://{http}/sms"),
            auth_header: "X-Api-Key".into(),
            auth_value: SMS_KEY.into(),
            content_type: "application/json".into(),
            body: SMS_BODY.into(),
        });
        own.zalo = Some(GatewaySettings {
            url: format!("http://{http}/zalo"),
            auth_header: String::new(),
            auth_value: String::new(),
            content_type: "application/x-www-form-urlencoded".into(),
            body: "uid={zalo_user_id}&msg={title}".into(),
        });
        c.rooms.insert("delivery".into(), own.into_section());
        c.rate_limits.insert("sms".into(), sms_rate);
        c.rate_limits.insert("zalo".into(), 1000.0);
        c.rate_limits.insert("email".into(), 1000.0);
    }
}

async fn put_json_csrf(c: &mut Client, path: &str, v: Value) -> common::Resp {
    let token = c.csrf().await;
    let req = Request::put(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(Body::from(v.to_string()))
        .unwrap();
    c.send(req).await
}

async fn my_id(c: &mut Client) -> i64 {
    c.get("/api/v1/me").await.json()["id"].as_i64().unwrap()
}

/// The demo citizen Hoàng Văn Em, signed in, with an email address on their profile.
async fn citizen_with_email(app: &TestApp) -> (Client, i64) {
    let mut c = app.login(common::CITIZEN).await;
    let r = c
        .post_form(
            "/me",
            &[
                ("full_name", "Hoàng Văn Em"),
                ("email", "em.hoang@example.vn"),
                ("locale", "vi"),
                ("village_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {}", app.backend, r.body);
    let id = my_id(&mut c).await;
    (c, id)
}

async fn send(app: &TestApp, user_id: i64, title: &str, priority: Priority, channels: &[&str]) {
    notify::notify(
        &app.platform.state.db,
        Message {
            commune_code: "17071",
            user_id,
            text: kernel::notify::Text::written(title, "Thứ Bảy, 8 giờ sáng tại nhà văn hóa thôn."),
            link: Some("/c/17071/notices/7"),
            priority,
            ..Default::default()
        },
        channels,
    )
    .await
    .unwrap();
}

async fn rows(app: &TestApp, title: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Title.eq(title))
        .order_by_asc(outbox::Column::Channel)
        .all(&app.platform.state.db)
        .await
        .unwrap()
}

async fn channels_of(app: &TestApp, title: &str) -> Vec<String> {
    rows(app, title)
        .await
        .into_iter()
        .map(|m| m.channel)
        .collect()
}

async fn one(app: &TestApp, title: &str, channel: &str) -> outbox::Model {
    rows(app, title)
        .await
        .into_iter()
        .find(|m| m.channel == channel)
        .unwrap_or_else(|| panic!("[{}] no {channel} message «{title}»", app.backend))
}

// ---- preferences ----

#[tokio::test]
async fn preferences_page_and_api_refuse_bad_input_and_save_good() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let r = anon.get("/api/v1/me/notification-preferences").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        let mut c = app.login(common::CITIZEN).await;
        assert!(
            c.get("/me")
                .await
                .body
                .contains("href=\"/me/notifications\"")
        );
        let r = c.get("/api/v1/me/notification-preferences").await.json();
        assert_eq!(
            (&r["push"], &r["email"], &r["sms"], &r["zalo"]),
            (&json!(true), &json!(true), &json!(false), &json!(true)),
            "defaults"
        );
        assert_eq!(r["quiet_from"], Value::Null);
        assert_eq!(r["reachable"]["sms"], true);
        assert_eq!(r["reachable"]["email"], false);
        assert_eq!(r["reachable"]["zalo"], false);

        let path = "/api/v1/me/notification-preferences";
        let bad: [(Value, StatusCode, &str, &str); 5] = [
            (
                json!({"sms": true, "quiet_from": "22:00", "quiet_to": "22:00"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "quiet_hours_empty",
                "quiet_to",
            ),
            (
                json!({"quiet_from": "25:00", "quiet_to": "06:00"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "quiet_hours_invalid",
                "quiet_from",
            ),
            (
                json!({"quiet_from": "22:00"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "quiet_hours_incomplete",
                "quiet_to",
            ),
            (
                json!({"sms": true, "zalo_user_id": "có dấu"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "zalo_id_invalid",
                "zalo_user_id",
            ),
            (
                json!({"sms": "yes"}),
                StatusCode::BAD_REQUEST,
                "json_invalid",
                "",
            ),
        ];
        for (body, status, code, field) in bad {
            let r = put_json_csrf(&mut c, path, body.clone()).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (status, code),
                "{body}"
            );
            if !field.is_empty() {
                assert_eq!(r.json()["error"]["field"], field);
            }
        }
        assert_eq!(app.count("notify_pref").await, 0, "nothing written");
        let r = put_json_csrf(&mut c, path, json!({"sms": true, "quiet_from": "22:00", "quiet_to": "6:00", "zalo_user_id": "8491200011"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        assert_eq!(
            (&v["sms"], &v["quiet_from"], &v["quiet_to"]),
            (&json!(true), &json!("22:00"), &json!("06:00"))
        );
        assert_eq!(v["reachable"]["zalo"], true);
        assert_eq!(app.count("notify_pref").await, 1);

        // The page shows them and saves a form, unticked boxes meaning off.
        let page = c.get("/me/notifications").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Giờ yên tĩnh"));
        assert!(page.body.contains("value=\"22:00\""));
        assert!(page.body.contains("name=\"sms\" value=\"1\" checked"));
        let r = c
            .post_form(
                "/me/notifications",
                &[
                    ("push", "1"),
                    ("email", "1"),
                    ("quiet_from", "21:30"),
                    ("quiet_to", "05:00"),
                    ("zalo_user_id", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Đã lưu cách nhận thông báo."));
        let v = c.get(path).await.json();
        assert_eq!(
            (&v["sms"], &v["zalo"], &v["zalo_user_id"]),
            (&json!(false), &json!(false), &Value::Null)
        );
        assert_eq!(
            (&v["quiet_from"], &v["quiet_to"]),
            (&json!("21:30"), &json!("05:00"))
        );

        // A bad form: shown again with the message and the typed values; nothing changed.
        let r = c
            .post_form(
                "/me/notifications",
                &[("sms", "1"), ("quiet_from", "21:30"), ("quiet_to", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("Cần nhập cả giờ bắt đầu và giờ kết thúc yên tĩnh"),
            "{}",
            r.body
        );
        assert!(r.body.contains("value=\"21:30\""));
        let r = c
            .post_form(
                "/me/notifications",
                &[("quiet_from", "7h"), ("quiet_to", "8h")],
            )
            .await;
        assert!(r.body.contains("Giờ yên tĩnh không hợp lệ"));
        let after = c.get(path).await.json();
        assert_eq!(after, v, "nothing written");
        // Without the CSRF token nothing is saved either.
        let r = c.post_raw_form("/me/notifications", &[("sms", "1")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(c.get(path).await.json()["sms"], false);
    });
}

#[tokio::test]
async fn a_message_takes_the_channels_the_person_chose_and_can_be_reached_on() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = app.login(common::CITIZEN).await;
        let uid = my_id(&mut c).await;
        // Phone only, default preferences: SMS is off, nothing else reaches them.
        send(app, uid, "m1", Priority::Normal, &[]).await;
        assert_eq!(channels_of(app, "m1").await, ["inbox"]);
        let (mut c, _) = citizen_with_email(app).await;
        send(app, uid, "m2", Priority::Normal, &[]).await;
        assert_eq!(channels_of(app, "m2").await, ["email", "inbox"]);
        let path = "/api/v1/me/notification-preferences";
        put_json_csrf(&mut c, path, json!({"zalo_user_id": "8491200011"})).await;
        send(app, uid, "m3", Priority::Normal, &[]).await;
        assert_eq!(channels_of(app, "m3").await, ["email", "inbox", "zalo"]);
        // Named by the caller (a one-time code): SMS despite the preference.
        send(app, uid, "m4", Priority::Normal, &["sms"]).await;
        assert_eq!(
            channels_of(app, "m4").await,
            ["email", "inbox", "sms", "zalo"]
        );
        // Everything off: only the inbox, even for a high priority; an emergency still goes
        // to every channel they can be reached on (not push: no device subscribed).
        put_json_csrf(
            &mut c,
            path,
            json!({"push": false, "email": false, "sms": false, "zalo": false}),
        )
        .await;
        send(app, uid, "m5", Priority::High, &[]).await;
        assert_eq!(channels_of(app, "m5").await, ["inbox"]);
        send(app, uid, "m6", Priority::Emergency, &[]).await;
        assert_eq!(
            channels_of(app, "m6").await,
            ["email", "inbox", "sms", "zalo"]
        );
        assert!(rows(app, "m6").await.iter().all(|m| m.priority == 2));
    });
}

// ---- channels against the sinks ----

#[tokio::test]
async fn email_arrives_with_its_vietnamese_subject_and_sms_and_zalo_reach_the_gateway() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 1000.0),
        async |app: &TestApp| {
            smtp.mails.lock().unwrap().clear();
            http.reset();
            let (mut c, uid) = citizen_with_email(app).await;
            put_json_csrf(
                &mut c,
                "/api/v1/me/notification-preferences",
                json!({"zalo_user_id": "8491200011"}),
            )
            .await;
            let title = "Lịch tiêm chủng tháng Mười — Trạm y tế xã \"Minh Hợp\"";
            send(app, uid, title, Priority::Normal, &["sms"]).await;
            app.deliver().await;
            for ch in ["email", "inbox", "sms", "zalo"] {
                let m = one(app, title, ch).await;
                assert_eq!(
                    (m.status.as_str(), m.attempts),
                    ("sent", 1),
                    "[{}] {ch}: {:?}",
                    app.backend,
                    m.last_error
                );
            }

            let mails = smtp.mails();
            assert_eq!(mails.len(), 1, "[{}]", app.backend);
            let mail = &mails[0];
            assert_eq!(mail.from, "thongbao@minhhop.test");
            assert_eq!(mail.to, ["em.hoang@example.vn"]);
            assert!(
                mail.data.is_ascii(),
                "7-bit clean: the Vietnamese is encoded"
            );
            let parsed = mailparse::parse_mail(&mail.data).unwrap();
            assert_eq!(parsed.headers.get_first_value("Subject").unwrap(), title);
            let from = parsed.headers.get_first_value("From").unwrap();
            assert!(from.contains("Xã Minh Hợp"), "{from}");
            let to = parsed.headers.get_first_value("To").unwrap();
            assert!(to.contains("Hoàng Văn Em"), "{to}");
            let body = parsed.get_body().unwrap();
            assert!(
                body.contains("Thứ Bảy, 8 giờ sáng tại nhà văn hóa thôn."),
                "{body}"
            );
            assert!(
                body.contains("Xem chi tiết: http://xaso.test/c/17071/notices/7"),
                "{body}"
            );
            assert!(body.contains("http://xaso.test/me/notifications"));

            let hits = http.hits();
            let sms = hits.iter().find(|h| h.path == "/sms").expect("SMS sent");
            assert_eq!(sms.headers["x-api-key"], SMS_KEY);
            assert_eq!(sms.headers["content-type"], "application/json");
            let v: Value = serde_json::from_str(&sms.body).unwrap();
            assert_eq!(v["to"], "+84912000011");
            assert_eq!(
                v["text"],
                format!(
                    "{title}: Thứ Bảy, 8 giờ sáng tại nhà văn hóa thôn. http://xaso.test/c/17071/notices/7"
                )
            );
            let zalo = hits.iter().find(|h| h.path == "/zalo").expect("Zalo sent");
            assert_eq!(
                zalo.headers["content-type"],
                "application/x-www-form-urlencoded"
            );
            let form: Vec<(String, String)> = serde_urlencoded::from_str(&zalo.body).unwrap();
            assert_eq!(
                form,
                [
                    ("uid".to_owned(), "8491200011".to_owned()),
                    ("msg".to_owned(), title.to_owned())
                ]
            );
            assert_eq!(hits.len(), 2);

            // Delivered once: another round sends nothing again.
            app.deliver().await;
            assert_eq!((smtp.mails().len(), http.hits().len()), (1, 2));
        }
    );
}

async fn set_locale(c: &mut Client, locale: &str) {
    let r = c
        .post_form(
            "/me",
            &[
                ("full_name", "Hoàng Văn Em"),
                ("email", "em.hoang@example.vn"),
                ("locale", locale),
                ("village_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_keyed_message_reaches_every_channel_in_the_recipients_language() {
    let smtp = SmtpSink::start().await;
    let http = HttpSink::start().await;
    on_each_backend!(
        at_sinks(smtp.addr, http.addr, 1000.0),
        async |app: &TestApp| {
            smtp.mails.lock().unwrap().clear();
            http.reset();
            let (mut c, uid) = citizen_with_email(app).await;
            set_locale(&mut c, "en").await;
            notify::notify(
                &app.platform.state.db,
                Message {
                    commune_code: "17071",
                    user_id: uid,
                    text: kernel::notify::Text::key("sv.note.status")
                        .arg("receipt", "HS-17071-000042")
                        .arg_key("status", "dossier.status.approved"),
                    link: Some("/c/17071/dossiers/HS-17071-000042"),
                    ..Default::default()
                },
                &["sms"],
            )
            .await
            .unwrap();
            // Stored with its Vietnamese rendering, for the desk and anything reading the table.
            let vi_title = "Hồ sơ HS-17071-000042: Đã có kết quả";
            assert_eq!(channels_of(app, vi_title).await, ["email", "inbox", "sms"]);
            app.deliver().await;

            let en_title = "Dossier HS-17071-000042: Result ready";
            let mails = smtp.mails();
            assert_eq!(mails.len(), 1, "[{}]", app.backend);
            let parsed = mailparse::parse_mail(&mails[0].data).unwrap();
            assert_eq!(parsed.headers.get_first_value("Subject").unwrap(), en_title);
            let sms = http.hits().into_iter().find(|h| h.path == "/sms").unwrap();
            let v: Value = serde_json::from_str(&sms.body).unwrap();
            assert!(
                v["text"].as_str().unwrap().starts_with(en_title),
                "{}",
                v["text"]
            );
            // The demo's own messages to this citizen arrive in the same round: find ours.
            let ours = |inbox: Value| {
                inbox["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["link"] == "/c/17071/dossiers/HS-17071-000042")
                    .cloned()
                    .expect("in the inbox")
            };
            let item = ours(c.get("/api/v1/me/inbox").await.json());
            assert_eq!(item["title"], en_title);
            assert_eq!(item["body"], "Result ready");

            // The inbox speaks the reader's language of today, not of the day it arrived.
            set_locale(&mut c, "vi").await;
            let item = ours(c.get("/api/v1/me/inbox").await.json());
            assert_eq!(item["title"], vi_title);
            assert!(c.get("/inbox").await.body.contains(vi_title));
        }
    );
}

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

// ---- configuration ----

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
        let m = outbox::Entity::find_by_id(dead.id)
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

// ---- a commune's own gateways reach public addresses only ----

/// Stores a commune's own settings as an older row or a changed config would have them,
/// past the checks made when an admin saves.
async fn store_own(app: &TestApp, own: ChannelSettings) {
    delivery::settings::save_commune_overrides(&app.platform.state.db, "17071", &own)
        .await
        .unwrap();
    app.platform
        .rooms
        .get::<delivery::DeliveryRoom>()
        .expect("the delivery room")
        .settings()
        .invalidate("17071");
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
