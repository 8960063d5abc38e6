//! Replay protection (docs/design/protocol.md#replay-protection): an
//! (AccessKeyId, nonce) pair is accepted once while its signed timestamp is
//! inside the window, across restarts and `POST /admin/reset`.
//!
//! Entries live in memory, sharded so concurrent requests do not contend on
//! one lock, and expire by the signing clock at the request's own timestamp
//! plus the window (after that the time check refuses the request anyway).
//! The memory is bounded (`nonce_cache_entries`): when it is full a request
//! is refused rather than a pair forgotten. Expired pairs are swept, and a
//! table left mostly empty shrunk, by the requests that land in its shard
//! and, on an idle server, by a background task (`idle.rs`).
//!
//! What survives a restart depends on the store:
//! - embedded SQLite (one process): a *horizon* in the store's meta, a
//!   second of the signing clock at or after every accepted timestamp,
//!   written ahead in small steps so a busy server commits it about once a
//!   second, not once a request. A started server refuses every request
//!   signed at or before the stored horizon (the *floor*); the rare request
//!   signed beyond the horizon (a client whose clock runs ahead) has its
//!   pair written to the `nonces` table, which the next start loads.
//! - PostgreSQL (many servers behind one balancer): every pair is claimed in
//!   the shared `nonces` table (an upsert that only takes over an expired
//!   row), so a replay to any server, or after any restart, is refused.
//!   Concurrent claims share one statement (`batch.rs`,
//!   `TxOps::claim_nonces`), committed relaxed (no wait for the log's
//!   flush: `physconn_store::write_relaxed`), so reads do not pay a durable
//!   commit each; a crash of the database itself may forget the claims of
//!   its last fraction of a second (docs/design/protocol.md#replay-protection).
//!   The memory holds only pairs the database confirmed, so a replay
//!   to the same server is refused without a round trip.

mod batch;
pub mod idle;

use physconn_store::{DynStore, OpError};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Mutex;
use time::OffsetDateTime;

const SHARDS: usize = 32;

/// A shard's table is shrunk after a sweep only from this many slots: below
/// it the memory is not worth a rehash.
const SHRINK_FROM: usize = 4096;

/// How often one server deletes expired rows of the `nonces` table.
const PURGE_EVERY: time::Duration = time::Duration::seconds(60);

/// How far (seconds) past the signing clock the horizon is written: a
/// client whose clock leads the server's by up to this much needs no row of
/// its own, and a busy server writes the horizon about once per step.
const HORIZON_STEP: i64 = 1;

/// The meta key holding the horizon (unix seconds of the signing clock).
pub const META_HORIZON: &str = "nonce_horizon";

/// What recording a pair gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First use: the request may proceed.
    Fresh,
    /// Used already (here, on another server, or before a restart).
    Used,
    /// The memory bound is reached: refuse for now rather than forget.
    Full,
}

/// The embedded store's restart guard.
struct Horizon {
    /// Requests signed at or before this second (unix) are refused: the
    /// previous run may have accepted them.
    floor: i64,
    /// The horizon known to be in the store.
    durable: AtomicI64,
    /// The largest timestamp accepted under the horizon, so a clean stop
    /// can lower the stored horizon to it and the next start waits less.
    max_accepted: AtomicI64,
    /// One horizon write at a time; requests that need the same advance
    /// wait for it instead of writing again.
    advancing: tokio::sync::Mutex<()>,
}

struct Durable {
    store: DynStore,
    /// Claims of concurrent requests share one transaction.
    batcher: batch::Batcher,
    last_purge: Mutex<Option<OffsetDateTime>>,
    /// The purge running in the background, if any: shutdown waits for it.
    purging: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

pub struct NonceCache {
    shards: Vec<Mutex<Shard>>,
    /// Two keyed hashers (random per process) make a pair's 128-bit
    /// fingerprint: an entry is small with no allocation, and a client
    /// cannot choose nonces that collide.
    hashers: [std::collections::hash_map::RandomState; 2],
    window: time::Duration,
    capacity: usize,
    entries: AtomicUsize,
    /// When every shard was last swept because the memory was full.
    last_full_sweep: AtomicI64,
    /// Rounds of the idle sweep done (`idle.rs`).
    swept: tokio::sync::watch::Sender<u64>,
    durable: Durable,
    /// `Some` for the embedded store, `None` when claims are shared.
    horizon: Option<Horizon>,
}

#[derive(Default)]
struct Shard {
    /// Fingerprint → expiry (unix seconds).
    seen: HashMap<u128, i64, BuildHasherDefault<Fingerprint>>,
    last_sweep: i64,
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
    fn empty(window_seconds: i64, capacity: usize, store: DynStore) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hashers: Default::default(),
            window: time::Duration::seconds(window_seconds.max(1)),
            capacity: capacity.max(1),
            entries: AtomicUsize::new(0),
            last_full_sweep: AtomicI64::new(i64::MIN),
            swept: tokio::sync::watch::Sender::new(0),
            durable: Durable {
                store,
                batcher: batch::Batcher::default(),
                last_purge: Mutex::new(None),
                purging: Mutex::new(None),
            },
            horizon: None,
        }
    }

    /// The embedded store's cache: reads the stored horizon (the new floor)
    /// and loads the pairs stored beyond it.
    pub async fn local(
        window_seconds: i64,
        capacity: usize,
        store: DynStore,
        now: OffsetDateTime,
    ) -> Result<Self, OpError> {
        let mut c = Self::empty(window_seconds, capacity, store);
        let table = physconn_store::export::TABLES
            .iter()
            .find(|t| t.name == "nonces")
            .ok_or_else(|| {
                OpError::Store(physconn_store::StoreError::Database(
                    "no nonces table".into(),
                ))
            })?;
        let (stored, rows) = physconn_store::read(&*c.durable.store, move |tx| {
            Box::pin(async move {
                let h = tx.get_meta(META_HORIZON).await?;
                Ok((h, tx.dump_table(table).await?))
            })
        })
        .await?;
        let floor = stored.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        let now_s = now.unix_timestamp();
        for row in rows {
            let cell = |i: usize| row.get(i);
            let (Some(k), Some(n), Some(exp_us)) = (
                cell(0).and_then(|v| v.as_str()),
                cell(1).and_then(|v| v.as_str()),
                cell(2).and_then(|v| v.as_i64()),
            ) else {
                continue;
            };
            let exp = exp_us.div_euclid(1_000_000);
            if exp > now_s {
                let fp = c.fingerprint(k, n);
                let mut g = c.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
                if g.seen.insert(fp, exp).is_none() {
                    c.entries.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        c.horizon = Some(Horizon {
            floor,
            durable: AtomicI64::new(floor),
            max_accepted: AtomicI64::new(i64::MIN),
            advancing: tokio::sync::Mutex::new(()),
        });
        Ok(c)
    }

    /// A cache whose claims go through the store, so they hold across every
    /// server on the same database.
    pub fn shared(window_seconds: i64, capacity: usize, store: DynStore) -> Self {
        Self::empty(window_seconds, capacity, store)
    }

    /// The embedded store's floor: requests signed at or before it are
    /// refused (0 when nothing was stored).
    pub fn floor(&self) -> Option<i64> {
        self.horizon.as_ref().map(|h| h.floor)
    }

    /// Whether the pair is known used (no insertion): signed at or before
    /// the floor, or in memory and not expired.
    pub fn seen(&self, key: &str, nonce: &str, ts: OffsetDateTime, now: OffsetDateTime) -> bool {
        if self
            .horizon
            .as_ref()
            .is_some_and(|h| ts.unix_timestamp() <= h.floor)
        {
            return true;
        }
        let fp = self.fingerprint(key, nonce);
        let g = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
        g.seen
            .get(&fp)
            .is_some_and(|exp| *exp > now.unix_timestamp())
    }

    /// Records the pair of a request signed at `ts` whose signature
    /// verified. A storage failure is returned (the request is answered 503,
    /// never let through unrecorded).
    pub async fn claim(
        &self,
        key: &str,
        nonce: &str,
        ts: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Claim, OpError> {
        // Checked: a timestamp is within the window of the real clock, so
        // this cannot overflow in practice, and must not panic if it could.
        let exp = ts
            .checked_add(self.window + time::Duration::SECOND)
            .unwrap_or(ts);
        let claim = match &self.horizon {
            Some(h) => self.claim_local(h, key, nonce, ts, now, exp).await?,
            None => self.claim_shared(key, nonce, now, exp).await?,
        };
        self.purge_if_due(now);
        Ok(claim)
    }

    async fn claim_local(
        &self,
        h: &Horizon,
        key: &str,
        nonce: &str,
        ts: OffsetDateTime,
        now: OffsetDateTime,
        exp: OffsetDateTime,
    ) -> Result<Claim, OpError> {
        let ts_s = ts.unix_timestamp();
        if ts_s <= h.floor {
            return Ok(Claim::Used);
        }
        match self.insert(key, nonce, exp.unix_timestamp(), now) {
            Claim::Fresh => {}
            other => return Ok(other),
        }
        let now_s = now.unix_timestamp();
        let stored = if ts_s <= h.durable.load(Ordering::Acquire) {
            h.max_accepted.fetch_max(ts_s, Ordering::Relaxed);
            Ok(true)
        } else if ts_s <= now_s + HORIZON_STEP {
            let r = self.advance(h, ts_s, now_s + HORIZON_STEP).await;
            h.max_accepted.fetch_max(ts_s, Ordering::Relaxed);
            r.map(|()| true)
        } else {
            // Signed beyond the horizon: this pair alone is written, so one
            // client's fast clock cannot push the floor of the next start
            // into everyone's present.
            let d = &self.durable;
            d.batcher.claim(&d.store, key, nonce, now, exp).await
        };
        match stored {
            Ok(true) => Ok(Claim::Fresh),
            // The row was there although memory did not know it: used.
            Ok(false) => Ok(Claim::Used),
            Err(e) => {
                self.remove(key, nonce);
                Err(e)
            }
        }
    }

    /// Makes the stored horizon at least `needed`, writing `target`.
    async fn advance(&self, h: &Horizon, needed: i64, target: i64) -> Result<(), OpError> {
        let _one = h.advancing.lock().await;
        if h.durable.load(Ordering::Acquire) >= needed {
            return Ok(());
        }
        let v = target.to_string();
        physconn_store::write(&*self.durable.store, move |tx| {
            let v = v.clone();
            Box::pin(async move { tx.set_meta(META_HORIZON, &v).await })
        })
        .await?;
        h.durable.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    async fn claim_shared(
        &self,
        key: &str,
        nonce: &str,
        now: OffsetDateTime,
        exp: OffsetDateTime,
    ) -> Result<Claim, OpError> {
        let d = &self.durable;
        let claimed = d.batcher.claim(&d.store, key, nonce, now, exp).await?;
        if !claimed {
            return Ok(Claim::Used);
        }
        // The database holds the claim: a full memory only costs a round
        // trip on a replay to this server.
        let _ = self.insert(key, nonce, exp.unix_timestamp(), now);
        Ok(Claim::Fresh)
    }

    /// Deletes expired rows in the background, at most once a minute per
    /// server; a failure only delays it.
    fn purge_if_due(&self, now: OffsetDateTime) {
        let d = &self.durable;
        {
            let mut last = d.last_purge.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| now - t < PURGE_EVERY && now >= t) {
                return;
            }
            *last = Some(now);
        }
        let mut purging = d.purging.lock().unwrap_or_else(|e| e.into_inner());
        if purging.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let store = d.store.clone();
        *purging = Some(tokio::spawn(async move {
            if let Err(e) = physconn_store::write(&*store, move |tx| tx.purge_nonces(now)).await {
                tracing::debug!(error = %e, "purging expired nonces failed");
            }
        }));
    }

    /// Waits for a background purge to end and, on the embedded store,
    /// lowers the stored horizon to the last accepted timestamp (every
    /// request has been answered), so the next start refuses less. Called
    /// before the store closes.
    pub async fn shutdown(&self) {
        let purging = self
            .durable
            .purging
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(p) = purging {
            let _ = p.await;
        }
        let Some(h) = &self.horizon else {
            return;
        };
        let last = h.max_accepted.load(Ordering::Acquire);
        if last == i64::MIN || last >= h.durable.load(Ordering::Acquire) {
            return;
        }
        let v = last.max(h.floor).to_string();
        let r = physconn_store::write(&*self.durable.store, move |tx| {
            let v = v.clone();
            Box::pin(async move { tx.set_meta(META_HORIZON, &v).await })
        })
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not lower the replay horizon");
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

    /// How many pairs are held.
    pub fn len(&self) -> usize {
        self.entries.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sweep(&self, g: &mut Shard, now_s: i64) {
        let before = g.seen.len();
        g.seen.retain(|_, exp| *exp > now_s);
        self.entries
            .fetch_sub(before - g.seen.len(), Ordering::Relaxed);
        g.last_sweep = now_s;
        // `retain` keeps the table at its largest: once a flood's pairs have
        // expired, give the memory back, keeping room for the shard to double.
        if g.seen.capacity() > SHRINK_FROM.max(4 * g.seen.len()) {
            g.seen.shrink_to(2 * g.seen.len());
        }
    }

    /// Records the pair until `exp` (unix seconds) in memory.
    fn insert(&self, key: &str, nonce: &str, exp: i64, now: OffsetDateTime) -> Claim {
        let now_s = now.unix_timestamp();
        let fp = self.fingerprint(key, nonce);
        let mut swept_all = false;
        loop {
            let mut g = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
            if now_s - g.last_sweep > 30 {
                self.sweep(&mut g, now_s);
            }
            if let Some(e) = g.seen.get_mut(&fp) {
                if *e > now_s {
                    return Claim::Used;
                }
                // An expired entry is reused in place.
                *e = exp;
                return Claim::Fresh;
            }
            if self.entries.load(Ordering::Relaxed) < self.capacity {
                g.seen.insert(fp, exp);
                self.entries.fetch_add(1, Ordering::Relaxed);
                return Claim::Fresh;
            }
            drop(g);
            // Full: drop every expired pair (at most once a second, one
            // shard locked at a time), then look again once.
            if swept_all || !self.sweep_all(now_s) {
                return Claim::Full;
            }
            swept_all = true;
        }
    }

    /// Sweeps every shard unless that was done this second; whether it ran.
    fn sweep_all(&self, now_s: i64) -> bool {
        if self.last_full_sweep.swap(now_s, Ordering::AcqRel) == now_s {
            return false;
        }
        for s in &self.shards {
            let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
            self.sweep(&mut g, now_s);
        }
        true
    }

    /// Forgets a pair whose durable record failed (its request is refused).
    fn remove(&self, key: &str, nonce: &str) {
        let fp = self.fingerprint(key, nonce);
        let mut g = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
        if g.seen.remove(&fp).is_some() {
            self.entries.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests;
