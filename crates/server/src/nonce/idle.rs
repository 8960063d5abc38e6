//! The idle sweep (docs/design/protocol.md#replay-protection). Requests
//! sweep the shards they land in, dropping expired pairs and shrinking a
//! table left mostly empty, but an idle server gets no requests, so it kept
//! the memory of its busiest window. This task sweeps every shard no request
//! has swept lately, by the signing clock, so the memory comes back once the
//! window has passed, whether requests come or not.

use super::NonceCache;
use physconn_domain::Clock;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// How often the task looks, and how long a shard must have gone unswept
/// for it to sweep it: pairs outlive their window by at most about twice
/// this.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The task: sweeps at once and then every `every` (the server's is
/// [`SWEEP_EVERY`]) at the signing clock's now; returns on shutdown.
pub async fn run(
    cache: Arc<NonceCache>,
    clock: Arc<dyn Clock>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => cache.sweep_stale(clock.now()),
            _ = shutdown.changed() => return,
        }
    }
}

impl NonceCache {
    /// Sweeps each shard not swept for [`SWEEP_EVERY`] (one locked at a
    /// time, so requests wait on at most one shard's sweep).
    pub fn sweep_stale(&self, now: OffsetDateTime) {
        let now_s = now.unix_timestamp();
        let stale = SWEEP_EVERY.as_secs() as i64;
        for s in &self.shards {
            let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
            if now_s.saturating_sub(g.last_sweep) >= stale {
                self.sweep(&mut g, now_s);
            }
        }
        self.swept.send_modify(|n| *n += 1);
    }

    /// Rounds of [`NonceCache::sweep_stale`] done so far, to wait on.
    pub fn sweeps(&self) -> watch::Receiver<u64> {
        self.swept.subscribe()
    }

    /// Pairs the tables have room for without growing: what the memory is
    /// sized by (`physconn_nonce_slots`).
    pub fn slots(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).seen.capacity())
            .sum()
    }
}
