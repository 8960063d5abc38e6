//! Replay protection: a (AccessKeyId, nonce) pair is accepted once within the
//! timestamp window. Kept in memory, sharded so concurrent requests do not
//! contend on one lock; entries expire by the injected clock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;
use time::OffsetDateTime;

const SHARDS: usize = 32;

pub struct NonceCache {
    shards: Vec<Mutex<Shard>>,
    hasher: std::collections::hash_map::RandomState,
    /// How long a nonce is remembered: twice the timestamp window, since a
    /// request may be early or late by the window.
    keep: time::Duration,
}

#[derive(Default)]
struct Shard {
    seen: HashMap<(String, String), OffsetDateTime>,
    last_sweep: Option<OffsetDateTime>,
}

impl NonceCache {
    pub fn new(window_seconds: i64) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: Default::default(),
            keep: time::Duration::seconds(window_seconds.max(1) * 2),
        }
    }

    fn shard(&self, key: &str, nonce: &str) -> &Mutex<Shard> {
        let mut h = self.hasher.build_hasher();
        key.hash(&mut h);
        nonce.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// Whether the pair was seen and has not expired (no insertion).
    pub fn seen(&self, key: &str, nonce: &str, now: OffsetDateTime) -> bool {
        let g = self
            .shard(key, nonce)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        g.seen
            .get(&(key.to_string(), nonce.to_string()))
            .is_some_and(|exp| *exp > now)
    }

    /// Records the pair; `false` if it was already there (a concurrent twin
    /// won the race).
    pub fn insert(&self, key: &str, nonce: &str, now: OffsetDateTime) -> bool {
        let mut g = self
            .shard(key, nonce)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let sweep_due = g
            .last_sweep
            .is_none_or(|t| now - t > time::Duration::seconds(30));
        if sweep_due {
            g.seen.retain(|_, exp| *exp > now);
            g.last_sweep = Some(now);
        }
        let k = (key.to_string(), nonce.to_string());
        match g.seen.get(&k) {
            Some(exp) if *exp > now => false,
            _ => {
                g.seen.insert(k, now + self.keep);
                true
            }
        }
    }

    pub fn clear(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(|e| e.into_inner()).seen.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_window() {
        let c = NonceCache::new(900);
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(!c.seen("k", "n", t0));
        assert!(c.insert("k", "n", t0));
        assert!(c.seen("k", "n", t0));
        assert!(!c.insert("k", "n", t0 + time::Duration::minutes(29)));
        assert!(c.insert("k", "n", t0 + time::Duration::minutes(31)));
        assert!(c.insert("other", "n", t0));
    }
}
