//! Payments through HTTP on both databases: a commune's bank statement (CSV) matched to the
//! dossier fees due, its matches confirmed in one action, and every refusal changing nothing.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, TestApp};
use serde_json::json;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 200, 190]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn token_client(app: &TestApp, phone: &str) -> Client {
    let mut c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/token",
            json!({"phone": phone, "password": app.passwords[phone], "name": "test"}),
        )
        .await;
    c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
    c
}

/// A citizen submits an HT-04 dossier (fee 15.000 ₫); returns its id and receipt code.
async fn submit_fee_dossier(c: &mut Client) -> (i64, String) {
    let list = c.get("/api/v1/communes/17071/procedures").await.json();
    let pid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "HT-04")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = c
        .post_multipart(
            "/api/v1/communes/17071/attachments",
            "file",
            "to-khai.png",
            "image/png",
            &png(),
            &[],
        )
        .await;
    let a = r.json()["id"].as_i64().unwrap();
    let r = c
        .post_json("/api/v1/communes/17071/dossiers", json!({"procedure_id": pid, "applicant_name": "Hoàng Văn Em", "applicant_phone": "0912000011", "data": {"purpose": "Kết hôn"}, "documents": [{"name": "Tờ khai cấp giấy xác nhận tình trạng hôn nhân", "attachment_id": a}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let d = r.json();
    (
        d["id"].as_i64().unwrap(),
        d["receipt_code"].as_str().unwrap().to_owned(),
    )
}

async fn post_csv(c: &mut Client, body: Vec<u8>) -> common::Resp {
    c.send(
        Request::post("/api/v1/communes/17071/payments/statement")
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// Whether the dossier shows as paid to its applicant, and how.
async fn paid(app: &TestApp, receipt: &str) -> (bool, Option<String>) {
    let d = app
        .client()
        .get(&format!("/api/v1/track?receipt={receipt}&phone=0912000011"))
        .await
        .json();
    (
        d["dossier"]["paid"]
            .as_bool()
            .unwrap_or_else(|| panic!("{d}")),
        d["dossier"]["payment_method"].as_str().map(str::to_owned),
    )
}

#[tokio::test]
async fn a_bank_statement_settles_the_fees_it_names() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = token_client(app, common::CITIZEN).await;
        let (id1, r1) = submit_fee_dossier(&mut citizen).await;
        let (_id2, r2) = submit_fee_dossier(&mut citizen).await;
        // Banks drop the dashes and change the case of what the payer typed.
        let squeezed = r1.replace('-', "").to_lowercase();
        let csv = format!(
            "\u{feff}Ngày giao dịch;Số tiền;Nội dung\r\n\
             01/07/2025;15.000;CT DEN HOANG VAN EM {squeezed} le phi\r\n\
             02/07/2025;20.000;nop phi {r2}\r\n\
             03/07/2025;15.000;nop phi 17071-000000-ZZZZZ\r\n\
             04/07/2025;-5.000;Phi SMS\r\n"
        );

        // Citizens and village heads may neither read nor confirm a statement.
        for phone in [common::CITIZEN, common::VILLAGE_HEAD] {
            let mut c = token_client(app, phone).await;
            let r = post_csv(&mut c, csv.clone().into_bytes()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}: {}", r.body);
            let r = c
                .post_json(
                    "/api/v1/communes/17071/payments/statement/confirm",
                    json!({"payments": [1]}),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}: {}", r.body);
        }

        let mut official = token_client(app, common::OFFICIAL).await;
        // Bad files are refused with a code and change nothing.
        let audited = app.count("audit_log").await;
        for (body, status, code) in [
            (b"".to_vec(), StatusCode::BAD_REQUEST, "statement_empty"),
            (
                b"a,b,c\n1,2,3\n".to_vec(),
                StatusCode::BAD_REQUEST,
                "statement_columns",
            ),
            (
                "Số tiền;Nội dung\nmười lăm nghìn;x\n".as_bytes().to_vec(),
                StatusCode::BAD_REQUEST,
                "statement_amount",
            ),
            (
                vec![b'x'; 1024 * 1024 + 1],
                StatusCode::PAYLOAD_TOO_LARGE,
                "statement_too_large",
            ),
        ] {
            let r = post_csv(&mut official, body).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (status, code),
                "{}",
                r.body
            );
            assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(app.count("audit_log").await, audited);
        assert_eq!(paid(app, &r1).await, (false, None));

        let r = post_csv(&mut official, csv.clone().into_bytes()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rep = r.json();
        assert_eq!(
            (&rep["matched"], &rep["unmatched"], &rep["ambiguous"]),
            (&json!(1), &json!(2), &json!(0)),
            "{rep}"
        );
        let lines = rep["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 3, "the debit line is left out");
        assert_eq!(lines[0]["outcome"], "matched");
        assert_eq!(lines[0]["payment"]["ref_kind"], "dossier");
        assert_eq!(lines[0]["payment"]["ref_id"], id1);
        assert_eq!(lines[0]["payment"]["reference"], r1.as_str());
        assert_eq!(
            (&lines[1]["outcome"], &lines[1]["reason"]),
            (&json!("unmatched"), &json!("amount_differs"))
        );
        assert_eq!(
            (&lines[2]["outcome"], &lines[2]["reason"]),
            (&json!("unmatched"), &json!("reference_unknown"))
        );
        // Reading changes nothing.
        assert_eq!(paid(app, &r1).await, (false, None));
        let pay_id = lines[0]["payment"]["id"].as_i64().unwrap();

        let r = official
            .post_json(
                "/api/v1/communes/17071/payments/statement/confirm",
                json!({"payments": [pay_id]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let done = &r.json()["confirmed"][0];
        assert_eq!(
            (&done["status"], &done["method"]),
            (&json!("paid"), &json!("transfer"))
        );
        assert_eq!(paid(app, &r1).await, (true, Some("transfer".into())));
        assert_eq!(paid(app, &r2).await, (false, None));
        let mut admin = token_client(app, common::COMMUNE_ADMIN).await;
        let log = admin
            .get("/api/v1/communes/17071/audit?action=dossier.payment")
            .await;
        assert!(log.body.contains(&r1), "{}", log.body);

        // Confirmed once: the same line again is refused and nothing changes.
        let r = official
            .post_json(
                "/api/v1/communes/17071/payments/statement/confirm",
                json!({"payments": [pay_id]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "payment_not_due")
        );
        let r = post_csv(&mut official, csv.into_bytes()).await;
        assert_eq!(r.json()["lines"][0]["reason"], "reference_unknown");
    });
}

#[tokio::test]
async fn the_payments_page_reads_a_statement_and_confirms_its_matches() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = token_client(app, common::CITIZEN).await;
        let (_, receipt) = submit_fee_dossier(&mut citizen).await;

        for phone in [common::CITIZEN, common::VILLAGE_HEAD] {
            let r = app.login(phone).await.get("/c/17071/office/payments").await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}");
        }

        let mut desk = app.login(common::OFFICIAL).await;
        let page = desk.get("/c/17071/office/payments").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&receipt), "the fee is listed as due");
        let token = common::csrf_from(&page.body).unwrap();

        let bad = desk
            .post_multipart(
                &format!("/c/17071/office/payments/statement?csrf={token}"),
                "file",
                "sao-ke.csv",
                "text/csv",
                b"x;y\n1;2\n",
                &[],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("Không nhận ra các cột"), "{}", bad.body);

        let csv = format!(
            "Date,Description,Debit,Credit\n2025-07-01,\"Nop phi, {receipt}\",,\"15,000\"\n"
        );
        let r = desk
            .post_multipart(
                &format!("/c/17071/office/payments/statement?csrf={token}"),
                "file",
                "sao-ke.csv",
                "text/csv",
                csv.as_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("pay-matched"), "{}", r.body);
        let i = r.body.find("name=\"payments\" value=\"").unwrap() + 23;
        let ids = r.body[i..].split('"').next().unwrap().to_owned();
        assert_eq!(paid(app, &receipt).await, (false, None));

        let r = desk
            .post_form("/c/17071/office/payments/confirm", &[("payments", &ids)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(paid(app, &receipt).await, (true, Some("transfer".into())));
        let page = desk.get(r.location()).await;
        assert!(!page.body.contains(&receipt), "no longer due");
    });
}

/// Every migration but the two that bring payments to the kernel, and those written after
/// them (the shard keys): a database as it was.
struct Before;

impl sea_orm_migration::MigratorTrait for Before {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        <xaso::Migrations as sea_orm_migration::MigratorTrait>::migrations()
            .into_iter()
            .filter(|m| !["m0004_payments", "m0102_services_payment_records"].contains(&m.name()))
            .filter(|m| m.name() < "m1000")
            .collect()
    }
}

#[tokio::test]
async fn an_older_database_keeps_its_fee_account_and_gets_fee_records() {
    use kernel::payments::{self, Owner};
    use sea_orm::{ConnectionTrait, Statement, Value};
    use sea_orm_migration::{MigratorTrait, SchemaManager};

    for backend in common::backends() {
        let scratch = common::Scratch::new(backend).await;
        let db = &scratch.db;
        Before::up(db, None).await.unwrap();
        let now = chrono::Utc::now();
        let run = |sql: &str, values: Vec<Value>| {
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                sql,
                values,
            ))
        };
        run("INSERT INTO commune (code, name, unit_type, province_code, district_code, brand_color, tagline, logo_attachment_id, active, created_at) VALUES ('17071', 'Xã Minh Hợp', 'xa', '17', NULL, '#0b6e4f', NULL, NULL, TRUE, $1)", vec![now.into()]).await.unwrap();
        run("INSERT INTO payment_account (commune_code, bank_bin, account_number, account_name) VALUES ('17071', '970405', '3600205012345', 'UBND XA MINH HOP')", vec![]).await.unwrap();
        run("INSERT INTO procedure (id, commune_code, code, name, folded_name, field, legal_basis, documents, form_fields, fee_vnd, processing_days, online_level, steps, active, created_at, updated_at) VALUES (1, '17071', 'HT-04', 'Xác nhận tình trạng hôn nhân', 'xac nhan', 'Hộ tịch', '', '[]', '[]', 15000, 3, 'full', '[]', TRUE, $1, $1)", vec![now.into()]).await.unwrap();
        for (id, status, paid_at, method) in [
            (1_i64, "received", None, None),
            (2, "accepted", Some(now), Some("cash")),
            (3, "refused", None, None),
        ] {
            run("INSERT INTO dossier (id, commune_code, receipt_code, procedure_id, applicant_name, applicant_phone, channel, status, data, received_at, due_date, fee_vnd, paid_at, payment_method, version, updated_at) VALUES ($1, '17071', $2, 1, 'Hoàng Văn Em', '0912000011', 'online', $3, '{}', $4, $5, 15000, $6, $7, 1, $4)",
                vec![id.into(), format!("17071-250701-AAAA{id}").into(), status.into(), now.into(), now.date_naive().into(), paid_at.into(), method.map(str::to_owned).into()]).await.unwrap();
        }

        xaso::Migrations::up(db, None).await.unwrap();
        let a = payments::account_of(db, "17071", Owner::Commune)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("[{backend}] the account was copied"));
        assert_eq!(
            (
                a.bank_bin.as_str(),
                a.account_number.as_str(),
                a.account_name.as_str()
            ),
            ("970405", "3600205012345", "UBND XA MINH HOP")
        );
        assert!(
            !SchemaManager::new(db)
                .has_table("payment_account")
                .await
                .unwrap()
        );
        let mut seen = vec![];
        for id in 1..=3 {
            let p = payments::for_ref(db, "17071", "dossier", id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((p.amount_vnd, p.account_id), (15_000, Some(a.id)));
            assert_eq!(p.reference, format!("17071-250701-AAAA{id}"));
            seen.push((p.status, p.method, p.confirmed_at.is_some()));
        }
        assert_eq!(
            seen,
            vec![
                ("due".into(), None, false),
                ("paid".into(), Some("cash".into()), true),
                ("cancelled".into(), None, false),
            ],
            "[{backend}]"
        );

        // Down to just before the fee records: the commune's account is back where it was and
        // the dossiers' records are gone; up again, they come back.
        let all = <xaso::Migrations as MigratorTrait>::migrations();
        let at = all
            .iter()
            .position(|m| m.name() == "m0102_services_payment_records")
            .unwrap();
        xaso::Migrations::down(db, Some((all.len() - at) as u32))
            .await
            .unwrap();
        let account = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT account_number FROM payment_account WHERE commune_code = '17071'",
            ))
            .await
            .unwrap()
            .map(|r| r.try_get::<String>("", "account_number").unwrap());
        assert_eq!(account.as_deref(), Some("3600205012345"), "[{backend}]");
        assert!(
            payments::for_ref(db, "17071", "dossier", 2)
                .await
                .unwrap()
                .is_none()
        );
        xaso::Migrations::up(db, None).await.unwrap();
        let p = payments::for_ref(db, "17071", "dossier", 2).await.unwrap();
        assert_eq!(p.map(|p| p.status).as_deref(), Some("paid"), "[{backend}]");
        // And every migration goes all the way down.
        xaso::Migrations::down(db, None).await.unwrap();
        assert!(!SchemaManager::new(db).has_table("commune").await.unwrap());

        scratch.close().await;
    }
}
