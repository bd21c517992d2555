//! Pages people trust (issue 11) in the voice room: thank-you pages after sending feedback
//! and answering a poll, the commune's map area (boundary and village shapes) with a form that
//! asks no citizen for coordinates, and system messages in the reader's language.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn after_sending_feedback_the_reporter_gets_a_receipt_and_the_answer_deadline() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let token = citizen.csrf().await;
        let r = citizen
            .post_multipart_files(
                &format!("/c/17071/feedback/new?csrf={token}"),
                &[],
                &[
                    ("category", "environment"),
                    ("text", "Rác đổ bừa bãi ở bờ suối đầu thôn"),
                    ("address", "Bờ suối đầu thôn"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let loc = r.location().to_owned();
        assert!(loc.ends_with("?sent=1"), "{loc}");
        let receipt = loc
            .trim_end_matches("?sent=1")
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let due: chrono::DateTime<chrono::Utc> = {
            use sea_orm::{ConnectionTrait, Statement};
            let db = &app.platform.state.db;
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT due_at FROM feedback WHERE receipt_code = '{receipt}'"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "due_at")
            .unwrap()
        };
        let due = kernel::time::vn_date(due).format("%d/%m/%Y").to_string();
        let page = citizen.get(&loc).await.body;
        assert!(page.contains("class=\"card thanks\""), "{page}");
        assert!(page.contains(&receipt) && page.contains("Đã gửi phản ánh"));
        assert!(
            page.contains("chậm nhất ngày") && page.contains(&due),
            "the deadline {due}"
        );
        assert!(page.contains("class=\"next\""));
        assert!(page.contains("href=\"/c/17071/feedback/mine\""));
        // Nobody else gets the card, with or without the flag.
        let other = app.client().get(&loc).await.body;
        assert!(!other.contains("card thanks"));
        assert!(
            !citizen
                .get(&loc.replace("?sent=1", ""))
                .await
                .body
                .contains("card thanks")
        );
    });
}

#[tokio::test]
async fn after_answering_a_poll_the_respondent_is_thanked_and_told_when_it_closes() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let now = chrono::Utc::now();
        let closes = now + chrono::Duration::days(5);
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/polls",
                json!({"title": "Ngày hội đại đoàn kết", "opens_at": now - chrono::Duration::hours(1), "closes_at": closes,
                       "questions": [{"kind": "single", "text": "Tổ chức ở đâu?", "options": ["Nhà văn hoá", "Sân trường"], "required": true}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_form(&format!("/c/17071/polls/{id}"), &[("q0", "1")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let loc = r.location().to_owned();
        assert_eq!(loc, format!("/c/17071/polls/{id}/results?answered=1"));
        let page = citizen.get(&loc).await.body;
        assert!(page.contains("class=\"card thanks\"") && page.contains("Đã gửi câu trả lời"));
        assert!(
            page.contains(&kernel::web::pages::vn_time(closes)),
            "closing time"
        );
        assert!(page.contains("href=\"/c/17071/polls\""));
        // Someone who did not answer sees the results only.
        let other = app.client().get(&loc).await.body;
        assert!(!other.contains("card thanks") && other.contains("Tổ chức ở đâu?"));
    });
}

#[tokio::test]
async fn an_english_reader_gets_the_systems_inbox_messages_in_english() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = app.login(common::LEADER).await;
        let r = leader
            .post_json_csrf(
                "/api/v1/communes/17071/notices",
                json!({"category": "emergency", "title": "Cảnh báo rét đậm", "body": "Giữ ấm cho trẻ nhỏ và người già.", "audience": {"whole_commune": true}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let alert = r.json()["id"].as_i64().unwrap();
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/feedback",
                json!({"category": "environment", "text": "Cống thoát nước bị tắc trước nhà văn hoá", "lat": 19.33, "lon": 105.18}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        app.deliver().await;

        citizen.cookies.insert("xaso_lang".into(), "en".into());
        let inbox = citizen.get("/api/v1/me/inbox").await.json().to_string();
        assert!(inbox.contains("[EMERGENCY] Cảnh báo rét đậm"), "{inbox}");
        assert!(inbox.contains("received"), "{inbox}");
        assert!(
            !inbox.contains("KHẨN CẤP") && !inbox.contains("Đã nhận phản ánh"),
            "{inbox}"
        );
        let page = citizen.get("/inbox").await.body;
        assert!(page.contains("[EMERGENCY] Cảnh báo rét đậm"));
        // The same items in Vietnamese for a Vietnamese reader.
        citizen.cookies.insert("xaso_lang".into(), "vi".into());
        let inbox = citizen.get("/api/v1/me/inbox").await.json().to_string();
        assert!(
            inbox.contains("[KHẨN CẤP] Cảnh báo rét đậm") && inbox.contains("Đã nhận phản ánh")
        );
        // SMS and email copies wait in the outbox keyed too, for each person's language.
        use sea_orm::{ConnectionTrait, Statement};
        let db = &app.platform.state.db;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM outbox WHERE ref_kind = 'notice' AND ref_id = {alert} AND text_key IS NULL"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);
    });
}

#[tokio::test]
async fn the_commune_has_a_map_area_and_citizens_are_never_asked_for_coordinates() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let area = anon.get("/c/17071/map-area.geojson").await;
        assert_eq!(area.status, StatusCode::OK);
        assert!(
            area.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("geo+json")
        );
        let area = area.json();
        let features = area["features"].as_array().unwrap();
        let kinds: Vec<&str> = features
            .iter()
            .map(|f| f["properties"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "boundary").count(), 1);
        assert_eq!(
            kinds.iter().filter(|k| **k == "village").count(),
            6,
            "demo villages"
        );
        assert!(
            features
                .iter()
                .any(|f| f["properties"]["name"] == "Thôn Minh Tiến")
        );

        // The form: a village to choose, a map to tap, no coordinates to type.
        let mut citizen = app.login(common::CITIZEN).await;
        let form = citizen.get("/c/17071/feedback/new").await.body;
        assert!(
            !form.contains("Vĩ độ") && !form.contains("Kinh độ"),
            "no coordinate labels"
        );
        assert!(form.contains("type=\"hidden\" id=\"lat\" name=\"lat\""));
        assert!(form.contains("type=\"hidden\" id=\"lon\" name=\"lon\""));
        assert!(form.contains("data-area=\"/c/17071/map-area.geojson\""));
        assert!(form.contains("data-village-select=\"village_id\""));

        // A tapped spot inside a village's shape files the report under that village, and
        // the pages say "pinned on the map", never the numbers.
        let shape = features
            .iter()
            .find(|f| f["properties"]["name"] == "Thôn Minh Tiến")
            .unwrap();
        let village = shape["properties"]["id"].as_i64().unwrap();
        let ring = shape["geometry"]["coordinates"][0].as_array().unwrap();
        let (lon, lat) = (
            (ring[0][0].as_f64().unwrap() + ring[2][0].as_f64().unwrap()) / 2.0,
            (ring[0][1].as_f64().unwrap() + ring[2][1].as_f64().unwrap()) / 2.0,
        );
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/feedback",
                json!({"category": "environment", "text": "Bãi rác tự phát giữa cánh đồng", "lat": lat, "lon": lon}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let f = r.json();
        assert_eq!(f["village_id"].as_i64(), Some(village), "{f}");
        let receipt = f["receipt_code"].as_str().unwrap();
        let page = citizen
            .get(&format!("/c/17071/feedback/{receipt}"))
            .await
            .body;
        assert!(page.contains("Vị trí đã ghim trên bản đồ"));
        assert!(!page.contains(&format!("{lat:.5}")) && !page.contains(&format!("{lon:.5}")));
    });
}

#[tokio::test]
async fn admins_paste_or_upload_the_area_checked_and_audited() {
    on_each_backend!(async |app: &TestApp| {
        let village: i64 = kernel::tenancy::villages(&app.platform.state.db, "17071")
            .await
            .unwrap()[0]
            .id;
        let target = village.to_string();
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let page = admin.get("/c/17071/office/villages").await.body;
        assert!(page.contains("id=\"area\"") && page.contains("Ranh giới xã"));
        assert!(page.contains("data-map=\"area\""));
        let token = admin.csrf().await;
        let path = format!("/c/17071/office/map-area?csrf={token}");
        let before = (
            app.count("audit_log").await,
            app.count("village_area").await,
        );
        for (text, msg) in [
            (
                "{\"type\": \"Point\", \"coordinates\": [105.2, 19.3]}",
                "không phải điểm",
            ),
            (
                "{\"type\": \"Polygon\", \"coordinates\": [[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}",
                "ngoài lãnh thổ",
            ),
            ("{không phải json", "Không đọc được GeoJSON"),
        ] {
            let r = admin
                .post_multipart_files(&path, &[], &[("target", &target), ("geojson", text)])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
            assert!(r.body.contains(msg), "«{msg}»");
        }
        assert_eq!(
            (
                app.count("audit_log").await,
                app.count("village_area").await
            ),
            before,
            "nothing written"
        );
        // An uploaded file (a FeatureCollection of one feature).
        let file = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ten":"x"},"geometry":{"type":"Polygon","coordinates":[[[105.13,19.28],[105.15,19.28],[105.15,19.3],[105.13,19.3],[105.13,19.28]]]}}]}"#;
        let r = admin
            .post_multipart_files(
                &path,
                &[(
                    "file",
                    "thon.geojson",
                    "application/geo+json",
                    file.to_vec(),
                )],
                &[("target", &target), ("geojson", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/c/17071/office/villages?area=saved#area");
        assert_eq!(app.count("audit_log").await, before.0 + 1);
        let area = app.client().get("/c/17071/map-area.geojson").await.json();
        let mine = area["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["id"] == village)
            .unwrap()
            .clone();
        assert_eq!(
            mine["geometry"]["coordinates"][0][1],
            json!([105.15, 19.28])
        );
        // Blank: the shape goes; the boundary the same way.
        let r = admin
            .post_multipart_files(&path, &[], &[("target", &target), ("geojson", " ")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = admin
            .post_multipart_files(&path, &[], &[("target", "boundary"), ("geojson", "")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let area = app.client().get("/c/17071/map-area.geojson").await.json();
        assert!(
            area["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["properties"]["kind"] != "boundary" && f["properties"]["id"] != village)
        );
        assert_eq!(app.count("audit_log").await, before.0 + 3);
        // Officials who are not admins cannot.
        let mut official = app.login(common::OFFICIAL).await;
        let token = official.csrf().await;
        let r = official
            .post_multipart_files(
                &format!("/c/17071/office/map-area?csrf={token}"),
                &[],
                &[("target", "boundary"), ("geojson", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
