//! Memory: resident memory after the first start (migration and demo seed), and while people
//! sign in without pause. Each Argon2 hash takes a 19 MiB block; the targets (issue 10) are
//! < 40 MB idle after the first start and < 100 MB at any moment of sustained sign-ins.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Result;

use crate::http::RequestSpec;
use crate::load::{self, Load, Plan, Requests};
use crate::report::mb;
use crate::server::Server;

const IDLE_MAX: u64 = 40_000_000;
const SIGN_IN_MAX: u64 = 100_000_000;
/// Concurrent sign-ins: more than the server hashes at once (2), so some always wait.
const SIGN_IN_CONNECTIONS: usize = 16;

pub struct Memory {
    pub first_start_idle: u64,
    pub sign_in_peak: u64,
    pub after_sign_ins: u64,
    pub sign_ins_per_s: f64,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// Starts a server on a fresh data directory (it seeds the demo), reads its idle memory, then
/// signs in with 16 connections for `plan.duration` while sampling its memory every 100 ms.
pub async fn run(xaso: &Path, dir: &Path, base: &Plan) -> Result<Memory> {
    println!("\nMemory: first start, then sign-ins without pause …");
    // Sign-in throttling per address would answer 429 before any hash: lift it for the load.
    let config = dir.join("memory.toml");
    std::fs::write(&config, "login_ip_limit = 100000000\n")?;
    let mut server = Server::spawn_with(
        xaso,
        &dir.join("memory-data"),
        &dir.join("memory.log"),
        Some(&config),
    )?;
    server.wait_ready().await?;
    tokio::time::sleep(crate::IDLE_BEFORE_RSS).await;
    let first_start_idle = server.rss_bytes()?;

    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let pid = server.pid();
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Ok(rss) = crate::server::rss_of(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let plan = Plan {
        addr: server.addr,
        host: server.addr.to_string(),
        connections: SIGN_IN_CONNECTIONS,
        ..base.clone()
    };
    // An unknown phone: the server still hashes (a decoy, so answers take the same time) and
    // nothing gets locked out.
    let sign_in = Load {
        label: "POST /api/v1/auth/token (sign-in)".into(),
        requests: Requests::Same(RequestSpec::post_json(
            "/api/v1/auth/token",
            r#"{"phone":"0999000111","password":"Sai-mat-khau-1","name":"bench"}"#,
        )),
        expect_status: 401,
    };
    let outcome = load::run(&plan, &sign_in).await;
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    // Idle means a little while: the server hands free memory back every 10 s.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let after_sign_ins = server.rss_bytes()?;
    server.stop().await?;

    let m = Memory {
        first_start_idle,
        sign_in_peak: peak.load(Ordering::Relaxed),
        after_sign_ins,
        sign_ins_per_s: outcome.rps,
    };
    println!("Memory targets (issue 10):");
    println!(
        "  {}  idle after the first start (demo seeded): {} (< {})",
        verdict(m.first_start_idle < IDLE_MAX),
        mb(m.first_start_idle),
        mb(IDLE_MAX)
    );
    println!(
        "  {}  peak while signing in at {} connections ({:.1} sign-ins/s, {} unexpected): {} (< {})",
        verdict(m.sign_in_peak < SIGN_IN_MAX && outcome.errors() == 0),
        SIGN_IN_CONNECTIONS,
        m.sign_ins_per_s,
        outcome.errors(),
        mb(m.sign_in_peak),
        mb(SIGN_IN_MAX)
    );
    println!(
        "  {}  idle again after the sign-ins: {} (< {})",
        verdict(m.after_sign_ins < IDLE_MAX),
        mb(m.after_sign_ins),
        mb(IDLE_MAX)
    );
    Ok(m)
}
