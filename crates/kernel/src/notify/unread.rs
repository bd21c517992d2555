//! Unread inbox counts, remembered per user until that user's inbox changes.
//!
//! Every signed-in page shows the count, so it is read far more often than it changes. A
//! write to someone's inbox bumps a generation number for their stripe; a remembered count
//! is used only while its stripe's generation is unchanged and for at most [`TTL`] (another
//! process of the deployment may have written). Stripes are shared by a few users, so a
//! change can only make a neighbour's count reload, never show a wrong one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use crate::error::AppResult;

const TTL: Duration = Duration::from_secs(10);
const STRIPES: usize = 4096;
const CAPACITY: usize = 50_000;

/// Process-wide, because inbox writes happen where no application state is at hand
/// (the dispatcher's channels, other rooms' transactions).
static GENERATIONS: [AtomicU64; STRIPES] = [const { AtomicU64::new(0) }; STRIPES];

fn stripe(user_id: i64) -> &'static AtomicU64 {
    &GENERATIONS[(user_id as u64 as usize) % STRIPES]
}

/// Marks a user's inbox as changed; call after the write.
pub fn changed(user_id: i64) {
    stripe(user_id).fetch_add(1, Ordering::Release);
}

#[derive(Default)]
pub struct UnreadCounts {
    counts: Mutex<HashMap<i64, (u64, Instant, u64)>>,
}

impl UnreadCounts {
    pub async fn get(&self, db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
        let generation = stripe(user_id).load(Ordering::Acquire);
        let lock = || self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(g, at, n)) = lock().get(&user_id)
            && g == generation
            && at.elapsed() < TTL
        {
            return Ok(n);
        }
        // The generation was read before the count: a write racing with this query bumps it
        // afterwards, so the next read reloads rather than keeping a stale count.
        let n = super::unread_count(db, user_id).await?;
        let mut map = lock();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(user_id, (generation, Instant::now(), n));
        Ok(n)
    }
}

/// Marks every user's inbox as changed: after a bulk write such as a notice's fan-out, where
/// bumping each recipient's stripe one by one would cost more than the reloads it saves.
pub fn changed_all() {
    for g in &GENERATIONS {
        g.fetch_add(1, Ordering::Release);
    }
}
