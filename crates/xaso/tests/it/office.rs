//! The back office: who may enter, villages, staff, audit, branding, system admin; through HTTP.

use crate::common;

use axum::http::StatusCode;

#[tokio::test]
async fn back_office_is_for_staff_of_the_commune() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut anon = app.client();
        let r = anon.get("/c/17071/office").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login?next=/c/17071/office"));

        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen.get("/c/17071/office").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("không có quyền"));
        let r = citizen.get("/api/v1/communes/17071/staff").await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );

        let mut official = app.login(common::OFFICIAL).await;
        let r = official.get("/c/17071/office").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Công chức xã") && r.body.contains("Việc hôm nay"));
        assert!(r.body.contains("Một cửa"), "the menu is grouped by task");
        // An official may look but not change the commune's setup.
        let before = app.count("village").await;
        let r = official
            .post_form(
                "/c/17071/office/villages",
                &[("name", "Thôn Trái Phép"), ("kind", "thon")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("village").await, before);
    });
}

#[tokio::test]
async fn an_official_of_one_commune_cannot_act_in_another() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut sys = app.login(common::ADMIN).await;
        let r = sys
            .post_json_csrf("/api/v1/communes", serde_json::json!({"code": "02269"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["name"], "Xã Thượng Lâm");
        let r = sys.post_json_csrf("/api/v1/communes/02269/staff", serde_json::json!({"full_name": "Ma Văn Tám", "phone": "0977000008", "role": "commune_admin", "password": "Thuong-Lam-88"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        let mut other = app.client();
        let r = other
            .post_form(
                "/login",
                &[("phone", "0977000008"), ("password", "Thuong-Lam-88")],
            )
            .await;
        assert_eq!(r.location(), "/c/02269");
        assert_eq!(other.get("/c/02269/office").await.status, StatusCode::OK);
        let r = other.get("/c/17071/office").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.body
                .contains("Bạn chỉ được thao tác trong xã nơi bạn công tác")
        );
        let villages = app.count("village").await;
        let audit = app.count("audit_log").await;
        let r = other
            .post_form(
                "/c/17071/office/villages",
                &[("name", "Thôn Lấn Sân"), ("kind", "thon")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = other
            .post_json_csrf(
                "/api/v1/communes/17071/villages",
                serde_json::json!({"name": "Thôn Lấn Sân", "kind": "thon"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "other_commune")
        );
        assert_eq!(
            (app.count("village").await, app.count("audit_log").await),
            (villages, audit),
            "nothing written"
        );
    });
}

#[tokio::test]
async fn villages_are_managed_and_audited() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let r = admin
            .post_form(
                "/c/17071/office/villages",
                &[("name", "Thôn Đồng Tâm"), ("kind", "thon")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let list = admin.get("/api/v1/communes/17071/villages").await.json();
        let id = list
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "Thôn Đồng Tâm")
            .unwrap()["id"]
            .as_i64()
            .unwrap();

        // Same name with other accents or case is the same village.
        let r = admin
            .post_form(
                "/c/17071/office/villages",
                &[("name", "thôn đồng tâm"), ("kind", "thon")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("Xã đã có thôn, bản với tên này"));
        for (name, kind, msg) in [
            ("  ", "thon", "Vui lòng nhập tên"),
            ("Thôn X", "lang", "Loại thôn, bản không hợp lệ"),
        ] {
            let r = admin
                .post_form(
                    "/c/17071/office/villages",
                    &[("name", name), ("kind", kind)],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.body.contains(msg));
        }
        // The home page's cached facts follow the change at once.
        assert!(admin.get("/c/17071").await.body.contains("Thôn Đồng Tâm"));
        let r = admin
            .post_form(
                &format!("/c/17071/office/villages/{id}"),
                &[("name", "Bản Đồng Tâm"), ("kind", "ban")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(admin.get("/c/17071").await.body.contains("Bản Đồng Tâm"));
        let r = admin
            .post_form(&format!("/c/17071/office/villages/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            admin
                .post_form(&format!("/c/17071/office/villages/{id}/delete"), &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        let page = admin.get("/c/17071/office/audit?action=village").await;
        assert!(
            page.body.contains("Tạo mới · Thôn, bản")
                && page.body.contains("Sửa · Thôn, bản")
                && page.body.contains("Xóa · Thôn, bản")
                && !page.body.contains(">village.create<"),
            "actions in words, never their codes"
        );
        assert!(page.body.contains("Thôn Đồng Tâm → Bản Đồng Tâm"));
        let api = admin
            .get("/api/v1/communes/17071/audit?action=village.update")
            .await
            .json();
        assert_eq!(api["total"], 1);
        let e = &api["entries"][0];
        assert_eq!(
            (
                e["actor_name"].as_str(),
                e["actor_role"].as_str(),
                e["unit_code"].as_str()
            ),
            (Some("Nguyễn Văn An"), Some("commune_admin"), Some("17071"))
        );
        let none = admin
            .get("/api/v1/communes/17071/audit?action=village&from=2000-01-01&to=2000-01-02")
            .await
            .json();
        assert_eq!(none["total"], 0);
        // Citizens and officials cannot read the audit log.
        let mut official = app.login(common::OFFICIAL).await;
        assert_eq!(
            official.get("/c/17071/office/audit").await.status,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn commune_admin_creates_officials() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let fields = [
            ("full_name", "Đinh Thị Chín"),
            ("phone", "0966 123 456"),
            ("email", ""),
            ("role", "official"),
            ("department", "Địa chính - Xây dựng"),
            ("password", "Dia-chinh-2025"),
        ];
        // The public directory is served from memory: read it first, so the cache is warm.
        let mut public = app.client();
        assert!(
            !public
                .get("/c/17071/directory")
                .await
                .body
                .contains("Đinh Thị Chín")
        );
        let r = admin.post_form("/c/17071/office/staff", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            public
                .get("/c/17071/directory")
                .await
                .body
                .contains("Đinh Thị Chín"),
            "a new official is in the directory at once"
        );
        let page = admin.get("/c/17071/office/staff").await;
        assert!(page.body.contains("Đinh Thị Chín") && page.body.contains("Địa chính - Xây dựng"));
        let r = admin.post_form("/c/17071/office/staff", &fields).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "same role twice");
        let mut bad = fields;
        bad[3] = ("role", "system_admin");
        bad[1] = ("phone", "0966 123 457");
        let r = admin.post_form("/c/17071/office/staff", &bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a commune admin cannot make system admins"
        );

        let mut new = app.client();
        let r = new
            .post_form(
                "/login",
                &[("phone", "0966123456"), ("password", "Dia-chinh-2025")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(new.get("/c/17071/office").await.status, StatusCode::OK);
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=staff")
            .await
            .json();
        assert_eq!(audit["total"], 1);
        assert_eq!(audit["entries"][0]["action"], "staff.create");

        // Revoking the role closes the back office to them.
        let staff = admin.get("/api/v1/communes/17071/staff").await.json();
        let grant = staff
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["full_name"] == "Đinh Thị Chín")
            .unwrap()["grant_id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            admin
                .post_form(&format!("/c/17071/office/staff/{grant}/revoke"), &[])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert!(
            !public
                .get("/c/17071/directory")
                .await
                .body
                .contains("Đinh Thị Chín"),
            "and out of it at once when the role is taken back"
        );
        assert_eq!(
            new.get("/c/17071/office").await.status,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn branding_shows_on_every_page() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let token = admin.csrf().await;
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "logo.png",
                "image/png",
                &common::png(64, 64),
                &[("brand_color", "#AA3300"), ("tagline", "Minh Hợp đổi mới")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut anon = app.client();
        let home = anon.get("/c/17071").await;
        assert!(
            home.body.contains("/static/brand/aa3300.css")
                && home.body.contains("Minh Hợp đổi mới")
                && home.body.contains("/c/17071/logo")
        );
        // The colour comes as a stylesheet (the CSP refuses inline <style>).
        let brand = anon.get("/static/brand/aa3300.css").await;
        assert_eq!(
            brand.body,
            ":root{--brand:#aa3300;--on-brand:#ffffff;--brand-ink:#aa3300}"
        );
        assert_eq!(
            anon.get("/static/brand/aa3300;x.css").await.status,
            StatusCode::NOT_FOUND
        );
        let logo = anon.get("/c/17071/logo").await;
        assert_eq!(logo.headers["content-type"], "image/png");
        assert!(
            anon.get("/login")
                .await
                .body
                .contains("/static/brand/aa3300.css"),
            "branding on other pages"
        );

        // A bad colour or a non-image logo changes nothing; a missing token is refused.
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "",
                "application/octet-stream",
                b"",
                &[("brand_color", "red")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "logo.png",
                "image/png",
                b"<svg onload=alert(1)>",
                &[("brand_color", "#000000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Loại tệp không được chấp nhận"));
        let r = admin
            .post_multipart(
                "/c/17071/office/branding",
                "logo",
                "",
                "application/octet-stream",
                b"",
                &[("brand_color", "#000000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            anon.get("/c/17071")
                .await
                .body
                .contains("/static/brand/aa3300.css")
        );
    });
}

#[tokio::test]
async fn system_admin_activates_communes() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut sys = app.login(common::ADMIN).await;
        assert_eq!(sys.get("/admin").await.status, StatusCode::OK);
        let r = sys
            .post_json_csrf("/api/v1/communes", serde_json::json!({"code": "17071"}))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "commune_active")
        );
        let r = sys
            .post_json_csrf("/api/v1/communes", serde_json::json!({"code": "99999"}))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "commune_unknown")
        );
        let r = sys.post_form("/admin/communes", &[("code", "abc")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Không có xã, phường với mã này"));
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let r = admin
            .post_json_csrf("/api/v1/communes", serde_json::json!({"code": "02269"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(admin.get("/admin").await.status, StatusCode::FORBIDDEN);
        let communes = app.client().get("/api/v1/communes").await.json();
        assert_eq!(communes.as_array().unwrap().len(), 1);
        let audit = sys.get("/api/v1/communes/17071/audit").await.json();
        assert!(
            audit["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["action"] != "commune.activate"),
            "failed attempts not audited"
        );
    });
}

#[tokio::test]
async fn three_level_hierarchy_places_communes_under_districts() {
    on_each_backend!(
        |c: &mut kernel::config::Config| c.hierarchy =
            kernel::config::Hierarchy::ProvinceDistrictCommune,
        async |app: &common::TestApp| {
            let mut sys = app.login(common::ADMIN).await;
            let r = sys
                .post_form(
                    "/admin/districts",
                    &[
                        ("code", "412"),
                        ("province_code", "40"),
                        ("name", "Huyện Quỳ Hợp"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let r = sys
                .post_form(
                    "/admin/districts",
                    &[
                        ("code", "413"),
                        ("province_code", "08"),
                        ("name", "Huyện Khác Tỉnh"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            let r = sys
                .post_form(
                    "/admin/communes/17071/district",
                    &[("district_code", "413")],
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "district in another province"
            );
            let r = sys
                .post_form(
                    "/admin/communes/17071/district",
                    &[("district_code", "412")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert!(sys.get("/admin").await.body.contains("Huyện Quỳ Hợp"));
            // A district reviewer sees the commune's back office; one of another district does not.
            let db = &app.platform.state.db;
            for (phone, unit) in [("0955000001", "412"), ("0955000002", "413")] {
                let g = kernel::accounts::Grant {
                    role: kernel::accounts::Role::Reviewer,
                    unit_code: unit.into(),
                    village_id: None,
                    department: None,
                };
                let new = kernel::accounts::NewUser {
                    phone,
                    password: "Huyen-Quy-Hop-1",
                    full_name: "Cán bộ huyện",
                    email: None,
                    commune_code: "17071",
                    village_id: None,
                };
                kernel::accounts::create_user(db, new, &[g], None)
                    .await
                    .unwrap();
            }
            app.platform.state.communes.reload(db).await.unwrap();
            let mut reviewer = app.client();
            reviewer
                .post_form(
                    "/login",
                    &[("phone", "0955000001"), ("password", "Huyen-Quy-Hop-1")],
                )
                .await;
            assert_eq!(reviewer.get("/c/17071/office").await.status, StatusCode::OK);
            let mut outsider = app.client();
            outsider
                .post_form(
                    "/login",
                    &[("phone", "0955000002"), ("password", "Huyen-Quy-Hop-1")],
                )
                .await;
            assert_eq!(
                outsider.get("/c/17071/office").await.status,
                StatusCode::FORBIDDEN
            );
        }
    );
}

/// Every back-office link a person is shown opens for them: the menu is built from the rooms'
/// links and the roles each page checks, so nobody is offered a page that answers 403.
#[tokio::test]
async fn each_role_sees_only_the_office_links_it_may_open() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut counts = vec![];
        for phone in [
            common::COMMUNE_ADMIN,
            common::LEADER,
            common::OFFICIAL,
            common::VILLAGE_HEAD,
        ] {
            let mut c = app.login(phone).await;
            let office = c.get("/c/17071/office").await;
            assert_eq!(office.status, StatusCode::OK, "{phone}");
            let links = common::office_links(&office.body, "17071");
            assert!(!links.is_empty(), "{phone} sees the office");
            for link in &links {
                let r = c.get(link).await;
                assert_eq!(r.status, StatusCode::OK, "{phone} is offered {link}");
            }
            counts.push((phone, links.len()));
        }
        // Fewer pages the less a role manages: an admin sees more than a village head.
        assert!(counts[0].1 > counts[3].1, "{counts:?}");
        assert!(counts[2].1 > counts[3].1, "{counts:?}");
    });
}

#[tokio::test]
async fn audit_filter_answers_htmx_with_the_table_alone() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let r = admin
            .post_form(
                "/c/17071/office/villages",
                &[("name", "Thôn Hạ Lũng"), ("kind", "thon")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let path = "/c/17071/office/audit?action=village.create";
        let get = |hx: &[(&'static str, &'static str)]| {
            let mut req = axum::http::Request::get(path);
            for (k, v) in hx {
                req = req.header(*k, *v);
            }
            req.body(axum::body::Body::empty()).unwrap()
        };

        // Without JavaScript: the whole page, with its frame and the filter form.
        let full = admin.send(get(&[])).await;
        assert_eq!(full.status, StatusCode::OK);
        assert!(full.body.contains("<html") && full.body.contains("hx-get=\"audit\""));
        assert!(full.body.contains("id=\"audit-table\"") && full.body.contains("Thôn Hạ Lũng"));
        assert!(
            full.headers
                .get_all("vary")
                .iter()
                .any(|v| v == "HX-Request")
        );

        // htmx: the table alone, filtered the same way.
        let part = admin.send(get(&[("HX-Request", "true")])).await;
        assert_eq!(part.status, StatusCode::OK);
        assert!(
            part.body
                .trim_start()
                .starts_with("<div id=\"audit-table\"")
        );
        assert!(part.body.contains("Thôn Hạ Lũng") && part.body.contains("Tạo mới · Thôn, bản"));
        assert!(!part.body.contains("<html") && !part.body.contains("<form"));
        assert!(
            part.headers
                .get_all("vary")
                .iter()
                .any(|v| v == "HX-Request")
        );

        // A history restore after htmx's cache missed needs the whole page again.
        let restore = admin
            .send(get(&[
                ("HX-Request", "true"),
                ("HX-History-Restore-Request", "true"),
            ]))
            .await;
        assert!(restore.body.contains("<html"));
        // So does a boosted link to the page (every page has hx-boost): htmx swaps the body.
        let boosted = admin
            .send(get(&[("HX-Request", "true"), ("HX-Boosted", "true")]))
            .await;
        assert!(boosted.body.contains("<html") && boosted.body.contains("<form"));

        // The fragment is no way around the rule: officials still get 403.
        let mut official = app.login(common::OFFICIAL).await;
        let r = official.send(get(&[("HX-Request", "true")])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
