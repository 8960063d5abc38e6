//! Canonical percent-encoding (docs/design/protocol.md#canonical-encoding).
//!
//! Both signature versions re-encode the decoded parameters with one strict RFC 3986 rule,
//! so that the signature does not depend on which encoder the client happened to use.

/// Encodes the UTF-8 bytes of `s`: `A-Z a-z 0-9 - _ . ~` stay literal, every other byte
/// becomes `%XX` with upper-case hex (space → `%20`, `*` → `%2A`, `~` stays `~`).
pub fn pct(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Encodes `pairs` in the given order as `name=value&...` with [`pct`]: what a client puts in
/// a query string or form body, and (sorted) the canonical query both signatures cover.
pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&pct(name));
        out.push('=');
        out.push_str(&pct(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_rule() {
        assert_eq!(pct("a b*c~d+e/f"), "a%20b%2Ac~d%2Be%2Ff");
        assert_eq!(pct("中"), "%E4%B8%AD");
        assert_eq!(pct("=&:"), "%3D%26%3A");
        assert_eq!(pct("AZaz09-_.~"), "AZaz09-_.~");
    }

    #[test]
    fn pairs() {
        let p = vec![
            ("A".to_owned(), "1 2".to_owned()),
            ("B".to_owned(), String::new()),
        ];
        assert_eq!(encode_pairs(&p), "A=1%202&B=");
        assert_eq!(encode_pairs(&Vec::new()), "");
    }
}
