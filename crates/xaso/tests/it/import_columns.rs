//! The commune's saved column mapping through HTTP: a file with the commune's own headers is
//! refused for its columns; once an official says how they read (through the API or on the
//! refused file's card, which reads the same file again), every later import reads them so;
//! bad mappings change nothing; forgetting one brings the refusal back.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::common::{self, Client, TestApp, token_client};

const C: &str = "/api/v1/communes/17071/households";
const CSV: &str = "Mã hộ,Tên chủ hộ gia đình,Ghi chú\nMC-0001,Nguyễn Văn Mới,khách\n";

async fn preview(c: &mut Client) -> serde_json::Value {
    let r = c
        .send(
            Request::post(format!("{C}/import"))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(CSV))
                .unwrap(),
        )
        .await;
    // 422 with the report when the file is refused whole.
    assert!(
        matches!(r.status, StatusCode::OK | StatusCode::UNPROCESSABLE_ENTITY),
        "{}",
        r.body
    );
    r.json()
}

#[tokio::test]
async fn saved_headers_are_read_by_every_later_import() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let before = preview(&mut official).await;
        assert_eq!(before["file"]["code"], "import_unknown_columns", "{before}");
        assert_eq!(
            before["file"]["columns"],
            json!(["Tên chủ hộ gia đình", "Ghi chú"])
        );

        // Bad mappings: refused whole, nothing saved.
        let bad = [
            (
                json!([{"header": "Tên chủ hộ gia đình", "field": "head_nam"}]),
                "import_mapping_field_unknown",
            ),
            (
                json!([{"header": "Tên chủ hộ gia đình", "field": "head_name"}, {"header": " ", "field": "ignore"}]),
                "import_mapping_header_invalid",
            ),
            (json!([]), "import_mapping_header_invalid"),
        ];
        for (body, code) in bad {
            let r = official
                .send_json_csrf("PUT", &format!("{C}/columns"), body)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(r.error_code(), code);
        }
        assert_eq!(app.count("household_column").await, 0);
        let mut citizen = token_client(app, common::CITIZEN).await;
        let r = citizen
            .send_json_csrf(
                "PUT",
                &format!("{C}/columns"),
                json!([{"header": "Ghi chú", "field": "ignore"}]),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = official
            .send_json_csrf(
                "PUT",
                &format!("{C}/columns"),
                json!([{"header": "Tên chủ hộ gia đình", "field": "head_name"}, {"header": "GHI CHU", "field": "ignore"}]),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let saved = official.get(&format!("{C}/columns")).await.json();
        assert_eq!(saved.as_array().unwrap().len(), 2, "{saved}");
        let after = preview(&mut official).await;
        assert!(after["file"].is_null(), "{after}");
        assert_eq!(after["new"], 1);
        assert_eq!(
            app.count("audit_log WHERE action = 'household.columns'")
                .await,
            1
        );

        // Forgotten: the header is unknown again.
        let id = saved
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["field"] == "head_name")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = official
            .send(
                Request::delete(format!("{C}/columns/{id}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        assert_eq!(
            preview(&mut official).await["file"]["columns"],
            json!(["Tên chủ hộ gia đình"])
        );
        let r = official
            .send(
                Request::delete(format!("{C}/columns/{id}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.error_code(), "import_mapping_unknown");
    });
}

#[tokio::test]
async fn the_refused_files_card_asks_how_its_columns_read_and_reads_it_again() {
    on_each_backend!(async |app: &TestApp| {
        let mut browser = app.login(common::OFFICIAL).await;
        let form = browser.get("/c/17071/office/households/import").await;
        let csrf = common::csrf_from(&form.body).unwrap();
        let r = browser
            .post_multipart(
                &format!("/c/17071/office/households/import?csrf={csrf}"),
                "file",
                "so-ho-cua-xa.csv",
                "text/csv",
                CSV.as_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = r.location().to_owned();
        app.platform.jobs.run_due(chrono::Utc::now()).await.unwrap();
        let card = browser.get(&at).await;
        assert!(
            card.body.contains(r#"id="column-mapping""#),
            "{}",
            card.body
        );
        assert!(card.body.contains("Bỏ qua cột này"));
        assert_eq!(
            app.count("household_import WHERE length(file) > 0").await,
            1,
            "a file refused for its columns is kept to be read again"
        );
        let r = browser
            .post_form(
                &format!("{at}/columns"),
                &[
                    ("header", "Tên chủ hộ gia đình"),
                    ("field", "head_name"),
                    ("header", "Ghi chú"),
                    ("field", "ignore"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(browser.get(&at).await.body.contains("Đang đọc tệp"));
        app.platform.jobs.run_due(chrono::Utc::now()).await.unwrap();
        let preview = browser.get(&at).await;
        assert!(preview.body.contains("Chờ ghi vào sổ"), "{}", preview.body);
        assert!(preview.body.contains("Nguyễn Văn Mới"));
        // A file that is not refused for its columns is not read again.
        let again = browser
            .post_form(
                &format!("{at}/columns"),
                &[("header", "X"), ("field", "ignore")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(
            app.count("household_column WHERE header = 'x'").await,
            0,
            "refused: nothing saved"
        );
        // The import page lists what the commune saved, and forgets one.
        let page = browser.get("/c/17071/office/households/import").await;
        assert!(page.body.contains(r#"id="saved-columns""#));
        assert!(page.body.contains("Tên chủ hộ gia đình"));
    });
}

#[tokio::test]
async fn an_upload_left_unwritten_for_a_week_loses_its_file() {
    on_each_backend!(async |app: &TestApp| {
        use sea_orm::ConnectionTrait;
        let mut browser = app.login(common::OFFICIAL).await;
        let form = browser.get("/c/17071/office/households/import").await;
        let csrf = common::csrf_from(&form.body).unwrap();
        let csv = "household_code,head_name\nST-1,Lò Văn Cũ\n";
        let r = browser
            .post_multipart(
                &format!("/c/17071/office/households/import?csrf={csrf}"),
                "file",
                "cu.csv",
                "text/csv",
                csv.as_bytes(),
                &[],
            )
            .await;
        let at = r.location().to_owned();
        app.platform.jobs.run_due(chrono::Utc::now()).await.unwrap();
        assert!(browser.get(&at).await.body.contains("Chờ ghi vào sổ"));
        let db = &app.platform.state.db;
        assert_eq!(
            registry::actions::imports::forget_stale(db).await.unwrap(),
            0,
            "a fresh preview stays"
        );
        let old = (chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339();
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE household_import SET finished_at = $1",
            [chrono::DateTime::parse_from_rfc3339(&old)
                .unwrap()
                .with_timezone(&chrono::Utc)
                .into()],
        ))
        .await
        .unwrap();
        assert_eq!(
            registry::actions::imports::forget_stale(db).await.unwrap(),
            1
        );
        assert_eq!(
            app.count("household_import WHERE length(file) > 0").await,
            0
        );
        let r = browser.post_form(&format!("{at}/apply"), &[]).await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "a preview left a week is not written"
        );
        assert_eq!(app.count("household WHERE code = 'ST-1'").await, 0);
    });
}
