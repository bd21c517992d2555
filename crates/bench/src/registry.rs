//! The household register at scale (issue 13): N synthetic households imported from one CSV
//! with `xaso import households` on a fresh demo database (rows/s and the child's peak memory,
//! then the same file again), household search at that size and the map's household layer on
//! a register of 5,000, on SQLite and, with `--pg-url`, on PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail, ensure};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

mod figures;
mod households;

use crate::http::{RequestSpec, form_urlencode};
use crate::load::{self, Load, Outcome, Plan, Requests, describe, fetch};
use crate::report;
use crate::server::{self, Server, Watched};
use crate::services::{self, PASSWORD};
use figures::{Import, MapLayer, Register};

const COMMUNE: &str = "17071";
/// The official the part creates (`xaso user create`): the demo's officials have one-time
/// passwords, and `xaso bench-data` would add dossiers besides its accounts.
const OFFICIAL_PHONE: &str = "0900000099";
/// Households the demo seeds (crates/registry/src/demo.rs).
const DEMO_HOUSEHOLDS: u64 = 300;
/// The register the map layer is measured on: the demo's and an import's.
const MAP_HOUSEHOLDS: u64 = 5_000;
/// A commune office's officials at once, not a crowd.
const CONNECTIONS: usize = 4;
/// Codes are `MH-` and seven digits.
const HOUSEHOLDS_MAX: u64 = 9_999_999;

/// Where the part runs: the binary, its scratch directory, the file and the load's plan.
struct Setup<'a> {
    xaso: &'a Path,
    dir: &'a Path,
    households: u64,
    /// The big file, and the map's (`MAP_HOUSEHOLDS - DEMO_HOUSEHOLDS` rows).
    csv: PathBuf,
    map_csv: PathBuf,
    plan: Plan,
}

/// `--registry-only`: the part alone, in a temporary directory of its own.
pub async fn run_alone(args: &crate::Args, bench_command: &str) -> Result<()> {
    ensure!(
        (1..=HOUSEHOLDS_MAX).contains(&args.households),
        "--households must be from 1 to {HOUSEHOLDS_MAX}"
    );
    let xaso = crate::xaso_binary(args)?;
    let dir = crate::scratch_dir()?;
    // The part starts its own servers: only the plan's durations count.
    let anywhere = crate::Target {
        addr: ([127, 0, 0, 1], 0).into(),
        host: String::new(),
    };
    let plan = Plan {
        connections: CONNECTIONS,
        ..crate::plan(args, &anywhere)?
    };
    println!("Server binary: {}", xaso.display());
    let template = server::run_xaso(
        &xaso,
        &dir.path().join("template"),
        &["import", "households", "--template"].map(str::to_owned),
    )?;
    let setup = Setup {
        xaso: &xaso,
        dir: dir.path(),
        households: args.households,
        csv: dir
            .path()
            .join(format!("households-{}.csv", args.households)),
        map_csv: dir.path().join("households-map.csv"),
        plan,
    };
    let started = std::time::Instant::now();
    let bytes = households::write(&setup.csv, &template.output, setup.households)?;
    households::write(
        &setup.map_csv,
        &template.output,
        MAP_HOUSEHOLDS - DEMO_HOUSEHOLDS,
    )?;
    println!(
        "\nHousehold register: {} households written to {} ({}) in {} ms, under the header of `{}`",
        setup.households,
        setup.csv.display(),
        report::mb(bytes),
        started.elapsed().as_millis(),
        template.command
    );

    let registers = Mutex::new(Vec::new());
    crate::scratch::on_each_backend("registry", args.pg_url.as_deref(), async |backend, url| {
        let r = register(&setup, backend, url).await?;
        registers.lock().expect("no panics hold it").push(r);
        Ok(())
    })
    .await?;
    let maps = Mutex::new(Vec::new());
    crate::scratch::on_each_backend(
        "registry_map",
        args.pg_url.as_deref(),
        async |backend, url| {
            let m = map_layer(&setup, backend, url).await?;
            maps.lock().expect("no panics hold it").push(m);
            Ok(())
        },
    )
    .await?;
    if args.pg_url.is_none() {
        println!(
            "\nPostgreSQL skipped: pass --pg-url postgres://user@host/db (or set XASO_BENCH_PG_URL)"
        );
    }
    figures::print_report(
        setup.households,
        &registers.into_inner().expect("no panics hold it"),
        &maps.into_inner().expect("no panics hold it"),
        &setup.plan,
        bench_command,
    );
    Ok(())
}

/// `--database-url URL ARGS…`: every command of the part names its database.
fn on(url: &str, args: &[&str]) -> Vec<String> {
    ["--database-url", url]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect()
}

/// `xaso demo` on a fresh database (the demo commune and its 300 households).
fn demo(setup: &Setup, backend: &str, data: &Path, url: &str) -> Result<()> {
    let seeded = server::run_xaso(setup.xaso, data, &on(url, &["demo"]))?;
    println!(
        "{backend}: demo seeded in {} ms ({})",
        seeded.took.as_millis(),
        seeded.command
    );
    Ok(())
}

/// On PostgreSQL, `ANALYZE` the database: the statistics autovacuum keeps on a production
/// server, where a commune imports days after its tables were made, not seconds after. Without
/// them a fresh database's planner takes the household table for empty and looks codes up
/// through `(commune_code, phone)`, reading the whole commune per 500-row chunk.
async fn analyze(backend: &str, url: &str, when: &str) -> Result<()> {
    if backend != "PostgreSQL" {
        return Ok(());
    }
    let db = kernel::db::connect(url).await?;
    let autovacuum = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW autovacuum",
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    db.execute_unprepared("ANALYZE").await?;
    db.close().await.ok();
    println!(
        "  ANALYZE {when} in {} ms (autovacuum's work on a production server; this one has autovacuum {autovacuum})",
        started.elapsed().as_millis()
    );
    Ok(())
}

/// `xaso import households FILE --commune 17071`, timed and watched, with what it reported.
fn import(setup: &Setup, data: &Path, url: &str, file: &Path, what: &str) -> Result<Import> {
    let file_arg = file.to_string_lossy();
    let args = on(
        url,
        &["import", "households", &file_arg, "--commune", COMMUNE],
    );
    let load_before = load_average();
    let Watched { run, peak_bytes } = server::run_watched(setup.xaso, data, &args)?;
    let counts = figures::counts(&run.output)
        .with_context(|| format!("`{}` printed no counts: {:?}", run.command, run.output))?;
    let done = Import {
        what: what.to_owned(),
        took: run.took,
        peak_bytes,
        counts,
        said: run.output,
        command: run.command,
    };
    println!(
        "  {what}: {} rows in {:.1} s = {:.0} rows/s (wall clock of the command), peak {} (load average {load_before} before it); it said: {}",
        done.counts.rows,
        done.took.as_secs_f64(),
        done.rate(),
        report::mb(done.peak_bytes),
        done.said
    );
    Ok(done)
}

/// The one-minute load average: other work on the machine takes cores from the import.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// An official of the demo commune with [`PASSWORD`], made with `xaso user create`.
fn official(setup: &Setup, data: &Path, url: &str) -> Result<()> {
    let args = on(
        url,
        &[
            "user",
            "create",
            "--phone",
            OFFICIAL_PHONE,
            "--name",
            "Công chức thử tải",
            "--password",
            PASSWORD,
            "--role",
            "official",
            "--commune",
            COMMUNE,
        ],
    );
    server::run_xaso(setup.xaso, data, &args)?;
    Ok(())
}

/// The demo, the big file imported twice, then the server on it and the household search.
async fn register(setup: &Setup<'_>, backend: &'static str, url: &str) -> Result<Register> {
    println!(
        "\nRegister ({backend}): demo, then {} households imported twice, then searched …",
        setup.households
    );
    let data = setup
        .dir
        .join(format!("registry-{}", backend.to_lowercase()));
    demo(setup, backend, &data, url)?;
    analyze(backend, url, "after the demo seed").await?;
    let first = import(setup, &data, url, &setup.csv, "first import")?;
    let again = import(setup, &data, url, &setup.csv, "same file again")?;
    official(setup, &data, url)?;
    analyze(backend, url, "after the imports").await?;

    let log = data.with_extension("log");
    let mut server = Server::spawn_on(setup.xaso, &data, &log, url)?;
    let startup = server.wait_ready().await?;
    println!(
        "  server ready in {} ms on {} households",
        startup.as_millis(),
        setup.households + DEMO_HOUSEHOLDS
    );
    let plan = Plan {
        addr: server.addr,
        host: server.addr.to_string(),
        ..setup.plan.clone()
    };
    let token = services::token(&plan, OFFICIAL_PHONE).await?;
    let loads = search_loads(&token, setup.households);
    for l in &loads[..KINDS.len()] {
        first_page(&plan, l).await?;
    }
    services::preflight(&plan, &loads).await?;
    let mut searches = Vec::with_capacity(loads.len());
    for l in &loads {
        searches.push(load::run(&plan, l).await);
    }
    let refs: Vec<&Outcome> = searches.iter().collect();
    report::print_throughput(
        &format!(
            "Household search ({backend}), {} households, 50 a page (each read audited)",
            setup.households + DEMO_HOUSEHOLDS
        ),
        &plan,
        &refs,
    );
    println!(
        "  resident memory after the search load: {}",
        report::mb(server.rss_bytes()?)
    );
    let server_command = server.command.clone();
    server.stop().await?;
    Ok(Register {
        backend,
        first,
        again,
        startup,
        searches,
        server_command,
    })
}

/// The demo plus an import to 5,000 households, then the server and the household layer.
async fn map_layer(setup: &Setup<'_>, backend: &'static str, url: &str) -> Result<MapLayer> {
    println!("\nMap layer ({backend}): demo plus an import to {MAP_HOUSEHOLDS} households …");
    let data = setup
        .dir
        .join(format!("registry-map-{}", backend.to_lowercase()));
    demo(setup, backend, &data, url)?;
    analyze(backend, url, "after the demo seed").await?;
    let imported = import(setup, &data, url, &setup.map_csv, "import")?;
    official(setup, &data, url)?;
    analyze(backend, url, "after the import").await?;

    let log = data.with_extension("log");
    let mut server = Server::spawn_on(setup.xaso, &data, &log, url)?;
    server.wait_ready().await?;
    let plan = Plan {
        addr: server.addr,
        host: server.addr.to_string(),
        ..setup.plan.clone()
    };
    let token = services::token(&plan, OFFICIAL_PHONE).await?;
    let path = format!("/api/v1/communes/{COMMUNE}/map/households.geojson");
    let spec = RequestSpec::get(path.as_str()).bearer(&token);
    let (status, body) = fetch(&plan, &spec).await?;
    if status != 200 {
        bail!("GET {path}: {}", describe(status, &body));
    }
    let v: Value = serde_json::from_slice(&body).context("the layer is not JSON")?;
    let features = v["features"].as_array().map_or(0, Vec::len);
    println!("  GET {path}: {features} features, {} bytes", body.len());
    if features as u64 != MAP_HOUSEHOLDS {
        eprintln!(
            "warning: the layer has {features} features, not {MAP_HOUSEHOLDS} ({} imported)",
            imported.counts.rows
        );
    }
    let load = Load {
        label: format!("GET {path}"),
        requests: Requests::Same(spec),
        expect_status: 200,
    };
    let outcome = load::run(&plan, &load).await;
    report::print_throughput(
        &format!("Map household layer ({backend}), {features} households (each read audited)"),
        &plan,
        &[&outcome],
    );
    let server_command = server.command.clone();
    server.stop().await?;
    Ok(MapLayer {
        backend,
        features,
        outcome,
        server_command,
    })
}

/// One kind of search an official types: a name for the tables and its variants, one picked
/// per request (`households` is the size of the big file, for the code prefixes).
struct Kind {
    label: &'static str,
    query: fn(u64, u64) -> String,
}

const KINDS: [Kind; 5] = [
    Kind {
        label: "surname q=nguyen|tran|le|pham|hoang",
        query: |r, _| ["nguyen", "tran", "le", "pham", "hoang"][(r % 5) as usize].to_owned(),
    },
    Kind {
        label: "surname + given prefix q=tran van th|nguyen thi h|le van m|pham thi t",
        query: |r, _| {
            ["tran van th", "nguyen thi h", "le van m", "pham thi t"][(r % 4) as usize].to_owned()
        },
    },
    Kind {
        label: "code prefix q=MH-NNNNN (100 codes)",
        query: |r, n| format!("MH-{}", &households::code(r % n)[3..8]),
    },
    Kind {
        label: "one letter q=n|t|h|l",
        query: |r, _| ["n", "t", "h", "l"][(r % 4) as usize].to_owned(),
    },
    Kind {
        label: "phone prefix q=09NN",
        query: |r, _| format!("09{:02}", r % 100),
    },
];

fn search_path(q: &str) -> String {
    format!(
        "/api/v1/communes/{COMMUNE}/households?{}",
        form_urlencode(&[("q", q)])
    )
}

/// Each kind alone, then all of them in turn (the "overall" figure).
fn search_loads(token: &str, households: u64) -> Vec<Load> {
    let load = |label: String, make: Arc<load::MakeRequest>| Load {
        label,
        requests: Requests::Varying(make),
        expect_status: 200,
    };
    let mut loads: Vec<Load> = KINDS
        .iter()
        .map(|k| {
            let (query, token) = (k.query, token.to_owned());
            load(
                k.label.to_owned(),
                Arc::new(move |r| {
                    RequestSpec::get(search_path(&query(r, households))).bearer(&token)
                }),
            )
        })
        .collect();
    let token = token.to_owned();
    loads.push(load(
        "overall: the five kinds in turn".to_owned(),
        Arc::new(move |r| {
            let kind = &KINDS[(r % KINDS.len() as u64) as usize];
            RequestSpec::get(search_path(&(kind.query)(
                r / KINDS.len() as u64,
                households,
            )))
            .bearer(&token)
        }),
    ));
    loads
}

/// What the first variant of a kind finds: a search that finds nothing would be fast for
/// nothing.
async fn first_page(plan: &Plan, l: &Load) -> Result<()> {
    let Requests::Varying(make) = &l.requests else {
        return Ok(());
    };
    let spec = make(0);
    let (status, body) = fetch(plan, &spec).await?;
    if status != 200 {
        return Ok(()); // the preflight says why
    }
    let v: Value = serde_json::from_slice(&body).context("the household page is not JSON")?;
    let items = v["items"].as_array().map_or(0, Vec::len);
    let more = if v["more"].as_bool() == Some(true) {
        ", more pages"
    } else {
        ""
    };
    println!("  {}: {items} on the first page{more}", spec.path);
    if items == 0 {
        eprintln!("warning: {} finds nothing", spec.path);
    }
    Ok(())
}
