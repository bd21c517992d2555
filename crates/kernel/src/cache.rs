//! Answers kept in memory until what they show changes: lists that many people read and few
//! change (the Open311 request list, the public board, the desk's inbox). Each kind of data
//! has a generation number per commune, bumped by [`changed`] after every committed write; an
//! entry is used only while the generation read before its query is still current, and for a
//! few seconds at most, for writes made by another process of the same deployment.

use std::collections::HashMap;
use std::sync::Mutex;
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

/// The generation of a kind of data (`"feedback"`, `"dossiers"`) in a commune: read it before
/// a query whose result will be cached.
pub fn generation(kind: &str, commune: &str) -> u64 {
    stripe(kind, commune).load(std::sync::atomic::Ordering::Acquire)
}

/// Call after a committed write to that kind of data in that commune.
pub fn changed(kind: &str, commune: &str) {
    stripe(kind, commune).fetch_add(1, std::sync::atomic::Ordering::Release);
}
const CAPACITY: usize = 256;

pub struct GenerationCache<V> {
    entries: Mutex<HashMap<String, (u64, Instant, V)>>,
}

impl<V> Default for GenerationCache<V> {
    fn default() -> Self {
        GenerationCache {
            entries: Mutex::new(HashMap::new()),
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
}
