//! Answers kept in memory until what they show changes: lists that many people read and few
//! change (the Open311 request list, the public board, the desk's inbox). Each kind of data
//! has a generation number per commune, bumped by [`changed`] after every committed write; an
//! entry is used only while the generation read before its query is still current. The other
//! processes of the deployment hear of each change through the change bus ([`bus`]) and
//! move their own generation on; an entry still lives a few seconds at most, in case a
//! message is lost while a process reconnects.

pub mod bus;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(5);

/// Generation numbers, striped by key so the table stays small; a shared stripe only makes a
/// neighbour reload.
static GENERATIONS: [std::sync::atomic::AtomicU64; 1024] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 1024];

fn stripe(kind: &str, commune: &str) -> &'static std::sync::atomic::AtomicU64 {
    let h = kind
        .bytes()
        .chain([b'|'])
        .chain(commune.bytes())
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    &GENERATIONS[h % GENERATIONS.len()]
}

/// Moved on when this process may have missed changes (the bus lost its connection): every
/// generation moves with it.
static EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The generation of a kind of data (`"feedback"`, `"dossiers"`) in a commune: read it before
/// a query whose result will be cached.
pub fn generation(kind: &str, commune: &str) -> u64 {
    use std::sync::atomic::Ordering::Acquire;
    stripe(kind, commune)
        .load(Acquire)
        .wrapping_add(EPOCH.load(Acquire))
}

/// Call after a committed write to that kind of data in that commune: this process's entries
/// are forgotten at once, and the other processes' as soon as the bus carries the change.
pub fn changed(kind: &str, commune: &str) {
    bump(kind, commune);
    bus::publish(kind, commune);
}

/// A change made here or heard from another process: forget this process's entries.
pub(crate) fn bump(kind: &str, commune: &str) {
    stripe(kind, commune).fetch_add(1, std::sync::atomic::Ordering::Release);
}

/// Forgets every entry of every kind (the bus may have missed changes).
pub(crate) fn forget_all() {
    EPOCH.fetch_add(1, std::sync::atomic::Ordering::Release);
}
const CAPACITY: usize = 256;

type Flights = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

pub struct GenerationCache<V> {
    entries: Mutex<HashMap<String, (u64, Instant, V)>>,
    /// Keys being rebuilt: the first request after a change queries, the others wait for it.
    flights: Flights,
}

impl<V> Default for GenerationCache<V> {
    fn default() -> Self {
        GenerationCache {
            entries: Mutex::new(HashMap::new()),
            flights: Default::default(),
        }
    }
}

/// Held while one task rebuilds an entry ([`GenerationCache::flight`]).
pub struct Flight {
    key: String,
    flights: Flights,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        self.guard.take();
        let mut m = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        // Only the table holds the gate: nobody waits on it any more.
        if m.get(&self.key).is_some_and(|g| Arc::strong_count(g) == 1) {
            m.remove(&self.key);
        }
    }
}

impl<V: Clone> GenerationCache<V> {
    pub fn get(&self, key: &str, generation: u64) -> Option<V> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(g, at, _)| *g == generation && at.elapsed() < TTL)
            .map(|(_, _, v)| v.clone())
    }

    /// Single flight: after a miss, wait here until no other task is rebuilding `key`, then
    /// look again with [`Self::get`] before querying. Under load a change then costs one query
    /// instead of one per waiting request (the Open311 list's p99 was 60–290 ms without it).
    pub async fn flight(&self, key: &str) -> Flight {
        let gate = self
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone();
        Flight {
            key: key.to_owned(),
            flights: self.flights.clone(),
            guard: Some(gate.lock_owned().await),
        }
    }

    pub fn put(&self, key: String, generation: u64, value: V) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, (generation, Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_as_long_as_its_generation() {
        let c = GenerationCache::default();
        c.put("17071|1".into(), 4, "trang 1");
        assert_eq!(c.get("17071|1", 4), Some("trang 1"));
        assert_eq!(c.get("17071|1", 5), None, "the commune changed since");
        assert_eq!(c.get("17071|2", 4), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_miss_under_load_is_rebuilt_once() {
        let cache = Arc::new(GenerationCache::<u32>::default());
        let builds = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let mut tasks = vec![];
        for _ in 0..16 {
            let (cache, builds) = (cache.clone(), builds.clone());
            tasks.push(tokio::spawn(async move {
                if let Some(v) = cache.get("k", 1) {
                    return v;
                }
                let _flight = cache.flight("k").await;
                if let Some(v) = cache.get("k", 1) {
                    return v;
                }
                builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                cache.put("k".into(), 1, 7);
                7
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 7);
        }
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(
            cache.flights.lock().unwrap().is_empty(),
            "no gate is left behind"
        );
    }
}
