//! People and community through HTTP: the officials directory and its entries, the community
//! digital technology team with its villages, and the forum with its text rules, escaping,
//! locks, pins, hidden posts, abuse reports and who may moderate.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, Resp, TestApp};
use serde_json::{Value, json};

mod forum;

async fn my_id(c: &mut Client) -> i64 {
    c.get("/api/v1/me").await.json()["id"].as_i64().unwrap()
}

async fn send_json_csrf(c: &mut Client, method: &str, path: &str, v: Option<Value>) -> Resp {
    let token = c.csrf().await;
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(v.map(|v| Body::from(v.to_string())).unwrap_or_default())
        .unwrap();
    c.send(req).await
}

async fn village_ids(c: &mut Client, code: &str) -> Vec<(i64, String)> {
    c.get(&format!("/api/v1/communes/{code}/villages"))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_i64().unwrap(),
                v["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Opens a topic through the form and returns its id.
async fn open_topic(c: &mut Client, title: &str, body: &str) -> i64 {
    let r = c
        .post_form("/c/17071/forum", &[("title", title), ("body", body)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("topic id in {}", r.location()))
}

async fn topic_json(c: &mut Client, id: i64) -> Value {
    let r = c
        .get(&format!("/api/v1/communes/17071/forum/topics/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// Commune 02269 with its own commune admin, signed in.
async fn other_commune_admin(app: &TestApp) -> Client {
    let mut sys = app.login(common::ADMIN).await;
    let r = sys
        .post_json_csrf("/api/v1/communes", json!({"code": "02269"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = sys.post_json_csrf("/api/v1/communes/02269/staff", json!({"full_name": "Ma Văn Tám", "phone": "0977000008", "role": "commune_admin", "password": "Thuong-Lam-88"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut other = app.client();
    let r = other
        .post_form(
            "/login",
            &[("phone", "0977000008"), ("password", "Thuong-Lam-88")],
        )
        .await;
    assert_eq!(r.location(), "/c/02269");
    other
}

#[tokio::test]
async fn the_directory_lists_officials_by_department_and_never_citizens() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let page = anon.get("/c/17071/directory").await;
        assert_eq!(page.status, StatusCode::OK);
        for official in [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Lê Văn Cường",
            "Tư pháp - Hộ tịch",
            "Văn phòng - Thống kê",
        ] {
            assert!(page.body.contains(official), "{official} listed");
        }
        for not_official in [
            "Hoàng Văn Em",
            "Vi Thị Phương",
            "Phạm Thị Dung",
            "Quản trị hệ thống",
        ] {
            assert!(
                !page.body.contains(not_official),
                "{not_official} not listed"
            );
        }
        // The leader's department comes first.
        let leader = page.body.find("Trần Thị Bình").unwrap();
        assert!(leader < page.body.find("Lê Văn Cường").unwrap());

        let d = anon.get("/api/v1/communes/17071/directory").await.json();
        let names: Vec<&str> = d["departments"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["officials"].as_array().unwrap())
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(!names.contains(&"Hoàng Văn Em"));
        assert_eq!(d["officials_total"], 3);
        // Only the demo's official (Lê Văn Cường) has published a contact so far.
        let with_contact: Vec<&str> = d["departments"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["officials"].as_array().unwrap())
            .filter(|o| !o["phone"].is_null() || !o["email"].is_null())
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(with_contact, vec!["Lê Văn Cường"]);
        assert_eq!(d["officials_with_contact"], 1);
        assert_eq!(d["departments"][0]["officials"][0]["roles"][0], "leader");
        assert_eq!(
            anon.get("/api/v1/communes/99999/directory").await.status,
            StatusCode::NOT_FOUND
        );
    });
}

#[tokio::test]
async fn officials_edit_their_own_entry_and_the_admin_edits_anyones() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let mut leader = app.login(common::LEADER).await;
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let (official_id, leader_id) = (my_id(&mut official).await, my_id(&mut leader).await);
        let directory_audit = admin
            .get("/api/v1/communes/17071/audit?action=directory")
            .await
            .json()["total"]
            .as_i64()
            .unwrap();

        let page = official.get("/c/17071/office/directory").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Lê Văn Cường") && !page.body.contains("Trần Thị Bình"));
        let audit = app.count("audit_log").await;
        let r = official
            .post_form(
                &format!("/c/17071/office/directory/{official_id}"),
                &[
                    ("title", "Công chức Tư pháp - Hộ tịch"),
                    ("public_phone", "0238 3861 234"),
                    ("public_email", "tuphap@minhhop.gov.vn"),
                    ("office_hours", "Sáng thứ Hai và thứ Năm, 7:30–11:30"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(app.count("audit_log").await, audit + 1, "audited");
        let public = app.client().get("/c/17071/directory").await;
        assert!(public.body.contains("Sáng thứ Hai và thứ Năm, 7:30–11:30"));
        assert!(public.body.contains("href=\"tel:02383861234\""));
        assert!(public.body.contains("tuphap@minhhop.gov.vn"));

        // Another official's entry is not theirs to change.
        let before = (
            app.count("official_profile").await,
            app.count("audit_log").await,
        );
        let r = official
            .post_form(
                &format!("/c/17071/office/directory/{leader_id}"),
                &[("office_hours", "Không tiếp dân")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send_json_csrf(
            &mut official,
            "PUT",
            &format!("/api/v1/communes/17071/directory/{leader_id}"),
            Some(json!({"office_hours": "Không tiếp dân"})),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        // Bad contact details are refused with nothing written.
        let r = official
            .post_form(
                &format!("/c/17071/office/directory/{official_id}"),
                &[
                    ("public_phone", "gọi 113"),
                    ("office_hours", "Chiều thứ Sáu"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Số điện thoại liên hệ không hợp lệ"));
        assert!(
            r.body.contains("Chiều thứ Sáu"),
            "what was typed is shown again"
        );
        let r = send_json_csrf(
            &mut official,
            "PUT",
            &format!("/api/v1/communes/17071/directory/{official_id}"),
            Some(json!({"public_email": "not-an-email"})),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "email_invalid")
        );
        // Citizens have no entry, and a citizen cannot open the page.
        let citizen_id = my_id(&mut citizen).await;
        let r = admin
            .post_form(
                &format!("/c/17071/office/directory/{citizen_id}"),
                &[("office_hours", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            citizen.get("/c/17071/office/directory").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            (
                app.count("official_profile").await,
                app.count("audit_log").await
            ),
            before,
            "nothing written"
        );

        // The commune admin edits the leader's entry, and hides the official.
        let r = send_json_csrf(
            &mut admin,
            "PUT",
            &format!("/api/v1/communes/17071/directory/{leader_id}"),
            Some(json!({"title": "Chủ tịch UBND xã", "office_hours": "Thứ Bảy, 8:00–11:00", "public_phone": "0912 345 678"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["office_hours"], "Thứ Bảy, 8:00–11:00");
        let page = admin.get("/c/17071/office/directory").await;
        assert!(page.body.contains("Trần Thị Bình") && page.body.contains("Lê Văn Cường"));
        let r = admin
            .post_form(
                &format!("/c/17071/office/directory/{official_id}"),
                &[("title", "Công chức Tư pháp - Hộ tịch")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let public = app.client().get("/c/17071/directory").await;
        assert!(public.body.contains("Thứ Bảy, 8:00–11:00"));
        assert!(!public.body.contains("Lê Văn Cường"), "hidden by the admin");
        // The official saving their own entry does not bring it back.
        let r = official
            .post_form(
                &format!("/c/17071/office/directory/{official_id}"),
                &[("title", "Tư pháp"), ("visible", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let d = app
            .client()
            .get("/api/v1/communes/17071/directory")
            .await
            .json();
        assert_eq!(d["officials_total"], 2);
        assert_eq!(d["officials_with_contact"], 1);
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=directory")
            .await
            .json();
        assert_eq!(audit["total"], directory_audit + 4);
    });
}

#[tokio::test]
async fn the_commune_admin_manages_the_team_and_the_villages_it_helps() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let mut official = app.login(common::OFFICIAL).await;
        let villages = village_ids(&mut admin, "17071").await;
        let (tien, thanh) = (&villages[0], &villages[1]);
        let (tien_id, thanh_id) = (tien.0.to_string(), thanh.0.to_string());
        // The demo team is already there: measure from what exists now.
        let team_audit = admin
            .get("/api/v1/communes/17071/audit?action=team")
            .await
            .json()["total"]
            .as_i64()
            .unwrap();
        let (members, links) = (
            app.count("community_member").await,
            app.count("community_member_village").await,
        );
        let by_village = |d: &Value, id: i64| -> Vec<String> {
            let mut names: Vec<String> = d["villages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["village_id"] == id)
                .unwrap()["helpers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        };
        let d0 = app
            .client()
            .get("/api/v1/communes/17071/directory")
            .await
            .json();
        let with_mai = |id: i64| -> Vec<String> {
            let mut names = by_village(&d0, id);
            assert!(!names.iter().any(|n| n == "Lò Thị Mai"));
            names.push("Lò Thị Mai".to_owned());
            names.sort();
            names
        };

        assert_eq!(
            admin.get("/c/17071/office/community-team").await.status,
            StatusCode::OK
        );
        let audit = app.count("audit_log").await;
        let r = admin
            .post_form(
                "/c/17071/office/community-team",
                &[
                    ("name", "Lò Thị Mai"),
                    ("team_role", "Tổ trưởng"),
                    ("phone", "0987 654 321"),
                    ("village_ids", &tien_id),
                    ("village_ids", &thanh_id),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(app.count("audit_log").await, audit + 1, "audited");
        assert_eq!(app.count("community_member_village").await, links + 2);

        // Bad input: unknown village, no name, a bad phone; nothing written.
        let before = (
            app.count("community_member").await,
            app.count("community_member_village").await,
            app.count("audit_log").await,
        );
        for (fields, msg) in [
            (
                vec![
                    ("name", "Hà Văn Nam"),
                    ("team_role", "Thành viên"),
                    ("village_ids", "999999"),
                ],
                "Thôn, bản không thuộc xã này",
            ),
            (
                vec![("name", " "), ("team_role", "Thành viên")],
                "Họ tên thành viên",
            ),
            (
                vec![
                    ("name", "Hà Văn Nam"),
                    ("team_role", "Thành viên"),
                    ("phone", "12"),
                ],
                "Số điện thoại liên hệ không hợp lệ",
            ),
        ] {
            let r = admin
                .post_form("/c/17071/office/community-team", &fields)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(r.body.contains(msg), "{msg}");
        }
        let r = admin
            .post_json_csrf(
                "/api/v1/communes/17071/community-team",
                json!({"name": "Hà Văn Nam", "team_role": "Thành viên", "village_ids": [999999]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "village_unknown")
        );
        // Only the commune admin manages the team.
        let r = official
            .post_form(
                "/c/17071/office/community-team",
                &[("name", "Hà Văn Nam"), ("team_role", "Thành viên")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            official.get("/c/17071/office/community-team").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            (
                app.count("community_member").await,
                app.count("community_member_village").await,
                app.count("audit_log").await
            ),
            before,
            "nothing written"
        );

        // The public sees the team and, per village, who helps it.
        let page = app.client().get("/c/17071/directory").await;
        assert!(
            page.body.contains(
                "<td data-label=\"Họ và tên\">Lò Thị Mai</td><td data-label=\"Vai trò trong tổ\">Tổ trưởng</td>"
            ),
            "her name and role"
        );
        let team = app
            .client()
            .get("/api/v1/communes/17071/community-team")
            .await
            .json();
        let team = team.as_array().unwrap();
        assert_eq!(team.len() as i64, members + 1);
        let mai = team
            .iter()
            .find(|m| m["name"] == "Lò Thị Mai")
            .expect("Lò Thị Mai in the team");
        assert_eq!(mai["team_role"], "Tổ trưởng");
        let helped: Vec<i64> = mai["villages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        assert_eq!(helped.len(), 2);
        assert!(helped.contains(&tien.0) && helped.contains(&thanh.0));
        let d = app
            .client()
            .get("/api/v1/communes/17071/directory")
            .await
            .json();
        // She joins the helpers of her two villages, and of no other.
        for (vid, name) in &villages {
            let expected = if [tien.0, thanh.0].contains(vid) {
                with_mai(*vid)
            } else {
                by_village(&d0, *vid)
            };
            assert_eq!(by_village(&d, *vid), expected, "{name}");
        }
        // A village nobody helps is listed with no helpers (the demo team covers every
        // demo village, so a new one is added for this).
        let r = admin
            .post_json_csrf(
                "/api/v1/communes/17071/villages",
                json!({"name": "Thôn Khuổi Tát", "kind": "thon"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let lonely = r.json()["id"].as_i64().unwrap();
        let d = app
            .client()
            .get("/api/v1/communes/17071/directory")
            .await
            .json();
        assert!(by_village(&d, lonely).is_empty());

        // Changed through the API to help a third village only, then removed.
        let id = mai["id"].as_i64().unwrap();
        let r = send_json_csrf(
            &mut admin,
            "PUT",
            &format!("/api/v1/communes/17071/community-team/{id}"),
            Some(json!({"name": "Lò Thị Mai", "team_role": "Tổ trưởng", "village_ids": [villages[2].0]})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["villages"][0]["name"], villages[2].1.as_str());
        let d = app
            .client()
            .get("/api/v1/communes/17071/directory")
            .await
            .json();
        for (vid, name) in &villages {
            let expected = if *vid == villages[2].0 {
                with_mai(*vid)
            } else {
                by_village(&d0, *vid)
            };
            assert_eq!(by_village(&d, *vid), expected, "{name}");
        }
        assert!(by_village(&d, lonely).is_empty());
        let r = send_json_csrf(
            &mut official,
            "DELETE",
            &format!("/api/v1/communes/17071/community-team/{id}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send_json_csrf(
            &mut admin,
            "DELETE",
            &format!("/api/v1/communes/17071/community-team/{id}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(
            (
                app.count("community_member").await,
                app.count("community_member_village").await
            ),
            (members, links)
        );
        let audit = admin
            .get("/api/v1/communes/17071/audit?action=team")
            .await
            .json();
        assert_eq!(audit["total"], team_audit + 3);
    });
}

#[tokio::test]
async fn office_links_and_openapi_cover_the_community_pages() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let office = admin.get("/c/17071/office").await;
        for link in [
            "/c/17071/office/directory",
            "/c/17071/office/community-team",
            "/c/17071/office/forum-moderation",
        ] {
            assert!(office.body.contains(link), "office links to {link}");
        }
        let mut official = app.login(common::OFFICIAL).await;
        let office = official.get("/c/17071/office").await;
        assert!(office.body.contains("/c/17071/office/forum-moderation"));
        assert!(
            !office.body.contains("/c/17071/office/community-team"),
            "the team is managed by the commune admin: no link for an official"
        );
        let spec = app.client().get("/api/openapi.json").await.json();
        for p in [
            "/api/v1/communes/{code}/directory",
            "/api/v1/communes/{code}/community-team",
            "/api/v1/communes/{code}/forum/topics",
            "/api/v1/communes/{code}/forum/reports",
        ] {
            assert!(spec["paths"].get(p).is_some(), "spec lacks {p}");
        }
        assert_eq!(
            spec["paths"]["/api/v1/communes/{code}/forum/topics"]["get"]["operationId"],
            "forum_list_topics"
        );
        let en = {
            let mut c = app.client();
            c.cookies.insert("xaso_lang".into(), "en".into());
            c.get("/c/17071/forum").await
        };
        assert!(en.body.contains("Commune forum"));
    });
}
