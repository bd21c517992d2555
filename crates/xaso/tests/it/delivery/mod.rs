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

mod reliability;

mod gateways;

mod inbox;

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

// ---- configuration ----

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
