//! The commune's front door and the back office's first page through HTTP: the home page (quick
//! actions, every public room, the latest notices, contacts), the emergency banner on every page
//! of the commune, sign-up that stays in its commune, the "today" board and setup checklist by
//! role, the branding and contacts form, files that download from boosted links, the style guide.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn the_home_page_is_a_front_door_without_coming_soon_tiles() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let home = anon.get("/c/17071").await;
        assert_eq!(home.status, StatusCode::OK);
        for (what, needle) in [
            ("quick: submit", "href=\"/c/17071/services\""),
            ("quick: track", "href=\"/c/17071/track\""),
            ("quick: report", "href=\"/c/17071/feedback/new\""),
            ("polls tile", "href=\"/c/17071/polls\""),
            ("forum tile", "href=\"/c/17071/forum\""),
            ("directory tile", "href=\"/c/17071/directory\""),
            ("notices", "href=\"/c/17071/notices\""),
            ("contacts", "0238 3 868 686"),
            ("office hours", "Thứ Hai – Thứ Sáu"),
            ("tel link", "href=\"tel:02383868686\""),
            ("sign-up stays here", "href=\"/register?commune=17071\""),
            ("icons", "/static/icons.svg#"),
        ] {
            assert!(home.body.contains(needle), "{what}: {needle}");
        }
        for gone in ["Sắp ra mắt", "Mã đơn vị"] {
            assert!(
                !home.body.contains(gone),
                "{gone} is still on the home page"
            );
        }
        // The demo's notices: the latest are listed, each linking to its page.
        assert!(home.body.contains("class=\"feed\""));
        assert!(home.body.contains("href=\"/c/17071/notices/"));
    });
}

#[tokio::test]
async fn an_emergency_in_force_is_first_on_every_page_of_the_commune() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        assert!(!anon.get("/c/17071").await.body.contains("alert-banner"));
        let mut leader = app.login(common::LEADER).await;
        let r = leader
            .post_json_csrf(
                "/api/v1/communes/17071/notices",
                json!({"category": "emergency", "title": "Cảnh báo lũ quét đêm nay", "body": "Bà con ven suối di chuyển lên nơi cao.", "audience": {"whole_commune": true}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let href = format!("href=\"/c/17071/notices/{id}\"");
        for path in [
            "/c/17071",
            "/c/17071/services",
            "/c/17071/feedback",
            "/c/17071/polls",
            "/c/17071/notices",
            "/login",
        ] {
            let page = anon.get(path).await;
            let banner = page.body.find("class=\"alert-banner\"");
            let main = page.body.find("id=\"main\"");
            assert!(
                banner.is_some() && banner < main,
                "{path}: the banner comes before the page"
            );
            if path != "/login" {
                assert!(page.body.contains(&href), "{path} links the alert");
            }
        }
        // On the home page the emergency heads the latest notices, above pinned ones.
        let home = anon.get("/c/17071").await.body;
        let feed = &home[home.find("class=\"feed\"").unwrap()..];
        let first = feed.find("<li").unwrap();
        assert!(feed[first..].starts_with("<li class=\"urgent\""), "{feed}");

        // Withdrawn: the banner goes at once.
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/notices/{id}/action"),
                json!({"action": "withdraw"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(!anon.get("/c/17071").await.body.contains("alert-banner"));
    });
}

#[tokio::test]
async fn sign_up_from_a_commune_stays_in_that_commune() {
    on_each_backend!(async |app: &TestApp| {
        let mut sys = app.login(common::ADMIN).await;
        let r = sys
            .post_json_csrf("/api/v1/communes", json!({"code": "02269"}))
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let mut anon = app.client();
        for code in ["17071", "02269"] {
            let home = anon.get(&format!("/c/{code}")).await.body;
            assert!(home.contains(&format!("href=\"/register?commune={code}\"")));
            let form = anon.get(&format!("/register?commune={code}")).await.body;
            assert!(
                form.contains(&format!("<option value=\"{code}\" selected>")),
                "{code}: {form}"
            );
        }
        // An unknown or inactive commune falls back to a served one.
        let form = anon.get("/register?commune=99999").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(" selected>"));
    });
}

#[tokio::test]
async fn the_today_board_shows_each_role_its_work_and_admins_the_setup_checklist() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let today = official.get("/c/17071/office").await;
        assert_eq!(today.status, StatusCode::OK);
        for needle in [
            "hồ sơ mới chờ tiếp nhận",
            "phản ánh mới chờ phân loại",
            "href=\"/c/17071/office/dossiers?status=received\"",
            "class=\"office-side\"",
            "Một cửa",
        ] {
            assert!(today.body.contains(needle), "official: {needle}");
        }
        assert!(
            !today.body.contains("Thiết lập xã"),
            "only admins see setup"
        );

        let mut head = app.login(common::VILLAGE_HEAD).await;
        let today = head.get("/c/17071/office").await;
        assert_eq!(today.status, StatusCode::OK);
        assert!(!today.body.contains("hồ sơ mới chờ tiếp nhận"));

        // The demo commune is set up but for its emblem and an SMS gateway: the others ticked.
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let today = admin.get("/c/17071/office").await.body;
        assert!(today.contains("Thiết lập xã"), "{today}");
        assert!(today.contains("<a href=\"/c/17071/office/branding\">"));
        assert!(
            !today.contains("<a href=\"/c/17071/office/payment-account\">"),
            "done"
        );
        assert!(today.contains("Nhập các thôn, bản, tổ dân phố"));
        assert!(
            today.contains("<a href=\"/c/17071/office/delivery\">"),
            "no SMS gateway here"
        );
        assert!(today.contains("5/7"), "{today}");
    });
}

#[tokio::test]
async fn contacts_are_checked_saved_audited_and_shown_on_the_home_page() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let token = admin.csrf().await;
        let url = format!("/c/17071/office/branding?csrf={token}");
        let before = app.count("audit_log").await;
        for (field, value, code_text) in [
            ("contact_phone", "12", "cần từ 8 đến 15 chữ số"),
            ("contact_phone", "0238 abc 686", "cần từ 8 đến 15 chữ số"),
            ("contact_email", "ubnd@xa", "thư điện tử không hợp lệ"),
        ] {
            let r = admin
                .post_multipart(
                    &url,
                    "logo",
                    "",
                    "application/octet-stream",
                    b"",
                    &[("brand_color", "#0b6e4f"), (field, value)],
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}={value}"
            );
            assert!(r.body.contains(code_text), "{field}: {}", r.body);
            // The form comes back as typed, the field marked.
            assert!(r.body.contains(value) && r.body.contains("aria-invalid=\"true\""));
        }
        assert_eq!(
            app.count("audit_log").await,
            before,
            "refusals change nothing"
        );
        let r = admin
            .post_multipart(
                &url,
                "logo",
                "",
                "application/octet-stream",
                b"",
                &[
                    ("brand_color", "#0b6e4f"),
                    ("contact_address", "  Xóm Bắc, xã Minh Hợp "),
                    ("contact_phone", "+84 238 3 999 111"),
                    ("contact_email", "vanphong@minhhop.vn"),
                    ("office_hours", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/c/17071/office/branding?saved=true");
        assert_eq!(app.count("audit_log").await, before + 1);
        let saved = admin.get(r.location()).await.body;
        assert!(saved.contains("class=\"flash\""));
        let home = app.client().get("/c/17071").await.body;
        assert!(
            home.contains("Xóm Bắc, xã Minh Hợp") && home.contains("href=\"tel:+842383999111\"")
        );
        assert!(home.contains("mailto:vanphong@minhhop.vn"));
        assert!(
            !home.contains("Giờ làm việc"),
            "an empty field is not shown"
        );

        // Citizens may not.
        let mut citizen = app.login(common::CITIZEN).await;
        let token = citizen.csrf().await;
        let r = citizen
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "",
                "application/octet-stream",
                b"",
                &[
                    ("brand_color", "#000000"),
                    ("contact_phone", "0238 3 000 000"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn a_boosted_link_to_a_file_becomes_a_real_navigation() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let feed = "/c/17071/events.ics";
        let plain = anon.get(feed).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert!(plain.body.starts_with("BEGIN:VCALENDAR"));
        let boosted = anon
            .send(
                axum::http::Request::get(feed)
                    .header("HX-Request", "true")
                    .header("HX-Boosted", "true")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(boosted.status, StatusCode::OK);
        assert_eq!(boosted.headers["hx-redirect"], feed);
        assert!(boosted.body.is_empty(), "no bytes swapped into the page");
        // Pages are still swapped by htmx.
        let page = anon
            .send(
                axum::http::Request::get("/c/17071/notices")
                    .header("HX-Request", "true")
                    .header("HX-Boosted", "true")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(page.headers.get("hx-redirect").is_none());
        assert!(page.body.contains("<main"));
    });
}

#[tokio::test]
async fn the_style_guide_shows_every_component_and_brand_colours_stay_readable() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let sg = anon.get("/styleguide").await;
        assert_eq!(sg.status, StatusCode::OK);
        for class in [
            "class=\"chip ok\"",
            "class=\"flash warn\"",
            "class=\"empty\"",
            "class=\"card thanks\"",
            "class=\"table stack\"",
            "class=\"timeline\"",
            "class=\"quick\"",
            "class=\"today\"",
            "aria-invalid=\"true\"",
            "icons.svg#siren",
        ] {
            assert!(sg.body.contains(class), "{class}");
        }
        let icons = anon.get("/static/icons.svg").await;
        assert_eq!(icons.headers["content-type"], "image/svg+xml");
        // A pale brand colour gets dark text on it and a darker shade for links.
        let css = anon.get("/static/brand/ffd60a.css").await.body;
        assert_eq!(
            css,
            ":root{--brand:#ffd60a;--on-brand:#1c2430;--brand-ink:#8b7303}"
        );
    });
}

#[tokio::test]
async fn a_new_commune_is_led_to_its_first_admin_and_taken_offline_only_when_confirmed() {
    on_each_backend!(async |app: &TestApp| {
        // The system admin's pages wear the platform's colours, not a commune's.
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let token = admin.csrf().await;
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "",
                "application/octet-stream",
                b"",
                &[("brand_color", "#aa3300")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mut sys = app.login(common::ADMIN).await;
        let page = sys.get("/admin").await.body;
        assert!(page.contains("/static/brand/0b6e4f.css"), "{page}");
        assert!(!page.contains("/static/brand/aa3300.css"));

        // Activating leads on to the commune's first admin.
        let r = sys.post_form("/admin/communes", &[("code", "02269")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/admin?activated=02269");
        let next = sys.get(r.location()).await.body;
        assert!(next.contains("action=\"/admin/communes/02269/admin\""));
        let users = app.count("app_user").await;
        let r = sys
            .post_form(
                "/admin/communes/02269/admin",
                &[
                    ("full_name", "Lò Văn Quản"),
                    ("phone", "0912 777 001"),
                    ("password", "ngắn"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.count("app_user").await,
            users,
            "a refusal creates nobody"
        );
        let r = sys
            .post_form(
                "/admin/communes/02269/admin",
                &[
                    ("full_name", "Lò Văn Quản"),
                    ("phone", "0912 777 001"),
                    ("password", "tamthoi-2026"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/admin?admin_made=02269");
        assert!(sys.get(r.location()).await.body.contains("class=\"flash\""));
        let mut first = app.client();
        let r = first
            .post_form(
                "/login",
                &[("phone", "0912777001"), ("password", "tamthoi-2026")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the new admin signs in");
        let office = first.get("/c/02269/office").await;
        assert_eq!(office.status, StatusCode::OK);
        assert!(
            office.body.contains("Thiết lập xã"),
            "the new admin gets the checklist"
        );
        assert!(
            office.body.contains("0/"),
            "nothing done yet: {}",
            office.body
        );

        // Taking a commune offline asks first; without the confirmation nothing changes.
        let r = sys.post_form("/admin/communes/02269/deactivate", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/admin/communes/02269/deactivate");
        assert_eq!(app.client().get("/c/02269").await.status, StatusCode::OK);
        let ask = sys.get(r.location()).await;
        assert_eq!(ask.status, StatusCode::OK);
        assert!(ask.body.contains("name=\"confirm\" value=\"yes\""));
        let r = sys
            .post_form("/admin/communes/02269/deactivate", &[("confirm", "yes")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.client().get("/c/02269").await.status,
            StatusCode::NOT_FOUND
        );
        // Officials of a commune may not.
        assert_eq!(
            admin.get("/admin/communes/17071/deactivate").await.status,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn contacts_through_the_api_are_checked_and_audited() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let before = app.count("audit_log").await;
        let r = admin
            .send_json_csrf(
                "PUT",
                "/api/v1/communes/17071/contacts",
                json!({"phone": "12", "email": null, "address": null, "hours": null}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_code(), "office_phone_invalid");
        assert_eq!(app.count("audit_log").await, before);
        let r = admin
            .send_json_csrf(
                "PUT",
                "/api/v1/communes/17071/contacts",
                json!({"phone": " 0238 3 111 222 ", "email": "", "address": "Trụ sở mới", "hours": null}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.json(),
            json!({"phone": "0238 3 111 222", "email": null, "address": "Trụ sở mới", "hours": null})
        );
        assert_eq!(app.count("audit_log").await, before + 1);
        let listed = app.client().get("/api/v1/communes").await.json();
        let c = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "17071")
            .unwrap()
            .clone();
        assert_eq!(c["contacts"]["phone"], "0238 3 111 222");
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .send_json_csrf("PUT", "/api/v1/communes/17071/contacts", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
