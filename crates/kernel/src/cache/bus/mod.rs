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
/// entries (done by the bus itself): reload what it keeps whole in memory. It must not wait
/// (the listener acknowledges only after it returns): spawn what takes time.
pub trait Hear: Send + Sync + 'static {
    fn heard(&self, kind: &str, commune: &str);
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
    /// The number of the last change put on the bus, and the queue: numbered and queued
    /// under one lock, so the publisher sees the changes in their order.
    queue: std::sync::Mutex<(u64, mpsc::UnboundedSender<Outgoing>)>,
    /// Number of the last change sent.
    sent: AtomicU64,
    /// A batch of changes could not be sent: the others are told that anything may have
    /// changed as soon as sending works again.
    lost: std::sync::atomic::AtomicBool,
    peers: Peers,
    /// Woken whenever a change is sent or acknowledged.
    progress: Notify,
}

impl Bus {
    /// Change `seq` is sent and applied by every process serving.
    fn settled(&self, seq: u64) -> bool {
        self.sent.load(Ordering::Acquire) >= seq && self.peers.all_applied(seq)
    }

    /// Sends one message; false when it could not be sent (tried twice).
    async fn notify(&self, db: &DatabaseConnection, payload: String) -> bool {
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
                tracing::error!(error = %e, "change bus: a message was not sent");
                return false;
            }
        }
        true
    }

    /// Sends changes; when they cannot be sent, marks the loss (see `lost`).
    async fn notify_changes(&self, db: &DatabaseConnection, payload: String) {
        if !self.notify(db, payload).await {
            self.lost.store(true, Ordering::Release);
        }
    }

    /// After a loss, tells the others that anything may have changed, once sending works.
    async fn make_up_for_losses(&self, db: &DatabaseConnection) {
        if self.lost.load(Ordering::Acquire) {
            let seq = self.sent.load(Ordering::Acquire);
            let payload = wire::changes_payloads(&self.origin, seq, &[(EVERYTHING, "")]).remove(0);
            if self.notify(db, payload).await {
                self.lost.store(false, Ordering::Release);
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
    let seq = {
        let mut queue = bus.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.0 += 1;
        let _ = queue.1.send(Outgoing::Change {
            kind: kind.to_owned(),
            commune: commune.to_owned(),
            seq: queue.0,
        });
        queue.0
    };
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
                    if bus.settled(pending) {
                        break;
                    }
                    if tokio::time::timeout_at(deadline, progress).await.is_err() {
                        tracing::warn!(
                            change = pending,
                            "change bus: not every process acknowledged within {} ms",
                            APPLY_WAIT.as_millis()
                        );
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
    // The listener and the publisher each have a connection of their own, kept out of the
    // request pool: a busy pool never delays an acknowledgement.
    let own = || {
        let options = (*db.get_postgres_connection_pool().connect_options()).clone();
        PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options)
    };
    let (listening, sending) = (own(), own());
    let listener = subscribe(&listening).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    BUS.set(Bus {
        origin: origin(),
        queue: std::sync::Mutex::new((0, tx)),
        sent: AtomicU64::new(0),
        lost: std::sync::atomic::AtomicBool::new(false),
        peers: Peers::default(),
        progress: Notify::new(),
    })
    .map_err(|_| anyhow::anyhow!("the change bus is already started in this process"))?;
    let sending = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(sending);
    Ok(vec![
        tokio::spawn(send(sending, rx, stop.clone())),
        tokio::spawn(listen(listening, listener, hear, stop)),
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
    let mut closed = false;
    loop {
        // Decided inside, done outside: the select's futures are gone before the awaits.
        // Queued messages first: at a stop, what is already queued still goes.
        let next = tokio::select! {
            biased;
            o = rx.recv() => o.map_or(Next::Stop, Next::Send),
            _ = hello.tick() => Next::Hello,
            _ = stop.wait_for(|s| *s) => Next::Stop,
        };
        bus.make_up_for_losses(&db).await;
        let first = match next {
            Next::Send(o) => o,
            Next::Hello => {
                bus.notify(&db, Message::Hello { from: &bus.origin }.encode())
                    .await;
                continue;
            }
            // Take nothing new, send what is queued, then say goodbye.
            Next::Stop if !closed => {
                rx.close();
                closed = true;
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
                bus.notify_changes(&db, payload).await;
            }
            bus.sent.fetch_max(last, Ordering::AcqRel);
            bus.progress.notify_waiters();
        }
    }
    bus.notify(&db, Message::Bye { from: &bus.origin }.encode())
        .await;
}

/// A listener on `pool`'s connection, listening on [`CHANNEL`].
async fn subscribe(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The listener: applies what it hears; whenever it starts listening (again), anything may
/// have changed meanwhile (before this process listened, or while the connection was down),
/// so every cache entry is forgotten first.
async fn listen(
    pool: sea_orm::sqlx::PgPool,
    first: PgListener,
    hear: Arc<dyn Hear>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(bus) = BUS.get() else {
        return;
    };
    let mut listener = Some(first);
    loop {
        let mut current = match listener.take() {
            Some(l) => l,
            None => match subscribe(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "change bus: cannot listen; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            },
        };
        gap(&*hear);
        loop {
            let next = tokio::select! {
                n = current.try_recv() => n,
                _ = stop.wait_for(|s| *s) => return,
            };
            match next {
                Ok(Some(n)) => apply(bus, &*hear, n.payload()),
                // The connection dropped and is back: messages sent meanwhile are lost.
                Ok(None) => gap(&*hear),
                Err(e) => {
                    tracing::warn!(error = %e, "change bus: listening failed; listening again");
                    break;
                }
            }
        }
    }
}

/// One message heard on the channel. Never waits: the generations move at once, and what
/// is kept whole is reloaded by the platform in the background ([`Hear`]).
fn apply(bus: &Bus, hear: &dyn Hear, payload: &str) {
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
                    gap(hear);
                } else {
                    crate::cache::bump(kind, commune);
                    hear.heard(kind, commune);
                }
            }
            if from != "command" && seq > 0 {
                let queue = bus.queue.lock().unwrap_or_else(|e| e.into_inner());
                let _ = queue.1.send(Outgoing::Ack {
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

fn gap(hear: &dyn Hear) {
    crate::cache::forget_all();
    hear.heard(EVERYTHING, "");
}
