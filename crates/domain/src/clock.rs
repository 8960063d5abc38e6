//! Time is injected so that expiry, timers and signature windows can be tested
//! without waiting: `--clock manual` hands the admin API control of "now".

use std::sync::Mutex;
use time::OffsetDateTime;

/// The earliest instant a clock may show: times are stored as microseconds
/// since the Unix epoch (docs/design/decisions.md#clock-range).
pub const EARLIEST: OffsetDateTime = time::macros::datetime!(1970-01-01 0:00 UTC);

/// The latest instant a clock may show: far enough below the end of the
/// representable range (the year 9999, where manual provisioning also parks
/// its timers) that whatever is added to "now" (a timestamp window, a
/// provider step, a subscription's term, its renewals) stays representable
/// (docs/design/decisions.md#clock-range).
pub const LATEST: OffsetDateTime = time::macros::datetime!(9000-01-01 0:00 UTC);

/// A time a clock refuses to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is outside the times physconn can represent (1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z)")]
pub struct OutOfRange(pub String);

/// `t` if a clock may show it.
pub fn in_range(t: OffsetDateTime) -> Result<OffsetDateTime, OutOfRange> {
    if (EARLIEST..=LATEST).contains(&t) {
        Ok(t)
    } else {
        Err(OutOfRange(t.to_string()))
    }
}

/// `t + d` for durations added to a clock's time, which never panics: past
/// the end of the representable range it is [`LATEST`] (not reached while
/// the clock stays within [`EARLIEST`]..=[`LATEST`] and `d` is a step,
/// a window or a term).
pub fn later(t: OffsetDateTime, d: time::Duration) -> OffsetDateTime {
    t.checked_add(d).unwrap_or(LATEST)
}

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

    /// Moves time forward by `by`, stopping at [`LATEST`].
    pub fn advance(&self, by: time::Duration) -> OffsetDateTime {
        let mut g = self.lock();
        *g = later(*g, by).min(LATEST);
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
    fn the_clock_stays_within_what_can_be_represented() {
        let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        assert!(in_range(end).is_err());
        assert!(in_range(time::macros::datetime!(1969-12-31 23:59:59 UTC)).is_err());
        assert_eq!(in_range(LATEST), Ok(LATEST));
        assert_eq!(later(end, time::Duration::days(1)), LATEST);
        let c = ManualClock::new(time::macros::datetime!(8999-12-31 0:00 UTC));
        assert_eq!(c.advance(time::Duration::days(400)), LATEST);
    }

    #[test]
    fn micros_round_trip() {
        let t = truncate_micros(OffsetDateTime::now_utc());
        assert_eq!(from_micros(to_micros(t)), t);
    }
}
