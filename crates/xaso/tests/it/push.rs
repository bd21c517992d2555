//! Web Push through HTTP and on the wire: subscribing and unsubscribing (bad input refused,
//! nothing written), then delivery to a real push service on 127.0.0.1 whose requests the
//! test checks as a browser vendor would: the VAPID JWT verified with the server's key, the
//! `aes128gcm` body decrypted with the subscriber's private key (decryption written here,
//! from RFC 8188/8291, not borrowed from the server's code).

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{Client, TestApp};
use hmac::{Hmac, Mac};
use kernel::notify::{self, Message, Priority, outbox};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use sha2::Sha256;

/// A browser's side of a subscription: its key pair and auth secret.
struct Device {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Device {
    fn new(seed: u8) -> Device {
        Device {
            secret: SecretKey::random(&mut rand::rngs::OsRng),
            auth: [seed; 16],
        }
    }
    fn public(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }
    fn subscription(&self, endpoint: &str) -> Value {
        json!({"endpoint": endpoint, "expirationTime": null,
               "keys": {"p256dh": B64.encode(self.public()), "auth": B64.encode(self.auth)}})
    }
}

fn hmac(key: &[u8], data: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    for d in data {
        m.update(d);
    }
    m.finalize().into_bytes().into()
}

/// RFC 8291 section 3.4 and RFC 8188 section 2, as the formulas are written there
/// (HKDF with one HMAC block, as every output here is at most 32 bytes).
fn decrypt(body: &[u8], device: &Device) -> Result<Vec<u8>, aes_gcm::Error> {
    let salt = &body[..16];
    let rs = u32::from_be_bytes(body[16..20].try_into().unwrap());
    assert_eq!(rs, 4096, "record size");
    let idlen = body[20] as usize;
    assert_eq!(idlen, 65, "keyid is the sender's uncompressed key");
    let as_public = &body[21..21 + idlen];
    let record = &body[21 + idlen..];
    assert!(record.len() <= rs as usize, "one record");
    let sender = PublicKey::from_sec1_bytes(as_public).expect("sender key on P-256");
    let ecdh = p256::ecdh::diffie_hellman(device.secret.to_nonzero_scalar(), sender.as_affine());
    let prk_key = hmac(&device.auth, &[ecdh.raw_secret_bytes().as_slice()]);
    let ikm = hmac(
        &prk_key,
        &[b"WebPush: info\0", &device.public(), as_public, &[1]],
    );
    let prk = hmac(salt, &[&ikm]);
    let cek = &hmac(&prk, &[b"Content-Encoding: aes128gcm\0", &[1]])[..16];
    let nonce = &hmac(&prk, &[b"Content-Encoding: nonce\0", &[1]])[..12];
    let mut plain = Aes128Gcm::new_from_slice(cek)
        .unwrap()
        .decrypt(Nonce::from_slice(nonce), record)?;
    while plain.last() == Some(&0) {
        plain.pop();
    }
    assert_eq!(plain.pop(), Some(0x02), "last-record delimiter");
    Ok(plain)
}

/// Checks `Authorization: vapid t=<jwt>, k=<key>` as a push service does; returns the claims.
fn verify_vapid(auth: &str, server_key: &str, audience: &str) -> Value {
    let rest = auth.strip_prefix("vapid t=").expect("vapid scheme");
    let (jwt, k) = rest.split_once(", k=").expect("t and k");
    assert_eq!(k, server_key, "k is the key the browser subscribed with");
    let mut parts = jwt.split('.');
    let (h, c, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert!(parts.next().is_none());
    let header: Value = serde_json::from_slice(&B64.decode(h).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
    let sig = Signature::from_slice(&B64.decode(s).unwrap()).expect("64-byte r||s");
    key.verify(format!("{h}.{c}").as_bytes(), &sig)
        .expect("JWT signature verifies with the VAPID public key");
    let claims: Value = serde_json::from_slice(&B64.decode(c).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp {exp} vs now {now}"
    );
    let sub = claims["sub"].as_str().unwrap();
    assert!(
        sub.starts_with("mailto:") || sub.starts_with("https://"),
        "{sub}"
    );
    claims
}

/// What the local push service received.
#[derive(Clone)]
struct Seen {
    device: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A push service on 127.0.0.1: records every request and answers each device's URL with
/// the status set for it (201 by default).
#[derive(Clone, Default)]
struct PushService {
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<Mutex<HashMap<String, u16>>>,
}

impl PushService {
    async fn start() -> (PushService, String) {
        let svc = PushService::default();
        let router = axum::Router::new()
            .route("/push/{device}", axum::routing::post(record))
            .with_state(svc.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (svc, origin)
    }
    fn answer(&self, device: &str, status: u16) {
        self.status.lock().unwrap().insert(device.into(), status);
    }
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

async fn record(
    State(svc): State<PushService>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let status = *svc.status.lock().unwrap().get(&device).unwrap_or(&201);
    svc.seen.lock().unwrap().push(Seen {
        device,
        headers,
        body: body.to_vec(),
    });
    StatusCode::from_u16(status).unwrap()
}

async fn delete_json(c: &mut Client, v: Value, csrf: bool) -> common::Resp {
    let mut req = Request::delete("/api/v1/push/subscriptions")
        .header(header::CONTENT_TYPE, "application/json");
    if csrf {
        req = req.header("x-csrf-token", c.csrf().await);
    }
    c.send(req.body(Body::from(v.to_string())).unwrap()).await
}

async fn my_id(c: &mut Client) -> i64 {
    c.get("/api/v1/me").await.json()["id"].as_i64().unwrap()
}

async fn server_key(c: &mut Client) -> String {
    let r = c.get("/api/v1/push/key").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["public_key"].as_str().unwrap().to_owned()
}

async fn push_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Channel.eq("push"))
        .order_by_asc(outbox::Column::Id)
        .all(&app.platform.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn subscribing_refuses_bad_input_and_keeps_to_your_own_devices() {
    // A deployment served over https: plain-http endpoints on loopback are refused too.
    let https = |c: &mut kernel::config::Config| c.public_url = "https://xa.example.vn".into();
    on_each_backend!(https, async |app: &TestApp| {
        let b = app.backend;
        let mut anon = app.client();
        let key = server_key(&mut anon).await;
        let raw = B64.decode(&key).unwrap();
        assert_eq!(
            (raw.len(), raw[0]),
            (65, 4),
            "[{b}] uncompressed P-256 point"
        );
        assert!(PublicKey::from_sec1_bytes(&raw).is_ok());
        assert_eq!(server_key(&mut anon).await, key, "[{b}] the key is kept");

        let device = Device::new(3);
        let good = "https://push.example.net/wpush/v2/gAAAAABk";
        let r = anon
            .post_json("/api/v1/push/subscriptions", device.subscription(good))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{b}] anonymous");

        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_json("/api/v1/push/subscriptions", device.subscription(good))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "csrf_invalid"),
            "[{b}] no CSRF header"
        );

        let mut not_on_curve = vec![4u8];
        not_on_curve.extend([1u8; 64]);
        assert!(PublicKey::from_sec1_bytes(&not_on_curve).is_err());
        let keys = |p: &[u8], a: &[u8]| json!({"p256dh": B64.encode(p), "auth": B64.encode(a)});
        let bad = [
            (
                json!({"endpoint": good, "keys": keys(&device.public()[..64], &device.auth)}),
                "push_key_invalid",
            ),
            (
                json!({"endpoint": good, "keys": keys(&not_on_curve, &device.auth)}),
                "push_key_invalid",
            ),
            (
                json!({"endpoint": good, "keys": {"p256dh": "!!not base64!!", "auth": B64.encode(device.auth)}}),
                "push_key_invalid",
            ),
            (
                json!({"endpoint": good, "keys": keys(&device.public(), &device.auth[..15])}),
                "push_auth_invalid",
            ),
            (
                json!({"endpoint": good, "keys": keys(&device.public(), &[0u8; 17])}),
                "push_auth_invalid",
            ),
            (
                device.subscription("http://push.example.net/wpush/x"),
                "push_endpoint_invalid",
            ),
            (
                device.subscription("http://127.0.0.1:9/push/x"),
                "push_endpoint_invalid",
            ),
            (
                device.subscription("https://10.1.2.3/push/x"),
                "push_endpoint_invalid",
            ),
            (
                device.subscription("ftp://push.example.net/x"),
                "push_endpoint_invalid",
            ),
            (
                device.subscription("push.example.net/x"),
                "push_endpoint_invalid",
            ),
            (json!({"endpoint": good}), "json_invalid"),
        ];
        for (body, code) in bad {
            let r = citizen
                .post_json_csrf("/api/v1/push/subscriptions", body.clone())
                .await;
            assert!(r.status.is_client_error(), "[{b}] {body}: {}", r.status);
            assert_eq!(r.error_code(), code, "[{b}] {body}");
            assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
            assert_eq!(app.count("push_subscription").await, 0, "[{b}] {body}");
        }

        let r = citizen
            .post_json_csrf("/api/v1/push/subscriptions", device.subscription(good))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{b}] {}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = citizen
            .post_json_csrf("/api/v1/push/subscriptions", device.subscription(good))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{b}] the same browser again");
        assert_eq!(r.json()["id"].as_i64(), Some(id));
        assert_eq!(app.count("push_subscription").await, 1);

        // Someone else signs in on that browser: the device is theirs now, not both.
        let mut official = app.login(common::OFFICIAL).await;
        let r = official
            .post_json_csrf("/api/v1/push/subscriptions", device.subscription(good))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{b}] {}", r.body);
        let official_id = my_id(&mut official).await;
        let subs = delivery::webpush::subscriptions_of(&app.platform.state.db, official_id)
            .await
            .unwrap();
        assert_eq!(subs.len(), 1, "[{b}]");
        assert_eq!(app.count("push_subscription").await, 1);

        // Only one's own subscription can be removed.
        let gone = json!({"endpoint": good});
        let r = delete_json(&mut anon, gone.clone(), false).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{b}]");
        let r = delete_json(&mut citizen, gone.clone(), true).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "[{b}] not the citizen's any more"
        );
        let r = delete_json(&mut official, gone.clone(), false).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{b}] no CSRF header");
        assert_eq!(app.count("push_subscription").await, 1);
        let r = delete_json(&mut official, gone.clone(), true).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{b}] {}", r.body);
        assert_eq!(app.count("push_subscription").await, 0);

        // The opt-in button on the inbox and profile pages, its scripts, the API description.
        for page in ["/inbox", "/me"] {
            let r = citizen.get(page).await;
            assert!(r.body.contains("data-push hidden"), "[{b}] {page}");
            assert!(
                r.body.contains("Nhận thông báo trên điện thoại này"),
                "[{b}] {page}"
            );
            assert!(
                r.body.contains("<script src=\"/static/push.js\">"),
                "[{b}] {page}"
            );
        }
        for js in ["/static/push.js", "/static/sw-push.js"] {
            let r = anon.get(js).await;
            assert_eq!(r.status, StatusCode::OK, "{js}");
            assert!(
                r.headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/javascript")
            );
        }
        let spec = anon.get("/api/openapi.json").await.json();
        for (path, method) in [
            ("/api/v1/push/key", "get"),
            ("/api/v1/push/subscriptions", "post"),
            ("/api/v1/push/subscriptions", "delete"),
        ] {
            assert!(spec["paths"][path][method].is_object(), "{method} {path}");
        }
    });
}

#[tokio::test]
async fn delivers_encrypted_pushes_to_a_local_push_service() {
    on_each_backend!(async |app: &TestApp| {
        let b = app.backend;
        let db = &app.platform.state.db;
        let (service, origin) = PushService::start().await;
        let mut citizen = app.login(common::CITIZEN).await;
        let citizen_id = my_id(&mut citizen).await;
        let key = server_key(&mut citizen).await;
        let phone = Device::new(1);
        let laptop = Device::new(2);
        for (name, d) in [("phone", &phone), ("laptop", &laptop)] {
            let r = citizen
                .post_json_csrf(
                    "/api/v1/push/subscriptions",
                    d.subscription(&format!("{origin}/push/{name}")),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "[{b}] {}", r.body);
        }

        // An emergency reaches both devices, urgently, readable only with each one's key.
        let title = "Cảnh báo lũ quét: sơ tán khỏi bãi sông ngay";
        let body = "Nước sông Hiếu dâng nhanh. Người dân thôn Đồng Tâm di chuyển lên nhà văn hóa.";
        notify::notify(
            db,
            Message {
                commune_code: "17071",
                user_id: citizen_id,
                text: kernel::notify::Text::written(title, body),
                link: Some("/inbox"),
                priority: Priority::Emergency,
                reference: Some(("notice", 7)),
            },
            &["push"],
        )
        .await
        .unwrap();
        app.deliver().await;
        let mut seen = service.take();
        seen.sort_by(|x, y| x.device.cmp(&y.device));
        assert_eq!(seen.len(), 2, "[{b}] one request per device");
        let rows = push_rows(app).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].status,
            notify::SENT,
            "[{b}] {:?}",
            rows[0].last_error
        );
        for (s, d) in seen.iter().zip([&laptop, &phone]) {
            let h = |n: &str| s.headers.get(n).map(|v| v.to_str().unwrap()).unwrap_or("");
            assert_eq!(h("content-encoding"), "aes128gcm");
            assert_eq!(h("urgency"), "high", "[{b}] emergency");
            let ttl: u32 = h("ttl").parse().expect("TTL header");
            assert!(ttl > 0);
            verify_vapid(h("authorization"), &key, &origin);
            assert!(!s.body.windows(title.len()).any(|w| w == title.as_bytes()));
            let plain: Value = serde_json::from_slice(&decrypt(&s.body, d).unwrap()).unwrap();
            assert_eq!(
                plain,
                json!({"title": title, "body": body, "url": "/inbox", "priority": "emergency",
                       "tag": format!("xaso-{}", rows[0].id)}),
                "[{b}] {}",
                s.device
            );
        }
        // Not readable with the other device's key.
        assert!(
            decrypt(&seen[0].body, &phone).is_err(),
            "[{b}] decrypting with the wrong key must fail"
        );
        let subs = delivery::webpush::subscriptions_of(db, citizen_id)
            .await
            .unwrap();
        assert!(subs.iter().all(|s| s.last_success_at.is_some()), "[{b}]");

        // The laptop's browser revoked its subscription (410): removed, and not a failure.
        service.answer("laptop", 410);
        let msg = |title: &'static str| Message {
            commune_code: "17071",
            user_id: citizen_id,
            text: kernel::notify::Text::written(title, "Họp dân thôn Đồng Tâm lúc 19 giờ tối nay."),
            ..Default::default()
        };
        notify::notify(db, msg("Lịch họp thôn"), &["push"])
            .await
            .unwrap();
        app.deliver().await;
        let seen = service.take();
        assert_eq!(seen.len(), 2, "[{b}]");
        let phone_req = seen.iter().find(|s| s.device == "phone").unwrap();
        assert_eq!(phone_req.headers["urgency"], "normal");
        let plain: Value =
            serde_json::from_slice(&decrypt(&phone_req.body, &phone).unwrap()).unwrap();
        assert_eq!(plain["title"], "Lịch họp thôn");
        assert_eq!(plain["priority"], "normal");
        let rows = push_rows(app).await;
        assert_eq!(
            rows[1].status,
            notify::SENT,
            "[{b}] {:?}",
            rows[1].last_error
        );
        let left = delivery::webpush::subscriptions_of(db, citizen_id)
            .await
            .unwrap();
        assert_eq!(left.len(), 1, "[{b}] the revoked subscription is gone");
        assert!(left[0].endpoint.ends_with("/push/phone"));

        // The push service fails (500): the message waits for a retry with the error noted.
        service.answer("phone", 500);
        notify::notify(db, msg("Lịch tiêm chủng"), &["push"])
            .await
            .unwrap();
        app.deliver().await;
        assert_eq!(service.take().len(), 1, "[{b}]");
        let rows = push_rows(app).await;
        let failed = &rows[2];
        assert_eq!(failed.status, notify::PENDING, "[{b}]");
        assert_eq!(failed.attempts, 1, "[{b}]");
        assert!(
            failed
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("HTTP 500"),
            "[{b}] {:?}",
            failed.last_error
        );
        assert!(failed.next_attempt_at > chrono::Utc::now(), "[{b}] backoff");
        assert_eq!(
            app.count("push_subscription").await,
            1,
            "[{b}] kept on a 500"
        );

        // Every device went away between queueing and delivery: nothing to send, done.
        notify::notify(db, msg("Lịch thu thuế"), &["push"])
            .await
            .unwrap();
        let r = delete_json(
            &mut citizen,
            json!({"endpoint": format!("{origin}/push/phone")}),
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{b}] {}", r.body);
        app.deliver().await;
        assert!(service.take().is_empty(), "[{b}]");
        let rows = push_rows(app).await;
        let last = rows.last().unwrap();
        assert_eq!(last.title, "Lịch thu thuế");
        assert_eq!(last.status, notify::SENT, "[{b}] {:?}", last.last_error);
    });
}

/// Two sign-ins on one phone subscribing its browser at the same moment leave one row (the
/// unique endpoint index and the retry as an update), so messages are not pushed twice.
#[tokio::test]
async fn racing_subscriptions_of_one_browser_leave_one_row() {
    use delivery::webpush::{self as subscriptions, NewSubscription};
    on_each_backend!(async |app: &TestApp| {
        let db = &app.platform.state.db;
        let mut a = app.login(common::CITIZEN).await;
        let mut b = app.login(common::OFFICIAL).await;
        let (ua, ub) = (my_id(&mut a).await, my_id(&mut b).await);
        let device = Device::new(7);
        let (p256dh, auth) = (B64.encode(device.public()), B64.encode(device.auth));
        for round in 0..8 {
            let endpoint = format!("https://push.example.net/wpush/race-{round}");
            let sub = NewSubscription {
                endpoint: &endpoint,
                p256dh: &p256dh,
                auth: &auth,
                user_agent: Some("Chrome Android"),
            };
            let (ra, rb) = tokio::join!(
                subscriptions::subscribe(db, ua, &sub, false),
                subscriptions::subscribe(db, ub, &sub, false),
            );
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            assert!(ra.1 != rb.1, "[{}] one created, one updated", app.backend);
            let rows = subscriptions::subscription::Entity::find()
                .filter(subscriptions::subscription::Column::Endpoint.eq(&endpoint))
                .all(db)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "[{}] round {round}", app.backend);
            assert!([ua, ub].contains(&rows[0].user_id));
        }
    });
}

/// Past ten devices, the one unused the longest goes, never the newest nor one that still
/// receives messages.
#[tokio::test]
async fn past_ten_devices_the_longest_unused_one_is_dropped() {
    use delivery::webpush::{self as subscriptions, MAX_PER_USER, NewSubscription};
    use sea_orm::{ActiveModelTrait, Set};
    on_each_backend!(async |app: &TestApp| {
        let db = &app.platform.state.db;
        let mut c = app.login(common::CITIZEN).await;
        let uid = my_id(&mut c).await;
        let device = Device::new(9);
        let (p256dh, auth) = (B64.encode(device.public()), B64.encode(device.auth));
        let endpoint = |i: usize| format!("https://push.example.net/wpush/device-{i}");
        let mut ids = Vec::new();
        for i in 0..=MAX_PER_USER {
            let e = endpoint(i);
            let sub = NewSubscription {
                endpoint: &e,
                p256dh: &p256dh,
                auth: &auth,
                user_agent: None,
            };
            if i == MAX_PER_USER {
                // Device 0, the oldest, got a message a moment ago: it is in use.
                let first = subscriptions::subscription::Entity::find_by_id(ids[0])
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap();
                let mut a: subscriptions::subscription::ActiveModel = first.into();
                a.last_success_at = Set(Some(chrono::Utc::now()));
                a.update(db).await.unwrap();
            }
            let (row, _) = subscriptions::subscribe(db, uid, &sub, false)
                .await
                .unwrap();
            ids.push(row.id);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let left: Vec<i64> = subscriptions::subscriptions_of(db, uid)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        let mut want = ids.clone();
        want.remove(1);
        assert_eq!(
            left, want,
            "[{}] device 1 (unused longest) went",
            app.backend
        );
    });
}
