//! Token buckets per access key and per (access key, action) answering
//! `Throttling.User` with `x-acs-retry-after`. Generous by default: the point
//! is that a runaway client gets the cloud's throttling answer, which SDKs
//! and Terraform know how to back off from.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;

/// Buckets are keyed by a 64-bit keyed hash of the key (and action), not
/// by owned strings: no allocation per request, and a collision (two keys
/// sharing a bucket) is as likely as guessing the per-process hash key.
type Keyed = RateLimiter<u64, DefaultKeyedStateStore<u64>, DefaultClock>;

pub struct Throttle {
    hasher: std::collections::hash_map::RandomState,
    per_key: Keyed,
    /// One bucket per (key, action), so one noisy call cannot use up a
    /// key's whole budget.
    per_action: Keyed,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

fn wait_ms(limiter: &Keyed, key: u64) -> Result<(), u64> {
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)
    })
}

impl Throttle {
    /// `per_key` requests per second with bursts of `burst`; `per_action`
    /// per second (bursts of twice that) for each action of a key.
    pub fn new(per_key: u32, burst: u32, per_action: u32) -> Self {
        Self {
            hasher: Default::default(),
            per_key: RateLimiter::keyed(Quota::per_second(nz(per_key)).allow_burst(nz(burst))),
            per_action: RateLimiter::keyed(
                Quota::per_second(nz(per_action)).allow_burst(nz(per_action.saturating_mul(2))),
            ),
        }
    }

    /// `Ok` when the key may proceed, else the wait in milliseconds.
    pub fn check(&self, key: &str, action: &str) -> Result<(), u64> {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        key.hash(&mut h);
        wait_ms(&self.per_key, h.finish())?;
        action.hash(&mut h);
        wait_ms(&self.per_action, h.finish())
    }
}
