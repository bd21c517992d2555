//! The rooms' figures through the one API (`/api/v1/communes/{code}/figures`) on both
//! databases: the demo commune's values, each figure moving by exactly what is added through
//! the rooms' own doors, the period filter, who may read, bad periods, and the registry's names.

use crate::common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::{Client, TestApp};
use serde_json::{Value, json};

const C: &str = "/api/v1/communes/17071";

/// A client with a personal API token of a demo account.
async fn api(app: &TestApp, phone: &str) -> Client {
    let mut c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/token",
            json!({"phone": phone, "password": app.passwords[phone], "name": "figures"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
    c
}

/// (value, numerator, denominator) of one figure.
type Fig = (Option<f64>, Option<f64>, Option<f64>);

/// Every figure of the commune for the query, by key.
async fn figures(c: &mut Client, query: &str) -> BTreeMap<String, Fig> {
    let r = c.get(&format!("{C}/figures{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_owned(),
                (
                    f["value"].as_f64(),
                    f["numerator"].as_f64(),
                    f["denominator"].as_f64(),
                ),
            )
        })
        .collect()
}

fn count(f: &BTreeMap<String, Fig>, key: &str) -> f64 {
    f[key]
        .0
        .unwrap_or_else(|| panic!("{key} has a value: {:?}", f[key]))
}

/// (part, whole) of a share, or (sum, n) of a mean.
fn parts(f: &BTreeMap<String, Fig>, key: &str) -> (f64, f64) {
    (f[key].1.unwrap(), f[key].2.unwrap())
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 200, 190]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(c: &mut Client, name: &str) -> i64 {
    let r = c
        .post_multipart(
            &format!("{C}/attachments"),
            "file",
            name,
            "image/png",
            &png(),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// A birth registration submitted online, taken through the desk to its returned result and
/// rated by the applicant: one online dossier, done on time, rated `stars`.
async fn dossier_done_and_rated(app: &TestApp, stars: i64) {
    let mut citizen = api(app, common::CITIZEN).await;
    let list = citizen.get(&format!("{C}/procedures")).await.json();
    let pid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "HT-01")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = upload(&mut citizen, "to-khai.png").await;
    let b = upload(&mut citizen, "giay-chung-sinh.png").await;
    let r = citizen
        .post_json(
            &format!("{C}/dossiers"),
            json!({"procedure_id": pid, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011",
                   "data": {"child_name": "Hoàng Minh Khôi", "birth_date": "01/11/2026", "birth_place": "Trạm y tế xã Minh Hợp"},
                   "documents": [{"name": "Tờ khai đăng ký khai sinh", "attachment_id": a}, {"name": "Giấy chứng sinh", "attachment_id": b}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let mut official = api(app, common::OFFICIAL).await;
    let mut leader = api(app, common::LEADER).await;
    let me = official.get("/api/v1/me").await.json()["id"]
        .as_i64()
        .unwrap();
    let result = upload(&mut official, "giay-khai-sinh.png").await;
    let steps = [
        json!({"action": "accept", "version": 1}),
        json!({"action": "assign", "version": 2, "assignee_id": me}),
        json!({"action": "process", "version": 3}),
        json!({"action": "approve", "version": 4}),
        json!({"action": "return_result", "version": 5, "result_attachment_id": result}),
    ];
    for s in steps {
        let who = if s["action"] == "approve" {
            &mut leader
        } else {
            &mut official
        };
        let r = who
            .post_json(&format!("{C}/dossiers/{id}/steps"), s.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{s}: {}", r.body);
    }
    let r = citizen
        .post_json(
            &format!("{C}/dossiers/{id}/rating"),
            json!({"rating": stars}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn feedback(c: &mut Client, category: &str, text: &str) -> Value {
    let r = c
        .post_json(
            &format!("{C}/feedback"),
            json!({"category": category, "text": text, "lat": 19.33, "lon": 105.18}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

/// The figures that count events of the period (not today's state of a catalogue).
const EVENTS: &[&str] = &[
    "notices.published",
    "notices.emergencies",
    "voice.forum_topics",
    "voice.forum_replies",
    "voice.environment_reports",
];
const EVENT_SHARES: &[&str] = &[
    "services.dossiers_online",
    "services.on_time",
    "services.satisfaction",
    "notices.emergencies_acknowledged",
    "voice.security_handled",
    "voice.satisfaction",
];

#[tokio::test]
async fn figures_count_the_demo_and_exactly_what_is_added_in_the_period() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = api(app, common::LEADER).await;
        let before = figures(&mut leader, "").await;
        let keys: Vec<&str> = before.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "notices.emergencies",
                "notices.emergencies_acknowledged",
                "notices.published",
                "notices.residents_reached",
                "registry.business_online_payment",
                "registry.clean_energy",
                "registry.ecommerce",
                "registry.fibre",
                "registry.health_app",
                "registry.households",
                "registry.internet",
                "registry.officials_smartphone",
                "registry.online_payment",
                "registry.smart_device",
                "registry.waste_sorting",
                "registry.wastewater_treated",
                "services.dossiers_online",
                "services.on_time",
                "services.procedures_online",
                "services.satisfaction",
                "voice.environment_reports",
                "voice.forum_replies",
                "voice.forum_topics",
                "voice.officials_public",
                "voice.satisfaction",
                "voice.security_handled",
                "voice.team_members",
            ]
        );

        // The demo commune: its catalogue, its directory, the seeded reports, team and forum.
        let mut anon = app.client();
        let catalogue = anon.get(&format!("{C}/procedures")).await.json();
        let catalogue = catalogue.as_array().unwrap();
        let online = catalogue
            .iter()
            .filter(|p| p["online_level"] != "offline")
            .count();
        assert_eq!(
            parts(&before, "services.procedures_online"),
            (online as f64, catalogue.len() as f64)
        );
        assert!(online > 0 && online < catalogue.len(), "{online}");
        let directory = anon.get(&format!("{C}/directory")).await.json();
        assert_eq!(
            parts(&before, "voice.officials_public"),
            (
                directory["officials_with_contact"].as_f64().unwrap(),
                directory["officials_total"].as_f64().unwrap()
            ),
            "nobody is hidden in the demo"
        );
        assert_eq!(
            parts(&before, "voice.officials_public").0,
            1.0,
            "the demo official published a phone"
        );
        assert_eq!(
            before["services.dossiers_online"],
            (None, Some(0.0), Some(0.0))
        );
        assert_eq!(before["services.satisfaction"].0, None, "no rating yet");
        assert_eq!(count(&before, "notices.published"), 3.0);
        assert_eq!(count(&before, "notices.emergencies"), 0.0);
        assert_eq!(before["notices.emergencies_acknowledged"].0, None);
        let (reached, accounts) = parts(&before, "notices.residents_reached");
        assert!(
            reached == accounts && accounts >= 3.0,
            "{reached}/{accounts}"
        );
        assert_eq!(count(&before, "voice.team_members"), 2.0);
        assert_eq!(count(&before, "voice.forum_topics"), 1.0);
        assert_eq!(count(&before, "voice.forum_replies"), 1.0);
        assert_eq!(count(&before, "voice.environment_reports"), 1.0);
        assert_eq!(
            before["voice.security_handled"],
            (Some(0.0), Some(0.0), Some(1.0)),
            "the demo's security report is not answered"
        );

        // Services: one offline-only procedure, one online dossier done on time and rated 4.
        let mut admin = api(app, common::COMMUNE_ADMIN).await;
        let r = admin
            .post_json(
                &format!("{C}/procedures"),
                json!({"code": "TEST-01", "name": "Thủ tục chỉ nộp tại quầy", "field": "Hộ tịch",
                       "fee_vnd": 0, "processing_days": 3, "online_level": "offline"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        dossier_done_and_rated(app, 4).await;

        // Notices: an emergency alert to the whole commune, acknowledged by one citizen.
        let r = leader
            .post_json(
                &format!("{C}/notices"),
                json!({"category": "emergency", "title": "Bão số 5 đổ bộ", "body": "Di dời khỏi vùng trũng trước 18 giờ.",
                       "audience": {"whole_commune": true}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let alert = r.json()["id"].as_i64().unwrap();
        let mut citizen = api(app, common::CITIZEN).await;
        let r = citizen
            .post_json(&format!("{C}/notices/{alert}/ack"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // Voice: a straw-burning report, two security reports of which the leader answers one
        // (rated 2 by its reporter), a forum topic with one reply, a team member, and the
        // leader's phone in the directory.
        feedback(
            &mut citizen,
            "environment",
            "Đốt rơm rạ ở cánh đồng thôn Minh Tiến, khói mù mịt.",
        )
        .await;
        let s = feedback(&mut citizen, "security", "Trộm gà ở bản Hợp Thành ban đêm.").await;
        feedback(&mut citizen, "security", "Nhóm thanh niên đánh nhau ở chợ.").await;
        let r = leader
            .post_json(
                &format!("{C}/office/feedback/{}/steps", s["id"]),
                json!({"action": "answer", "version": 1, "note": "Công an xã đã tuần tra ban đêm."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = citizen
            .post_json(
                &format!(
                    "{C}/feedback/{}/rating",
                    s["receipt_code"].as_str().unwrap()
                ),
                json!({"rating": 2}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let r = citizen
            .post_json(
                &format!("{C}/forum/topics"),
                json!({"title": "Lịch tiêm phòng cho đàn gia cầm", "body": "Khi nào xã tiêm phòng cúm gia cầm?"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let topic = r.json()["id"].as_i64().unwrap();
        let mut official = api(app, common::OFFICIAL).await;
        let r = official
            .post_json(
                &format!("{C}/forum/topics/{topic}/posts"),
                json!({"body": "Thứ Bảy tuần này tại nhà văn hóa các thôn."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = admin
            .post_json(
                &format!("{C}/community-team"),
                json!({"name": "Hà Văn Nam", "team_role": "Thành viên", "village_ids": []}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let leader_id = leader.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        let mut leader_web = app.login(common::LEADER).await;
        let r = leader_web
            .post_form(
                &format!("/c/17071/office/directory/{leader_id}"),
                &[
                    ("public_phone", "0238 3883 124"),
                    ("office_hours", "Sáng thứ Hai"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let after = figures(&mut leader, "").await;
        let delta = |key: &str| count(&after, key) - count(&before, key);
        let dparts = |key: &str| {
            let (a, b) = (parts(&after, key), parts(&before, key));
            (a.0 - b.0, a.1 - b.1)
        };
        assert_eq!(dparts("services.procedures_online"), (0.0, 1.0));
        assert_eq!(
            after["services.dossiers_online"],
            (Some(100.0), Some(1.0), Some(1.0))
        );
        assert_eq!(
            after["services.on_time"],
            (Some(100.0), Some(1.0), Some(1.0))
        );
        assert_eq!(
            after["services.satisfaction"],
            (Some(4.0), Some(4.0), Some(1.0))
        );
        assert_eq!(delta("notices.published"), 1.0);
        assert_eq!(delta("notices.emergencies"), 1.0);
        let (reached, accounts) = parts(&after, "notices.residents_reached");
        assert_eq!(
            (reached, accounts),
            (accounts, parts(&before, "notices.residents_reached").1)
        );
        assert_eq!(
            parts(&after, "notices.emergencies_acknowledged"),
            (1.0, accounts),
            "the alert went to every account of the commune; one acknowledged"
        );
        assert_eq!(delta("voice.environment_reports"), 1.0);
        assert_eq!(dparts("voice.security_handled"), (1.0, 2.0));
        assert_eq!(
            after["voice.satisfaction"],
            (Some(2.0), Some(2.0), Some(1.0))
        );
        assert_eq!(delta("voice.forum_topics"), 1.0);
        assert_eq!(delta("voice.forum_replies"), 1.0);
        assert_eq!(delta("voice.team_members"), 1.0);
        assert_eq!(dparts("voice.officials_public"), (1.0, 0.0));

        // The period: everything above happened today, so today alone gives the same; a period
        // that ended yesterday holds none of it, while the catalogue and directory stay today's.
        let today = kernel::time::vn_today();
        let same = figures(&mut leader, &format!("?from={today}&to={today}")).await;
        assert_eq!(same, after);
        let (from, to) = (
            today - chrono::Duration::days(40),
            today - chrono::Duration::days(1),
        );
        let past = figures(&mut leader, &format!("?from={from}&to={to}")).await;
        for key in EVENTS {
            assert_eq!(past[*key], (Some(0.0), None, None), "{key}");
        }
        for key in EVENT_SHARES {
            assert_eq!(past[*key].0, None, "{key}");
            assert_eq!(past[*key].2, Some(0.0), "{key}");
        }
        assert_eq!(
            count(&past, "voice.team_members"),
            0.0,
            "nobody had joined yet"
        );
        assert_eq!(past["notices.residents_reached"].1, Some(0.0));
        assert_eq!(
            past["services.procedures_online"],
            after["services.procedures_online"]
        );
        assert_eq!(
            past["voice.officials_public"],
            after["voice.officials_public"]
        );

        // On time is "finished by the end of the appointment day in Vietnam", 17:00 UTC, on
        // both databases (each writes that boundary its own way).
        use sea_orm::ConnectionTrait;
        let db = &app.platform.state.db;
        let due = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        for (done, on_time) in [
            ("2026-03-10T16:59:59Z", 1.0),
            ("2026-03-10T17:00:00Z", 0.0),
            ("2026-03-09T23:00:00Z", 1.0),
            ("2026-03-11T01:00:00Z", 0.0),
        ] {
            let done: chrono::DateTime<chrono::Utc> = done.parse().unwrap();
            db.execute_raw(sea_orm::Statement::from_sql_and_values(
                db.get_database_backend(),
                r#"UPDATE "dossier" SET "due_date" = $1, "done_at" = $2 WHERE "commune_code" = $3"#,
                [due.into(), done.into(), "17071".into()],
            ))
            .await
            .unwrap();
            let f = figures(&mut leader, "").await;
            assert_eq!(parts(&f, "services.on_time"), (on_time, 1.0), "done {done}");
        }

        // One indicator's figures only; an indicator no room feeds gives none.
        let r = leader
            .get(&format!("{C}/figures?indicator=1.1"))
            .await
            .json();
        let keys: Vec<&str> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "services.procedures_online",
                "services.dossiers_online",
                "services.on_time"
            ]
        );
        let r = leader
            .get(&format!("{C}/figures?indicator=1.2"))
            .await
            .json();
        assert_eq!(
            r.as_array().unwrap().len(),
            2,
            "services and voice satisfaction"
        );
        let r = leader.get(&format!("{C}/figures?indicator=10.1")).await;
        assert_eq!((r.status, r.json()), (StatusCode::OK, json!([])));
    });
}

#[tokio::test]
async fn figures_are_for_the_communes_staff_and_periods_must_make_sense() {
    on_each_backend!(async |app: &TestApp| {
        let path = format!("{C}/figures");
        let r = app.client().get(&path).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNAUTHORIZED, "unauthenticated")
        );
        let r = api(app, common::CITIZEN).await.get(&path).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );

        // Another commune's admin may read their own commune, not this one.
        let mut sys = api(app, common::ADMIN).await;
        let r = sys
            .post_json("/api/v1/communes", json!({"code": "02269"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = sys.post_json("/api/v1/communes/02269/staff", json!({"full_name": "Ma Văn Tám", "phone": "0977000008", "role": "commune_admin", "password": "Thuong-Lam-88"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut other = app.client();
        let r = other
            .post_json(
                "/api/v1/auth/token",
                json!({"phone": "0977000008", "password": "Thuong-Lam-88", "name": "t"}),
            )
            .await;
        other.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
        let r = other.get(&path).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "other_commune")
        );
        let theirs = other.get("/api/v1/communes/02269/figures").await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
        assert_eq!(
            theirs.json()[0]["denominator"],
            json!(0.0),
            "a new commune has no procedures"
        );

        // Every staff member of the commune, and the system admin above it, may read.
        for phone in [
            common::VILLAGE_HEAD,
            common::OFFICIAL,
            common::COMMUNE_ADMIN,
            common::ADMIN,
        ] {
            let r = api(app, phone).await.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{phone}: {}", r.body);
        }
        let r = sys.get("/api/v1/communes/99999/figures").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Labels in the reader's language.
        let mut leader = api(app, common::LEADER).await;
        let vi = leader.get(&format!("{path}?indicator=3.2")).await.json();
        assert_eq!(vi[0]["label"], "Thành viên tổ công nghệ số cộng đồng");
        assert_eq!(vi[0]["unit"], "count");
        assert_eq!(vi[0]["indicators"], json!(["3.2"]));
        leader.cookies.insert("xaso_lang".into(), "en".into());
        let en = leader.get(&format!("{path}?indicator=3.2")).await.json();
        assert_eq!(
            en[0]["label"],
            "Members of the community digital technology team"
        );

        // Bad periods: a JSON 422 with a stable code, whoever asks.
        let today = kernel::time::vn_today();
        let tomorrow = today + chrono::Duration::days(1);
        for q in [
            "from=2026-02-30".to_owned(),
            "from=01/02/2026".to_owned(),
            "to=hom-nay".to_owned(),
            format!("from={tomorrow}"),
            "from=2026-03-01&to=2026-02-01".to_owned(),
            "from=2010-01-01&to=2026-01-01".to_owned(),
            "from=1999-01-01&to=1999-12-31".to_owned(),
            "from=%2B262143-01-01&to=%2B262143-12-31".to_owned(),
        ] {
            let r = leader.get(&format!("{path}?{q}")).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{q}: {}",
                r.body
            );
            assert_eq!(r.error_code(), "period_invalid", "{q}");
            assert!(
                r.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json"),
                "{q}"
            );
        }
        let r = app.client().get(&format!("{path}?from=nope")).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "who asks is checked first"
        );

        // The document says so: optional query parameters, the refusals listed.
        let doc = app.client().get("/api/openapi.json").await.json();
        let op = &doc["paths"]["/api/v1/communes/{code}/figures"]["get"];
        let params: Vec<(&str, &str, bool)> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap(),
                    p["in"].as_str().unwrap(),
                    p["required"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                ("code", "path", true),
                ("from", "query", false),
                ("to", "query", false),
                ("indicator", "query", false)
            ]
        );
        for status in ["200", "401", "403", "404", "422"] {
            assert!(op["responses"][status].is_object(), "{status}");
        }
    });
}

/// Every room's figures: keyed `<room>.…`, feeding an indicator, named in Vietnamese and
/// English; together they feed the indicators issue 10 names.
#[test]
fn every_figure_is_keyed_by_its_room_and_named_in_both_languages() {
    let mut fed = std::collections::BTreeSet::new();
    for room in xaso::rooms().iter() {
        let sources = room.figures();
        let problems = kernel::figures::problems(room.key(), &sources, &room.texts());
        assert!(problems.is_empty(), "{}: {problems:?}", room.key());
        fed.extend(sources.iter().flat_map(|s| s.indicators.iter().copied()));
    }
    for indicator in [
        "1.1", "1.2", "1.3", "3.1", "3.2", "3.3", "16.3", "17", "18.2",
    ] {
        assert!(fed.contains(indicator), "{indicator} has no figure");
    }
}
