//! The outbox dispatcher's speed (issue 5: ≥ 2,000 messages/s to a local HTTP gateway): seeds
//! N pending SMS (one recipient each) into a fresh SQLite database, and a PostgreSQL one with
//! `--pg-url`, starts a gateway sink (axum on 127.0.0.1) and runs the kernel's dispatcher
//! against it until the outbox is empty.
//!
//! The SMS rate limit is lifted for the run (a deployment's default is 20/s, its provider's
//! contract): what is measured is what the dispatcher can push, claims and bulk updates
//! included. The sink counts requests and checks each carries the auth header and a body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use delivery::settings::GatewaySettings;
use kernel::accounts::entity::user;
use kernel::config::Config;
use kernel::notify::{Dispatcher, PENDING, SENT, dispatch::BATCH, outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// The issue's target, messages per second.
pub const TARGET_PER_SEC: f64 = 2000.0;
const KEY: &str = "bench-gateway-key";
/// Rows per INSERT while seeding.
const SEED_CHUNK: usize = 1000;

#[derive(Default)]
struct Sink {
    ok: AtomicU64,
    bad: AtomicU64,
}

async fn gateway(State(s): State<Arc<Sink>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let authorised = headers.get("x-api-key").is_some_and(|v| v == KEY);
    if authorised && !body.is_empty() {
        s.ok.fetch_add(1, Ordering::Relaxed);
        StatusCode::OK
    } else {
        s.bad.fetch_add(1, Ordering::Relaxed);
        StatusCode::BAD_REQUEST
    }
}

async fn start_sink() -> Result<(SocketAddr, Arc<Sink>)> {
    let sink = Arc::new(Sink::default());
    let app = axum::Router::new()
        .fallback(gateway)
        .with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, sink))
}

/// `messages` people with a phone each, and one pending SMS for each of them.
async fn seed(db: &sea_orm::DatabaseConnection, messages: u64) -> Result<()> {
    let now = Utc::now();
    let txn = kernel::db::begin_write(db).await?;
    let ids: Vec<u64> = (0..messages).collect();
    for chunk in ids.chunks(SEED_CHUNK) {
        let people = chunk.iter().map(|i| user::ActiveModel {
            phone: sea_orm::Set(Some(format!("+8490{i:07}"))),
            full_name: sea_orm::Set(format!("Người nhận {i}")),
            email: sea_orm::Set(None),
            password_hash: sea_orm::Set("!".into()),
            commune_code: sea_orm::Set(None),
            village_id: sea_orm::Set(None),
            locale: sea_orm::Set("vi".into()),
            failed_logins: sea_orm::Set(0),
            locked_until: sea_orm::Set(None),
            disabled: sea_orm::Set(false),
            created_at: sea_orm::Set(now),
            phone_verified_at: sea_orm::Set(None),
            ..Default::default()
        });
        user::Entity::insert_many(people).exec(&txn).await?;
    }
    let first: i64 = user::Entity::find()
        .filter(user::Column::Phone.eq("+84900000000"))
        .one(&txn)
        .await?
        .context("seeded user missing")?
        .id;
    for chunk in ids.chunks(SEED_CHUNK) {
        let rows = chunk.iter().map(|i| outbox::ActiveModel {
            commune_code: sea_orm::Set("17071".into()),
            user_id: sea_orm::Set(first + *i as i64),
            channel: sea_orm::Set("sms".into()),
            title: sea_orm::Set("Lịch tiêm chủng".into()),
            body: sea_orm::Set(format!("Thứ Bảy tại trạm y tế xã (tin {i})")),
            link: sea_orm::Set(Some("/c/17071/notices/1".into())),
            status: sea_orm::Set(PENDING.into()),
            attempts: sea_orm::Set(0),
            next_attempt_at: sea_orm::Set(now),
            last_error: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            sent_at: sea_orm::Set(None),
            priority: sea_orm::Set(0),
            ref_kind: sea_orm::Set(None),
            ref_id: sea_orm::Set(None),
            ..Default::default()
        });
        outbox::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Seeds, delivers and prints on SQLite, and on PostgreSQL when `pg_url` names a server (a
/// database `xaso_bench_outbox` is made next to it, and dropped after); the target's
/// PASS/FAIL is a finding, not an error.
pub async fn run(messages: u64, pg_url: Option<&str>) -> Result<()> {
    ensure!(messages > 0, "--outbox-messages must be at least 1");
    crate::scratch::on_each_backend("outbox", pg_url, async |backend, url| {
        measure(backend, url, messages).await
    })
    .await
}

async fn measure(backend: &str, url: &str, messages: u64) -> Result<()> {
    println!(
        "\nOutbox ({backend}): {messages} pending SMS to a local HTTP gateway sink (rate limit lifted) …"
    );
    let db = kernel::db::connect(url).await?;
    kernel::db::migrate(&db).await?;
    let seeding = Instant::now();
    seed(&db, messages).await?;
    println!("Seeded in {} ms", seeding.elapsed().as_millis());

    let (addr, sink) = start_sink().await?;
    let mut config = Config {
        public_url: "http://xaso.bench".into(),
        ..Config::default()
    };
    config.rate_limits.insert("sms".into(), 0.0);
    let own = delivery::DeliveryConfig {
        sms: Some(GatewaySettings {
            url: format!("http://{addr}/sms"),
            auth_header: "X-Api-Key".into(),
            auth_value: KEY.into(),
            content_type: "application/json".into(),
            body: r#"{"to":"{phone}","text":"{title}: {text} {link}"}"#.into(),
        }),
        allow_private_commune_gateways: true,
        ..Default::default()
    };
    // The SMS channel exactly as the delivery room builds it, without the other rooms.
    let settings = std::sync::Arc::new(delivery::settings::DeliverySettings::new(
        db.clone(),
        &config,
        &own,
    ));
    let sms = delivery::gateway::GatewayChannel::sms(settings, delivery::gateway::client());
    let dispatcher = Dispatcher::with_channels(db.clone(), &config, vec![Box::new(sms)]);

    let started = Instant::now();
    let mut claimed = 0u64;
    loop {
        let n = dispatcher.deliver_due(Utc::now(), BATCH).await? as u64;
        if n == 0 {
            break;
        }
        claimed += n;
    }
    let elapsed = started.elapsed();
    let sent = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(SENT))
        .count(&db)
        .await?;
    let (ok, bad) = (
        sink.ok.load(Ordering::Relaxed),
        sink.bad.load(Ordering::Relaxed),
    );
    ensure!(
        sent == messages && ok == messages && bad == 0 && claimed == messages,
        "outbox run incomplete: {sent} sent, gateway {ok} accepted / {bad} refused, {claimed} claimed of {messages}"
    );
    let per_sec = messages as f64 / elapsed.as_secs_f64();
    let ratio = per_sec / TARGET_PER_SEC;
    let verdict = if per_sec >= TARGET_PER_SEC {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "Outbox delivery ({backend}): {messages} SMS in {:.2} s = {per_sec:.0} messages/s; target ≥ {TARGET_PER_SEC:.0}/s: {verdict} ({ratio:.2}× the target)",
        elapsed.as_secs_f64()
    );
    println!(
        "  ({BATCH} claimed per round, 64 in flight, one UPDATE per outcome group; the gateway accepted {ok}, refused {bad})"
    );
    db.close().await.ok();
    Ok(())
}
