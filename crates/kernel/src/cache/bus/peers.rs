//! The other processes of the deployment as this one last heard them: who is serving, and how
//! far each has applied this process's changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A process not heard from for this long (it says hello every few seconds) is taken for
/// gone: a process killed outright slows this one's writes for this long at most.
const LIFE: Duration = Duration::from_secs(15);

#[derive(Default)]
pub struct Peers(Mutex<HashMap<String, Peer>>);

struct Peer {
    seen: Instant,
    /// This process's changes up to this number are applied there.
    acked: u64,
}

impl Peers {
    /// Any message from `from`. A process first heard now started listening before it said
    /// so: the changes already sent (`sent`) reached it or were made before it read anything.
    pub fn heard(&self, from: &str, sent: u64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(from.to_owned())
            .and_modify(|p| p.seen = Instant::now())
            .or_insert(Peer {
                seen: Instant::now(),
                acked: sent,
            });
    }

    /// `from` applied this process's changes up to `seq`.
    pub fn acked(&self, from: &str, seq: u64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(from) {
            p.acked = p.acked.max(seq);
        }
    }

    pub fn gone(&self, from: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(from);
    }

    /// Every process still serving has applied this process's changes up to `seq`.
    pub fn all_applied(&self, seq: u64) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.seen.elapsed() < LIFE);
        map.values().all(|p| p.acked >= seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_applied_everywhere_once_every_serving_process_acknowledged_it() {
        let peers = Peers::default();
        assert!(peers.all_applied(5), "alone: nobody to wait for");
        peers.heard("b", 3);
        peers.heard("c", 3);
        assert!(peers.all_applied(3), "sent before they were heard of");
        assert!(!peers.all_applied(4));
        peers.acked("b", 4);
        assert!(!peers.all_applied(4), "c has not yet");
        peers.acked("c", 6);
        assert!(peers.all_applied(4) && !peers.all_applied(7));
        assert!(!peers.all_applied(5), "b is at 4");
        peers.gone("b");
        peers.acked("c", 2);
        assert!(peers.all_applied(6), "acks never go back");
    }
}
