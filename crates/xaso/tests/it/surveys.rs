//! The baseline survey through HTTP: campaigns opened and closed by officials, sheets filed by
//! officials and village heads (their village only) that become dated household attributes,
//! bad sheets refused with the question named and nothing changed, the officials' readiness
//! and its figure (5.2), businesses (8.2), and the sheet's page as a phone posts it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{self, Client, TestApp, token_client};

const C: &str = "/api/v1/communes/17071";

async fn open(c: &mut Client, kind: &str) -> i64 {
    let r = c
        .post_json(
            &format!("{C}/surveys"),
            json!({"kind": kind, "title": format!("Khảo sát thử {kind}"),
                "opens_on": (kernel::time::vn_today() - chrono::Days::new(7)).to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["status"], "open");
    r.json()["id"].as_i64().unwrap()
}

async fn sheet(c: &mut Client, id: i64, body: Value) -> common::Resp {
    c.post_json(&format!("{C}/surveys/{id}/sheets"), body).await
}

fn refused(r: &common::Resp, code: &str, field: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.error_code(), code, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], field, "{}", r.body);
}

/// The households of the village head's village and one of another village.
async fn households(app: &TestApp) -> (Value, Value) {
    let mut head = token_client(app, common::VILLAGE_HEAD).await;
    let mine = head.get(&format!("{C}/households")).await.json()["items"][0].clone();
    let mut official = token_client(app, common::OFFICIAL).await;
    let all = official.get(&format!("{C}/households")).await.json();
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["village_id"] != mine["village_id"])
        .unwrap()
        .clone();
    (mine, other)
}

#[tokio::test]
async fn household_sheets_become_dated_attributes_and_fill_the_board() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let id = open(&mut official, "household").await;
        let (mine, other) = households(app).await;
        let hid = other["id"].as_i64().unwrap();

        // The map's household layer (kept in memory between writes) follows the register.
        let layer = async |c: &mut Client| {
            let l = c.get(&format!("{C}/map/households.geojson")).await.json();
            l["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == hid)
                .map(|f| f["properties"]["internet"].clone())
                .unwrap()
        };
        let seen = layer(&mut official).await;
        let r = sheet(
            &mut official,
            id,
            json!({"household_id": hid, "answers": {"internet": "fibre", "smartphones": 3,
                "computer": true, "waste_sorting": true, "needs": ["skills", "sell_online"]}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            r.json()["answered_on"],
            kernel::time::vn_today().to_string()
        );
        let h = official.get(&format!("{C}/households/{hid}")).await.json();
        assert_eq!(h["facts"]["internet"], "fibre", "{h}");
        assert_eq!(layer(&mut official).await, "fibre", "was {seen}");
        assert_eq!(h["facts"]["smartphones"], 3);
        assert_eq!(h["facts"]["waste_sorting"], true);
        let history = h["history"].as_array().unwrap();
        assert!(
            history.iter().any(|o| o["source"] == "survey"
                && o["observed_on"] == kernel::time::vn_today().to_string()
                && o["facts"]["internet"] == "fibre"),
            "{h}"
        );

        // Filed again: the sheet is replaced, not doubled; the register takes the newest.
        let r = sheet(
            &mut official,
            id,
            json!({"household_id": hid, "answers": {"internet": "mobile", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let h = official.get(&format!("{C}/households/{hid}")).await.json();
        assert_eq!(h["facts"]["internet"], "mobile");
        assert_eq!(layer(&mut official).await, "mobile");
        assert_eq!(h["facts"]["waste_sorting"], true, "not asked again: kept");

        // An older visit sent late goes into the history without overriding the newer one.
        let before = kernel::time::vn_today().pred_opt().unwrap().to_string();
        let r = sheet(
            &mut official,
            id,
            json!({"household_id": hid, "answered_on": before, "answers": {"internet": "none", "smartphones": 0}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let h = official.get(&format!("{C}/households/{hid}")).await.json();
        assert_eq!(h["facts"]["internet"], "mobile", "the newer visit wins");

        // The village head files for their own village only.
        let mut head = token_client(app, common::VILLAGE_HEAD).await;
        let r = sheet(
            &mut head,
            id,
            json!({"household_id": mine["id"], "answers": {"internet": "none", "smartphones": 0}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = sheet(
            &mut head,
            id,
            json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 0}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.error_code(), "household_other_village");

        let board = official.get(&format!("{C}/surveys/{id}")).await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.body);
        let b = board.json();
        assert_eq!(b["campaign"]["answered"], 2);
        let done: i64 = b["progress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["done"].as_i64().unwrap())
            .sum();
        assert_eq!(done, 2);
        let village = b["progress"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["village_id"] == other["village_id"])
            .unwrap()
            .clone();
        assert_eq!(village["done"], 1);
        assert!(village["whole"].as_i64().unwrap() > 1);
        let internet = b["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["key"] == "internet")
            .unwrap()
            .clone();
        assert_eq!(internet["asked"], 2);
        assert_eq!(internet["counts"]["none"], 2, "{internet}");
        assert!(
            b["questions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["key"] == "smartphones" && q["input"] == "count" && q["max"] == 30)
        );
        assert_eq!(
            app.count("audit_log WHERE action = 'survey.answer'").await,
            4
        );
        assert_eq!(
            app.count("audit_log WHERE action = 'survey.create'").await,
            1
        );
    });
}

#[tokio::test]
async fn bad_sheets_are_refused_with_the_question_and_change_nothing() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let id = open(&mut official, "household").await;
        let (_, other) = households(app).await;
        let hid = other["id"].as_i64().unwrap();
        let sheets = || app.count("survey_response");
        let before = (
            sheets().await,
            app.count("household_observation").await,
            app.count("audit_log WHERE action = 'survey.answer'").await,
        );
        let tomorrow = kernel::time::vn_today().succ_opt().unwrap().to_string();
        let cases = [
            (
                json!({"household_id": hid, "answers": {"smartphones": 1}}),
                "survey_answer_missing",
                "internet",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "adsl", "smartphones": 1}}),
                "survey_answer_invalid",
                "internet",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": -1}}),
                "survey_answer_invalid",
                "smartphones",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": "2"}}),
                "survey_answer_invalid",
                "smartphones",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1, "computer": "yes"}}),
                "survey_answer_invalid",
                "computer",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1, "e_office": true}}),
                "survey_question_unknown",
                "answers",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1, "working_age": 1, "working_age_smartphone": 2}}),
                "survey_answer_invalid",
                "working_age_smartphone",
            ),
            (
                json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1, "needs": ["wifi"]}}),
                "survey_answer_invalid",
                "needs",
            ),
            (
                json!({"household_id": hid, "answered_on": tomorrow, "answers": {"internet": "none", "smartphones": 1}}),
                "survey_day_invalid",
                "answered_on",
            ),
        ];
        for (body, code, field) in cases {
            let r = sheet(&mut official, id, body.clone()).await;
            refused(&r, code, field);
        }
        let r = sheet(
            &mut official,
            id,
            json!({"answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.error_code(), "survey_subject_missing", "{}", r.body);
        let r = sheet(
            &mut official,
            id,
            json!({"user_id": 1, "answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.error_code(), "survey_subject_missing", "{}", r.body);
        let r = sheet(
            &mut official,
            id,
            json!({"household_id": 99_999_999, "answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(r.error_code(), "household_unknown");
        let r = sheet(
            &mut official,
            99_999_999,
            json!({"household_id": hid, "answers": {}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error_code(), "survey_unknown");
        let r = official
            .post_json(
                &format!("{C}/surveys"),
                json!({"kind": "village", "title": "Khảo sát"}),
            )
            .await;
        refused(&r, "survey_kind_unknown", "kind");
        let r = official
            .post_json(
                &format!("{C}/surveys"),
                json!({"kind": "household", "title": "Kh"}),
            )
            .await;
        refused(&r, "survey_title_invalid", "title");
        let r = official
            .post_json(
                &format!("{C}/surveys"),
                json!({"kind": "household", "title": "Khảo sát", "opens_on": "2026-06-01", "closes_on": "2026-05-01"}),
            )
            .await;
        refused(&r, "survey_dates_invalid", "closes_on");

        // Who may: residents and strangers nothing; leaders read boards but file no household.
        let mut citizen = token_client(app, common::CITIZEN).await;
        let r = sheet(
            &mut citizen,
            id,
            json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            citizen.get(&format!("{C}/surveys/{id}")).await.status,
            StatusCode::FORBIDDEN
        );
        let mut stranger = app.client();
        assert_eq!(
            stranger.get(&format!("{C}/surveys")).await.status,
            StatusCode::UNAUTHORIZED
        );
        let mut leader = token_client(app, common::LEADER).await;
        assert_eq!(
            leader.get(&format!("{C}/surveys/{id}")).await.status,
            StatusCode::OK
        );
        let r = sheet(
            &mut leader,
            id,
            json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = leader
            .post_json(
                &format!("{C}/surveys"),
                json!({"kind": "household", "title": "Khảo sát của lãnh đạo"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let after = (
            sheets().await,
            app.count("household_observation").await,
            app.count("audit_log WHERE action = 'survey.answer'").await,
        );
        assert_eq!(before, after, "nothing written");

        // Closed: no more sheets.
        let r = official
            .post_json(&format!("{C}/surveys/{id}/close"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "closed");
        let r = sheet(
            &mut official,
            id,
            json!({"household_id": hid, "answers": {"internet": "none", "smartphones": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.error_code(), "survey_closed");
        let r = official
            .post_json(&format!("{C}/surveys/{id}/close"), json!({}))
            .await;
        assert_eq!(r.error_code(), "survey_closed");
        assert_eq!(
            app.count("audit_log WHERE action = 'survey.close'").await,
            1
        );
    });
}

#[tokio::test]
async fn officials_readiness_feeds_indicator_5_2() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let id = open(&mut official, "official").await;
        let r = official.get(&format!("{C}/officials/readiness")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let before = r.json();
        let staff = before["staff"].as_i64().unwrap();
        let head = before["officials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["smartphone"].is_null())
            .expect("the demo's village head is not surveyed yet")
            .clone();
        let head_id = head["user_id"].as_i64().unwrap();

        // The village head answers for themselves; for someone else they may not.
        let mut village_head = token_client(app, common::VILLAGE_HEAD).await;
        let other = before["officials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["user_id"] != head_id)
            .unwrap()["user_id"]
            .clone();
        let answers = json!({"smartphone": true, "official_email": false, "e_office": false});
        let r = sheet(
            &mut village_head,
            id,
            json!({"user_id": other, "answers": answers}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = sheet(
            &mut village_head,
            id,
            json!({"user_id": head_id, "answers": answers}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // Not one of the staff.
        let r = sheet(
            &mut official,
            id,
            json!({"user_id": 99_999, "answers": answers}),
        )
        .await;
        refused(&r, "survey_official_unknown", "user_id");

        let after = official
            .get(&format!("{C}/officials/readiness"))
            .await
            .json();
        assert_eq!(after["staff"], staff);
        assert_eq!(
            after["smartphone"].as_i64().unwrap(),
            before["smartphone"].as_i64().unwrap() + 1
        );
        assert_eq!(
            after["ready"], before["ready"],
            "no official email: not ready"
        );
        let f = official.get(&format!("{C}/figures?indicator=5.2")).await;
        assert_eq!(f.status, StatusCode::OK, "{}", f.body);
        let fig = f
            .json()
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == "registry.officials_smartphone")
            .unwrap()
            .clone();
        assert_eq!(
            fig["numerator"].as_f64().unwrap() as i64,
            after["smartphone"].as_i64().unwrap()
        );
        assert_eq!(fig["denominator"].as_f64().unwrap() as i64, staff);
    });
}

#[tokio::test]
async fn the_sheet_page_files_businesses_as_a_phone_posts_them() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let page = official.get("/c/17071/office/surveys").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Khảo sát thực trạng chuyển đổi số"));
        let r = official
            .post_form(
                "/c/17071/office/surveys",
                &[
                    ("kind", "business"),
                    ("title", "Khảo sát cơ sở kinh doanh đợt 2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let board = r.location().to_owned();
        let id: i64 = board.rsplit('/').next().unwrap().parse().unwrap();
        let fill = format!("/c/17071/office/surveys/{id}/fill");
        let form = official.get(&fill).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(r#"data-draft="survey""#));
        assert!(form.body.contains("Có đăng ký kinh doanh"));
        let villages = official.get(&format!("{C}/villages")).await.json();
        let village = villages[0]["id"].to_string();

        // A required answer missing: the page again, with the reason, nothing filed.
        let r = official
            .post_form(
                &fill,
                &[
                    ("business_name", "Cơ sở miến dong Minh Hợp"),
                    ("village_id", &village),
                    ("registered", "yes"),
                    ("online_payment", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Câu hỏi bắt buộc chưa được trả lời"),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("Cơ sở miến dong Minh Hợp"),
            "what was typed stays"
        );
        let filed = format!("survey_response WHERE campaign_id = {id}");
        assert_eq!(app.count(&filed).await, 0);

        for (name, pays) in [
            ("Cơ sở miến dong Minh Hợp", "yes"),
            ("Lò rèn Xóm Trại", "no"),
        ] {
            let r = official
                .post_form(
                    &fill,
                    &[
                        ("business_name", name),
                        ("village_id", &village),
                        ("answered_on", &kernel::time::vn_today().to_string()),
                        ("registered", "yes"),
                        ("sector", "craft"),
                        ("online_payment", pays),
                        ("needs", "skills"),
                        ("needs", "packaging"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert!(r.location().starts_with(&fill));
        }
        assert_eq!(app.count(&filed).await, 2);
        let b = official.get(&format!("/c/17071/office/surveys/{id}")).await;
        assert_eq!(b.status, StatusCode::OK);
        assert!(
            b.body.contains("Bao bì, đóng gói, vận chuyển"),
            "results in words"
        );
        // The newest business campaign decides 8.2: one of two registered businesses pays online.
        let mut api = token_client(app, common::OFFICIAL).await;
        let figs = api.get(&format!("{C}/figures?indicator=8.2")).await.json();
        let fig = figs
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == "registry.business_online_payment")
            .unwrap()
            .clone();
        assert_eq!(
            (fig["numerator"].as_f64(), fig["denominator"].as_f64()),
            (Some(1.0), Some(2.0)),
            "{fig}"
        );

        let list = api.get(&format!("{C}/surveys")).await.json();
        let hh = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "household")
            .expect("the demo's household campaign")["id"]
            .as_i64()
            .unwrap();
        // The household board measures the guideline's §2 conditions from the sheets.
        let board = official.get(&format!("/c/17071/office/surveys/{hh}")).await;
        assert!(
            board.body.contains("Điều kiện chọn xã thí điểm"),
            "{}",
            board.body
        );
        assert!(board.body.contains("Hộ có kết nối internet:"));
        // A village head's household sheet lists their village's households only.
        let mut head = app.login(common::VILLAGE_HEAD).await;
        let page = head
            .get(&format!("/c/17071/office/surveys/{hh}/fill"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            !page.body.contains(r#"id="pick-village""#),
            "no other village to pick"
        );
        let (mine, other) = households(app).await;
        assert!(page.body.contains(mine["household_code"].as_str().unwrap()));
        assert!(
            !page
                .body
                .contains(other["household_code"].as_str().unwrap()),
            "another village's household is not listed"
        );
        let theirs = app
            .count(&format!(
                "household WHERE village_id = {}",
                mine["village_id"]
            ))
            .await;
        let options = page.body.matches("<option value=").count() as i64;
        assert_eq!(options, theirs, "exactly their village's households");

        // Businesses: a village head files their own village's only; one name in two
        // villages is two sheets.
        let mut h = token_client(app, common::VILLAGE_HEAD).await;
        let answers = json!({"registered": true, "sector": "trade", "online_payment": false});
        let named = |village: &serde_json::Value| json!({"business_name": "Tạp hóa Cùng Tên", "village_id": village, "answers": answers});
        let r = sheet(&mut h, id, named(&other["village_id"])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.error_code(), "survey_other_village");
        let r = sheet(&mut api, id, named(&other["village_id"])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = sheet(&mut h, id, named(&mine["village_id"])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            app.count(&filed).await,
            4,
            "two sheets of one name, in two villages"
        );
    });
}
