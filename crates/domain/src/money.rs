//! Money is an integer number of fen (CNY cents). Decimal strings such as
//! `"1234.50"` exist only at the edge (admin API, BSS responses).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen. Arithmetic is checked: overflow is an error,
/// never a wrap-around.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal amount with at most two decimals")]
    Malformed,
    #[error("amount out of range")]
    Overflow,
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_sub(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, n: i64) -> Result<Fen, MoneyError> {
        self.0.checked_mul(n).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Parses `"123"`, `"123.4"`, `"123.45"`, `"-0.50"`. More than two
    /// decimals is rejected rather than rounded: money is never rounded silently.
    pub fn parse(s: &str) -> Result<Fen, MoneyError> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
            || frac_part.len() > 2
            || (body.contains('.') && frac_part.is_empty())
        {
            return Err(MoneyError::Malformed);
        }
        let whole: i64 = int_part.parse().map_err(|_| MoneyError::Overflow)?;
        let mut frac: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| MoneyError::Malformed)?
        };
        if frac_part.len() == 1 {
            frac *= 10;
        }
        let v = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Fen(if neg { -v } else { v }))
    }
}

impl fmt::Display for Fen {
    /// Always two decimals: `1234.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(Fen::parse("1000000.00").unwrap(), Fen(100_000_000));
        assert_eq!(Fen::parse("12.3").unwrap(), Fen(1230));
        assert_eq!(Fen::parse("-0.05").unwrap(), Fen(-5));
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(123_450).to_string(), "1234.50");
        for bad in [
            "",
            "1.234",
            "abc",
            "1.",
            ".5",
            "1e3",
            "--1",
            "99999999999999999999",
        ] {
            assert!(Fen::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in any::<i64>().prop_filter("not min", |v| *v != i64::MIN)) {
            prop_assert_eq!(Fen::parse(&Fen(v).to_string()).unwrap(), Fen(v));
        }
    }
}
