//! The household register through HTTP: who may read it (every read audited), search without
//! accents, imports from XLSX and CSV (preview, exact per-row report, idempotent upsert, files
//! refused whole), the back office's import as a background job with its progress, and the
//! map's layers as RFC 7946 GeoJSON.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::{self, Client, TestApp, token_client};

const HOUSEHOLDS: &str = "/api/v1/communes/17071/households";

async fn import(c: &mut Client, bytes: Vec<u8>, apply: bool) -> common::Resp {
    let q = if apply { "?apply=true" } else { "" };
    c.send(
        Request::post(format!("{HOUSEHOLDS}/import{q}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(bytes))
            .unwrap(),
    )
    .await
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    app.count(&format!("audit_log WHERE action = '{action}'"))
        .await
}

#[tokio::test]
async fn officials_find_households_without_accents_and_every_read_is_audited() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let page = official.get(HOUSEHOLDS).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let first = page.json()["items"][0].clone();
        assert_eq!(first["household_code"], "MH-0001");
        assert!(page.json()["more"].as_bool().unwrap());
        assert!(first["plus_code"].as_str().unwrap().starts_with("7PF7"));

        // Without accents, in any case, by a prefix of each word.
        let head = first["head_name"].as_str().unwrap().to_owned();
        let folded = kernel::text::fold_vi(&head).to_uppercase();
        let words: Vec<&str> = folded.split(' ').collect();
        let q = format!("{} {}", words[0], &words[2][..2]);
        let found = official
            .get(&format!("{HOUSEHOLDS}?q={}", q.replace(' ', "+")))
            .await
            .json();
        let codes: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["household_code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"MH-0001"), "{q}: {codes:?}");
        for h in found["items"].as_array().unwrap() {
            let text = kernel::text::fold_vi(&format!(
                "{} {} {} {}",
                h["household_code"], h["head_name"], h["address"], h["phone"]
            ));
            for term in q.to_lowercase().split(' ') {
                assert!(
                    text.split(' ').any(|w| w.starts_with(term)),
                    "{term} in {text}"
                );
            }
        }
        let by_code = official
            .get(&format!("{HOUSEHOLDS}?q=mh-0002"))
            .await
            .json();
        assert_eq!(by_code["items"][0]["household_code"], "MH-0002");
        let long = official
            .get(&format!("{HOUSEHOLDS}?q={}", "a".repeat(201)))
            .await;
        assert_eq!(long.status, StatusCode::BAD_REQUEST);

        // One household: members, history, the national ID's last digits only.
        let id = first["id"].as_i64().unwrap();
        let before = audited(app, "household.read").await;
        let d = official.get(&format!("{HOUSEHOLDS}/{id}")).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let d = d.json();
        assert_eq!(d["head_national_id_last4"].as_str().unwrap().len(), 4);
        assert!(!d.to_string().contains("040"), "no national ID in clear");
        assert!(!d["member_list"].as_array().unwrap().is_empty());
        let history = d["history"].as_array().unwrap();
        assert_eq!(
            history.len(),
            2,
            "this year's import and last year's survey"
        );
        assert_eq!(history[1]["source"], "survey");
        assert_eq!(audited(app, "household.read").await, before + 1);
        assert!(audited(app, "household.list").await >= 3);
        let missing = official.get(&format!("{HOUSEHOLDS}/999999")).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.error_code(), "household_unknown");

        // The pages say the same, in Vietnamese.
        let mut browser = app.login(common::OFFICIAL).await;
        let list = browser.get("/c/17071/office/households?q=mh-000").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Sổ hộ gia đình") && list.body.contains("MH-0001"));
        let one = browser
            .get(&format!("/c/17071/office/households/{id}"))
            .await;
        assert!(one.body.contains("Lịch sử khảo sát") && one.body.contains("•••• ••••"));

        // A village head sees their village only; residents and strangers see nothing.
        let mut head = token_client(app, common::VILLAGE_HEAD).await;
        let mine = head
            .get(&format!("{HOUSEHOLDS}?village={}", first["village_id"]))
            .await
            .json();
        let village = mine["items"][0]["village_id"].clone();
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["village_id"] == village)
        );
        let all: Vec<Value> = official.get(&format!("{HOUSEHOLDS}?q=mh")).await.json()["items"]
            .as_array()
            .unwrap()
            .clone();
        let other = all.iter().find(|h| h["village_id"] != village).unwrap();
        let r = head.get(&format!("{HOUSEHOLDS}/{}", other["id"])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error_code(), "household_other_village");
        let mut citizen = token_client(app, common::CITIZEN).await;
        assert_eq!(citizen.get(HOUSEHOLDS).await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.client().get(HOUSEHOLDS).await.status,
            StatusCode::UNAUTHORIZED
        );
    });
}

/// A 10,000-row workbook in the template's columns with faults at known rows.
fn workbook(rows: usize) -> (Vec<u8>, Vec<(usize, &'static str, &'static str)>) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "household_code",
        "village",
        "head_name",
        "head_birth_year",
        "members",
        "lat",
        "lon",
        "internet",
        "smartphones",
        "computer",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let mut faults = vec![];
    for i in 0..rows {
        let r = (i + 1) as u32;
        let row = i + 2;
        let code = match i {
            // The same code twice: both rows refused.
            4100 => "T-00100".to_owned(),
            _ => format!("T-{i:05}"),
        };
        if i == 100 || i == 4100 {
            faults.push((row, "household_code", "household_code_twice"));
        }
        sheet.write_string(r, 0, &code).unwrap();
        sheet
            .write_string(
                r,
                1,
                if i % 2 == 0 {
                    "Minh Tiến"
                } else {
                    "Thôn Minh Quang"
                },
            )
            .unwrap();
        sheet
            .write_string(r, 2, format!("Trần Văn Thử {i}"))
            .unwrap();
        let year = if i % 1000 == 7 {
            faults.push((row, "head_birth_year", "household_birth_year_invalid"));
            2090
        } else {
            1950 + (i % 50) as i32
        };
        sheet.write_number(r, 3, year).unwrap();
        let members = if i % 1000 == 500 {
            faults.push((row, "members", "household_members_invalid"));
            -3
        } else {
            1 + (i % 6) as i32
        };
        sheet.write_number(r, 4, members).unwrap();
        let (lat, lon) = if i == 9000 {
            faults.push((row, "lat", "household_location_outside"));
            (21.03, 105.85)
        } else {
            (
                19.30 + (i % 100) as f64 * 0.0004,
                105.15 + (i % 97) as f64 * 0.0004,
            )
        };
        sheet.write_number(r, 5, lat).unwrap();
        sheet.write_number(r, 6, lon).unwrap();
        sheet
            .write_string(r, 7, ["cáp quang", "di động", "không"][i % 3])
            .unwrap();
        sheet.write_number(r, 8, (i % 4) as f64).unwrap();
        sheet
            .write_string(r, 9, if i % 2 == 0 { "có" } else { "không" })
            .unwrap();
    }
    faults.sort();
    (book.save_to_buffer().unwrap(), faults)
}

fn faults_of(report: &Value) -> Vec<(usize, String, String)> {
    let mut out: Vec<(usize, String, String)> = report["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["row"].as_u64().unwrap() as usize,
                f["column"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_workbook_is_previewed_then_its_good_rows_written_once() {
    let (bytes, faults) = workbook(10_000);
    // The test platform's uploads stop at 256 KiB; the workbook is larger (a deployment's
    // limit is 12 MiB).
    let bigger = |c: &mut kernel::config::Config| c.max_body_bytes = 4 << 20;
    on_each_backend!(bigger, async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let households = app.count("household").await;
        let expected: Vec<(usize, String, String)> = faults
            .iter()
            .map(|(r, c, f)| (*r, c.to_string(), f.to_string()))
            .collect();

        let preview = import(&mut official, bytes.clone(), false).await;
        assert_eq!(
            preview.status,
            StatusCode::OK,
            "{}",
            &preview.body[..300.min(preview.body.len())]
        );
        let p = preview.json();
        assert_eq!(p["applied"], false);
        assert_eq!(p["rows"], 10_000);
        assert_eq!(
            p["refused"].as_u64().unwrap() as usize,
            expected
                .iter()
                .map(|f| f.0)
                .collect::<std::collections::HashSet<_>>()
                .len()
        );
        assert_eq!(
            p["new"].as_u64().unwrap() + p["refused"].as_u64().unwrap(),
            10_000
        );
        assert_eq!(faults_of(&p), expected);
        let twice = p["faults"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "household_code_twice")
            .unwrap();
        assert_eq!(
            (twice["column"].as_str(), twice["message"].as_str()),
            (
                Some("household_code"),
                Some("Mã hộ này xuất hiện ở nhiều dòng trong tệp; các dòng đó đều chưa được ghi.")
            )
        );
        assert_eq!(
            app.count("household").await,
            households,
            "a preview writes nothing"
        );

        let applied = import(&mut official, bytes.clone(), true).await.json();
        assert_eq!(applied["applied"], true);
        assert_eq!(applied["new"], p["new"]);
        assert_eq!(faults_of(&applied), expected);
        let written = app.count("household").await;
        assert_eq!(written, households + p["new"].as_i64().unwrap());
        assert_eq!(app.count("household_observation WHERE source = 'import' AND household_id IN (SELECT id FROM household WHERE code LIKE 'T-%')").await, p["new"].as_i64().unwrap());
        let one = official
            .get(&format!("{HOUSEHOLDS}?q=t-00002"))
            .await
            .json();
        let h = &one["items"][0];
        assert_eq!(
            (h["internet"].as_str(), h["members"].as_i64()),
            (Some("none"), Some(3))
        );
        assert!(h["village"].as_str().unwrap().contains("Minh Tiến"));

        // The same file again changes nothing.
        let audits = audited(app, "household.import").await;
        let again = import(&mut official, bytes.clone(), true).await.json();
        assert_eq!(
            (again["new"].as_u64(), again["updated"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(again["unchanged"], p["new"]);
        assert_eq!(app.count("household").await, written);
        assert_eq!(
            app.count("household_observation").await,
            app.count("household_observation").await
        );
        assert_eq!(
            audited(app, "household.import").await,
            audits,
            "nothing changed, nothing to audit"
        );

        // A file of codes and one attribute changes only that, and keeps its history.
        let csv = "Mã hộ;Chủ hộ;Internet\nT-00002;Trần Văn Thử 2;cáp quang\n";
        let r = import(&mut official, csv.as_bytes().to_vec(), true)
            .await
            .json();
        assert_eq!(r["updated"], 1, "{r}");
        let id = one["items"][0]["id"].as_i64().unwrap();
        let d = official.get(&format!("{HOUSEHOLDS}/{id}")).await.json();
        assert_eq!(
            (d["facts"]["internet"].as_str(), d["members"].as_i64()),
            (Some("fibre"), Some(3))
        );
        assert_eq!(
            d["facts"]["smartphones"], 2,
            "attributes the file lacks stay"
        );
        assert_eq!(audited(app, "household.import").await, audits + 1);
    });
}

#[tokio::test]
async fn files_that_are_not_registers_are_refused_whole_and_change_nothing() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let households = app.count("household").await;
        for (bytes, code, columns) in [
            (common::png(20, 20), "import_not_spreadsheet", json!([])),
            (Vec::new(), "import_empty", json!([])),
            (
                "household_code,head_name,màu mắt\nA-1,Lê Văn A,xanh\n"
                    .as_bytes()
                    .to_vec(),
                "import_unknown_columns",
                json!(["màu mắt"]),
            ),
            (
                "Chủ hộ,Thôn\nLê Văn A,Minh Tiến\n".as_bytes().to_vec(),
                "import_missing_columns",
                json!(["household_code"]),
            ),
        ] {
            let r = import(&mut official, bytes, true).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{code}: {}",
                r.body
            );
            assert_eq!(r.json()["file"]["code"], code);
            assert_eq!(r.json()["file"]["columns"], columns);
            assert!(!r.json()["file"]["message"].as_str().unwrap().is_empty());
        }
        // A row with every kind of impossible value: refused cell by cell, nothing written.
        let csv = "household_code,village,head_name,head_birth_year,members,lat,lon,internet,head_national_id,phone\n\
                   B 1,Thôn Không Có,,2090,-1,21.0,105.8,adsl,123,12\n";
        let r = import(&mut official, csv.as_bytes().to_vec(), true)
            .await
            .json();
        let codes: Vec<String> = faults_of(&r).into_iter().map(|f| f.2).collect();
        for c in [
            "household_code_invalid",
            "household_village_unknown",
            "household_head_invalid",
            "household_birth_year_invalid",
            "household_members_invalid",
            "household_location_outside",
            "household_internet_invalid",
            "household_national_id_invalid",
            "household_phone_invalid",
        ] {
            assert!(codes.contains(&c.to_owned()), "{c} in {codes:?}");
        }
        assert_eq!(app.count("household").await, households);

        // Only the commune's officials and administrators import.
        for phone in [common::CITIZEN, common::VILLAGE_HEAD, common::LEADER] {
            let mut c = token_client(app, phone).await;
            let r = import(&mut c, b"household_code,head_name\nZ-1,A\n".to_vec(), true).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{phone}");
        }
        assert_eq!(app.count("household").await, households);
        let t = app
            .client()
            .get(&format!("{HOUSEHOLDS}/template.csv"))
            .await;
        assert!(
            t.body
                .starts_with("household_code,village,head_name,head_birth_year,")
        );
        assert!(
            t.body
                .contains(",members,address,lat,lon,internet,smartphones")
                || t.body.contains("internet,smartphones")
        );
    });
}

#[tokio::test]
async fn the_back_office_import_runs_in_the_background_with_its_progress() {
    on_each_backend!(async |app: &TestApp| {
        let mut browser = app.login(common::OFFICIAL).await;
        let form = browser.get("/c/17071/office/households/import").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Tải tệp mẫu"));
        let csrf = common::csrf_from(&form.body).unwrap();
        let csv = "Mã hộ,Chủ hộ,Thôn,Số nhân khẩu\nN-1,Đỗ Văn Một,Minh Hòa,3\nN-2,Đỗ Thị Hai,Minh Hòa,0\n";
        let households = app.count("household").await;
        let r = browser
            .post_multipart(
                &format!("/c/17071/office/households/import?csrf={csrf}"),
                "file",
                "ho.csv",
                "text/csv",
                csv.as_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = r.location().to_owned();
        let waiting = browser.get(&at).await;
        assert!(
            waiting.body.contains("Đang đọc tệp")
                && waiting.body.contains("hx-trigger=\"every 1s\"")
        );
        assert!(app.platform.jobs.run_due(chrono::Utc::now()).await.unwrap() >= 1);
        let preview = browser.get(&at).await;
        assert!(preview.body.contains("Chờ ghi vào sổ"), "{}", preview.body);
        assert!(preview.body.contains("Số nhân khẩu phải từ 1 đến 50"));
        assert!(preview.body.contains("Ghi vào sổ hộ"));
        assert_eq!(app.count("household").await, households);
        // htmx asks for the card alone.
        let card = browser
            .send(
                Request::get(&at)
                    .header("HX-Request", "true")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(card.body.starts_with("<section") && !card.body.contains("<html"));

        let applied = browser.post_form(&format!("{at}/apply"), &[]).await;
        assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
        assert!(browser.get(&at).await.body.contains("Đang ghi vào sổ hộ"));
        app.platform.jobs.run_due(chrono::Utc::now()).await.unwrap();
        let done = browser.get(&at).await;
        assert!(done.body.contains("Đã ghi vào sổ"), "{}", done.body);
        assert_eq!(app.count("household").await, households + 1);
        assert_eq!(
            app.count("household_import WHERE length(file) = 0").await,
            1,
            "the written file's personal data is not kept"
        );
        let again = browser.post_form(&format!("{at}/apply"), &[]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(app.count("household").await, households + 1);
        assert_eq!(audited(app, "household.import").await, 1);
        let leader = app.login(common::LEADER).await.get(&at).await;
        assert_eq!(leader.status, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn map_layers_are_rfc7946_geojson_and_households_only_for_officials() {
    on_each_backend!(async |app: &TestApp| {
        let villages = app
            .client()
            .get("/api/v1/communes/17071/map/villages.geojson")
            .await;
        assert_eq!(villages.status, StatusCode::OK);
        assert_eq!(
            villages.headers[header::CONTENT_TYPE],
            "application/geo+json"
        );
        let v = villages.json();
        assert_eq!(v["type"], "FeatureCollection");
        assert!(v.get("crs").is_none());
        let features = v["features"].as_array().unwrap();
        assert_eq!(features.len(), 6);
        assert_eq!(
            features
                .iter()
                .map(|f| f["properties"]["households"].as_i64().unwrap())
                .sum::<i64>(),
            300
        );
        for f in features {
            let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
            assert_eq!(ring.first(), ring.last());
            // [lon, lat], counter-clockwise (shoelace sum positive).
            assert!(ring[0][0].as_f64().unwrap() > 100.0);
            let area: f64 = ring
                .windows(2)
                .map(|w| {
                    w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                        - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
                })
                .sum();
            assert!(area > 0.0);
        }
        let anonymous = app
            .client()
            .get("/api/v1/communes/17071/map/households.geojson")
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let mut official = token_client(app, common::OFFICIAL).await;
        let h = official
            .get("/api/v1/communes/17071/map/households.geojson")
            .await
            .json();
        let points = h["features"].as_array().unwrap();
        assert_eq!(points.len(), 300);
        assert!(points[0]["geometry"]["coordinates"][0].as_f64().unwrap() > 100.0);
        assert!(points[0]["properties"].get("head_name").is_none());
        assert_eq!(audited(app, "household.map").await, 1);
        let unknown = official
            .get("/api/v1/communes/17071/map/rivers.geojson")
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.error_code(), "map_layer_unknown");
    });
}

#[tokio::test]
async fn the_register_feeds_the_indicators_as_shares_of_every_household() {
    on_each_backend!(async |app: &TestApp| {
        let mut leader = token_client(app, common::LEADER).await;
        let r = leader
            .get("/api/v1/communes/17071/figures?indicator=4.1")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let figures = r.json();
        let keys: Vec<&str> = figures
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["registry.internet", "registry.fibre"]);
        let internet = &figures[0];
        assert_eq!(internet["denominator"], 300.0, "{internet}");
        let part = internet["numerator"].as_f64().unwrap();
        assert!(part > 150.0 && part < 300.0, "{internet}");
        // A household imported without any attribute counts in the whole, not the part.
        let mut official = token_client(app, common::OFFICIAL).await;
        let csv = "household_code,head_name\nNEW-1,Hà Văn Mới\n";
        import(&mut official, csv.as_bytes().to_vec(), true).await;
        let again = leader
            .get("/api/v1/communes/17071/figures?indicator=4.1")
            .await
            .json();
        assert_eq!(again[0]["denominator"], 301.0);
        assert_eq!(again[0]["numerator"].as_f64().unwrap(), part);
        let count = leader
            .get("/api/v1/communes/17071/figures?indicator=6.1")
            .await
            .json();
        assert!(
            count
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["key"] == "registry.households" && f["value"] == 301.0)
        );
    });
}

#[tokio::test]
async fn exports_need_a_reason_are_audited_and_read_back() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let none = official
            .get(&format!("{HOUSEHOLDS}/export?format=xlsx"))
            .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(none.error_code(), "export_reason_required");
        assert_eq!(audited(app, "household.export").await, 0);
        let r = official
            .send(
                Request::get(format!(
                    "{HOUSEHOLDS}/export?format=xlsx&reason=B%C3%A1o+c%C3%A1o+huy%E1%BB%87n"
                ))
                .body(Body::empty())
                .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        assert_eq!(audited(app, "household.export").await, 1);
        let summary = app
            .count("audit_log WHERE action = 'household.export' AND summary LIKE '300 households; reason: Báo cáo huyện'")
            .await;
        assert_eq!(summary, 1);
        // The CSV goes back in unchanged: the same columns, national IDs masked (kept).
        let csv = official
            .get(&format!(
                "{HOUSEHOLDS}/export?format=csv&reason=Kiểm+tra+lại"
            ))
            .await;
        assert!(
            csv.body
                .trim_start_matches('\u{feff}')
                .starts_with("household_code,village,head_name")
        );
        assert!(csv.body.contains("********"));
        assert!(!csv.body.contains("0400"), "no national ID in clear");
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines.len(), 301);
        let without_ids: String = {
            // Drop the masked ID column so the import keeps the stored hashes.
            let mut rdr = csv_rows(&csv.body);
            let header = rdr.remove(0);
            let drop = header.iter().position(|h| h == "head_national_id").unwrap();
            std::iter::once(header)
                .chain(rdr)
                .map(|mut r| {
                    r.remove(drop);
                    r.iter()
                        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let back = import(&mut official, without_ids.into_bytes(), false)
            .await
            .json();
        assert_eq!(
            (back["unchanged"].as_u64(), back["refused"].as_u64()),
            (Some(300), Some(0)),
            "{}",
            back["faults"]
        );
        let mut citizen = token_client(app, common::CITIZEN).await;
        let r = citizen
            .get(&format!(
                "{HOUSEHOLDS}/export?reason=T%C3%B2+m%C3%B2+th%C3%B4i"
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}

/// A CSV's rows as cells (quotes understood), for the export's round trip.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut out = vec![];
    for line in text.trim_start_matches('\u{feff}').lines() {
        let mut cells = vec![];
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(ch) = chars.next() {
            match (ch, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => cells.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            }
        }
        cells.push(cur);
        out.push(cells);
    }
    out
}

#[tokio::test]
async fn likely_duplicates_are_flagged_merged_or_told_apart() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let csv = "household_code,village,head_name,head_birth_year,members,phone,internet\n\
                   D-1,Minh Tiến,Đinh Văn Trùng,1971,3,,fibre\n\
                   D-2,Thôn Minh Tiến,ĐINH VĂN TRÙNG,1971,4,0987000111,\n\
                   D-3,Minh Quang,Lò Thị Số,1980,2,0987000222,\n\
                   D-4,Minh Hòa,Lò Văn Khác,1990,2,0987000222,\n";
        let r = import(&mut official, csv.as_bytes().to_vec(), true)
            .await
            .json();
        assert_eq!(r["new"], 4, "{r}");
        let pairs = official
            .get(&format!("{HOUSEHOLDS}/duplicates"))
            .await
            .json();
        let find = |code: &str| {
            pairs
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["first"]["household_code"] == code)
                .cloned()
        };
        let head = find("D-1").expect("same head, same year, same village");
        assert_eq!(
            (
                head["second"]["household_code"].as_str(),
                head["reason"].as_str()
            ),
            (Some("D-2"), Some("same_head"))
        );
        let phone = find("D-3").expect("same phone");
        assert_eq!(phone["reason"], "same_phone");

        let (keep, drop) = (
            head["first"]["id"].as_i64().unwrap(),
            head["second"]["id"].as_i64().unwrap(),
        );
        let same = official
            .post_json(&format!("{HOUSEHOLDS}/{keep}/merge"), json!({"into": keep}))
            .await;
        assert_eq!(same.error_code(), "household_merge_self");
        let households = app.count("household").await;
        let r = official
            .post_json(&format!("{HOUSEHOLDS}/{drop}/merge"), json!({"into": keep}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        assert_eq!(app.count("household").await, households - 1);
        let kept = official.get(&format!("{HOUSEHOLDS}/{keep}")).await.json();
        assert_eq!(kept["phone"], "0987000111", "what the kept one lacked");
        assert_eq!(kept["facts"]["internet"], "fibre");
        let (a, b) = (
            phone["first"]["id"].as_i64().unwrap(),
            phone["second"]["id"].as_i64().unwrap(),
        );
        let r = official
            .post_json(
                &format!("{HOUSEHOLDS}/duplicates/dismiss"),
                json!({"first": b, "second": a}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let after = official
            .get(&format!("{HOUSEHOLDS}/duplicates"))
            .await
            .json();
        assert!(!after.as_array().unwrap().iter().any(
            |p| p["first"]["household_code"] == "D-1" || p["first"]["household_code"] == "D-3"
        ));
        assert_eq!(audited(app, "household.merge").await, 1);
        assert_eq!(audited(app, "household.distinct").await, 1);
        // The page lists what is left, and an official decides there too.
        let csv = "household_code,village,head_name,head_birth_year\nD-5,Minh Hòa,Vũ Văn Lặp,1960\nD-6,Minh Hòa,Vu Van Lap,1960\n";
        import(&mut official, csv.as_bytes().to_vec(), true).await;
        let mut browser = app.login(common::OFFICIAL).await;
        let page = browser.get("/c/17071/office/households/duplicates").await;
        assert!(
            page.body.contains("Hộ có thể bị trùng") && page.body.contains("D-6"),
            "{}",
            page.body
        );
        let pair = official
            .get(&format!("{HOUSEHOLDS}/duplicates"))
            .await
            .json();
        let p = pair
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["first"]["household_code"] == "D-5")
            .unwrap()
            .clone();
        let (k, o) = (p["first"]["id"].to_string(), p["second"]["id"].to_string());
        let r = browser
            .post_form(
                "/c/17071/office/households/duplicates",
                &[("action", "merge"), ("keep", &k), ("other", &o)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(audited(app, "household.merge").await, 2);
        let list = browser.get("/c/17071/office/households").await;
        assert!(
            list.body.contains("Xuất danh sách ra tệp")
                && list.body.contains("households/duplicates")
        );
        let mut leader = token_client(app, common::LEADER).await;
        let r = leader
            .post_json(
                &format!("{HOUSEHOLDS}/duplicates/dismiss"),
                json!({"first": a, "second": b}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn residents_ask_for_corrections_and_officials_decide() {
    on_each_backend!(async |app: &TestApp| {
        let mut official = token_client(app, common::OFFICIAL).await;
        let mut citizen = token_client(app, common::CITIZEN).await;
        let r = citizen.get("/api/v1/communes/17071/my-household").await;
        assert_eq!(r.error_code(), "household_not_yours");
        let csv = format!(
            "household_code,village,head_name,members,phone,internet\nC-1,Minh Tiến,Hoàng Văn Em,3,{},mobile\n",
            common::CITIZEN
        );
        import(&mut official, csv.into_bytes(), true).await;
        let mine = citizen.get("/api/v1/communes/17071/my-household").await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        assert_eq!(mine.json()["household"]["household_code"], "C-1");

        let empty = citizen
            .post_json("/api/v1/communes/17071/my-household/changes", json!({}))
            .await;
        assert_eq!(empty.error_code(), "change_empty");
        let bad = citizen
            .post_json(
                "/api/v1/communes/17071/my-household/changes",
                json!({"members": 0}),
            )
            .await;
        assert_eq!(bad.error_code(), "household_members_invalid");
        let r = citizen
            .post_json(
                "/api/v1/communes/17071/my-household/changes",
                json!({"members": 5, "internet": "fibre", "note": "Nhà mới lắp cáp quang, thêm hai cháu"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        assert_eq!(app.count("household_change WHERE status = 'open'").await, 1);

        let queue = official.get(&format!("{HOUSEHOLDS}/changes")).await.json();
        assert_eq!(queue[0]["request"]["proposal"]["members"], 5);
        let mut leader = token_client(app, common::LEADER).await;
        let r = leader
            .post_json(
                &format!("{HOUSEHOLDS}/changes/{id}/decision"),
                json!({"accept": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = official
            .post_json(
                &format!("{HOUSEHOLDS}/changes/{id}/decision"),
                json!({"accept": false}),
            )
            .await;
        assert_eq!(r.error_code(), "change_answer_required");
        let inbox = app.count("inbox_item").await;
        let r = official
            .post_json(
                &format!("{HOUSEHOLDS}/changes/{id}/decision"),
                json!({"accept": true, "answer": "Đã xác minh tại nhà."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let again = official
            .post_json(
                &format!("{HOUSEHOLDS}/changes/{id}/decision"),
                json!({"accept": true}),
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let hid = mine.json()["household"]["id"].as_i64().unwrap();
        let d = official.get(&format!("{HOUSEHOLDS}/{hid}")).await.json();
        assert_eq!(
            (d["members"].as_i64(), d["facts"]["internet"].as_str()),
            (Some(5), Some("fibre"))
        );
        assert_eq!(d["history"][0]["source"], "resident");
        app.deliver().await;
        assert!(
            app.count("inbox_item").await > inbox,
            "the resident is told"
        );
        assert_eq!(audited(app, "household.change_accept").await, 1);
        // The pages: the resident's own, the office queue.
        let mut browser = app.login(common::CITIZEN).await;
        let page = browser.get("/c/17071/my-household").await;
        assert!(
            page.body.contains("Hộ gia đình của tôi")
                && page.body.contains("Đã chấp nhận")
                && page.body.contains("Đã xác minh tại nhà.")
        );
        let r = browser
            .post_form(
                "/c/17071/my-household",
                &[("address", "Xóm 2, Minh Tiến"), ("note", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let office = app
            .login(common::OFFICIAL)
            .await
            .get("/c/17071/office/households/changes")
            .await;
        assert!(
            office.body.contains("Xóm 2, Minh Tiến")
                && office.body.contains("Chấp nhận, cập nhật sổ")
        );
    });
}
