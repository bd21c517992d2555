//! Registration, sign-in, lock-out, sessions, profile, tokens and CSRF, through HTTP.

use crate::common;

use axum::http::StatusCode;
use common::Client;

async fn register(c: &mut Client, phone: &str, password: &str) -> common::Resp {
    c.post_form(
        "/register",
        &[
            ("commune_code", "17071"),
            ("full_name", "Lò Văn Sáu"),
            ("phone", phone),
            ("password", password),
        ],
    )
    .await
}

#[tokio::test]
async fn citizen_registers_logs_in_and_sees_welcome() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let r = register(&mut c, "84 987 654 321", "Lua-nep-2025").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/c/17071");
        let me = c.get("/api/v1/me").await.json();
        assert_eq!(me["phone"], "+84987654321", "one canonical form");
        assert_eq!(me["grants"][0]["role"], "citizen");
        // The unread count is remembered between pages, but a delivery shows at once.
        let before = c.get("/c/17071").await;
        assert!(
            !before.body.contains("class=\"badge\""),
            "nothing delivered yet"
        );
        app.deliver().await;
        let home = c.get("/c/17071").await;
        assert!(
            home.body.contains("Lò Văn Sáu") && home.body.contains("class=\"badge\""),
            "unread badge in header"
        );
        let inbox = c.get("/inbox").await;
        assert!(inbox.body.contains("Chào mừng bạn đến với Xã Minh Hợp"));

        let mut kept_cookie = c.clone();
        let r = c.post_form("/logout", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            kept_cookie.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED,
            "a signed-out session is dead at once, even for a copy of its cookie"
        );

        for spelling in ["0987654321", "+84987654321"] {
            let mut c2 = app.client();
            let r = c2
                .post_form(
                    "/login",
                    &[("phone", spelling), ("password", "Lua-nep-2025")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{spelling}");
            assert_eq!(c2.get("/me").await.status, StatusCode::OK);
        }
    });
}

#[tokio::test]
async fn bad_registrations_change_nothing() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let users = app.count("app_user").await;
        let outbox = app.count("outbox").await;
        let cases: [(&str, &str, &str, StatusCode, &str); 6] = [
            (
                "17071",
                "12345",
                "Lua-nep-2025",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Số điện thoại di động không hợp lệ",
            ),
            (
                "17071",
                "0212345678",
                "Lua-nep-2025",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Số điện thoại di động không hợp lệ",
            ),
            (
                "17071",
                common::CITIZEN,
                "Lua-nep-2025",
                StatusCode::CONFLICT,
                "đã được đăng ký",
            ),
            (
                "17071",
                "0987111222",
                "abc",
                StatusCode::UNPROCESSABLE_ENTITY,
                "ít nhất 8 ký tự",
            ),
            (
                "17071",
                "0987111222",
                "12345678",
                StatusCode::UNPROCESSABLE_ENTITY,
                "quá phổ biến",
            ),
            (
                "99999",
                "0987111222",
                "Lua-nep-2025",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Không có xã, phường với mã này",
            ),
        ];
        for (commune, phone, pw, status, msg) in cases {
            let r = c
                .post_form(
                    "/register",
                    &[
                        ("commune_code", commune),
                        ("full_name", "Người Thử"),
                        ("phone", phone),
                        ("password", pw),
                    ],
                )
                .await;
            assert_eq!(r.status, status, "{phone}/{pw}");
            assert!(r.body.contains(msg), "{phone}/{pw}: expected «{msg}»");
        }
        // Missing and wrong CSRF tokens.
        let fields = [
            ("commune_code", "17071"),
            ("full_name", "Người Thử"),
            ("phone", "0987111222"),
            ("password", "Lua-nep-2025"),
        ];
        let r = c.post_raw_form("/register", &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Phiên làm việc của biểu mẫu đã hết hạn"));
        let mut wrong = fields.to_vec();
        wrong.push(("csrf", "deadbeef"));
        assert_eq!(
            c.post_raw_form("/register", &wrong).await.status,
            StatusCode::FORBIDDEN
        );
        // API: duplicate and invalid, with stable codes.
        let r = c.post_json("/api/v1/auth/register", serde_json::json!({"commune_code":"17071","full_name":"A","phone":"0912 000 011","password":"Lua-nep-2025"})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "phone_taken")
        );
        let r = c.post_json("/api/v1/auth/register", serde_json::json!({"commune_code":"17071","full_name":"A","phone":"099","password":"Lua-nep-2025"})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "phone_invalid")
        );
        assert_eq!(r.json()["error"]["field"], "phone");
        let r = c
            .post_json("/api/v1/auth/register", serde_json::json!({"phone": 5}))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "json_invalid")
        );
        assert_eq!(app.count("app_user").await, users, "nothing written");
        assert_eq!(app.count("outbox").await, outbox);
        // A valid API registration still works afterwards.
        let r = c.post_json("/api/v1/auth/register", serde_json::json!({"commune_code":"17071","full_name":"Hà Thị Bảy","phone":"+84 987 111 222","password":"Lua-nep-2025"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["phone"], "+84987111222");
    });
}

#[tokio::test]
async fn oversized_bodies_are_refused_clearly() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        let users = app.count("app_user").await;
        let big = "x".repeat(300 * 1024);
        let r = c
            .post_form(
                "/register",
                &[
                    ("commune_code", "17071"),
                    ("full_name", &big),
                    ("phone", "0987222333"),
                    ("password", "Lua-nep-2025"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.body.contains("Dữ liệu gửi lên quá lớn"));
        let r = c.post_json("/api/v1/auth/register", serde_json::json!({"commune_code":"17071","full_name":big,"phone":"0987222333","password":"Lua-nep-2025"})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        );
        assert_eq!(app.count("app_user").await, users);
    });
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        for i in 0..4 {
            let r = c
                .post_form(
                    "/login",
                    &[("phone", common::CITIZEN), ("password", "wrong-pass-1")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            assert!(r.body.contains("Số điện thoại hoặc mật khẩu không đúng"));
        }
        let r = c
            .post_form(
                "/login",
                &[("phone", common::CITIZEN), ("password", "wrong-pass-1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let right = app.passwords[common::CITIZEN].clone();
        let r = c
            .post_form(
                "/login",
                &[("phone", common::CITIZEN), ("password", &right)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "locked even with the right password"
        );
        assert!(r.body.contains("tạm khóa"));
        assert!(!c.cookies.contains_key("xaso_session"));
        // Unknown phones get the same answer as wrong passwords.
        let r = c
            .post_form(
                "/login",
                &[("phone", "0999999999"), ("password", "whatever-1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test]
async fn one_address_is_throttled() {
    on_each_backend!(
        |c: &mut kernel::config::Config| c.login_ip_limit = 3,
        async |app: &common::TestApp| {
            let mut c = app.client();
            for _ in 0..3 {
                c.post_form(
                    "/login",
                    &[("phone", "0999999999"), ("password", "whatever-1")],
                )
                .await;
            }
            let r = c
                .post_form(
                    "/login",
                    &[("phone", "0999999999"), ("password", "whatever-1")],
                )
                .await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            assert!(r.body.contains("quá nhiều lần thử"));
        }
    );
}

#[tokio::test]
async fn profile_password_and_tokens() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.login(common::CITIZEN).await;
        let r = c
            .post_form(
                "/me",
                &[
                    ("full_name", "Hoàng Văn Em (sửa)"),
                    ("email", "em@example.vn"),
                    ("locale", "vi"),
                    ("village_id", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Đã lưu thông tin"));
        let r = c
            .post_form(
                "/me",
                &[
                    ("full_name", "X"),
                    ("email", "not-an-email"),
                    ("locale", "vi"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            c.get("/api/v1/me").await.json()["email"],
            "em@example.vn",
            "bad input changed nothing"
        );

        let old = app.passwords[common::CITIZEN].clone();
        let mut elsewhere = app.login(common::CITIZEN).await;
        let r = c
            .post_form(
                "/me/password",
                &[
                    ("current_password", "nope-1234"),
                    ("new_password", "Moi-mat-khau-9"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c
            .post_form(
                "/me/password",
                &[
                    ("current_password", &old),
                    ("new_password", "Moi-mat-khau-9"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("thiết bị khác"), "{}", r.body);
        assert_eq!(
            c.get("/api/v1/me").await.status,
            StatusCode::OK,
            "[{}] this device stays signed in",
            app.backend
        );
        assert_eq!(
            elsewhere.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED,
            "[{}] the other device is signed out",
            app.backend
        );

        // Personal API token from the page, used as a bearer, then revoked.
        let r = c
            .post_form("/me/tokens", &[("name", "Phần mềm kế toán")])
            .await;
        let secret = r
            .body
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        assert!(secret.starts_with("xaso_"));
        let mut api = app.client();
        api.bearer = Some(secret.clone());
        assert_eq!(
            api.get("/api/v1/me").await.json()["full_name"],
            "Hoàng Văn Em (sửa)"
        );
        let id: i64 = r
            .body
            .split("/me/tokens/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            c.post_form(&format!("/me/tokens/{id}/revoke"), &[])
                .await
                .status,
            StatusCode::OK
        );
        let r = api.get("/api/v1/me").await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNAUTHORIZED, "token_invalid")
        );

        // Token from the API, with phone and password.
        let mut anon = app.client();
        let r = anon.post_json("/api/v1/auth/token", serde_json::json!({"phone": common::CITIZEN, "password": "Moi-mat-khau-9", "name": "cli"})).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = anon.post_json("/api/v1/auth/token", serde_json::json!({"phone": common::CITIZEN, "password": "bad-password-1", "name": "cli"})).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNAUTHORIZED, "login_failed")
        );
        // The token hash, not the token, is stored.
        assert_eq!(app.count("api_token").await, 2);
    });
}

#[tokio::test]
async fn cookie_api_writes_need_the_csrf_header() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.login(common::COMMUNE_ADMIN).await;
        let before = app.count("village").await;
        let r = c
            .post_json(
                "/api/v1/communes/17071/villages",
                serde_json::json!({"name": "Thôn Mới", "kind": "thon"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "csrf_invalid")
        );
        assert_eq!(app.count("village").await, before);
        let r = c
            .post_json_csrf(
                "/api/v1/communes/17071/villages",
                serde_json::json!({"name": "Thôn Mới", "kind": "thon"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    });
}

#[tokio::test]
async fn offline_drafts_are_keyed_by_the_persons_id_and_sign_out_can_clear_them() {
    on_each_backend!(async |app: &common::TestApp| {
        // Two people with the same name on one shared phone.
        let mut ids = Vec::new();
        for phone in ["0987654321", "0987654322"] {
            let mut c = app.client();
            let r = register(&mut c, phone, "Lua-nep-2025").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let id = c.get("/api/v1/me").await.json()["id"].as_i64().unwrap();
            let form = c.get("/c/17071/feedback/new").await;
            // The draft box keys drafts by the id, not by the name both share.
            assert!(form.body.contains(&format!("data-owner=\"u{id}\"")), "{id}");
            // The sign-out form knows whose drafts to offer to clear, with its texts.
            assert!(form.body.contains(&format!("data-signout=\"u{id}\"")));
            assert!(
                form.body
                    .contains("data-t-clear=\"Xoá bản nháp và đăng xuất\"")
            );
            ids.push(id);
        }
        assert_ne!(ids[0], ids[1]);
        // Signed out: nothing to sign out of.
        let home = app.client().get("/c/17071").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(!home.body.contains("data-signout"));
        // The script that offers it is served.
        let js = app.client().get("/static/pwa.js").await;
        assert!(js.body.contains("form[data-signout]") && js.body.contains("clearDrafts"));
    });
}
