//! One-time codes by SMS through HTTP on both databases: the forgotten-password journey (code
//! read from the queued SMS, new password, every old session signed out, audit), phone
//! verification from the profile and the API, per-phone and per-address throttling, five
//! wrong codes locking the purpose out, expired codes, and bad input changing nothing.

use crate::common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::{CITIZEN, Client, OFFICIAL, TestApp};
use kernel::accounts::entity::user;
use kernel::notify::outbox;
use kernel::otp::entity as otp_code;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

const CITIZEN_E164: &str = "+84912000011";
const NOBODY: &str = "0398765432";

/// The code in the newest SMS queued for a user, checked against the wording people get.
async fn sms_code(app: &TestApp, user_id: i64) -> String {
    let sms = outbox::Entity::find()
        .filter(outbox::Column::Channel.eq("sms"))
        .filter(outbox::Column::UserId.eq(user_id))
        .order_by_desc(outbox::Column::Id)
        .one(&app.platform.state.db)
        .await
        .unwrap()
        .expect("an SMS is queued");
    assert_eq!(sms.priority, 1, "codes go out with high priority");
    assert_eq!(sms.status, "pending");
    let code = sms
        .body
        .strip_prefix("Mã xác minh Xã Số của bạn là ")
        .and_then(|r| r.strip_suffix(", có hiệu lực 10 phút. Không chia sẻ mã này."))
        .unwrap_or_else(|| panic!("[{}] SMS wording: {}", app.backend, sms.body));
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    code.to_owned()
}

async fn sms_count(app: &TestApp) -> usize {
    outbox::Entity::find()
        .filter(outbox::Column::Channel.eq("sms"))
        .all(&app.platform.state.db)
        .await
        .unwrap()
        .len()
}

async fn user_by_phone(app: &TestApp, phone: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::Phone.eq(phone))
        .one(&app.platform.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn codes(app: &TestApp, phone: &str) -> Vec<otp_code::Model> {
    otp_code::Entity::find()
        .filter(otp_code::Column::Phone.eq(phone))
        .order_by_asc(otp_code::Column::Id)
        .all(&app.platform.state.db)
        .await
        .unwrap()
}

/// Moves every code of a phone back in time, as if `by` had passed.
async fn age_codes(app: &TestApp, phone: &str, by: Duration) {
    for c in codes(app, phone).await {
        otp_code::Entity::update_many()
            .col_expr(otp_code::Column::CreatedAt, Expr::value(c.created_at - by))
            .col_expr(otp_code::Column::ExpiresAt, Expr::value(c.expires_at - by))
            .col_expr(
                otp_code::Column::ConsumedAt,
                Expr::value(c.consumed_at.map(|t| t - by)),
            )
            .filter(otp_code::Column::Id.eq(c.id))
            .exec(&app.platform.state.db)
            .await
            .unwrap();
    }
}

async fn api_reset_request(c: &mut Client, phone: &str) -> common::Resp {
    c.post_json(
        "/api/v1/auth/password-reset/request",
        json!({ "phone": phone }),
    )
    .await
}

async fn api_reset_confirm(c: &mut Client, phone: &str, code: &str, pw: &str) -> common::Resp {
    c.post_json(
        "/api/v1/auth/password-reset/confirm",
        json!({ "phone": phone, "code": code, "new_password": pw }),
    )
    .await
}

fn wrong(code: &str) -> String {
    let d = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{d}{}", &code[1..])
}

#[tokio::test]
async fn forgotten_password_is_reset_by_sms_code_and_old_sessions_end() {
    on_each_backend!(async |app: &TestApp| {
        let citizen = user_by_phone(app, CITIZEN_E164).await;
        let mut old_a = app.login(CITIZEN).await;
        let mut old_b = app.login(CITIZEN).await;
        let (_, secret) =
            kernel::accounts::create_api_token(&app.platform.state.db, citizen.id, "Ứng dụng HTX")
                .await
                .unwrap();
        let mut old_api = app.client();
        old_api.bearer = Some(secret);
        assert_eq!(old_api.get("/api/v1/me").await.status, StatusCode::OK);
        let audit_before = app.count("audit_log").await;

        let mut c = app.client();
        let login = c.get("/login").await;
        assert!(login.body.contains("href=\"/password/forgot\""));
        assert!(login.body.contains("Quên mật khẩu?"));
        let form = c.get("/password/forgot").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Gửi mã"), "{}", form.body);

        let r = c
            .post_form("/password/forgot", &[("phone", "0912 000 011")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/password/reset?phone=%2B84912000011");
        let page = c.get(r.location()).await;
        assert!(page.body.contains("mã xác minh vừa được gửi"));
        assert!(page.body.contains("0912 000 011"));
        let code = sms_code(app, citizen.id).await;
        let stored = codes(app, CITIZEN_E164).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].purpose, "reset_password");
        assert!(!stored[0].code_hash.contains(&code), "only a hash is kept");
        assert!(stored[0].expires_at <= Utc::now() + Duration::minutes(10));
        assert!(stored[0].expires_at > Utc::now() + Duration::minutes(9));

        // A weak password is refused before the code is even looked at.
        let weak = c
            .post_form(
                "/password/reset",
                &[
                    ("phone", CITIZEN_E164),
                    ("code", &code),
                    ("new_password", "chikhongso"),
                ],
            )
            .await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(weak.body.contains("Mật khẩu phải có cả chữ và số."));
        assert_eq!(codes(app, CITIZEN_E164).await[0].attempts, 0);

        let bad = c
            .post_form(
                "/password/reset",
                &[
                    ("phone", CITIZEN_E164),
                    ("code", &wrong(&code)),
                    ("new_password", "Lua-moi-2025"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body
                .contains("Mã xác minh không đúng. Bạn còn 4 lần thử."),
            "{}",
            bad.body
        );
        assert_eq!(
            app.count("audit_log").await,
            audit_before,
            "nothing written"
        );

        let ok = c
            .post_form(
                "/password/reset",
                &[
                    ("phone", CITIZEN_E164),
                    ("code", &code),
                    ("new_password", "Lua-moi-2025"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        assert_eq!(ok.location(), "/password/done");
        let done = c.get("/password/done").await;
        assert!(done.body.contains("Đã đặt lại mật khẩu"));
        assert!(
            done.body.contains("href=\"/me\""),
            "signed in on this device"
        );

        for old in [&mut old_a, &mut old_b, &mut old_api] {
            assert_eq!(
                old.get("/api/v1/me").await.status,
                StatusCode::UNAUTHORIZED,
                "[{}] every other session and API token ends",
                app.backend
            );
        }
        let mut fresh = app.client();
        let r = fresh
            .post_form(
                "/login",
                &[("phone", CITIZEN), ("password", "Lua-moi-2025")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "new password works");
        let r = app
            .client()
            .post_form(
                "/login",
                &[("phone", CITIZEN), ("password", &app.passwords[CITIZEN])],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "old password is gone");

        let audit = kernel::audit::entity::Entity::find()
            .filter(kernel::audit::entity::Column::Action.eq("account.password_reset"))
            .all(&app.platform.state.db)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor_user_id, Some(citizen.id));
        assert_eq!(audit[0].unit_code, "17071");

        // A code works once.
        let again = api_reset_confirm(&mut app.client(), CITIZEN, &code, "Lua-khac-2025").await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(again.error_code(), "otp_expired");
    });
}

#[tokio::test]
async fn an_unknown_phone_gets_the_same_answer_and_no_sms() {
    on_each_backend!(async |app: &TestApp| {
        let sms = sms_count(app).await;
        let mut c = app.client();
        let known = c.post_form("/password/forgot", &[("phone", CITIZEN)]).await;
        let unknown = c.post_form("/password/forgot", &[("phone", NOBODY)]).await;
        assert_eq!(known.status, StatusCode::SEE_OTHER);
        assert_eq!(unknown.status, StatusCode::SEE_OTHER);
        assert_eq!(unknown.location(), "/password/reset?phone=%2B84398765432");
        assert_eq!(
            sms_count(app).await,
            sms + 1,
            "only the account's phone gets an SMS"
        );
        let (a, b) = (
            c.get(known.location()).await.body,
            c.get(unknown.location()).await.body,
        );
        assert_eq!(
            a.replace("0912 000 011", "X").replace("+84912000011", "Y"),
            b.replace("0398 765 432", "X").replace("+84398765432", "Y"),
            "the pages differ only by the number typed"
        );

        // Asking again at once is refused alike, with the wait.
        for phone in [CITIZEN, NOBODY] {
            let r = api_reset_request(&mut c, phone).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{phone}");
            assert_eq!(r.error_code(), "otp_wait");
            let wait: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((55..=60).contains(&wait), "{wait}");
            let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
            assert!(msg.contains(&format!("chờ {wait} giây")), "{msg}");
        }
        // Guessing for an unknown phone behaves as for a known one.
        let r = api_reset_confirm(&mut c, NOBODY, "123456", "Lua-moi-2025").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_code(), "otp_code_wrong");
    });
}

#[tokio::test]
async fn codes_are_throttled_per_phone_minute_and_hour() {
    on_each_backend!(async |app: &TestApp| {
        let mut c = app.client();
        for i in 0..5 {
            let r = api_reset_request(&mut c, CITIZEN).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "request {i}: {}", r.body);
            assert_eq!(r.json()["expires_in_seconds"], 600);
            let again = api_reset_request(&mut c, CITIZEN).await;
            assert_eq!(again.error_code(), "otp_wait", "request {i} again");
            age_codes(app, CITIZEN_E164, Duration::seconds(61)).await;
        }
        let sms = sms_count(app).await;
        let sixth = api_reset_request(&mut c, CITIZEN).await;
        assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(sixth.error_code(), "otp_hourly");
        let msg = sixth.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            msg.contains("Vui lòng thử lại sau") && msg.contains("phút"),
            "{msg}"
        );
        assert_eq!(sms_count(app).await, sms, "no SMS for a refused request");
        assert_eq!(codes(app, CITIZEN_E164).await.len(), 5);
        // Only the newest code works: the earlier ones were replaced.
        let live: Vec<_> = codes(app, CITIZEN_E164)
            .await
            .into_iter()
            .filter(|c| c.consumed_at.is_none())
            .collect();
        assert_eq!(live.len(), 1);
        // An hour later the phone may ask again.
        age_codes(app, CITIZEN_E164, Duration::minutes(56)).await;
        let r = api_reset_request(&mut c, CITIZEN).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        // Records older than a day are dropped.
        age_codes(app, CITIZEN_E164, Duration::hours(25)).await;
        let r = api_reset_request(&mut c, NOBODY).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert!(codes(app, CITIZEN_E164).await.is_empty());
    });
}

#[tokio::test]
async fn code_requests_are_limited_per_address() {
    on_each_backend!(
        |c: &mut kernel::config::Config| c.login_ip_limit = 3,
        async |app: &TestApp| {
            let mut c = app.client();
            for phone in ["0398000001", "0398000002", "0398000003"] {
                let r = api_reset_request(&mut c, phone).await;
                assert_eq!(r.status, StatusCode::ACCEPTED, "{phone}");
            }
            let r = api_reset_request(&mut c, "0398000004").await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(r.error_code(), "otp_throttled");
            assert!(
                codes(app, "+84398000004").await.is_empty(),
                "nothing written"
            );
        }
    );
}

#[tokio::test]
async fn five_wrong_codes_kill_the_code_and_lock_the_phone_out_for_a_while() {
    on_each_backend!(async |app: &TestApp| {
        let citizen = user_by_phone(app, CITIZEN_E164).await;
        let mut c = app.client();
        assert_eq!(
            api_reset_request(&mut c, CITIZEN).await.status,
            StatusCode::ACCEPTED
        );
        let code = sms_code(app, citizen.id).await;
        for left in (1..=4).rev() {
            let r = api_reset_confirm(&mut c, CITIZEN, &wrong(&code), "Lua-moi-2025").await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r.error_code(), "otp_code_wrong");
            let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
            assert!(msg.contains(&format!("Bạn còn {left} lần thử")), "{msg}");
        }
        let fifth = api_reset_confirm(&mut c, CITIZEN, &wrong(&code), "Lua-moi-2025").await;
        assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(fifth.error_code(), "otp_locked");
        assert_eq!(fifth.headers["retry-after"], "900");
        assert!(
            fifth.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("thử lại sau 15 phút")
        );
        // The right code is dead now, and no new one is sent until the lock-out ends.
        let right = api_reset_confirm(&mut c, CITIZEN, &code, "Lua-moi-2025").await;
        assert_eq!(right.error_code(), "otp_locked");
        let page = c.post_form("/password/forgot", &[("phone", CITIZEN)]).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.body.contains("Nhập sai mã quá 5 lần"), "{}", page.body);
        assert_eq!(
            user_by_phone(app, CITIZEN_E164).await.password_hash,
            citizen.password_hash,
            "password unchanged"
        );
        // Phone verification is another purpose: not locked.
        let mut signed_in = app.login(CITIZEN).await;
        let r = signed_in.post_form("/me/phone/send", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        age_codes(app, CITIZEN_E164, Duration::minutes(16)).await;
        let r = api_reset_request(&mut c, CITIZEN).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let code = sms_code(app, citizen.id).await;
        let r = api_reset_confirm(&mut c, CITIZEN, &code, "Lua-moi-2025").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    });
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    on_each_backend!(async |app: &TestApp| {
        let citizen = user_by_phone(app, CITIZEN_E164).await;
        let mut c = app.client();
        assert_eq!(
            api_reset_request(&mut c, CITIZEN).await.status,
            StatusCode::ACCEPTED
        );
        let code = sms_code(app, citizen.id).await;
        otp_code::Entity::update_many()
            .col_expr(
                otp_code::Column::ExpiresAt,
                Expr::value(Utc::now() - Duration::seconds(1)),
            )
            .filter(otp_code::Column::Phone.eq(CITIZEN_E164))
            .exec(&app.platform.state.db)
            .await
            .unwrap();
        let r = api_reset_confirm(&mut c, CITIZEN, &code, "Lua-moi-2025").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_code(), "otp_expired");
        assert_eq!(
            user_by_phone(app, CITIZEN_E164).await.password_hash,
            citizen.password_hash
        );
        assert_eq!(codes(app, CITIZEN_E164).await[0].attempts, 0);
    });
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    on_each_backend!(async |app: &TestApp| {
        let sms = sms_count(app).await;
        let mut c = app.client();
        let r = api_reset_request(&mut c, "12345").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_code(), "phone_invalid");
        let r = c.post_form("/password/forgot", &[("phone", "abc")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Số điện thoại di động không hợp lệ"));
        let r = c
            .post_raw_form("/password/forgot", &[("phone", CITIZEN)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token, no code");
        let r = c
            .post_json(
                "/api/v1/auth/password-reset/request",
                json!({ "tel": CITIZEN }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(app.count("otp_code").await, 0);
        assert_eq!(sms_count(app).await, sms);

        assert_eq!(
            api_reset_request(&mut c, CITIZEN).await.status,
            StatusCode::ACCEPTED
        );
        for malformed in ["12ab56", "1234", ""] {
            let r = api_reset_confirm(&mut c, CITIZEN, malformed, "Lua-moi-2025").await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{malformed}");
            assert_eq!(r.error_code(), "otp_code_invalid");
        }
        assert_eq!(
            codes(app, CITIZEN_E164).await[0].attempts,
            0,
            "not counted as guesses"
        );
        let r = c.get("/password/reset?phone=nonsense").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/password/forgot");
    });
}

#[tokio::test]
async fn citizen_verifies_their_phone_from_the_profile() {
    on_each_backend!(async |app: &TestApp| {
        let citizen = user_by_phone(app, CITIZEN_E164).await;
        assert!(citizen.phone_verified_at.is_none());
        let mut c = app.login(CITIZEN).await;
        let me = c.get("/me").await;
        assert!(me.body.contains("Chưa xác minh"));
        assert!(me.body.contains("Xác minh số điện thoại"));
        let r = c.post_form("/me/phone/send", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/me/phone?sent=1");
        let page = c.get("/me/phone?sent=1").await;
        assert!(page.body.contains("Mã xác minh vừa được gửi qua SMS"));
        let code = sms_code(app, citizen.id).await;
        assert_eq!(codes(app, CITIZEN_E164).await[0].purpose, "verify_phone");

        let r = c
            .post_form("/me/phone/confirm", &[("code", &wrong(&code))])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Bạn còn 4 lần thử"));
        assert!(
            user_by_phone(app, CITIZEN_E164)
                .await
                .phone_verified_at
                .is_none()
        );
        let r = c.post_form("/me/phone/confirm", &[("code", &code)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/me");
        assert!(
            user_by_phone(app, CITIZEN_E164)
                .await
                .phone_verified_at
                .is_some()
        );
        let me = c.get("/me").await;
        assert!(me.body.contains("Đã xác minh ("), "{}", me.body);
        assert!(!me.body.contains("action=\"/me/phone/send\""));

        // Only a signed-in person can ask.
        let r = app.client().post_form("/me/phone/send", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
    });
}

#[tokio::test]
async fn phone_verification_through_the_api() {
    on_each_backend!(async |app: &TestApp| {
        let official = user_by_phone(app, "+84912000003").await;
        let mut c = app.client();
        let tok = c
            .post_json(
                "/api/v1/auth/token",
                json!({ "phone": OFFICIAL, "password": app.passwords[OFFICIAL], "name": "otp test" }),
            )
            .await;
        assert_eq!(tok.status, StatusCode::CREATED, "{}", tok.body);
        let mut api = app.client();
        api.bearer = Some(tok.json()["token"].as_str().unwrap().to_owned());
        assert_eq!(
            app.client()
                .post_json("/api/v1/auth/phone-verification/request", json!({}))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let r = api
            .post_json("/api/v1/auth/phone-verification/request", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.json()["resend_after_seconds"], 60);
        let code = sms_code(app, official.id).await;
        let r = api
            .post_json(
                "/api/v1/auth/phone-verification/confirm",
                json!({ "code": code }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["phone"], "+84912000003");
        assert!(r.json()["phone_verified_at"].as_str().is_some());
        let audit = kernel::audit::entity::Entity::find()
            .filter(kernel::audit::entity::Column::Action.eq("account.phone_verify"))
            .all(&app.platform.state.db)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor_role, "official");

        let doc = app.client().get("/api/openapi.json").await.json();
        for path in [
            "/api/v1/auth/password-reset/request",
            "/api/v1/auth/password-reset/confirm",
            "/api/v1/auth/phone-verification/request",
            "/api/v1/auth/phone-verification/confirm",
        ] {
            assert!(doc["paths"][path]["post"].is_object(), "{path} documented");
        }
    });
}
