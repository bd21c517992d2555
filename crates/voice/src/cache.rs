//! Answers kept in memory until the commune's feedback changes: lists that many people read
//! and few change (the Open311 request list, the public board). An entry is used only while
//! the commune's generation (bumped after every committed write, see `store::changed`) is the
//! one read before the query, and for a few seconds at most, for writes made by another
//! process of the same deployment.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(5);
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
