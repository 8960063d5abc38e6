//! Replay protection: a (AccessKeyId, nonce) pair is accepted once within the
//! timestamp window. Kept in memory, sharded so concurrent requests do not
//! contend on one lock; entries expire by the injected clock.
//!
//! With PostgreSQL, many servers may sit behind one load balancer, so a
//! replay can reach a server that never saw the original: the authoritative
//! record is then the database's `nonces` table (`TxOps::claim_nonce`, one
//! upsert that only takes over an expired row). The memory map stays in
//! front of it and holds only pairs the database confirmed, so a replay to
//! the same server is refused without a round trip. The embedded SQLite
//! store serves one process, so it keeps the memory-only path (no write per
//! request).

use physconn_store::{DynStore, OpError};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Mutex;
use time::OffsetDateTime;

const SHARDS: usize = 32;

/// How often one server deletes expired rows of the shared table.
const PURGE_EVERY: time::Duration = time::Duration::seconds(60);

struct Shared {
    store: DynStore,
    last_purge: Mutex<Option<OffsetDateTime>>,
    /// The purge running in the background, if any: shutdown waits for it.
    purging: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

pub struct NonceCache {
    shards: Vec<Mutex<Shard>>,
    /// Two keyed hashers (random per process) make a pair's 128-bit
    /// fingerprint: an entry is 32 bytes with no allocation (under heavy
    /// load the window holds tens of millions of pairs), and a client cannot
    /// choose nonces that collide.
    hashers: [std::collections::hash_map::RandomState; 2],
    /// How long a nonce is remembered: twice the timestamp window, since a
    /// request may be early or late by the window.
    keep: time::Duration,
    /// The database record shared by every server (PostgreSQL).
    shared: Option<Shared>,
}

#[derive(Default)]
struct Shard {
    seen: HashMap<u128, OffsetDateTime, BuildHasherDefault<Fingerprint>>,
    last_sweep: Option<OffsetDateTime>,
}

/// The map's hasher: a fingerprint is already a keyed hash, so it is used
/// as it is.
#[derive(Default)]
struct Fingerprint(u64);

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

impl NonceCache {
    pub fn new(window_seconds: i64) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hashers: Default::default(),
            keep: time::Duration::seconds(window_seconds.max(1) * 2),
            shared: None,
        }
    }

    /// A cache whose claims go through the store, so they hold across every
    /// server on the same database.
    pub fn shared(window_seconds: i64, store: DynStore) -> Self {
        Self {
            shared: Some(Shared {
                store,
                last_purge: Mutex::new(None),
                purging: Mutex::new(None),
            }),
            ..Self::new(window_seconds)
        }
    }

    /// Records the pair once its request's signature verified: `Ok(false)`
    /// when it was already used (here or, when shared, on any server). A
    /// storage failure is returned (the request is answered 503, never let
    /// through unrecorded).
    pub async fn claim(
        &self,
        key: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<bool, OpError> {
        let Some(shared) = &self.shared else {
            return Ok(self.insert(key, nonce, now));
        };
        let (k, n, expires) = (key.to_string(), nonce.to_string(), now + self.keep);
        let claimed = physconn_store::write(&*shared.store, move |tx| {
            let (k, n) = (k.clone(), n.clone());
            Box::pin(async move { tx.claim_nonce(&k, &n, now, expires).await })
        })
        .await?;
        if claimed {
            self.insert(key, nonce, now);
        }
        self.purge_if_due(shared, now);
        Ok(claimed)
    }

    /// Deletes expired shared rows in the background, at most once a
    /// minute per server; a failure only delays it.
    fn purge_if_due(&self, shared: &Shared, now: OffsetDateTime) {
        {
            let mut last = shared.last_purge.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| now - t < PURGE_EVERY && now >= t) {
                return;
            }
            *last = Some(now);
        }
        let mut purging = shared.purging.lock().unwrap_or_else(|e| e.into_inner());
        if purging.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let store = shared.store.clone();
        *purging = Some(tokio::spawn(async move {
            if let Err(e) = physconn_store::write(&*store, move |tx| tx.purge_nonces(now)).await {
                tracing::debug!(error = %e, "purging expired nonces failed");
            }
        }));
    }

    /// Waits for a background purge to end (shutdown, before the store
    /// closes).
    pub async fn shutdown(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        let purging = shared
            .purging
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(p) = purging {
            let _ = p.await;
        }
    }

    fn fingerprint(&self, key: &str, nonce: &str) -> u128 {
        let half = |s: &std::collections::hash_map::RandomState| {
            let mut h = s.build_hasher();
            key.hash(&mut h);
            nonce.hash(&mut h);
            h.finish()
        };
        (u128::from(half(&self.hashers[0])) << 64) | u128::from(half(&self.hashers[1]))
    }

    fn shard(&self, fp: u128) -> &Mutex<Shard> {
        &self.shards[((fp >> 64) as usize) % SHARDS]
    }

    /// Whether the pair was seen and has not expired (no insertion).
    pub fn seen(&self, key: &str, nonce: &str, now: OffsetDateTime) -> bool {
        let fp = self.fingerprint(key, nonce);
        let g = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
        g.seen.get(&fp).is_some_and(|exp| *exp > now)
    }

    /// Records the pair; `false` if it was already there (a concurrent twin
    /// won the race).
    pub fn insert(&self, key: &str, nonce: &str, now: OffsetDateTime) -> bool {
        let fp = self.fingerprint(key, nonce);
        let mut g = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
        let sweep_due = g
            .last_sweep
            .is_none_or(|t| now - t > time::Duration::seconds(30));
        if sweep_due {
            g.seen.retain(|_, exp| *exp > now);
            g.last_sweep = Some(now);
        }
        match g.seen.get(&fp) {
            Some(exp) if *exp > now => false,
            _ => {
                g.seen.insert(fp, now + self.keep);
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

    /// Two servers on one database: a pair claimed through one is used for
    /// the other, and it expires by the clock like the memory path.
    #[tokio::test]
    async fn shared_claims_hold_across_caches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let store: DynStore = std::sync::Arc::new(
            physconn_store::SqliteStore::open(physconn_store::SqliteOptions::new(path))
                .await
                .unwrap(),
        );
        let (a, b) = (
            NonceCache::shared(900, store.clone()),
            NonceCache::shared(900, store.clone()),
        );
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(a.claim("k", "n", t0).await.unwrap());
        assert!(a.seen("k", "n", t0), "remembered locally too");
        assert!(!b.claim("k", "n", t0).await.unwrap(), "replayed elsewhere");
        assert!(!b.seen("k", "n", t0), "only confirmed claims are cached");
        let later = t0 + time::Duration::minutes(31);
        assert!(b.claim("k", "n", later).await.unwrap(), "expired");
        store.close().await;
    }
}
