//! Decoding of URL query strings and `application/x-www-form-urlencoded` bodies.
//!
//! The SDKs disagree on how they encode (Python Tea sends space as `+`, Node leaves `*` raw,
//! the legacy SDK uses `%20`), so the server must decode with the lenient form rules and
//! re-encode canonically for signing (docs/design/protocol.md#decoding).
//! Signing the raw text would fail for
//! every SDK but one.

/// Why a query string or form body could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8 after decoding.
    #[error("malformed percent-encoding or UTF-8")]
    Malformed,
}

/// Decodes `input` with the application/x-www-form-urlencoded rules: `+` becomes a space,
/// `%XX` becomes the byte `XX`, and the decoded bytes must be UTF-8.
///
/// Pieces between `&` that are empty are skipped; a piece without `=` decodes as
/// `(name, "")`. Invalid UTF-8, a bad escape such as `%zz` or a trailing `%` give
/// [`DecodeError::Malformed`] (the gateway answers such requests with
/// `RequestParameterMalformed` instead of guessing).
pub fn decode_form(input: &[u8]) -> Result<Vec<(String, String)>, DecodeError> {
    let mut pairs = Vec::new();
    for piece in input.split(|&b| b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (&piece[..eq], &piece[eq + 1..]),
            None => (piece, &[][..]),
        };
        pairs.push((decode_component(name)?, decode_component(value)?));
    }
    Ok(pairs)
}

/// Decodes one name or value: `+` → space, `%XX` → byte, then UTF-8 validation.
pub fn decode_component(input: &[u8]) -> Result<String, DecodeError> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'+' => {
                out.push(b' ');
                rest = tail;
            }
            b'%' => match tail {
                [hi, lo, after @ ..] => {
                    let byte = (hex_value(*hi)? << 4) | hex_value(*lo)?;
                    out.push(byte);
                    rest = after;
                }
                _ => return Err(DecodeError::Malformed),
            },
            other => {
                out.push(other);
                rest = tail;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::Malformed)
}

fn hex_value(b: u8) -> Result<u8, DecodeError> {
    match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        b'A'..=b'F' => Ok(b - b'A' + 10),
        _ => Err(DecodeError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn form_rules() {
        assert_eq!(
            decode_form(b"A=1+2&B=%2B&C=x%20y").unwrap(),
            vec![p("A", "1 2"), p("B", "+"), p("C", "x y")]
        );
        assert_eq!(
            decode_form(b"&&a&b=&=c&d=e=f&").unwrap(),
            vec![p("a", ""), p("b", ""), p("", "c"), p("d", "e=f")]
        );
        assert_eq!(
            decode_form("x=%E4%B8%AD*~".as_bytes()).unwrap(),
            vec![p("x", "中*~")]
        );
        assert_eq!(decode_form(b"").unwrap(), vec![]);
    }

    #[test]
    fn malformed() {
        for bad in [&b"a=%zz"[..], b"a=%", b"a=%4", b"%=1", b"a=%FF", b"a=\xff"] {
            assert_eq!(decode_form(bad), Err(DecodeError::Malformed), "{bad:?}");
        }
    }
}
