//! The full-text search (`kernel::search`) through HTTP on both databases: procedures,
//! notices and feedback found without accents, by word prefixes, every word required,
//! whole words first, never another commune's, and input that is nonsense or too long
//! answered with an empty search or a 400, never a 500.

use crate::common;

use axum::http::StatusCode;
use common::{Client, TestApp};
use serde_json::{Value, json};

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

async fn get_json(c: &mut Client, path: &str) -> Value {
    let r = c.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json()
}

/// The values of `key` of a list (a bare array, or `items` of a page).
async fn listed(c: &mut Client, path: &str, key: &str) -> Vec<String> {
    let v = get_json(c, path).await;
    let items = v.get("items").unwrap_or(&v).as_array().unwrap().clone();
    items
        .iter()
        .map(|x| x[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|x| x.contains(needle))
}

fn position(list: &[String], needle: &str) -> usize {
    list.iter()
        .position(|x| x.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {list:?}"))
}

/// Another commune with a procedure, a notice and an answered report about sand mining, so a
/// search for it in the demo commune must come back empty.
async fn seed_other_commune(app: &TestApp) {
    let mut other = other_commune_admin(app).await;
    let r = other
        .post_json_csrf(
            "/api/v1/communes/02269/procedures",
            json!({"code": "KS-01", "name": "Cấp phép khai thác cát sỏi lòng sông", "field": "Khoáng sản",
                   "fee_vnd": 0, "processing_days": 5, "online_level": "partial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = other
        .post_json_csrf(
            "/api/v1/communes/02269/notices",
            json!({"category": "notice", "title": "Cấm khai thác cát sỏi trái phép",
                   "body": "Khai thác cát sỏi lòng sông bị xử phạt.", "audience": {"whole_commune": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = other.csrf().await;
    let r = other
        .send(
            axum::http::Request::put("/api/v1/communes/02269/feedback/categories")
                .header("content-type", "application/json")
                .header("x-csrf-token", token)
                .body(axum::body::Body::from(
                    json!({"code": "mining", "name": "Khai thác khoáng sản", "deadline_days": 7})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = other
        .post_json_csrf(
            "/api/v1/communes/02269/feedback",
            json!({"category": "mining", "text": "Đèn đường và bãi cát sỏi lấn chiếm bờ sông", "address": "Bến sông"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = other
        .post_json_csrf(
            &format!("/api/v1/communes/02269/office/feedback/{id}/steps"),
            json!({"action": "answer", "version": 1, "note": "Đã xử lý."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // It is found in its own commune: the searches below come back empty for the right reason.
    let mut anon = app.client();
    let p = listed(
        &mut anon,
        "/api/v1/communes/02269/procedures?q=cat+soi",
        "name",
    )
    .await;
    assert!(has(&p, "khai thác cát sỏi"), "{p:?}");
    let n = listed(
        &mut anon,
        "/api/v1/communes/02269/notices?q=cat+soi",
        "title",
    )
    .await;
    assert_eq!(n.len(), 1, "{n:?}");
    let f = listed(
        &mut anon,
        "/api/v1/communes/02269/feedback/board?q=cat+soi",
        "text",
    )
    .await;
    assert_eq!(f.len(), 1, "{f:?}");
}

#[tokio::test]
async fn procedures_are_found_by_word_prefixes_without_accents_in_their_commune_only() {
    on_each_backend!(async |app: &TestApp| {
        seed_other_commune(app).await;
        let mut c = app.client();
        let base = "/api/v1/communes/17071/procedures";
        // A prefix of each word: "kh sinh" is how people type "khai sinh" in a hurry.
        let p = listed(&mut c, &format!("{base}?q=kh+sinh"), "name").await;
        assert_eq!(p, ["Đăng ký khai sinh"], "{}", app.backend);
        // Every word must match (AND), with or without accents.
        let p = listed(&mut c, &format!("{base}?q=dang+ky+khai"), "name").await;
        assert_eq!(p.len(), 2, "khai sinh and khai tử: {p:?}");
        let p = listed(&mut c, &format!("{base}?q=Đăng+ký+kết+hôn"), "name").await;
        assert_eq!(p, ["Đăng ký kết hôn"]);
        // A word's middle is not its start: "inh" finds nothing (the old LIKE found "sinh").
        assert!(
            listed(&mut c, &format!("{base}?q=inh"), "name")
                .await
                .is_empty()
        );
        // "hon" is "kết hôn" and "tình trạng hôn nhân", not "hộ tịch" (not a prefix of "ho").
        let p = listed(&mut c, &format!("{base}?q=hon"), "name").await;
        assert_eq!(p.len(), 2, "{p:?}");
        // Another commune's catalogue is never searched.
        assert!(
            listed(&mut c, &format!("{base}?q=cat+soi"), "name")
                .await
                .is_empty()
        );
        assert!(
            listed(&mut c, &format!("{base}?q=khai+thac"), "name")
                .await
                .is_empty()
        );
        // The page searches the same way.
        let page = c.get("/c/17071/services?q=kh+sinh").await;
        assert!(page.body.contains("Đăng ký khai sinh") && !page.body.contains("Đăng ký khai tử"));
    });
}

#[tokio::test]
async fn notices_rank_whole_words_first_and_stay_in_their_commune() {
    on_each_backend!(async |app: &TestApp| {
        seed_other_commune(app).await;
        let mut official = app.login(common::OFFICIAL).await;
        for (title, body) in [
            (
                "Họp dân thôn Minh Hòa",
                "Bà con thôn Minh Hòa họp tại nhà văn hóa.",
            ),
            (
                "Lịch cấp giấy khai sinh lưu động",
                "Cán bộ tư pháp đến từng xóm.",
            ),
            // Newer, and "thon" only starts its words: it must come after the whole word.
            (
                "Thông báo thu gom rác",
                "Xe thu gom đi qua vào sáng thứ Hai.",
            ),
        ] {
            let r = official
                .post_json_csrf(
                    "/api/v1/communes/17071/notices",
                    json!({"category": "notice", "title": title, "body": body, "audience": {"whole_commune": true}}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let mut anon = app.client();
        let base = "/api/v1/communes/17071/notices";
        let t = listed(&mut anon, &format!("{base}?q=giay+khai+sinh"), "title").await;
        assert_eq!(t, ["Lịch cấp giấy khai sinh lưu động"]);
        let t = listed(&mut anon, &format!("{base}?q=luu+d"), "title").await;
        assert_eq!(t, ["Lịch cấp giấy khai sinh lưu động"]);
        // Both words are needed.
        assert!(
            listed(&mut anon, &format!("{base}?q=hop+dan+khai"), "title")
                .await
                .is_empty()
        );
        // "thon" whole in the meeting, only a prefix of "thông báo": the meeting first, though
        // the other is newer.
        let t = listed(&mut anon, &format!("{base}?q=thon"), "title").await;
        assert!(
            position(&t, "Họp dân thôn Minh Hòa") < position(&t, "Thông báo thu gom rác"),
            "[{}] {t:?}",
            app.backend
        );
        assert!(
            listed(&mut anon, &format!("{base}?q=cat+soi"), "title")
                .await
                .is_empty()
        );
        let page = anon.get("/c/17071/notices?q=giay+khai").await;
        assert!(page.body.contains("Lịch cấp giấy khai sinh lưu động"));
        assert!(!page.body.contains("Họp dân thôn Minh Hòa"));
    });
}

#[tokio::test]
async fn feedback_is_searched_on_the_triage_list_and_the_public_board() {
    on_each_backend!(async |app: &TestApp| {
        seed_other_commune(app).await;
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/feedback",
                json!({"category": "infrastructure", "text": "Cống thoát nước ở chợ Minh Hợp bị tắc", "address": "Chợ trung tâm"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut official = app.login(common::OFFICIAL).await;
        let triage = "/api/v1/communes/17071/office/feedback?status=all";
        // The new report, by prefixes of its text and its address, accents optional.
        let f = listed(
            &mut official,
            &format!("{triage}&q=cong+thoat+nuoc"),
            "text",
        )
        .await;
        assert_eq!(f, ["Cống thoát nước ở chợ Minh Hợp bị tắc"]);
        let f = listed(&mut official, &format!("{triage}&q=tac+trung+t"), "text").await;
        assert_eq!(f.len(), 1, "{f:?}");
        let v = get_json(&mut official, &format!("{triage}&q=thoat+nuoc")).await;
        assert_eq!(v["total"], 1);
        // The demo's answered reports: "den duong" is the street light, not the drain.
        let f = listed(&mut official, &format!("{triage}&q=den+duong"), "text").await;
        assert!(
            has(&f, "Đèn đường ở ngã ba") && !has(&f, "Cống thoát nước"),
            "{f:?}"
        );
        assert!(
            listed(&mut official, &format!("{triage}&q=den+rom"), "text")
                .await
                .is_empty()
        );
        let page = official
            .get("/c/17071/office/feedback?status=all&q=cong+thoat")
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Cống thoát nước") && !page.body.contains("Đèn đường ở ngã ba"));

        // The public board searches what it shows: answered reports only, of this commune.
        let mut anon = app.client();
        let board = "/api/v1/communes/17071/feedback/board";
        let f = listed(&mut anon, &format!("{board}?q=den+duong"), "text").await;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("Đèn đường ở ngã ba thôn Minh Tiến"),
            "{f:?}"
        );
        let f = listed(&mut anon, &format!("{board}?q=rom+ra"), "text").await;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            listed(&mut anon, &format!("{board}?q=cong+thoat"), "text")
                .await
                .is_empty()
        );
        assert!(
            listed(&mut anon, &format!("{board}?q=cat+soi"), "text")
                .await
                .is_empty()
        );
        let all = listed(&mut anon, board, "text").await;
        assert!(all.len() >= 2, "no q: the whole board {all:?}");

        // The board page has the same search, a box that keeps the words, and says when
        // nothing matches; without words it is the whole (cached) board again.
        let page = anon.get("/c/17071/feedback?q=den+duong").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Đèn đường ở ngã ba"), "{}", page.body);
        assert!(!page.body.contains("đốt rơm rạ"), "only the match");
        assert!(
            page.body
                .contains(r#"name="q" type="search" value="den duong""#)
        );
        let page = anon.get("/c/17071/feedback?q=cong+thoat").await;
        assert!(
            !page.body.contains("Cống thoát nước"),
            "not answered: not public"
        );
        assert!(page.body.contains("Không có phản ánh đã trả lời nào khớp"));
        let page = anon.get("/c/17071/feedback").await;
        assert!(page.body.contains("Đèn đường ở ngã ba") && page.body.contains("đốt rơm rạ"));
        let long = "a".repeat(201);
        let page = anon.get(&format!("/c/17071/feedback?q={long}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
    });
}

#[tokio::test]
async fn odd_or_long_searches_answer_sensibly() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = app.login(common::OFFICIAL).await;
        let long = "khai ".repeat(100);
        let long = long.replace(' ', "+");
        for path in [
            "/api/v1/communes/17071/procedures",
            "/api/v1/communes/17071/notices",
            "/api/v1/communes/17071/feedback/board",
            "/api/v1/communes/17071/office/feedback",
        ] {
            // FTS5 and tsquery syntax, quotes and operators: plain words or nothing, never an error.
            for q in [
                "%22%2A-%3A%28%29%5E",
                "khai%22+OR+%22sinh",
                "NEAR%28khai+sinh%29",
                "-khai",
                "title%3Akhai",
                "%27%3A%2A+%26+%21",
                "%25_%5C",
            ] {
                let r = official.get(&format!("{path}?q={q}")).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "[{}] {path}?q={q}: {}",
                    app.backend,
                    r.body
                );
            }
            // Only punctuation: no search, the list as it is.
            let plain = official.get(path).await.json();
            let punct = official
                .get(&format!("{path}?q=%21%21%21+%3F%3F"))
                .await
                .json();
            assert_eq!(plain, punct, "{path}");
            // 500 characters: a clear 400 naming the field.
            let r = official.get(&format!("{path}?q={long}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
            assert_eq!(r.error_code(), "search_too_long");
        }
        for page in [
            "/c/17071/services",
            "/c/17071/notices",
            "/c/17071/office/feedback",
        ] {
            let r = official.get(&format!("{page}?q={long}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{page}");
            let r = official.get(&format!("{page}?q=%22%2A-NEAR%3A")).await;
            assert_eq!(r.status, StatusCode::OK, "{page}");
        }
    });
}

/// The ids an [`kernel::search::Index`] finds for `q` in table `t`.
async fn found(db: &sea_orm::DatabaseConnection, q: &str) -> Vec<i64> {
    use sea_orm::sea_query::{Alias, Order, Query as Select};
    use sea_orm::{ConnectionTrait, StatementBuilder};
    let backend = db.get_database_backend();
    let q = kernel::search::Query::parse(q).unwrap();
    let mut s = Select::select();
    s.column(Alias::new("id"))
        .from(Alias::new("t"))
        .and_where(SCRATCH.matches(backend, &q))
        .order_by(Alias::new("id"), Order::Asc);
    db.query_all_raw(StatementBuilder::build(&s, &backend))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64>("", "id").unwrap())
        .collect()
}

const SCRATCH: kernel::search::Index = kernel::search::Index::new("t", "folded");

#[tokio::test]
async fn an_index_covers_the_rows_already_there_and_follows_every_write() {
    use sea_orm::ConnectionTrait;
    for backend in common::backends() {
        let scratch = common::Scratch::new(backend).await;
        let db = &scratch.db;
        let pk = if backend != "sqlite" {
            "bigserial PRIMARY KEY"
        } else {
            "integer PRIMARY KEY AUTOINCREMENT"
        };
        let run = async |sql: &str| db.execute_unprepared(sql).await.unwrap();
        run(&format!("CREATE TABLE t (id {pk}, folded text NOT NULL)")).await;
        run("INSERT INTO t (folded) VALUES ('khai sinh cho con'), ('cap phep xay dung'), ('khai tu')").await;

        // Made on a table with rows: they are found at once.
        SCRATCH.create(db).await.unwrap();
        assert_eq!(
            found(db, "khai").await,
            vec![1, 3],
            "[{backend}] rows already there"
        );

        run("INSERT INTO t (folded) VALUES ('khai thac cat soi')").await;
        run("UPDATE t SET folded = 'dang ky ket hon' WHERE id = 1").await;
        run("DELETE FROM t WHERE id = 3").await;
        assert_eq!(found(db, "khai").await, vec![4], "[{backend}] after writes");
        assert_eq!(
            found(db, "ket hon").await,
            vec![1],
            "[{backend}] the new text"
        );
        assert_eq!(
            found(db, "sinh").await,
            Vec::<i64>::new(),
            "[{backend}] the old text"
        );

        // Down and up again: still complete.
        SCRATCH.drop(db).await.unwrap();
        SCRATCH.create(db).await.unwrap();
        assert_eq!(found(db, "xay dung").await, vec![2], "[{backend}] rebuilt");

        scratch.close().await;
    }
}
