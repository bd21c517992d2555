//! A Citus worker that stops: the communes whose shards live on the other worker keep working;
//! the stopped worker's communes get a Vietnamese 503 page (a JSON error on the API) within a
//! few seconds, never a hang; when the worker is back, they work again without restarting
//! xaso. The test brings a worker of its own (the shared cluster serves other tests meanwhile)
//! and a database of its own on the cluster's coordinator and first worker. Runs when
//! `XASO_TEST_CITUS_URL` is set.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::common::{self, Client};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs a shell command as the `postgres` user (PostgreSQL refuses to run as root).
fn as_postgres(cmd: &str) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let out = if root {
        Command::new("su")
            .args(["postgres", "-s", "/bin/bash", "-c", cmd])
            .output()
    } else {
        Command::new("bash").args(["-c", cmd]).output()
    }
    .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL server with Citus on a free port, in a directory of its own.
struct Worker {
    port: u16,
    dir: String,
}

impl Worker {
    fn start() -> Worker {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = format!(
            "/tmp/xaso-fault-{}",
            kernel::accounts::random_token(6).to_lowercase()
        );
        as_postgres(&format!(
            "mkdir -p {dir} && {PG_BIN}/initdb -D {dir}/data -A trust -U postgres >/dev/null && \
             printf \"shared_preload_libraries = 'citus'\\nport = {port}\\nlisten_addresses = '127.0.0.1'\\nunix_socket_directories = '{dir}'\\n\" >> {dir}/data/postgresql.conf"
        ));
        let w = Worker { port, dir };
        w.resume();
        w
    }

    fn stop(&self) {
        as_postgres(&format!(
            "{PG_BIN}/pg_ctl -D {}/data -m immediate -w stop >/dev/null",
            self.dir
        ));
    }

    fn resume(&self) {
        as_postgres(&format!(
            "{PG_BIN}/pg_ctl -D {0}/data -l {0}/log -w start >/dev/null",
            self.dir
        ));
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args([
                "-c",
                &format!(
                    "su postgres -s /bin/bash -c '{PG_BIN}/pg_ctl -D {}/data -m immediate stop' >/dev/null 2>&1; rm -rf {}",
                    self.dir, self.dir
                ),
            ])
            .status();
    }
}

async fn on(port: u16, db: &str) -> DatabaseConnection {
    Database::connect(format!("postgres://postgres@127.0.0.1:{port}/{db}"))
        .await
        .unwrap_or_else(|e| panic!("connect to {port}/{db}: {e}"))
}

async fn run(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The port of the worker holding commune `code`'s shard of the co-located tables.
async fn node_of(db: &DatabaseConnection, code: &str) -> u16 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) \
                 WHERE p.shardid = get_shard_id_for_distribution_column('poll', '{code}')"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i32>("", "nodeport").unwrap() as u16
}

/// A request that reads commune `code`'s own rows (no cache in front), timed.
async fn polls(c: &mut Client, code: &str) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let r = c.get(&format!("/api/v1/communes/{code}/polls")).await;
    (r.status, r.error_code(), started.elapsed())
}

#[tokio::test]
async fn a_stopped_worker_takes_only_its_communes_down_and_they_come_back() {
    let Ok(base) = std::env::var("XASO_TEST_CITUS_URL") else {
        return;
    };
    let (server, _) = base.rsplit_once('/').unwrap();
    let coordinator: u16 = server.rsplit_once(':').unwrap().1.parse().unwrap();
    let cluster_db = base.rsplit_once('/').unwrap().1.split('?').next().unwrap();
    let admin = on(coordinator, cluster_db).await;
    let first_worker = node_of_cluster(&admin).await;
    admin.close().await.ok();

    let worker = Worker::start();
    let name = format!(
        "xaso_f_{}",
        kernel::accounts::random_token(6).to_lowercase()
    );
    for port in [coordinator, first_worker, worker.port] {
        let c = on(port, "postgres").await;
        run(&c, &format!("CREATE DATABASE {name}")).await;
        c.close().await.ok();
        let c = on(port, &name).await;
        run(&c, "CREATE EXTENSION citus").await;
        c.close().await.ok();
    }
    let meta = on(coordinator, &name).await;
    run(
        &meta,
        &format!("SELECT citus_set_coordinator_host('127.0.0.1', {coordinator})"),
    )
    .await;
    for port in [first_worker, worker.port] {
        run(
            &meta,
            &format!("SELECT citus_add_node('127.0.0.1', {port})"),
        )
        .await;
    }

    let dir = tempfile::tempdir().unwrap();
    let url = format!("{server}/{name}?options[citus.shard_count]=8");
    let platform = xaso::build(common::test_config(dir.path(), url))
        .await
        .expect("platform builds on the cluster");
    let db = platform.state.db.clone();
    xaso::demo::seed(&db).await.unwrap();
    // Communes of the demo's province until one lives on each worker.
    let province = kernel::units::catalogue()
        .commune("17071")
        .unwrap()
        .province_code
        .clone();
    let (mut kept, mut lost) = (None, None);
    for unit in kernel::units::catalogue().communes_of(&province).take(40) {
        if unit.code != "17071" {
            kernel::tenancy::activate_commune(&db, &unit.code)
                .await
                .unwrap();
        }
        let slot = if node_of(&meta, &unit.code).await == worker.port {
            &mut lost
        } else {
            &mut kept
        };
        slot.get_or_insert(unit.code.clone());
        if kept.is_some() && lost.is_some() {
            break;
        }
    }
    platform.state.communes.reload(&db).await.unwrap();
    let (kept, lost) = (kept.unwrap(), lost.unwrap());
    let mut c = Client::new(platform.router.clone());
    assert_eq!(polls(&mut c, &kept).await.0, StatusCode::OK);
    assert_eq!(polls(&mut c, &lost).await.0, StatusCode::OK);

    worker.stop();
    let (status, code, took) = polls(&mut c, &kept).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::OK, ""),
        "{kept} is on the running worker"
    );
    let (status, code, took_lost) = polls(&mut c, &lost).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        "{lost} is on the stopped worker"
    );
    assert!(
        took_lost < Duration::from_secs(5) && took < Duration::from_secs(5),
        "answers within a few seconds: {took:?}, {took_lost:?}"
    );
    let page = c.get(&format!("/c/{lost}/forum?q=cho")).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.body.contains("Tạm thời chưa phục vụ được")
            && page.body.contains("Vui lòng thử lại sau ít phút")
            && page.body.contains("Thử lại"),
        "a Vietnamese page with a way to try again: {}",
        page.body
    );
    assert_eq!(page.headers["retry-after"], "30");
    let api = c.get(&format!("/api/v1/communes/{lost}/polls")).await;
    assert_eq!(api.headers["retry-after"], "30", "and on the API");
    assert_eq!(
        c.get(&format!("/c/{kept}/forum?q=cho")).await.status,
        StatusCode::OK
    );

    // Back: the same process serves the commune again, without a restart.
    worker.resume();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, code, _) = polls(&mut c, &lost).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{lost} still refused after the worker came back: {code}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        c.get(&format!("/c/{lost}/forum?q=cho")).await.status,
        StatusCode::OK
    );

    db.close().await.ok();
    meta.close().await.ok();
    for port in [coordinator, first_worker, worker.port] {
        let c = on(port, "postgres").await;
        run(&c, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        c.close().await.ok();
    }
}

/// A worker of the shared cluster (its first by port).
async fn node_of_cluster(db: &DatabaseConnection) -> u16 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' \
             ORDER BY nodeport LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("the cluster has a worker");
    row.try_get::<i32>("", "nodeport").unwrap() as u16
}
