//! Polls and surveys through HTTP: building (from the template too), answering once, the
//! audience, closing, live results with charts and by village, and the XLSX export.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

const QUESTIONS: &str = "* [một] Có nên làm đường bê tông ra khu sản xuất?\n- Có\n- Không\n[nhiều] Tháng nào thuận tiện?\n- Tháng 1\n- Tháng 2\n- Tháng 3\n[thang 5] Mức ủng hộ\n[ý kiến] Góp ý khác\n";

fn local(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7) + chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn village_of(c: &mut common::Client) -> i64 {
    c.get("/api/v1/me").await.json()["village_id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn officials_build_residents_answer_once_and_results_are_counted_by_village() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let template = official
            .get("/c/17071/office/polls?template=satisfaction")
            .await;
        assert!(template.body.contains("nông thôn mới") && template.body.contains("[thang 5]"));

        let before = (app.count("poll").await, app.count("audit_log").await);
        let opens = local(-1);
        let closes = local(7);
        for (fields, msg) in [
            (
                vec![("title", "Hì"), ("questions", QUESTIONS)],
                "Tiêu đề cần từ 3 đến 200 ký tự",
            ),
            (
                vec![("title", "Làm đường nội đồng"), ("questions", "")],
                "Cần từ 1 đến 50 câu hỏi",
            ),
            (
                vec![
                    ("title", "Làm đường nội đồng"),
                    ("questions", "Câu hỏi không có loại"),
                ],
                "Không đọc được danh sách câu hỏi",
            ),
            (
                vec![
                    ("title", "Làm đường nội đồng"),
                    ("questions", "[một] Chọn\n- Một mình"),
                ],
                "từ 2 đến 20 lựa chọn",
            ),
        ] {
            let mut all = fields.clone();
            all.extend([("opens_at", opens.as_str()), ("closes_at", closes.as_str())]);
            let r = official.post_form("/c/17071/office/polls", &all).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{msg}");
            assert!(r.body.contains(msg), "expected «{msg}»");
        }
        let past = local(-2);
        let r = official
            .post_form(
                "/c/17071/office/polls",
                &[
                    ("title", "Làm đường nội đồng"),
                    ("questions", QUESTIONS),
                    ("opens_at", &past),
                    ("closes_at", &opens),
                ],
            )
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY
                && r.body.contains("Thời gian đóng đã qua")
        );
        assert_eq!(
            (app.count("poll").await, app.count("audit_log").await),
            before,
            "nothing written"
        );

        let r = official
            .post_form(
                "/c/17071/office/polls",
                &[
                    ("title", "Làm đường nội đồng"),
                    ("questions", QUESTIONS),
                    ("opens_at", &opens),
                    ("closes_at", &closes),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let poll_path = r.location().to_owned();
        let id: i64 = poll_path.rsplit('/').next().unwrap().parse().unwrap();

        let mut citizen = app.login(common::CITIZEN).await;
        let page = citizen.get(&poll_path).await;
        assert!(
            page.body.contains("Có nên làm đường bê tông") && page.body.contains("name=\"q1\"")
        );
        let r = citizen.post_form(&poll_path, &[("q1", "1")]).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("câu hỏi bắt buộc")
        );
        let r = citizen.post_form(&poll_path, &[("q0", "7")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no such option");
        assert_eq!(app.count("poll_response").await, 0);
        let r = citizen
            .post_form(
                &poll_path,
                &[
                    ("q0", "0"),
                    ("q1", "0"),
                    ("q1", "2"),
                    ("q2", "4"),
                    ("q3", "Làm sớm trước mùa mưa <3"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = citizen.post_form(&poll_path, &[("q0", "1")]).await;
        assert!(
            r.status == StatusCode::CONFLICT && r.body.contains("mỗi người chỉ trả lời một lần")
        );
        let r = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/polls/{id}/answers"),
                json!({"answers": [{"choices": [1]}, {}, {}, {}]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "poll_already_answered")
        );

        let mut second = app.login("0912000012").await;
        let r = second
            .post_json_csrf(
                &format!("/api/v1/communes/17071/polls/{id}/answers"),
                json!({"answers": [{"choices": [1]}, {"choices": [2]}, {"rating": 2}, {}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // Live results: counts, shares, a chart, by village; comments only for officials.
        let public = app.client().get(&format!("{poll_path}/results")).await;
        assert!(public.body.contains("<svg") && public.body.contains("1 · 50%"));
        assert!(!public.body.contains("Làm sớm trước mùa mưa"));
        let res = official
            .get(&format!("/api/v1/communes/17071/polls/{id}"))
            .await
            .json();
        let q = &res["results"]["questions"];
        assert_eq!(res["results"]["respondents"], 2);
        assert_eq!(
            (
                q[0]["options"][0]["count"].as_u64(),
                q[0]["options"][0]["percent"].as_f64()
            ),
            (Some(1), Some(50.0))
        );
        assert_eq!(q[1]["options"][2]["count"], 2, "both chose March");
        assert_eq!(q[2]["average"], 3.0);
        assert_eq!(q[3]["texts"][0], "Làm sớm trước mùa mưa <3");
        assert!(
            q[0]["by_village"].as_object().unwrap().is_empty(),
            "two people in two villages: no breakdown that would show each answer"
        );
        let page = official.get(&format!("{poll_path}/results")).await;
        assert!(
            page.body.contains("Làm sớm trước mùa mưa &lt;3")
                || page.body.contains("Làm sớm trước mùa mưa &#60;3")
        );
        let xlsx = official.get(&format!("{poll_path}/results.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(
            xlsx.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        assert_eq!(
            citizen
                .get(&format!("{poll_path}/results.xlsx"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // After closing, no more answers.
        let db = &app.platform.state.db;
        sea_orm::ConnectionTrait::execute_unprepared(
            db,
            &format!("UPDATE poll SET closes_at = opens_at WHERE id = {id}"),
        )
        .await
        .unwrap();
        let mut third = app.login(common::LEADER).await;
        let r = third
            .post_json_csrf(
                &format!("/api/v1/communes/17071/polls/{id}/answers"),
                json!({"answers": [{"choices": [0]}, {}, {}, {}]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "poll_closed")
        );
        assert_eq!(app.count("poll_response").await, 2);
    });
}

#[tokio::test]
async fn a_village_poll_is_for_that_village_only() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let mine = village_of(&mut citizen).await;
        let mut official = app.login(common::OFFICIAL).await;
        let now = chrono::Utc::now();
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/polls",
                json!({"title": "Họp thôn cuối năm", "audience": [mine], "opens_at": now - chrono::Duration::hours(1), "closes_at": now + chrono::Duration::days(3),
                       "questions": [{"kind": "single", "text": "Họp tối thứ mấy?", "options": ["Thứ Bảy", "Chủ nhật"], "required": true}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/polls",
                json!({"title": "Sai thôn", "audience": [999999], "opens_at": now, "closes_at": now + chrono::Duration::days(3),
                       "questions": [{"kind": "text", "text": "?"}]}),
            )
            .await;
        assert_eq!(r.error_code(), "village_unknown");
        let mut elsewhere = app.login("0912000012").await;
        assert_ne!(village_of(&mut elsewhere).await, mine);
        let path = format!("/api/v1/communes/17071/polls/{id}/answers");
        let r = elsewhere
            .post_json_csrf(&path, json!({"answers": [{"choices": [0]}]}))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "poll_not_for_you")
        );
        assert!(
            elsewhere
                .get(&format!("/c/17071/polls/{id}"))
                .await
                .body
                .contains("dành cho người dân các thôn được chọn")
        );
        let r = citizen
            .post_json_csrf(&path, json!({"answers": [{"choices": [0, 1]}]}))
            .await;
        assert_eq!(r.error_code(), "answer_invalid", "one choice only");
        let r = citizen
            .post_json_csrf(&path, json!({"answers": [{"choices": [0]}]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        // Citizens do not build polls.
        let r = citizen
            .post_json_csrf("/api/v1/communes/17071/polls", json!({"title": "Của tôi", "opens_at": now, "closes_at": now + chrono::Duration::days(1), "questions": [{"kind": "text", "text": "?"}]}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let list = app.client().get("/c/17071/polls").await;
        assert!(list.body.contains("Họp thôn cuối năm") && list.body.contains("Đang mở"));
    });
}

/// Inserts `n` answer sheets choosing `choice` on the poll's first question, as people of
/// `village` (ids far from real users: the table has no key on them).
async fn fake_answers(app: &TestApp, poll: i64, village: i64, choice: i32, n: usize) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.platform.state.db;
    let q: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id FROM poll_question WHERE poll_id = {poll} ORDER BY position LIMIT 1"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    for _ in 0..n {
        let user = 900_000 + app.count("poll_response").await;
        db.execute_unprepared(&format!(
            "INSERT INTO poll_response (commune_code, poll_id, user_id, village_id, created_at) VALUES ('17071', {poll}, {user}, {village}, CURRENT_TIMESTAMP)"
        ))
        .await
        .unwrap();
        let r: i64 = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id FROM poll_response WHERE user_id = {user}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "id")
            .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO poll_answer (commune_code, response_id, poll_id, question_id, choice) VALUES ('17071', {r}, {poll}, {q}, {choice})"
        ))
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn results_by_village_never_show_a_cell_of_fewer_than_five_answers() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let now = chrono::Utc::now();
        let r = official
            .post_json_csrf(
                "/api/v1/communes/17071/polls",
                json!({"title": "Giờ họp dân", "opens_at": now - chrono::Duration::hours(1), "closes_at": now + chrono::Duration::days(3),
                       "questions": [{"kind": "single", "text": "Họp buổi nào?", "options": ["Sáng", "Tối"], "required": true}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let api = format!("/api/v1/communes/17071/polls/{id}");
        let page = format!("/c/17071/polls/{id}/results");
        let mut citizen = app.login(common::CITIZEN).await;
        let a = village_of(&mut citizen).await;
        let mut second = app.login("0912000012").await;
        let b = village_of(&mut second).await;
        for (who, choice) in [(&mut citizen, 0), (&mut second, 1)] {
            let r = who
                .post_json_csrf(
                    &format!("{api}/answers"),
                    json!({"answers": [{"choices": [choice]}]}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let name = |v: i64| async move {
            kernel::tenancy::village(&app.platform.state.db, "17071", v)
                .await
                .unwrap()
                .name
        };
        let (name_a, name_b) = (name(a).await, name(b).await);
        // One person per village: the public sees no village at all, officials neither.
        for who in [&mut app.client(), &mut official] {
            let res = who.get(&api).await.json();
            assert_eq!(res["results"]["questions"][0]["by_village"], json!({}));
            let html = who.get(&page).await.body;
            assert!(html.contains("Chưa đủ người trả lời để xem theo thôn"));
            assert!(!html.contains(&format!("data-label=\"Thôn, bản\">{name_a}")));
        }

        // Village A: 7 people (6 morning, 1 evening); village B: 5 (all evening); a third
        // village: 1 person, pooled with B so that totals minus rows single out nobody.
        let third = kernel::tenancy::villages(&app.platform.state.db, "17071")
            .await
            .unwrap()
            .into_iter()
            .find(|v| v.id != a && v.id != b)
            .unwrap();
        fake_answers(app, id, a, 0, 5).await;
        fake_answers(app, id, a, 1, 1).await;
        fake_answers(app, id, b, 1, 4).await;
        fake_answers(app, id, third.id, 0, 1).await;
        let res = app.client().get(&api).await.json();
        let q = &res["results"]["questions"][0];
        assert_eq!(q["options"][0]["count"], 7, "commune totals stay exact");
        assert_eq!(
            q["by_village"],
            json!({ name_a.clone(): [6, null], "Các thôn khác (gộp)": [null, 5] })
        );
        let html = app.client().get(&page).await.body;
        assert!(html.contains("ít hơn 5 ý kiến"), "{html}");
        assert!(html.contains(&format!("data-label=\"Thôn, bản\">{name_a}</td>")));
        assert!(
            !html.contains(&format!(">{name_b}<")) && !html.contains(&format!(">{}<", third.name))
        );
        let xlsx = official.get(&format!("{page}.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
    });
}

/// The list of polls is kept in memory: a poll created after it was read shows on the next
/// reading.
#[tokio::test]
async fn a_new_poll_shows_in_the_list_at_once() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let title = "Chọn ngày ra quân vệ sinh môi trường";
        for _ in 0..2 {
            let page = anon.get("/c/17071/polls").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains(title));
        }
        let mut official = app.login(common::OFFICIAL).await;
        let (opens, closes) = (local(-1), local(7));
        let r = official
            .post_form(
                "/c/17071/office/polls",
                &[
                    ("title", title),
                    ("questions", QUESTIONS),
                    ("opens_at", &opens),
                    ("closes_at", &closes),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = anon.get("/c/17071/polls").await;
        assert!(page.body.contains(title), "a new poll shows at once");
        assert!(page.body.contains("Đang mở"), "{}", page.body);
    });
}
