//! Time is injected so that expiry, timers and signature windows can be tested
//! without waiting: `--clock manual` hands the admin API control of "now".

use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
    /// `true` when only explicit calls move time (the admin API, tests).
    fn is_manual(&self) -> bool {
        false
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(truncate_micros(start)),
        }
    }

    /// Sets the time. Moving backwards is allowed here; callers decide policy.
    pub fn set(&self, t: OffsetDateTime) {
        *self.lock() = truncate_micros(t);
    }

    pub fn advance(&self, by: time::Duration) -> OffsetDateTime {
        let mut g = self.lock();
        *g += by;
        *g
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A poisoned clock still holds a valid time; keep serving it.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
    fn is_manual(&self) -> bool {
        true
    }
}

/// Times are stored with microsecond precision; truncating here keeps values
/// equal before and after a round trip through the database.
pub fn truncate_micros(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// Microseconds since the Unix epoch (the storage representation).
pub fn to_micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// Inverse of [`to_micros`]; out-of-range values clamp to the epoch.
pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(time::macros::datetime!(2026-01-01 0:00 UTC));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-01 0:00 UTC));
        c.advance(time::Duration::seconds(90));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-01 0:01:30 UTC));
        assert!(c.is_manual());
    }

    #[test]
    fn micros_round_trip() {
        let t = truncate_micros(OffsetDateTime::now_utc());
        assert_eq!(from_micros(to_micros(t)), t);
    }
}
