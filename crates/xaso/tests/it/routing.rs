//! On a Citus cluster, the hot requests (tracking, the desk's inbox and a dossier, the notice
//! board and a notice, the Open311 list, a feedback receipt and the board, payments, polls, the
//! forum, the directory; a new report, a desk step, a notice's fan-out, its delivery and a
//! resident's inbox) use that commune's shard alone: every statement they send to
//! commune-owned tables is planned on one shard.
//! Each statement the platform really sends is recorded and `EXPLAIN`ed with its own values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};

use crate::common::{self, TestApp};

const PASSWORD: &str = "Routing-2026";

/// The commune-owned tables, as `"name"` appears in SQL, to tell which statements to check.
fn commune_tables() -> Vec<String> {
    xaso::rooms()
        .tables()
        .into_iter()
        .filter(|(_, p)| *p == kernel::placement::Placement::Commune)
        .map(|(t, _)| format!("\"{t}\""))
        .collect()
}

/// How many shards Citus plans `st` on: the `Task Count` of its plan, 0 when Citus is not
/// involved (coordinator tables only).
async fn shards(db: &sea_orm::DatabaseConnection, st: &Statement) -> (usize, String) {
    let explain = Statement {
        sql: format!("EXPLAIN {}", st.sql),
        ..st.clone()
    };
    // Citus cannot plan an INSERT … SELECT that pulls rows to the coordinator with its
    // values as parameters ("could not create distributed plan"), though it runs one: such a
    // statement is explained with its values written in.
    let rows = match db.query_all_raw(explain).await {
        Ok(rows) => rows,
        Err(_) => db
            .query_all_raw(Statement::from_string(
                st.db_backend,
                format!("EXPLAIN {st}"),
            ))
            .await
            .unwrap_or_else(|e| panic!("EXPLAIN {st}: {e}")),
    };
    let plan: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let tasks = plan
        .iter()
        .filter_map(|l| l.trim().strip_prefix("Task Count: "))
        .map(|n| n.trim().parse::<usize>().unwrap_or(usize::MAX))
        .max()
        .unwrap_or(0);
    (tasks, plan.join("\n"))
}

/// The dispatcher's two statements that look at every commune on purpose, once per round
/// whatever the traffic: the communes with due messages, and leases that ran out.
fn across_communes(sql: &str) -> bool {
    let dispatcher_lists_communes = sql.contains("GROUP BY \"outbox\".\"commune_code\"");
    let leases_handed_back = sql.starts_with("UPDATE \"outbox\"")
        && sql.contains("\"next_attempt_at\" <")
        && !sql.contains("\"commune_code\"");
    dispatcher_lists_communes || leases_handed_back
}

#[tokio::test]
async fn hot_requests_read_one_communes_shard() {
    if !common::backends().contains(&"citus") {
        eprintln!("no XASO_TEST_CITUS_URL: routing is checked on a Citus cluster only");
        return;
    }
    let (url, cleanup) = common::fresh_server_db("citus").await;
    let dir = tempfile::tempdir().unwrap();
    let mut db = kernel::db::connect(&url).await.unwrap();
    let seen: Arc<Mutex<Option<Vec<Statement>>>> = Arc::default();
    let record = seen.clone();
    db.set_metric_callback(move |info| {
        if let Some(v) = record.lock().unwrap().as_mut() {
            v.push(info.statement.clone());
        }
    });
    xaso::migrate(&db).await.unwrap();
    let platform = xaso::build_on(db, common::test_config(dir.path(), url))
        .await
        .unwrap();
    let state = &platform.state;
    xaso::demo::seed(&state.db).await.unwrap();
    state.communes.reload(&state.db).await.unwrap();
    let cal = state.calendar.get();
    services::benchdata::seed(&state.db, &cal, "17071", 20, PASSWORD)
        .await
        .unwrap();
    voice::benchdata::seed(&state.db, "17071", 20)
        .await
        .unwrap();
    let c = state.communes.active("17071").unwrap();
    let author = kernel::accounts::entity::user::Entity::find()
        .filter(
            kernel::accounts::entity::user::Column::Phone
                .eq(kernel::accounts::parse_phone(services::benchdata::OFFICIAL_PHONE).unwrap()),
        )
        .one(&state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    notices::benchdata::seed_history(&state.db, &c, author, 10)
        .await
        .unwrap();
    let passwords = HashMap::from([
        (
            services::benchdata::APPLICANT_PHONE.to_owned(),
            PASSWORD.to_owned(),
        ),
        (
            services::benchdata::OFFICIAL_PHONE.to_owned(),
            PASSWORD.to_owned(),
        ),
    ]);
    let app = TestApp::on_platform("citus", platform, dir, Some(cleanup), passwords);
    let mut official = app.login(services::benchdata::OFFICIAL_PHONE).await;
    let mut anon = app.client();
    let receipt = services::benchdata::receipt("17071", 7);
    let feedback = voice::benchdata::receipt("17071", 3);
    let notice: i64 = anon.get("/api/v1/communes/17071/notices").await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let first = async |table: &str| -> i64 {
        app.platform
            .state
            .db
            .query_one_raw(Statement::from_string(
                app.platform.state.db.get_database_backend(),
                format!("SELECT MIN(id) AS id FROM {table} WHERE commune_code = '17071'"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "id")
            .unwrap()
    };
    let (poll, topic, post, household) = (
        first("poll").await,
        first("forum_topic").await,
        first("forum_post").await,
        first("household").await,
    );

    let mut applicant = app.login(services::benchdata::APPLICANT_PHONE).await;
    let village = kernel::tenancy::villages(&app.platform.state.db, "17071")
        .await
        .unwrap()[0]
        .id;
    let waiting = official
        .get("/api/v1/communes/17071/dossiers?status=received")
        .await
        .json()[0]
        .clone();
    // Record what the hot requests send, each the first of its kind (no cache hides a query).
    let hot = [
        format!(
            "/api/v1/track?receipt={receipt}&phone={}",
            services::benchdata::APPLICANT_PHONE
        ),
        "/api/v1/communes/17071/dossiers".to_owned(),
        "/c/17071/office/dossiers".to_owned(),
        "/api/v1/communes/17071/notices?page=2".to_owned(),
        format!("/c/17071/notices/{notice}"),
        "/open311/v2/requests.json?jurisdiction_id=17071".to_owned(),
        format!("/api/v1/communes/17071/feedback/{feedback}"),
        "/c/17071/feedback".to_owned(),
        format!("/c/17071/office/dossiers/{}", waiting["id"]),
        "/c/17071/office/payments".to_owned(),
        "/c/17071/polls".to_owned(),
        format!("/c/17071/polls/{poll}"),
        "/c/17071/forum".to_owned(),
        format!("/c/17071/forum/{topic}"),
        "/c/17071/directory".to_owned(),
        "/api/v1/communes/17071/households?q=nguyen".to_owned(),
        format!("/api/v1/communes/17071/households/{household}"),
        "/c/17071/office/households?q=mh".to_owned(),
        "/api/v1/communes/17071/map/households.geojson".to_owned(),
        "/api/v1/communes/17071/map/villages.geojson".to_owned(),
        "/api/v1/communes/17071/sensors".to_owned(),
        "/api/v1/communes/17071/sensors/song-lam-01/readings?resolution=hour".to_owned(),
    ];
    *seen.lock().unwrap() = Some(Vec::new());
    for path in &hot {
        let r = official.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    // And the hot writes: a report with its history, a step on a dossier.
    let r = applicant
        .post_json_csrf(
            "/api/v1/communes/17071/feedback",
            serde_json::json!({"category": "infrastructure", "text": "Ổ gà lớn trước cổng chợ", "village_id": village}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = official
        .post_json_csrf(
            &format!("/api/v1/communes/17071/dossiers/{}/steps", waiting["id"]),
            serde_json::json!({"action": "accept", "version": waiting["version"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A dossier found by its receipt alone (whether a fee is due or not).
    anon.get(&format!(
        "/api/v1/payment-code?receipt={receipt}&phone={}",
        services::benchdata::APPLICANT_PHONE
    ))
    .await;
    // A post reported as abusive (the report, the post's count).
    let r = applicant
        .post_json_csrf(
            &format!("/api/v1/communes/17071/forum/posts/{post}/reports"),
            serde_json::json!({"reason": "Quảng cáo"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A notice to the whole commune (its fan-out writes rows of one commune), its messages
    // delivered (claimed and recorded commune by commune, the inbox written), and a resident
    // reading their inbox and marking an item read.
    let r = official
        .post_json_csrf(
            "/api/v1/communes/17071/notices",
            serde_json::json!({"category": "guidance", "title": "Lịch cắt điện thôn Đông", "body": "Từ 7 giờ đến 11 giờ sáng thứ Bảy.", "audience": {"whole_commune": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    app.deliver().await;
    let inbox = applicant.get("/api/v1/me/inbox").await.json();
    let item = inbox["items"][0]["id"].as_i64().expect("an inbox item");
    assert_eq!(applicant.get("/inbox").await.status, StatusCode::OK);
    let r = applicant
        .post_json_csrf(
            &format!("/api/v1/me/inbox/{item}/read"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let statements = seen.lock().unwrap().take().unwrap();
    assert!(statements.len() >= hot.len(), "{statements:?}");

    let tables = commune_tables();
    let mut checked = 0;
    let mut spread = Vec::new();
    for st in &statements {
        if !tables.iter().any(|t| st.sql.contains(t.as_str())) || across_communes(&st.sql) {
            continue;
        }
        checked += 1;
        let (tasks, plan) = shards(&app.platform.state.db, st).await;
        // A fan-out reads people on the coordinator (no shard) and writes rows that all carry
        // one commune's code, which Citus copies to that commune's shard.
        let one_communes_rows = st.sql.starts_with("INSERT INTO")
            && st.sql.contains(" (\"commune_code\", ")
            && st.sql.contains(") SELECT $1, ")
            && plan.contains("pull to coordinator");
        if tasks != 1 && !(tasks == 0 && one_communes_rows) {
            spread.push(format!("{tasks} shards: {}\n{plan}", st.sql));
        }
    }
    assert!(
        checked >= hot.len(),
        "only {checked} statements on commune tables"
    );
    assert!(
        spread.is_empty(),
        "{} of {checked} statements go to more than one shard:\n\n{}",
        spread.len(),
        spread.join("\n\n")
    );
    app.finish().await;
}
