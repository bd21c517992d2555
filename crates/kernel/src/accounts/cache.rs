//! A short-lived, in-process memory of who is behind a session cookie or an API token.
//!
//! Every signed-in request would otherwise pay two queries (credential, then user with
//! grants) before doing its own work. Entries live a few seconds at most and never past the
//! session's expiry. Anything that changes who a user is or what they may do (sign-out, a
//! grant given or taken, a revoked token, a new password or profile) forgets the whole memory
//! by moving on the [`ACCOUNTS`] generation of `crate::cache`, which every process of the
//! deployment hears through the change bus (`crate::cache::bus`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::CurrentUser;

/// How long a credential is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(10);
/// Beyond this many live credentials the memory starts afresh rather than grow.
const CAPACITY: usize = 20_000;

/// The `crate::cache` kind every change to accounts, grants, sessions or tokens moves on.
pub const ACCOUNTS: &str = "accounts";

#[derive(Clone)]
struct Entry {
    user: Arc<CurrentUser>,
    via_token: bool,
    until: Instant,
    generation: u64,
}

#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl AuthCache {
    /// The generation to read before resolving a credential and give to [`Self::put`]: an
    /// entry resolved while an account changed is never used.
    pub fn generation(&self) -> u64 {
        crate::cache::generation(ACCOUNTS, "")
    }

    /// The user remembered for this credential, if still fresh.
    pub fn get(&self, credential: &str, via_token: bool) -> Option<Arc<CurrentUser>> {
        let current = self.generation();
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(credential)
            .filter(|e| {
                e.via_token == via_token && e.until > Instant::now() && e.generation == current
            })
            .map(|e| e.user.clone())
    }

    /// Remembers a credential resolved at `generation` until `TTL` or `valid_for`, whichever
    /// comes first.
    pub fn put(
        &self,
        credential: &str,
        via_token: bool,
        user: Arc<CurrentUser>,
        valid_for: Option<Duration>,
        generation: u64,
    ) {
        let ttl = valid_for.map_or(TTL, |v| v.min(TTL));
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            let now = Instant::now();
            map.retain(|_, e| e.until > now);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(
            credential.to_owned(),
            Entry {
                user,
                via_token,
                until: Instant::now() + ttl,
                generation,
            },
        );
    }

    /// Forgets everything, in every process: called after any committed change to accounts,
    /// grants, sessions or tokens.
    pub fn clear(&self) {
        crate::cache::changed(ACCOUNTS, "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> Arc<CurrentUser> {
        Arc::new(CurrentUser {
            id,
            full_name: "Nguyễn Văn A".into(),
            phone: None,
            email: None,
            commune_code: None,
            village_id: None,
            locale: "vi".into(),
            grants: vec![],
        })
    }

    #[test]
    fn remembers_until_cleared_and_keeps_kinds_apart() {
        let c = AuthCache::default();
        assert!(c.get("abc", false).is_none());
        c.put("abc", false, user(7), None, c.generation());
        assert_eq!(c.get("abc", false).map(|u| u.id), Some(7));
        // A session secret is not accepted as a bearer token, nor the other way round.
        assert!(c.get("abc", true).is_none());
        c.clear();
        assert!(c.get("abc", false).is_none());
    }

    #[test]
    fn a_credential_resolved_while_an_account_changed_is_not_kept() {
        let c = AuthCache::default();
        let before = c.generation();
        c.clear();
        c.put("late", false, user(3), None, before);
        assert!(c.get("late", false).is_none());
    }

    #[test]
    fn never_outlives_the_credential() {
        let c = AuthCache::default();
        c.put("s", false, user(1), Some(Duration::ZERO), c.generation());
        assert!(c.get("s", false).is_none());
    }
}
