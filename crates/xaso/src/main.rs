//! `xaso`: serve the platform, migrate, seed the demo, create users, back up.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kernel::accounts::{self, Grant, NewUser, Role};
use kernel::config::Config;

mod import_cli;
mod push_test;

#[derive(Parser)]
#[command(
    name = "xaso",
    version,
    about = "Xã Số: the smart-commune and e-commerce-commune platform"
)]
struct Cli {
    /// TOML configuration file (flags and environment override it).
    #[arg(long, global = true, env = "XASO_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: SQLite database, attachments.
    #[arg(long, global = true, env = "XASO_DATA")]
    data: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…`; default SQLite inside the data directory.
    #[arg(long, global = true, env = "XASO_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web platform.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "XASO_LISTEN")]
        listen: Option<String>,
        /// Seed the demo commune if the database has none.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Seed the demo commune (only into a database without communes).
    Demo,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent online copy of the SQLite database to FILE.
    Backup { file: PathBuf },
    /// Print the OpenAPI 3.1 description of the JSON API.
    Openapi,
    /// Load synthetic dossiers for load tests (seeds the demo commune first if needed).
    BenchData {
        #[arg(long, default_value_t = 100_000)]
        dossiers: u64,
        /// Password of the load-test applicant (0900000001) and official (0900000002).
        #[arg(long, env = "XASO_BENCH_PASSWORD")]
        password: String,
        /// Synthetic feedback reports to load as well, spread over two years (0 = none).
        #[arg(long, default_value_t = 0)]
        feedback: u64,
        /// Residents to add to the demo commune, then publish one notice to all of them and
        /// print how long the fan-out took (0 = none).
        #[arg(long, default_value_t = 0)]
        notice_people: u64,
        /// Published notices to load for the notice board (0 = none).
        #[arg(long, default_value_t = 0)]
        notices: u64,
    },
    /// Issue an Open311 API key for a commune; prints only the secret.
    Open311Key {
        #[arg(long)]
        commune: String,
        /// Who the key is for, as shown on the feedback settings page.
        #[arg(long)]
        name: String,
        /// Phone of the commune or system admin recorded as its issuer; default the first
        /// system administrator.
        #[arg(long)]
        by_phone: Option<String>,
    },
    /// Import data into a commune's register from a spreadsheet.
    Import {
        #[command(subcommand)]
        what: import_cli::ImportCommand,
    },
    /// Send one Web Push message to the given subscription (CI check with a local push
    /// service; use a throwaway --data directory).
    PushTest {
        #[arg(long)]
        endpoint: String,
        /// The subscription's P-256 key, base64url (which may begin with "-", hence
        /// `allow_hyphen_values`).
        #[arg(long, allow_hyphen_values = true)]
        p256dh: String,
        /// The subscription's auth secret, base64url.
        #[arg(long, allow_hyphen_values = true)]
        auth: String,
        #[arg(long, default_value = "Cảnh báo khẩn: nước lũ dâng cao")]
        title: String,
        #[arg(
            long,
            default_value = "Người dân các thôn ven sông di chuyển đến nơi an toàn."
        )]
        body: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account, e.g. the first system administrator.
    Create {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        /// Password; read from XASO_PASSWORD when not given.
        #[arg(long, env = "XASO_PASSWORD")]
        password: String,
        /// system_admin, commune_admin, leader, official, village_head or citizen.
        #[arg(long, default_value = "system_admin")]
        role: String,
        /// Commune code for commune roles (activated if it is not yet).
        #[arg(long)]
        commune: Option<String>,
        /// The village (its name in the commune) of a village head or a resident.
        #[arg(long)]
        village: Option<String>,
    },
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut c = match &cli.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    if let Some(d) = &cli.data {
        c.data_dir = d.clone();
    }
    if let Some(u) = &cli.database_url {
        c.database_url = u.clone();
    }
    Ok(c)
}

/// JSON logs on stderr, so the console (stdout: the URL, the demo accounts) stays readable.
/// Per-request lines are at debug level and so off by default; `XASO_LOG` (or `RUST_LOG`),
/// e.g. `XASO_LOG=info,kernel::web::ops=debug`, turns them on. Warnings and errors (a failed
/// request, a job that gave up) always reach stderr.
fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("XASO_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_writer(std::io::stderr)
        .init();
}

/// Start-up's garbage (migrations, the demo seed) and each burst's are handed back to the system:
/// once now, then every 10 s (a trim costs well under a millisecond on an idle heap).
async fn trim_memory(mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = every.tick() => {
                tokio::task::spawn_blocking(malloc::release_free_memory).await.ok();
            }
            _ = stop.changed() => return,
        }
    }
}

fn main() -> anyhow::Result<()> {
    // Before any thread exists: Argon2's 19 MiB blocks go back to the system after each hash
    // (see crates/malloc).
    malloc::tune_for_server();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = load_config(&cli)?;
    init_logs();
    // `xaso` alone (and so `cargo run --release`) is the quick start: serve with demo data.
    let command = cli.command.unwrap_or(Command::Serve {
        listen: None,
        demo: true,
    });
    match command {
        Command::Serve { listen, demo } => {
            if let Some(l) = listen {
                config.listen = l;
            }
            config.demo |= demo;
            serve(config).await
        }
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = kernel::db::connect_for_migrations(&config.effective_database_url()).await?;
            xaso::migrate(&db).await?;
            println!(
                "Database is up to date ({}).",
                kernel::db::backend_name(&db)
            );
            Ok(())
        }
        Command::Import { what } => import_cli::run(config, what).await,
        Command::Demo => {
            let p = xaso::build(config).await?;
            print_demo(&xaso::demo::seed(&p.state.db).await?);
            kernel::cache::bus::tell_everything_changed(&p.state.db).await?;
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    phone,
                    name,
                    password,
                    role,
                    commune,
                    village,
                },
        } => {
            let p = xaso::build(config).await?;
            let at = Place {
                commune: commune.as_deref(),
                village: village.as_deref(),
            };
            create_user(&p, &phone, &name, &password, &role, at).await?;
            kernel::cache::bus::tell_everything_changed(&p.state.db).await?;
            Ok(())
        }
        Command::Open311Key {
            commune,
            name,
            by_phone,
        } => {
            let p = xaso::build(config).await?;
            open311_key(&p, &commune, &name, by_phone.as_deref()).await
        }
        Command::BenchData {
            dossiers,
            password,
            feedback,
            notice_people,
            notices,
        } => {
            let p = xaso::build(config).await?;
            print_demo(&xaso::demo::seed(&p.state.db).await?);
            let started = std::time::Instant::now();
            let cal = p.state.calendar.get();
            services::benchdata::seed(
                &p.state.db,
                &cal,
                xaso::demo::DEMO_COMMUNE,
                dossiers,
                &password,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut done = format!(
                "{dossiers} dossiers ready in {} ms (receipts {} …, phone {})",
                started.elapsed().as_millis(),
                services::benchdata::receipt(xaso::demo::DEMO_COMMUNE, 1),
                services::benchdata::APPLICANT_PHONE
            );
            if feedback > 0 {
                let started = std::time::Instant::now();
                voice::benchdata::seed(&p.state.db, xaso::demo::DEMO_COMMUNE, feedback)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                done.push_str(&format!(
                    "; {feedback} feedback reports ready in {} ms (receipts {} …)",
                    started.elapsed().as_millis(),
                    voice::benchdata::receipt(xaso::demo::DEMO_COMMUNE, 1)
                ));
            }
            if notice_people > 0 || notices > 0 {
                done.push_str(&bench_notices(&p, notice_people, notices).await?);
            }
            // One line, printed last: xaso-bench keeps only the last line of the output.
            println!("{done}");
            Ok(())
        }
        Command::PushTest {
            endpoint,
            p256dh,
            auth,
            title,
            body,
        } => {
            let p = xaso::build(config).await?;
            let args = push_test::Args {
                endpoint,
                p256dh,
                auth,
                title,
                body,
            };
            push_test::run(&p, &args).await
        }
        Command::Openapi => {
            print!("{}", xaso::openapi_json().map_err(anyhow::Error::msg)?);
            Ok(())
        }
        Command::Backup { file } => {
            if config.is_postgres() {
                println!(
                    "PostgreSQL database: back it up with\n  pg_dump --format=custom --file={} '{}'",
                    file.display(),
                    config.effective_database_url()
                );
                return Ok(());
            }
            let db = kernel::db::connect(&config.effective_database_url()).await?;
            kernel::db::backup_sqlite(&db, &file).await?;
            println!("Backup written to {}", file.display());
            Ok(())
        }
    }
}

/// Where a new account belongs: its commune and, for a village head or a resident, village.
struct Place<'a> {
    commune: Option<&'a str>,
    village: Option<&'a str>,
}

async fn create_user(
    p: &xaso::Platform,
    phone: &str,
    name: &str,
    password: &str,
    role: &str,
    at: Place<'_>,
) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| format!("unknown role {role}"))?;
    let commune_code = match at.commune {
        Some(c) => {
            let code = kernel::units::normalise_commune_code(c)
                .context("commune code must be 1–5 digits")?;
            if p.state.communes.get(&code).is_none_or(|c| !c.active) {
                kernel::tenancy::activate_commune(&p.state.db, &code)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            code
        }
        None if role == Role::SystemAdmin => p
            .state
            .communes
            .all_active()
            .first()
            .map(|c| c.code.clone())
            .unwrap_or_else(|| xaso::demo::DEMO_COMMUNE.into()),
        None => anyhow::bail!("--commune is required for role {}", role.as_str()),
    };
    if p.state.communes.get(&commune_code).is_none() {
        kernel::tenancy::activate_commune(&p.state.db, &commune_code)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let unit = if role == Role::SystemAdmin {
        "VN".to_owned()
    } else {
        commune_code.clone()
    };
    let village_id = match at.village {
        None => None,
        Some(name) => {
            anyhow::ensure!(
                matches!(role, Role::VillageHead | Role::Citizen),
                "--village is for a village head or a resident"
            );
            let wanted = kernel::text::fold_vi(name);
            let villages = kernel::tenancy::villages(&p.state.db, &commune_code)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let v = villages
                .iter()
                .find(|v| kernel::text::fold_vi(&v.name) == wanted)
                .with_context(|| {
                    let names: Vec<&str> = villages.iter().map(|v| v.name.as_str()).collect();
                    format!(
                        "no village {name} in commune {commune_code}; its villages: {}",
                        names.join(", ")
                    )
                })?;
            Some(v.id)
        }
    };
    let grant = Grant {
        role,
        unit_code: unit,
        village_id,
        department: None,
    };
    let new = NewUser {
        phone,
        password,
        full_name: name,
        email: None,
        commune_code: &commune_code,
        village_id,
    };
    let u = accounts::create_user(&p.state.db, new, &[grant], None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message(kernel::i18n::Locale::Vi)))?;
    println!(
        "Created user #{} {} ({}) as {}",
        u.id,
        name,
        u.phone.unwrap_or_default(),
        role.as_str()
    );
    Ok(())
}

async fn open311_key(
    p: &xaso::Platform,
    commune: &str,
    name: &str,
    by_phone: Option<&str>,
) -> anyhow::Result<()> {
    use kernel::accounts::entity::{role_grant, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let err =
        |e: kernel::error::AppError| anyhow::anyhow!("{}", e.message(kernel::i18n::Locale::Vi));
    let db = &p.state.db;
    p.state.communes.reload(db).await.map_err(err)?;
    let c = p
        .state
        .communes
        .active(commune)
        .map_err(|_| anyhow::anyhow!("no active commune {commune}"))?;
    let user_id = match by_phone {
        Some(raw) => {
            let phone = accounts::parse_phone(raw).map_err(err)?;
            user::Entity::find()
                .filter(user::Column::Phone.eq(&phone))
                .one(db)
                .await?
                .with_context(|| format!("no account with phone {raw}"))?
                .id
        }
        None => {
            role_grant::Entity::find()
                .filter(role_grant::Column::Role.eq(Role::SystemAdmin.as_str()))
                .order_by_asc(role_grant::Column::Id)
                .one(db)
                .await?
                .context("no system administrator: give --by-phone of a commune admin")?
                .user_id
        }
    };
    let u = accounts::load_user(db, user_id)
        .await
        .map_err(err)?
        .context("account not found")?;
    if !u.has_role_in(&c, &[Role::CommuneAdmin, Role::SystemAdmin]) {
        anyhow::bail!("{} is not an admin of commune {}", u.full_name, c.code);
    }
    let (_, secret) = voice::actions::settings::create_key(db, Some(&u), &c, name)
        .await
        .map_err(|e| err(e.into()))?;
    println!("{secret}");
    Ok(())
}

fn print_demo(created: &[(String, String, String)]) {
    if created.is_empty() {
        return;
    }
    println!(
        "\nDemo commune Xã Minh Hợp (17071) seeded. Accounts (passwords shown only this once):"
    );
    for (phone, name, pw) in created {
        println!("{}", xaso::demo::account_line(phone, pw, name));
    }
    println!();
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let demo = config.demo;
    let listen = config.listen.clone();
    let p = xaso::build(config).await?;
    if demo {
        let created = xaso::demo::seed(&p.state.db).await?;
        if !created.is_empty() {
            p.state
                .communes
                .reload(&p.state.db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        print_demo(&created);
    }
    let carried = p
        .state
        .files
        .carry_over(&p.state.db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if carried > 0 {
        tracing::info!(
            carried,
            "files from the data directory now kept in the database"
        );
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Other processes on the same PostgreSQL database hear this one's changes, and the other
    // way round (nothing on SQLite).
    let hear: std::sync::Arc<dyn kernel::cache::bus::Hear> = std::sync::Arc::new(p.state.clone());
    let mut workers = kernel::cache::bus::start(&p.state.db, hear, stop_rx.clone()).await?;
    workers.extend([
        tokio::spawn(p.jobs.clone().run(stop_rx.clone())),
        tokio::spawn(p.dispatcher.clone().run(stop_rx.clone())),
        tokio::spawn(trim_memory(stop_rx.clone())),
    ]);
    workers.extend(p.rooms.workers(&p.state, stop_rx.clone()));
    println!(
        "Xã Số is ready at http://{addr}/ ({}, {} ms)",
        kernel::db::backend_name(&p.state.db),
        started.elapsed().as_millis()
    );
    tracing::info!(%addr, ready_ms = started.elapsed().as_millis() as u64, "listening");
    axum::serve(
        listener,
        p.router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    p.state.db.clone().close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Loads residents and a notice history into the demo commune, then times one notice's
/// fan-out to all its people; returns the part of the report line it makes.
async fn bench_notices(p: &xaso::Platform, people: u64, history: u64) -> anyhow::Result<String> {
    use kernel::accounts::entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = &p.state.db;
    let err = |e: kernel::error::AppError| anyhow::anyhow!("{e}");
    p.state.communes.reload(db).await.map_err(err)?;
    let c = p
        .state
        .communes
        .active(xaso::demo::DEMO_COMMUNE)
        .map_err(err)?;
    let official = user::Entity::find()
        .filter(user::Column::Phone.eq("+84912000003"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo official is missing"))?;
    let mut out = String::new();
    if history > 0 {
        notices::benchdata::seed_history(db, &c, official.id, history)
            .await
            .map_err(err)?;
        out.push_str(&format!("; {history} notices on the board"));
    }
    if people > 0 {
        let started = std::time::Instant::now();
        notices::benchdata::seed_people(db, &c.code, people)
            .await
            .map_err(err)?;
        let loaded = started.elapsed();
        let (took, reached) = notices::benchdata::timed_fan_out(db, &c, official.id)
            .await
            .map_err(err)?;
        let outbox = notices::benchdata::count(db, "outbox").await.map_err(err)?;
        out.push_str(&format!(
            "; {people} residents loaded in {} ms; notice fan-out to {reached} people: {} ms (target 5000 ms, {}; outbox now {outbox} rows)",
            loaded.as_millis(),
            took.as_millis(),
            if took.as_millis() <= 5000 { "PASS" } else { "FAIL" }
        ));
    }
    Ok(out)
}
