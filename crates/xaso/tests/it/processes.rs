//! Two `xaso serve` processes on one PostgreSQL (or Citus) database, as behind a load
//! balancer, each with its own data directory: a change made through one is seen by the other
//! at once (a revoked role, a new poll, a new logo), a photo uploaded through one downloads
//! through the other, login throttling counts the tries made through both, a scheduled job
//! runs once, and what a process acknowledged outlives its being killed (and the job it had
//! claimed is done by the other). Runs when `XASO_TEST_PG_URL` or `XASO_TEST_CITUS_URL` is set.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{self, Client};

/// A running `xaso serve`, stopped when dropped.
struct Process {
    addr: SocketAddr,
    child: tokio::process::Child,
    _data: tempfile::TempDir,
}

/// Login tries one address may make in five minutes, across the deployment.
const LOGIN_LIMIT: u32 = 12;

/// Starts `xaso serve` on `url` with a data directory of its own; with `demo`, seeds the demo
/// commune and answers its accounts' passwords (phone → password).
async fn serve(url: &str, demo: bool) -> (Process, HashMap<String, String>) {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("xaso.toml");
    std::fs::write(&config, format!("login_ip_limit = {LOGIN_LIMIT}\n")).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_xaso"));
    cmd.arg("--config")
        .arg(&config)
        .arg("--data")
        .arg(data.path())
        .arg("--database-url")
        .arg(url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if demo {
        cmd.arg("--demo");
    }
    let mut child = cmd.spawn().expect("xaso serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut passwords = HashMap::new();
    let addr = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(120), lines.next_line())
            .await
            .expect("xaso serve is ready within two minutes")
            .unwrap()
            .expect("xaso serve printed its address");
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [phone, password, ..] = words[..]
            && phone.starts_with("09")
        {
            passwords.insert(phone.to_owned(), password.to_owned());
        }
        if let Some(rest) = line.split("ready at http://").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    // Keep reading so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (
        Process {
            addr,
            child,
            _data: data,
        },
        passwords,
    )
}

async fn login(at: SocketAddr, phone: &str, password: &str) -> (Client, StatusCode) {
    let mut c = Client::remote(at);
    let r = c
        .post_form("/login", &[("phone", phone), ("password", password)])
        .await;
    (c, r.status)
}

#[tokio::test]
async fn two_processes_serve_one_platform() {
    for backend in common::backends().into_iter().filter(|b| *b != "sqlite") {
        let (url, cleanup) = common::fresh_server_db(backend).await;
        let (a, passwords) = serve(&url, true).await;
        let (b, _) = serve(&url, false).await;
        let mut tries = 0;
        let mut sign_in = async |at: SocketAddr, phone: &str| {
            tries += 1;
            let (c, status) = login(at, phone, &passwords[phone]).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] login {phone}");
            c
        };

        // A role taken back through one process is refused by the other on the next request,
        // though that process had just let the official in.
        let mut admin = sign_in(a.addr, common::COMMUNE_ADMIN).await;
        let mut official_b = sign_in(b.addr, common::OFFICIAL).await;
        assert_eq!(
            official_b.get("/c/17071/office").await.status,
            StatusCode::OK
        );
        let staff = admin.get("/api/v1/communes/17071/staff").await.json();
        let grant =
            staff
                .as_array()
                .unwrap()
                .iter()
                .find(|s| {
                    s["phone"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("912000003"))
                })
                .unwrap_or_else(|| {
                    panic!("[{backend}] the official is on the staff list: {staff}")
                })["grant_id"]
                .as_i64()
                .unwrap();
        let r = admin
            .post_form(&format!("/c/17071/office/staff/{grant}/revoke"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{backend}] {}", r.body);
        assert_eq!(
            official_b.get("/c/17071/office").await.status,
            StatusCode::FORBIDDEN,
            "[{backend}] the other process refuses at once"
        );

        // A list one process keeps in memory shows what the other just wrote.
        let mut anon_b = Client::remote(b.addr);
        let title = "Chọn ngày hội đại đoàn kết";
        assert!(!anon_b.get("/c/17071/polls").await.body.contains(title));
        let mut leader = sign_in(a.addr, common::LEADER).await;
        let day = |d: i64| {
            (chrono::Utc::now() + chrono::Duration::hours(7) + chrono::Duration::days(d))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        };
        let r = leader
            .post_form(
                "/c/17071/office/polls",
                &[
                    ("title", title),
                    ("questions", "* [một] Ngày nào?\n- Thứ Bảy\n- Chủ nhật\n"),
                    ("opens_at", &day(-1)),
                    ("closes_at", &day(7)),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{backend}] {}", r.body);
        assert!(
            anon_b.get("/c/17071/polls").await.body.contains(title),
            "[{backend}] the other process lists the new poll at once"
        );

        // A logo uploaded through one process: the other knows of it and serves its bytes
        // from the database, though its data directory never saw the file.
        let token = admin.csrf().await;
        let logo = common::png(48, 48);
        let r = admin
            .post_multipart(
                &format!("/c/17071/office/branding?csrf={token}"),
                "logo",
                "logo.png",
                "image/png",
                &logo,
                &[("brand_color", "#AA3300"), ("tagline", "Hai tiến trình")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{backend}] {}", r.body);
        let home = anon_b.get("/c/17071").await;
        assert!(
            home.body.contains("Hai tiến trình") && home.body.contains("/c/17071/logo"),
            "[{backend}] the other process shows the new look at once"
        );
        let from_a = Client::remote(a.addr).get("/c/17071/logo").await;
        let from_b = anon_b.get("/c/17071/logo").await;
        assert_eq!(from_b.status, StatusCode::OK, "[{backend}]");
        assert_eq!(from_b.headers["content-type"], "image/png");
        assert_eq!(from_b.body, from_a.body, "[{backend}] the same bytes");
        assert_eq!(
            from_b.headers["content-length"],
            from_a.headers["content-length"]
        );

        // Each scheduled run happened once, though both processes planned it.
        let db = kernel::db::connect(&url).await.unwrap();
        let runs = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT dedup_key, status FROM job WHERE dedup_key LIKE 'sched:%'",
            ))
            .await
            .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for r in &runs {
            let key: String = r.try_get("", "dedup_key").unwrap();
            assert!(seen.insert(key.clone()), "[{backend}] {key} planned twice");
        }
        assert!(
            seen.iter()
                .any(|k| k.starts_with("sched:sessions.cleanup:")),
            "[{backend}] {seen:?}"
        );

        // Login tries count across the processes: tries through both, in turn, until the
        // address is refused; the limit is the deployment's, not each process's. (Each try is
        // for another unknown phone, so no account's own lock-out steps in.)
        let mut refused_at = None;
        for i in 0..2 * LOGIN_LIMIT {
            let at = if i % 2 == 0 { a.addr } else { b.addr };
            let (_, status) = login(at, &format!("0987{i:06}"), "Sai-mat-khau-1").await;
            tries += 1;
            if status == StatusCode::TOO_MANY_REQUESTS {
                refused_at = Some(tries);
                break;
            }
        }
        assert_eq!(
            refused_at,
            Some(LOGIN_LIMIT + 1),
            "[{backend}] the try after the limit is refused, whichever process counts it"
        );

        // A process killed outright: what it acknowledged is there, served by the other.
        let mut a = a;
        a.child.kill().await.unwrap();
        assert!(anon_b.get("/c/17071/polls").await.body.contains(title));
        assert_eq!(anon_b.get("/c/17071/logo").await.body, from_a.body);
        // A job the killed process had claimed and never finished is done by the other once
        // its lease is over (here: a lease that ended a minute ago).
        let now = chrono::Utc::now();
        let orphan = kernel::jobs::entity::ActiveModel {
            kind: Set("limits.cleanup".into()),
            payload: Set("{}".into()),
            status: Set(kernel::jobs::RUNNING.into()),
            attempts: Set(1),
            max_attempts: Set(3),
            run_at: Set(now - chrono::Duration::minutes(11)),
            locked_until: Set(Some(now - chrono::Duration::minutes(1))),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let job = kernel::jobs::get(&db, orphan.id).await.unwrap().unwrap();
            if job.status == kernel::jobs::DONE {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "[{backend}] the orphaned job is still {}",
                job.status
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }

        db.close().await.ok();
        drop((a, b));
        common::clean_up(cleanup).await;
    }
}
