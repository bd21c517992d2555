//! The shard keys (issue 12): every table is declared where it lives on a Citus cluster, the
//! commune-owned ones keyed by commune, and a database made before the keys changed is carried
//! over without losing a row and stays readable through the API.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::common::{self, TestApp};

/// The tables the database has, without SQLite's own and the full-text index's shadow tables.
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
        _ => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE '%_fts_%' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn row_counts(db: &DatabaseConnection) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for t in tables(db).await {
        let n = scalar(db, &format!("SELECT COUNT(*) FROM \"{t}\"")).await;
        out.insert(t, n);
    }
    out
}

#[tokio::test]
async fn every_table_is_placed_and_commune_tables_are_keyed_by_commune() {
    for backend in common::backends() {
        let scratch = common::Scratch::new(backend).await;
        xaso::migrate(&scratch.db).await.unwrap();
        let declared = xaso::rooms().tables();
        let names: Vec<&str> = declared.iter().map(|(t, _)| *t).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            names.len(),
            "a table declared twice: {names:?}"
        );
        // Every table the migrations made is declared, on both backends.
        for t in tables(&scratch.db).await {
            assert!(
                names.contains(&t.as_str()),
                "[{backend}] {t} is not declared"
            );
        }
        if backend == "citus" {
            // The same binary placed every table itself: sharded by commune or reference.
            use kernel::placement::Placement;
            let placed = scalar(
                &scratch.db,
                "SELECT COUNT(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()",
            )
            .await;
            let want = declared
                .iter()
                .filter(|(_, p)| *p != Placement::Coordinator)
                .count() as i64;
            assert_eq!(placed, want, "every commune and reference table is placed");
            let sharded = scalar(
                &scratch.db,
                "SELECT COUNT(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND p.partmethod = 'h'
                   AND column_to_column_name(p.logicalrelid, p.partkey) = 'commune_code'",
            )
            .await;
            let commune = declared
                .iter()
                .filter(|(_, p)| *p == Placement::Commune)
                .count() as i64;
            assert_eq!(
                sharded, commune,
                "commune tables are sharded by commune_code"
            );
        }
        if backend != "sqlite" {
            let schema = kernel::citus::read_schema(&scratch.db).await.unwrap();
            let problems = kernel::placement::rules(&schema, &declared);
            assert!(problems.is_empty(), "{problems:#?}");
            // The rule has teeth: a table keyed by id alone is caught.
            scratch
                .db
                .execute_unprepared(
                    "CREATE TABLE stray (id bigint PRIMARY KEY, commune_code varchar(5) NOT NULL)",
                )
                .await
                .unwrap();
            let mut with_stray = declared.clone();
            with_stray.push(("stray", kernel::placement::Placement::Commune));
            let schema = kernel::citus::read_schema(&scratch.db).await.unwrap();
            let problems = kernel::placement::rules(&schema, &with_stray);
            assert_eq!(
                problems,
                ["stray: primary key (id) does not start with commune_code"]
            );
        }
        scratch.close().await;
    }
}

fn unpack(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The fixture database of `backend` in a fresh place: (data dir, URL, what removes it).
async fn old_database(backend: &str) -> (tempfile::TempDir, String, Option<common::Cleanup>) {
    let dir = tempfile::tempdir().unwrap();
    if backend != "sqlite" {
        let (url, cleanup) = common::fresh_server_db(backend).await;
        let sql = String::from_utf8(unpack("before-shard-keys.pg.sql.gz")).unwrap();
        // psql's own commands (\restrict) are not SQL, and the test's schema (on Citus) is
        // where the tables go, not the dump's `public`.
        let sql: String = sql
            .lines()
            .filter(|l| !l.starts_with('\\') && !l.contains("set_config('search_path'"))
            .map(|l| format!("{}\n", l.replace("public.", "")))
            .collect();
        let load = Database::connect(&url).await.unwrap();
        load.execute_unprepared(&sql).await.unwrap();
        load.close().await.unwrap();
        (dir, url, Some(cleanup))
    } else {
        let path = dir.path().join("xaso.db");
        std::fs::write(&path, unpack("before-shard-keys.sqlite.gz")).unwrap();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        (dir, url, None)
    }
}

#[tokio::test]
async fn a_database_made_before_the_shard_keys_keeps_every_row_and_reads_through_the_api() {
    for backend in common::backends() {
        let (dir, url, pg) = old_database(backend).await;
        let before = {
            let db = kernel::db::connect(&url).await.unwrap();
            let counts = row_counts(&db).await;
            db.close().await.unwrap();
            counts
        };
        assert!(
            before["dossier"] >= 300 && before["feedback"] >= 300,
            "{before:?}"
        );
        for t in [
            "feedback_photo",
            "poll_answer",
            "notice_attachment",
            "dossier_event",
            "payment",
        ] {
            assert!(before[t] > 0, "[{backend}] the fixture has no {t} rows");
        }
        let passwords = HashMap::from([
            ("0900000001".to_owned(), "Fixture-2026".to_owned()),
            ("0900000002".to_owned(), "Fixture-2026".to_owned()),
        ]);
        let app = TestApp::open(backend, dir, url, pg, passwords).await;
        let db = &app.platform.state.db;
        let after = row_counts(db).await;
        for (table, n) in &before {
            if table == "seaql_migrations" {
                assert_eq!(
                    after[table],
                    n + 11,
                    "[{backend}] the four shard-key migrations, the shared state, the message shards, the dossier's history, the household register, the infrastructure and sensors, the survey, the saved import columns"
                );
                continue;
            }
            assert_eq!(after.get(table), Some(n), "[{backend}] rows of {table}");
        }
        // Child rows got their commune from their parent.
        for t in [
            "feedback_event",
            "feedback_photo",
            "poll_question",
            "poll_response",
            "poll_answer",
            "notice_attachment",
            "notice_recipient",
            "notice_subscription",
        ] {
            let missing = scalar(
                db,
                &format!(
                    "SELECT COUNT(*) FROM {t} WHERE commune_code IS NULL OR commune_code <> '17071'"
                ),
            )
            .await;
            assert_eq!(missing, 0, "[{backend}] {t} rows without their commune");
        }
        assert!(before["notice_recipient"] > 200);

        // Readable through the API: tracking, the desk, a feedback receipt, the notice board.
        let mut anon = app.client();
        let r = anon
            .get("/api/v1/track?receipt=17071-250101-00001&phone=0900000001")
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.body);
        assert_eq!(r.json()["dossier"]["receipt_code"], "17071-250101-00001");
        // Its history, copied into the dossier's row by the migration, is the events'.
        let events = scalar(
            db,
            "SELECT COUNT(*) FROM dossier_event WHERE commune_code = '17071' AND dossier_id = \
             (SELECT id FROM dossier WHERE commune_code = '17071' AND receipt_code = '17071-250101-00001')",
        )
        .await;
        assert!(events > 0);
        assert_eq!(
            r.json()["history"].as_array().unwrap().len() as i64,
            events,
            "[{backend}] {}",
            r.body
        );
        let mut official = app.login("0900000002").await;
        let inbox = official.get("/api/v1/communes/17071/dossiers").await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
        assert!(
            !inbox.json().as_array().unwrap().is_empty(),
            "{}",
            inbox.body
        );
        let fb = anon.get("/c/17071/feedback/PA17071-250101-000001").await;
        assert_eq!(fb.status, StatusCode::OK, "[{backend}]");
        let board = anon.get("/api/v1/communes/17071/notices").await;
        assert_eq!(board.status, StatusCode::OK);
        assert!(
            board.json()["items"].as_array().unwrap().len() >= 20,
            "{}",
            board.body
        );
        // Each person's inbox items are in the communes their reads name, and the applicant
        // reads all of theirs.
        // (Compared here: Citus does not join a sharded table with a coordinator table.)
        let pairs = async |sql: &str| -> std::collections::BTreeSet<(i64, String)> {
            db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.try_get_by_index(0).unwrap(),
                        r.try_get_by_index(1).unwrap(),
                    )
                })
                .collect()
        };
        let have = pairs("SELECT DISTINCT user_id, commune_code FROM inbox_item").await;
        let named: std::collections::BTreeSet<(i64, String)> = pairs(
            "SELECT id, commune_code FROM app_user WHERE commune_code IS NOT NULL \
             UNION SELECT user_id, commune_code FROM inbox_commune",
        )
        .await;
        assert!(!have.is_empty());
        let unnamed: Vec<_> = have.difference(&named).collect();
        assert!(
            unnamed.is_empty(),
            "[{backend}] inbox items nobody's reads name: {unnamed:?}"
        );
        let mut applicant = app.login("0900000001").await;
        let me = applicant.get("/api/v1/me").await.json()["id"]
            .as_i64()
            .unwrap();
        let theirs = scalar(
            db,
            &format!("SELECT COUNT(*) FROM inbox_item WHERE user_id = {me} AND read_at IS NULL"),
        )
        .await;
        assert!(
            theirs > 0,
            "[{backend}] the fixture's applicant has unread items"
        );
        let inbox = applicant.get("/api/v1/me/inbox").await.json();
        assert_eq!(inbox["unread"], theirs, "[{backend}] {inbox}");
        // And it takes new rows under the new keys: a report with its history.
        let events = app.count("feedback_event").await;
        let village = scalar(db, "SELECT MIN(id) FROM village").await;
        let r = applicant
            .post_json_csrf(
                "/api/v1/communes/17071/feedback",
                serde_json::json!({"category": "infrastructure", "text": "Ổ gà lớn trước cổng chợ", "village_id": village}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{backend}] {}", r.body);
        assert_eq!(app.count("feedback_event").await, events + 1);
        app.finish().await;
    }
}
