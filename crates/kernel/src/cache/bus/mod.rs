//! The change bus: what one `xaso serve` process changes, the others of the deployment apply
//! before that process answers, through PostgreSQL's `LISTEN`/`NOTIFY`, so no process serves
//! it stale afterwards.
//!
//! `crate::cache::changed` puts each change on the bus. A publisher task sends them in batches
//! (`pg_notify`); a listener task on a connection of its own applies the other processes'
//! changes to this process's generations, hands them to the platform's [`Hear`] hook (the
//! commune list, the calendar) and acknowledges them. A request that changed something
//! answers only once every process serving has acknowledged its changes ([`carrying`]; half a
//! second at most, should one have died), so the next request, to any process, sees them.
//! Processes say hello every few seconds, so each knows whom to wait for. When the listener
//! loses its connection it may have missed messages: it forgets every cache entry, then
//! listens again. On SQLite one process owns the database and the bus is never started.

mod peers;
mod wire;

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::{Notify, mpsc, watch};

use crate::future::BoxFuture;
use peers::Peers;
use wire::Message;

/// The PostgreSQL channel the processes talk on.
pub const CHANNEL: &str = "xaso_changes";
/// The longest a request waits for the other processes to apply its changes.
const APPLY_WAIT: Duration = Duration::from_millis(500);
/// How often a process says it is serving.
const HELLO_EVERY: Duration = Duration::from_secs(5);
/// The kind [`Hear::heard`] is given after a gap in listening: everything may have changed.
pub const EVERYTHING: &str = "*";

/// What the platform does when it hears another process's change, beyond forgetting cache
/// entries (done by the bus itself): reload what it keeps whole in memory.
pub trait Hear: Send + Sync + 'static {
    fn heard<'a>(&'a self, kind: &'a str, commune: &'a str) -> BoxFuture<'a, ()>;
}

/// What the publisher task sends.
enum Outgoing {
    Change {
        kind: String,
        commune: String,
        seq: u64,
    },
    Ack {
        to: String,
        seq: u64,
    },
}

struct Bus {
    origin: String,
    tx: mpsc::UnboundedSender<Outgoing>,
    /// Number of the last change put on the bus, and of the last one sent.
    queued: AtomicU64,
    sent: AtomicU64,
    peers: Peers,
    /// Woken whenever a change is sent or acknowledged.
    progress: Notify,
}

impl Bus {
    /// Change `seq` is sent and applied by every process serving.
    fn settled(&self, seq: u64) -> bool {
        self.sent.load(Ordering::Acquire) >= seq && self.peers.all_applied(seq)
    }

    async fn notify(&self, db: &DatabaseConnection, payload: String) {
        let send = || {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.clone().into()],
            ))
        };
        if let Err(e) = send().await {
            tracing::warn!(error = %e, "change bus: sending failed, trying once more");
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Err(e) = send().await {
                tracing::error!(error = %e, "change bus: a message was not sent; other processes see the change when their caches expire");
            }
        }
    }
}

static BUS: OnceLock<Bus> = OnceLock::new();

tokio::task_local! {
    /// The last change the current request put on the bus ([`carrying`]).
    static PENDING: Cell<u64>;
}

/// Puts a change on the bus (nothing when it is not started: SQLite, tests in one process).
pub(crate) fn publish(kind: &str, commune: &str) {
    let Some(bus) = BUS.get() else {
        return;
    };
    let seq = bus.queued.fetch_add(1, Ordering::SeqCst) + 1;
    let _ = bus.tx.send(Outgoing::Change {
        kind: kind.to_owned(),
        commune: commune.to_owned(),
        seq,
    });
    let _ = PENDING.try_with(|p| p.set(seq));
}

/// Runs a request and returns its answer once the changes it made are applied by every
/// process serving, so whichever is asked next already knows of them.
pub async fn carrying<F: std::future::Future>(request: F) -> F::Output {
    let Some(bus) = BUS.get() else {
        return request.await;
    };
    PENDING
        .scope(Cell::new(0), async {
            let out = request.await;
            let pending = PENDING.with(Cell::get);
            if pending > 0 {
                let deadline = tokio::time::Instant::now() + APPLY_WAIT;
                loop {
                    let progress = bus.progress.notified();
                    tokio::pin!(progress);
                    progress.as_mut().enable();
                    if bus.settled(pending)
                        || tokio::time::timeout_at(deadline, progress).await.is_err()
                    {
                        break;
                    }
                }
            }
            out
        })
        .await
}

/// Starts the bus when the database is PostgreSQL (or a Citus coordinator): returns the
/// publisher's and the listener's tasks, which end (saying goodbye) when `stop` turns true.
/// A second start in the same process is refused (one process serves one deployment).
pub async fn start(
    db: &DatabaseConnection,
    hear: Arc<dyn Hear>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(vec![]);
    }
    // The listener's own connection, kept out of the request pool.
    let options = (*db.get_postgres_connection_pool().connect_options()).clone();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    BUS.set(Bus {
        origin: origin(),
        tx,
        queued: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        peers: Peers::default(),
        progress: Notify::new(),
    })
    .map_err(|_| anyhow::anyhow!("the change bus is already started in this process"))?;
    Ok(vec![
        tokio::spawn(send(db.clone(), rx, stop.clone())),
        tokio::spawn(listen(listener, hear, stop)),
    ])
}

/// This process's name on the bus: random, so two processes never share one.
fn origin() -> String {
    use rand::RngCore;
    let mut buf = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Tells the serving processes that a one-off command (`xaso user create`, `xaso demo`) may
/// have changed anything: they forget their caches and reload. Nothing to do on SQLite.
pub async fn tell_everything_changed(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let payload = wire::changes_payloads("command", 0, &[(EVERYTHING, "")]).remove(0);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// The publisher: changes in batches, acknowledgements, hellos, and a goodbye at the end.
async fn send(
    db: DatabaseConnection,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(bus) = BUS.get() else {
        return;
    };
    let mut hello = tokio::time::interval(HELLO_EVERY);
    enum Next {
        Send(Outgoing),
        Hello,
        Stop,
    }
    loop {
        // Decided inside, done outside: the select's futures are gone before the awaits.
        let next = tokio::select! {
            o = rx.recv() => o.map_or(Next::Stop, Next::Send),
            _ = hello.tick() => Next::Hello,
            _ = stop.wait_for(|s| *s) => Next::Stop,
        };
        let first = match next {
            Next::Send(o) => o,
            Next::Hello => {
                bus.notify(&db, Message::Hello { from: &bus.origin }.encode())
                    .await;
                continue;
            }
            Next::Stop => break,
        };
        let mut batch = vec![first];
        while batch.len() < 500 {
            match rx.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
        let mut changes = vec![];
        let mut last = 0;
        for o in &batch {
            match o {
                Outgoing::Change { kind, commune, seq } => {
                    changes.push((kind.as_str(), commune.as_str()));
                    last = last.max(*seq);
                }
                Outgoing::Ack { to, seq } => {
                    let ack = Message::Ack {
                        from: &bus.origin,
                        to,
                        seq: *seq,
                    };
                    bus.notify(&db, ack.encode()).await;
                }
            }
        }
        if !changes.is_empty() {
            for payload in wire::changes_payloads(&bus.origin, last, &changes) {
                bus.notify(&db, payload).await;
            }
            bus.sent.fetch_max(last, Ordering::AcqRel);
            bus.progress.notify_waiters();
        }
    }
    bus.notify(&db, Message::Bye { from: &bus.origin }.encode())
        .await;
}

async fn listen(mut listener: PgListener, hear: Arc<dyn Hear>, mut stop: watch::Receiver<bool>) {
    let Some(bus) = BUS.get() else {
        return;
    };
    loop {
        let next = tokio::select! {
            n = listener.try_recv() => n,
            _ = stop.wait_for(|s| *s) => return,
        };
        match next {
            Ok(Some(n)) => apply(bus, &*hear, n.payload()).await,
            // The connection dropped and is back: messages sent meanwhile are lost.
            Ok(None) => gap(&*hear).await,
            Err(e) => {
                tracing::warn!(error = %e, "change bus: listening failed; caches forgotten, retrying");
                gap(&*hear).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// One message heard on the channel.
async fn apply(bus: &Bus, hear: &dyn Hear, payload: &str) {
    let Some(msg) = Message::parse(payload) else {
        return;
    };
    let from = msg.from();
    if from == bus.origin {
        return;
    }
    if from != "command" {
        bus.peers.heard(from, bus.sent.load(Ordering::Acquire));
    }
    match msg {
        Message::Changes { seq, changes, .. } => {
            for (kind, commune) in changes {
                if kind == EVERYTHING {
                    gap(hear).await;
                } else {
                    crate::cache::bump(kind, commune);
                    hear.heard(kind, commune).await;
                }
            }
            if from != "command" {
                let _ = bus.tx.send(Outgoing::Ack {
                    to: from.to_owned(),
                    seq,
                });
            }
        }
        Message::Ack { to, seq, .. } if to == bus.origin => {
            bus.peers.acked(from, seq);
            bus.progress.notify_waiters();
        }
        Message::Bye { .. } => {
            bus.peers.gone(from);
            bus.progress.notify_waiters();
        }
        Message::Ack { .. } | Message::Hello { .. } => {}
    }
}

async fn gap(hear: &dyn Hear) {
    crate::cache::forget_all();
    hear.heard(EVERYTHING, "").await;
}
