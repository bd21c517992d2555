//! The province-wide forum through HTTP: where a deployment enables it, a topic shared by one
//! commune is listed, searchable and open to replies in every commune of the same province
//! (never another province's), while its own commune's officials alone moderate it; where it
//! is not enabled, sharing is refused and nothing is written.

use crate::common;

use axum::http::StatusCode;
use common::{Client, TestApp};
use serde_json::{Value, json};

/// Activates `code` with a commune admin and a registered citizen; returns both signed in.
async fn commune_with_people(app: &TestApp, code: &str, n: u8) -> (Client, Client) {
    let mut sys = app.login(common::ADMIN).await;
    let r = sys
        .post_json_csrf("/api/v1/communes", json!({ "code": code }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let admin_phone = format!("09770000{n}1");
    let r = sys
        .post_json_csrf(
            &format!("/api/v1/communes/{code}/staff"),
            json!({"full_name": "Ma Văn Tám", "phone": admin_phone, "role": "commune_admin", "password": "Thuong-Lam-88"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut admin = app.client();
    let r = admin
        .post_form(
            "/login",
            &[("phone", &admin_phone), ("password", "Thuong-Lam-88")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let citizen_phone = format!("09770000{n}2");
    let mut citizen = app.client();
    let r = citizen
        .post_form(
            "/register",
            &[
                ("commune_code", code),
                ("full_name", "Lương Thị Chín"),
                ("phone", &citizen_phone),
                ("password", "Lua-nep-2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = citizen
        .post_form(
            "/login",
            &[("phone", &citizen_phone), ("password", "Lua-nep-2025")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (admin, citizen)
}

async fn topics(c: &mut Client, code: &str, query: &str) -> Vec<Value> {
    let r = c
        .get(&format!("/api/v1/communes/{code}/forum/topics?{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

fn titles(items: &[Value]) -> Vec<&str> {
    items.iter().map(|t| t["title"].as_str().unwrap()).collect()
}

async fn open(c: &mut Client, code: &str, title: &str, share: bool) -> i64 {
    let mut fields = vec![("title", title), ("body", "Bà con cho ý kiến với ạ.")];
    if share {
        fields.push(("province_wide", "1"));
    }
    let r = c.post_form(&format!("/c/{code}/forum"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().rsplit('/').next().unwrap().parse().unwrap()
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("forum_topic").await,
        app.count("forum_post").await,
        app.count("audit_log").await,
    )
}

#[tokio::test]
async fn a_shared_topic_reaches_every_commune_of_the_province_and_no_other() {
    on_each_backend!(
        |c: &mut kernel::config::Config| c.forum_province_wide = true,
        async |app: &TestApp| {
            // 16681 is in Nghệ An with Minh Hợp (17071); 02269 is in another province.
            let (mut vinh_admin, mut vinh_citizen) = commune_with_people(app, "16681", 1).await;
            let (_, mut far_citizen) = commune_with_people(app, "02269", 2).await;
            let mut citizen = app.login(common::CITIZEN).await;
            let mut official = app.login(common::OFFICIAL).await;

            // The form offers sharing, naming the province.
            let page = citizen.get("/c/17071/forum").await;
            assert!(page.body.contains("name=\"province_wide\""));
            assert!(page.body.contains("Chia sẻ với mọi xã trong tỉnh Nghệ An"));

            let shared = open(&mut citizen, "17071", "Kinh nghiệm trồng cam Vinh", true).await;
            let own = open(&mut citizen, "17071", "Họp thôn Minh Hòa tuần này", false).await;

            // Minh Hợp lists both (and the demo's thread); the shared one is marked.
            let here = topics(&mut citizen, "17071", "").await;
            assert_eq!(here.len(), 3);
            let s = here.iter().find(|t| t["id"] == shared).unwrap();
            assert_eq!(s["province_wide"], true);
            assert_eq!(s["commune_code"], "17071");
            assert_eq!(
                topics(&mut citizen, "17071", "scope=province").await.len(),
                1
            );

            // Thành Vinh lists the shared topic only, linked to Minh Hợp and labelled with it.
            let there = topics(&mut vinh_citizen, "16681", "").await;
            assert_eq!(titles(&there), ["Kinh nghiệm trồng cam Vinh"]);
            assert!(
                topics(&mut vinh_citizen, "16681", "scope=commune")
                    .await
                    .is_empty()
            );
            let page = vinh_citizen.get("/c/16681/forum").await;
            assert!(page.body.contains(&format!("/c/17071/forum/{shared}")));
            assert!(page.body.contains("Xã Minh Hợp"));
            assert!(page.body.contains("Toàn tỉnh"));
            assert!(!page.body.contains("Họp thôn Minh Hòa"));
            // Search works across the province, whatever the accents.
            let found = topics(&mut vinh_citizen, "16681", "q=trong%20cam").await;
            assert_eq!(titles(&found), ["Kinh nghiệm trồng cam Vinh"]);
            // Another province sees neither.
            assert!(topics(&mut far_citizen, "02269", "").await.is_empty());

            // A resident of Thành Vinh replies to the shared topic, through the form and the API.
            let r = vinh_citizen
                .post_form(
                    &format!("/c/17071/forum/{shared}/reply"),
                    &[("body", "Bên Thành Vinh bón phân hữu cơ từ tháng 2.")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let r = vinh_admin
                .post_json_csrf(
                    &format!("/api/v1/communes/17071/forum/topics/{shared}/posts"),
                    json!({"body": "Phường sẵn sàng chia sẻ giống cam."}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            let page = vinh_citizen.get(&format!("/c/17071/forum/{shared}")).await;
            assert!(page.body.contains("Bên Thành Vinh bón phân hữu cơ"));
            assert!(page.body.contains("name=\"body\""), "reply form shown");

            // ... but not to Minh Hợp's own topic; nor may another province's resident.
            let before = counts(app).await;
            let r = vinh_citizen
                .post_json_csrf(
                    &format!("/api/v1/communes/17071/forum/topics/{own}/posts"),
                    json!({"body": "Cho em hỏi với."}),
                )
                .await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::FORBIDDEN, "forum_not_member")
            );
            let r = far_citizen
                .post_form(
                    &format!("/c/17071/forum/{shared}/reply"),
                    &[("body", "Cho em hỏi với.")],
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            // Nor may anyone outside Minh Hợp open a topic in its forum.
            let r = vinh_citizen
                .post_json_csrf(
                    "/api/v1/communes/17071/forum/topics",
                    json!({"title": "Chủ đề lạc chỗ", "body": "Nội dung", "province_wide": true}),
                )
                .await;
            assert_eq!(r.error_code(), "forum_not_member");
            // Thành Vinh's admin does not moderate Minh Hợp's topic.
            let r = vinh_admin
                .post_json_csrf(
                    &format!("/api/v1/communes/17071/forum/topics/{shared}/moderation"),
                    json!({"action": "lock"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            assert_eq!(counts(app).await, before, "nothing written");

            // Minh Hợp's official does, audited; the lock holds for the whole province.
            let r = official
                .post_json_csrf(
                    &format!("/api/v1/communes/17071/forum/topics/{shared}/moderation"),
                    json!({"action": "lock"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(counts(app).await.2, before.2 + 1);
            let r = vinh_citizen
                .post_form(
                    &format!("/c/17071/forum/{shared}/reply"),
                    &[("body", "Còn một câu nữa.")],
                )
                .await;
            assert!(r.body.contains("Chủ đề đã bị khóa"), "{}", r.body);
            assert_eq!(counts(app).await.1, before.1);

            // A topic shared through the API from Thành Vinh reaches Minh Hợp.
            let r = vinh_citizen
                .post_json_csrf(
                    "/api/v1/communes/16681/forum/topics",
                    json!({"title": "Chợ phiên nông sản cuối tuần", "body": "Mời các xã mang hàng về.", "province_wide": true}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.json()["commune_code"], "16681");
            let here = topics(&mut citizen, "17071", "scope=province").await;
            assert_eq!(here.len(), 2);
        }
    );
}

#[tokio::test]
async fn without_the_setting_topics_stay_in_their_commune() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let page = citizen.get("/c/17071/forum").await;
        assert!(!page.body.contains("name=\"province_wide\""));
        let before = counts(app).await;
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "Kinh nghiệm trồng cam", "body": "Nội dung", "province_wide": true}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "forum_province_disabled")
        );
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("toàn tỉnh")
        );
        let r = citizen
            .post_form(
                "/c/17071/forum",
                &[
                    ("title", "Kinh nghiệm trồng cam"),
                    ("body", "Nội dung"),
                    ("province_wide", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Diễn đàn chung toàn tỉnh chưa được bật"));
        assert_eq!(counts(app).await, before, "nothing written");

        // The commune's own topics are listed as before; none is shared.
        open(&mut citizen, "17071", "Họp thôn Minh Hòa tuần này", false).await;
        assert_eq!(
            topics(&mut citizen, "17071", "").await.len(),
            2,
            "with the demo's"
        );
        assert!(
            topics(&mut citizen, "17071", "scope=province")
                .await
                .is_empty()
        );
    });
}
