//! The one timestamp format of the protocol: `YYYY-MM-DDThh:mm:ssZ`, UTC (V1 `Timestamp`,
//! V3 `x-acs-date`, and every time field in responses).

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The value is not `YYYY-MM-DDThh:mm:ssZ` (optionally with a fraction) or not a real time.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("timestamp is not in the form YYYY-MM-DDThh:mm:ssZ")]
pub struct TimestampError;

/// Parses `YYYY-MM-DDThh:mm:ssZ`, also with a fractional part of 1 to 9 digits
/// (`.sssZ`, which older clients sent). Anything else, including lower-case `t`/`z`,
/// offsets other than `Z`, and impossible dates, is an error.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, TimestampError> {
    let b = s.as_bytes();
    // The fixed-width part is checked by hand first because `time`'s `[year]` also accepts a
    // sign, which the protocol does not allow.
    let shape_ok = b.len() >= 20
        && b.iter().enumerate().take(19).all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b.last() == Some(&b'Z');
    if !shape_ok {
        return Err(TimestampError);
    }
    let fraction_ok = match b.get(19..b.len() - 1) {
        Some([]) => true,
        Some([b'.', digits @ ..]) => {
            (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    if !fraction_ok {
        return Err(TimestampError);
    }
    let core = s.get(..19).ok_or(TimestampError)?;
    let base = PrimitiveDateTime::parse(
        core,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    )
    .map_err(|_| TimestampError)?;
    let nanos = match s.get(20..s.len() - 1) {
        Some(digits) if !digits.is_empty() => {
            let mut padded = digits.to_owned();
            while padded.len() < 9 {
                padded.push('0');
            }
            padded.parse::<u32>().map_err(|_| TimestampError)?
        }
        _ => 0,
    };
    base.replace_nanosecond(nanos)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| TimestampError)
}

/// Formats `t` in UTC as `YYYY-MM-DDThh:mm:ssZ` (seconds precision).
/// Digits are written by hand: every time field of every answer comes
/// through here, and `format!` cost several times as much.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    let Ok(year) = u16::try_from(t.year()) else {
        return slow_format(t);
    };
    if year > 9999 {
        return slow_format(t);
    }
    let mut out = String::with_capacity(20);
    // Each part is below 100; the year is written as its two halves.
    for (part, after) in [
        (year / 100, None),
        (year % 100, Some('-')),
        (u16::from(u8::from(t.month())), Some('-')),
        (u16::from(t.day()), Some('T')),
        (u16::from(t.hour()), Some(':')),
        (u16::from(t.minute()), Some(':')),
        (u16::from(t.second()), Some('Z')),
    ] {
        out.push(char::from(b'0' + (part / 10) as u8));
        out.push(char::from(b'0' + (part % 10) as u8));
        out.extend(after);
    }
    out
}

/// The same for a year outside 0–9999, which the server refuses to reach
/// but a stored time may still hold.
fn slow_format(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_both_forms() {
        assert_eq!(
            parse_timestamp("2026-11-29T00:19:19Z").unwrap(),
            datetime!(2026-11-29 00:19:19 UTC)
        );
        assert_eq!(
            parse_timestamp("2026-11-29T00:19:19.123Z").unwrap(),
            datetime!(2026-11-29 00:19:19.123 UTC)
        );
        assert_eq!(
            parse_timestamp("2026-11-29T00:19:19.5Z").unwrap(),
            datetime!(2026-11-29 00:19:19.5 UTC)
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "2026-11-29T00:19:19",
            "2026-11-29T00:19:19z",
            "2026-11-29t00:19:19Z",
            "2026-11-29 00:19:19Z",
            "2026-11-29T00:19:19+00:00",
            "2026-11-29T00:19:19.Z",
            "2026-11-29T00:19:19.1234567890Z",
            "2026-13-29T00:19:19Z",
            "2026-02-30T00:19:19Z",
            "2026-11-29T24:00:00Z",
            "+026-11-29T00:19:19Z",
            "2026-11-29T00:19:19ZZ",
            "2026-11-29T00:19:1٩Z",
        ] {
            assert_eq!(parse_timestamp(bad), Err(TimestampError), "{bad}");
        }
    }

    #[test]
    fn formats_utc() {
        let t = datetime!(2026-11-29 08:19:19.999 +08:00);
        assert_eq!(format_timestamp(t), "2026-11-29T00:19:19Z");
        let s = "2021-08-24T07:30:58Z";
        assert_eq!(format_timestamp(parse_timestamp(s).unwrap()), s);
        for t in [
            datetime!(0000-01-01 00:00:00 UTC),
            datetime!(0999-12-31 23:59:59 UTC),
            datetime!(9999-12-31 23:59:59.999 UTC),
            datetime!(2000-02-29 12:05:09 UTC),
        ] {
            assert_eq!(format_timestamp(t), slow_format(t));
        }
    }

    proptest::proptest! {
        #[test]
        fn the_fast_form_is_the_formatted_one(secs in -70_000_000_000i64..253_402_300_800i64) {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            proptest::prop_assert_eq!(format_timestamp(t), slow_format(t));
        }
    }
}
