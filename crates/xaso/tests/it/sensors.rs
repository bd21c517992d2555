//! Infrastructure and sensors through HTTP and the real Mosquitto broker on 127.0.0.1:1883:
//! points and coverage recorded by officials (audited) and drawn as layers, sensors
//! registered with a device token, readings over HTTP and MQTT stored with their hourly and
//! daily roll-ups, bad messages refused without dropping the connection, thresholds opening
//! an alert that tells the officials, and a device that stops reporting flagged.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::common::{self, Client, TestApp, token_client};

const C: &str = "/api/v1/communes/17071";

async fn send_readings(c: &mut Client, device: &str, token: &str, body: &str) -> common::Resp {
    c.send(
        Request::post(format!("{C}/sensors/{device}/readings"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Device-Token", token)
            .body(Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

async fn register(official: &mut Client, device: &str, above: f64) -> String {
    let r = official
        .post_json(
            &format!("{C}/sensors"),
            json!({"device": device, "name": format!("Mực nước {device}"), "kind": "water_level",
                   "lat": 19.30, "lon": 105.15, "alert_above": above}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn officials_record_points_and_coverage_and_the_map_draws_them() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let wifi = app
            .client()
            .get(&format!("{C}/map/wifi.geojson"))
            .await
            .json();
        assert_eq!(
            wifi["features"].as_array().unwrap().len(),
            6,
            "the demo's six"
        );
        let before = app.count("infra_point").await;
        for (body, code) in [
            (
                json!({"kind": "tower", "name": "X", "lat": 19.3, "lon": 105.15}),
                "infra_kind_unknown",
            ),
            (
                json!({"kind": "wifi", "name": "", "lat": 19.3, "lon": 105.15}),
                "infra_name_invalid",
            ),
            (
                json!({"kind": "wifi", "name": "Chợ", "lat": 21.0, "lon": 105.8}),
                "household_location_outside",
            ),
            (
                json!({"kind": "wifi", "name": "Chợ", "lat": 19.3, "lon": 105.15, "status": "maybe"}),
                "infra_status_unknown",
            ),
        ] {
            let r = official
                .post_json(&format!("{C}/infrastructure"), body)
                .await;
            assert_eq!(
                (r.status, r.error_code()),
                (StatusCode::UNPROCESSABLE_ENTITY, code.to_owned())
            );
        }
        assert_eq!(app.count("infra_point").await, before);
        let r = official
            .post_json(&format!("{C}/infrastructure"), json!({"kind": "camera", "name": "Camera chợ xã", "lat": 19.31, "lon": 105.16, "note": "Chợ"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = official
            .send_json_csrf(
                "PUT",
                &format!("{C}/infrastructure/{id}/status"),
                json!({"status": "broken"}),
            )
            .await;
        assert_eq!(r.json()["status"], "broken");
        // Cameras are for officials; wifi for everyone.
        assert_eq!(
            app.client()
                .get(&format!("{C}/map/cameras.geojson"))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let cams = official
            .get(&format!("{C}/map/cameras.geojson"))
            .await
            .json();
        assert!(
            cams["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["properties"]["title"] == "Camera chợ xã"
                    && f["properties"]["status"] == "broken")
        );
        let mut citizen = token_client(app, common::CITIZEN).await;
        let r = citizen
            .post_json(
                &format!("{C}/infrastructure"),
                json!({"kind": "wifi", "name": "Nhà tôi", "lat": 19.3, "lon": 105.15}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let village = app
            .client()
            .get(&format!("{C}/map/villages.geojson"))
            .await
            .json()["features"][0]["id"]
            .as_i64()
            .unwrap();
        let r = official
            .send_json_csrf(
                "PUT",
                &format!("{C}/villages/{village}/coverage"),
                json!({"mobile": "none", "fibre": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let bad = official
            .send_json_csrf(
                "PUT",
                &format!("{C}/villages/{village}/coverage"),
                json!({"mobile": "5G", "fibre": true}),
            )
            .await;
        assert_eq!(bad.error_code(), "coverage_invalid");
        let coverage = app
            .client()
            .get(&format!("{C}/map/coverage.geojson"))
            .await
            .json();
        let f = coverage["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == village)
            .unwrap()
            .clone();
        assert_eq!(
            (
                f["properties"]["mobile"].as_str(),
                f["properties"]["fibre"].as_bool()
            ),
            (Some("none"), Some(false))
        );
        assert_eq!(app.count("audit_log WHERE action LIKE 'infra.%'").await, 3);
    });
}

#[tokio::test]
async fn devices_send_readings_with_their_token_and_thresholds_alert_the_officials() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let demo = app.client().get(&format!("{C}/sensors")).await.json();
        assert_eq!(demo.as_array().unwrap().len(), 2);
        let week = app
            .client()
            .get(&format!("{C}/sensors/song-lam-01/readings?resolution=day"))
            .await
            .json();
        let days = week["points"].as_array().unwrap();
        assert!((7..=8).contains(&days.len()), "{}", days.len());
        assert_eq!(
            days.iter()
                .map(|d| d["count"].as_i64().unwrap())
                .sum::<i64>(),
            168
        );
        assert!(
            days.iter().any(|d| d["high"].as_f64().unwrap() > 3.5),
            "the flood shows"
        );

        let token = register(&mut official, "wl-http", 3.0).await;
        let dup = official
            .post_json(&format!("{C}/sensors"), json!({"device": "wl-http", "name": "Hai", "kind": "water_level", "lat": 19.3, "lon": 105.15}))
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        let mut device = app.client();
        let readings = app.count("sensor_reading").await;
        for (tok, body, status, code) in [
            (
                "wrong",
                r#"{"value": 1.0}"#,
                StatusCode::FORBIDDEN,
                "sensor_token_invalid",
            ),
            (
                token.as_str(),
                "not json",
                StatusCode::UNPROCESSABLE_ENTITY,
                "reading_invalid",
            ),
            (
                token.as_str(),
                r#"{"value": 900}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "reading_out_of_range",
            ),
            (
                token.as_str(),
                r#"{"value": 1, "at": "2099-01-01T00:00:00Z"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "reading_time_invalid",
            ),
        ] {
            let r = send_readings(&mut device, "wl-http", tok, body).await;
            assert_eq!(
                (r.status, r.error_code()),
                (status, code.to_owned()),
                "{body}"
            );
        }
        let r = send_readings(&mut device, "nope", &token, r#"{"value": 1}"#).await;
        assert_eq!(r.error_code(), "sensor_unknown");
        assert_eq!(app.count("sensor_reading").await, readings);

        let inbox = app.count("inbox_item").await;
        let r = send_readings(
            &mut device,
            "wl-http",
            &token,
            r#"{"readings": [{"value": 2.1, "at": "2026-12-07T01:00:00Z"}, {"value": 2.4}]}"#,
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.json()["stored"], 2);
        let r = send_readings(&mut device, "wl-http", &token, r#"{"value": 3.6}"#).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let s = app.client().get(&format!("{C}/sensors")).await.json();
        let me = s
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["device"] == "wl-http")
            .unwrap()
            .clone();
        assert_eq!(
            (me["last_value"].as_f64(), me["state"].as_str()),
            (Some(3.6), Some("alert"))
        );
        assert_eq!(
            app.count("sensor_alert WHERE closed_at IS NULL AND kind = 'above'")
                .await,
            1
        );
        app.deliver().await;
        assert!(app.count("inbox_item").await > inbox, "officials told");
        let hours = app
            .client()
            .get(&format!(
                "{C}/sensors/wl-http/readings?resolution=hour&days=2"
            ))
            .await
            .json();
        let total: i64 = hours["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["count"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 3);
        // Back under the threshold: the alert closes; the page lists what is open.
        send_readings(&mut device, "wl-http", &token, r#"{"value": 2.0}"#).await;
        assert_eq!(
            app.count("sensor_alert WHERE closed_at IS NULL AND kind = 'above'")
                .await,
            0
        );
        let layer = app
            .client()
            .get(&format!("{C}/map/sensors.geojson"))
            .await
            .json();
        assert_eq!(layer["features"].as_array().unwrap().len(), 3);
        let bad = app
            .client()
            .get(&format!("{C}/sensors/wl-http/readings?resolution=minute"))
            .await;
        assert_eq!(bad.error_code(), "sensor_resolution_unknown");
    });
}

#[tokio::test]
async fn readings_published_to_the_broker_are_stored_and_bad_messages_do_not_stop_them() {
    // Like the PostgreSQL and Citus suites, the broker is named by the environment
    // (`.ci/run` sets it): `cargo test` on a machine with only Rust has none.
    let Some(broker) = std::env::var("XASO_TEST_MQTT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("no XASO_TEST_MQTT_URL: the broker test runs where a broker is named");
        return;
    };
    let (host, port) = broker
        .strip_prefix("mqtt://")
        .and_then(|r| r.rsplit_once(':'))
        .map(|(h, p)| (h.to_owned(), p.parse::<u16>().expect("port")))
        .expect("XASO_TEST_MQTT_URL is mqtt://host:port");
    // A topic prefix of its own: other tests and backends share the broker.
    let prefix = format!("xaso-it-{}-{}", std::process::id(), rand_suffix());
    on_each_backend!(async |app: &TestApp| {
        let prefix = format!("{prefix}-{}", app.backend);
        let mut official = token_client(app, common::OFFICIAL).await;
        register(&mut official, "wl-mqtt", 5.0).await;
        // The platform on this backend listens on its own prefix.
        let mut conf = app.platform.state.config.clone();
        let mut t = toml::Table::new();
        t.insert("mqtt".into(), broker.clone().into());
        t.insert("mqtt_prefix".into(), prefix.clone().into());
        conf.rooms.insert("registry".into(), toml::Value::Table(t));
        app.platform.rooms.configure(&conf).unwrap();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = app.platform.rooms.workers(&app.platform.state, stop_rx);
        assert_eq!(workers.len(), 1, "the subscriber runs");
        let readings = app.count("sensor_reading").await;

        let mut opts = rumqttc::MqttOptions::new(format!("{prefix}-dev"), host.clone(), port);
        opts.set_keep_alive(Duration::from_secs(10));
        let (client, mut events) = rumqttc::AsyncClient::new(opts, 100);
        let pump = tokio::spawn(async move { while events.poll().await.is_ok() {} });
        // Let the platform subscribe before publishing.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let topic = format!("{prefix}/17071/sensors/wl-mqtt");
        let qos = rumqttc::QoS::AtLeastOnce;
        for (t, payload) in [
            (topic.as_str(), r#"{"value": 1.25}"#.to_owned()),
            (topic.as_str(), "không phải JSON".to_owned()),
            (
                &format!("{prefix}/17071/sensors/ghost"),
                r#"{"value": 1.0}"#.to_owned(),
            ),
            (topic.as_str(), r#"{"value": 999}"#.to_owned()),
            (
                topic.as_str(),
                r#"{"readings": [{"value": 1.5}, {"value": 1.75}]}"#.to_owned(),
            ),
        ] {
            client
                .publish(t, qos, false, payload.into_bytes())
                .await
                .unwrap();
        }
        let mut stored = 0;
        for _ in 0..100 {
            stored = app.count("sensor_reading").await - readings;
            if stored >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(stored, 3, "[{}] the three good readings", app.backend);
        // Still connected after the bad ones: one more arrives.
        client
            .publish(&topic, qos, false, br#"{"value": 2.0}"#.to_vec())
            .await
            .unwrap();
        for _ in 0..100 {
            if app.count("sensor_reading").await - readings == 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.count("sensor_reading").await - readings, 4);
        let s = app.client().get(&format!("{C}/sensors")).await.json();
        let me = s
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["device"] == "wl-mqtt")
            .unwrap()
            .clone();
        assert_eq!(me["last_value"].as_f64(), Some(2.0));
        let _ = client.disconnect().await;
        pump.abort();
        stop_tx.send(true).unwrap();
        for w in workers {
            let _ = tokio::time::timeout(Duration::from_secs(5), w).await;
        }
    });
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

#[tokio::test]
async fn a_sensor_that_stops_reporting_is_flagged() {
    on_each_backend!(async |app: &TestApp| {
        let db = &app.platform.state.db;
        // The demo's rain gauge last reported now; pretend three hours have passed.
        use registry::entity::sensor;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        sensor::Entity::update_many()
            .col_expr(
                sensor::Column::LastAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(3)),
            )
            .filter(sensor::Column::Device.eq("mua-01"))
            .exec(db)
            .await
            .unwrap();
        let flagged = registry::actions::sensors::flag_silent(db).await.unwrap();
        assert_eq!(flagged, 1);
        let s = app.client().get(&format!("{C}/sensors")).await.json();
        let rain = s
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["device"] == "mua-01")
            .unwrap()
            .clone();
        assert_eq!(rain["state"], "silent");
        assert_eq!(
            app.count("sensor_alert WHERE kind = 'silent' AND closed_at IS NULL")
                .await,
            1
        );
        assert_eq!(
            registry::actions::sensors::flag_silent(db).await.unwrap(),
            0,
            "once"
        );
    });
}

#[tokio::test]
async fn the_pages_show_alerts_first_and_record_infrastructure() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let token = register(&mut official, "wl-page", 3.0).await;
        send_readings(&mut app.client(), "wl-page", &token, r#"{"value": 3.8}"#).await;
        let mut browser = app.login(common::OFFICIAL).await;
        let page = browser.get("/c/17071/office/sensors").await;
        assert_eq!(page.status, StatusCode::OK);
        let alert = page.body.find("role=\"alert\"").unwrap();
        let chart = page.body.find("class=\"chart\"").unwrap();
        assert!(alert < chart, "the alert comes before the charts");
        assert!(page.body.contains("Soạn cảnh báo khẩn cho người dân"));
        assert!(page.body.contains("3,8 m") && page.body.contains("Vượt ngưỡng"));
        // The draft lands in the notices form, not yet sent.
        let href = page
            .body
            .split("href=\"/c/17071/office/notices?")
            .nth(1)
            .unwrap();
        let q = href.split('"').next().unwrap().replace("&#38;", "&");
        let notices = app.count("notice").await;
        let draft = browser.get(&format!("/c/17071/office/notices?{q}")).await;
        let at = draft.body.find("id=\"title\"").unwrap_or(0);
        assert!(
            draft
                .body
                .contains("Cảnh báo: Mực nước wl-page vượt ngưỡng"),
            "{q}\n{}",
            &draft.body[at..(at + 300).min(draft.body.len())]
        );
        assert!(draft.body.contains("value=\"emergency\" selected"));
        assert_eq!(app.count("notice").await, notices);

        let r = browser
            .post_form(
                "/c/17071/office/sensors",
                &[
                    ("name", "Độ ẩm đất ruộng lúa"),
                    ("device", "dat-01"),
                    ("kind", "soil_moisture"),
                    ("lat", "19,31"),
                    ("lon", "105,16"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Mã xác thực của thiết bị"));
        let bad = browser
            .post_form(
                "/c/17071/office/sensors",
                &[
                    ("name", "X"),
                    ("device", "a b"),
                    ("kind", "soil_moisture"),
                    ("lat", "19.31"),
                    ("lon", "105.16"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Mã thiết bị cần từ 1 đến 40 ký tự"));

        let infra = browser.get("/c/17071/office/infrastructure").await;
        assert!(infra.body.contains("Camera an ninh") && infra.body.contains("Hỏng"));
        let r = browser
            .post_form(
                "/c/17071/office/infrastructure",
                &[
                    ("kind", "wifi"),
                    ("name", "Wifi chợ phiên"),
                    ("status", "working"),
                    ("note", ""),
                    ("lat", "19.33"),
                    ("lon", "105.17"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            browser
                .get("/c/17071/office/infrastructure")
                .await
                .body
                .contains("Wifi chợ phiên")
        );
        let map = browser.get("/c/17071/office/map").await;
        assert!(
            map.body.contains("data-map=\"layers\"")
                && map.body.contains("wifi.geojson")
                && map.body.contains("sensors.geojson")
        );
        let citizen = app
            .login(common::CITIZEN)
            .await
            .get("/c/17071/office/sensors")
            .await;
        assert_eq!(citizen.status, StatusCode::FORBIDDEN);
    });
}
