//! Per-access-key token buckets (`Throttling.User`). Generous by default: the
//! point is that a runaway client gets the cloud's throttling answer, which
//! SDKs and Terraform know how to back off from.

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct Throttle {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
}

impl Throttle {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    /// `Ok` when the key may proceed, else the wait in milliseconds.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        match self.limiter.check_key(&key.to_string()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait =
                    not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
                Err(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
            }
        }
    }
}
