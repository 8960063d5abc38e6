//! Field rules of CreatePhysicalConnection / ModifyPhysicalConnectionAttribute
//! (docs/design/circuits.md#create), tags, and ClientToken
//! (docs/design/decisions.md#idempotency).

use crate::error::DomainError;

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

fn starts_with_letter(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || is_cjk(c))
}

fn has_url_prefix(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// 2–128 characters, starting with a letter or Chinese character, then
/// letters, Chinese characters, digits, `.`, `_` and `-`.
pub fn name(s: &str) -> Result<(), DomainError> {
    let n = s.chars().count();
    let ok = (2..=128).contains(&n)
        && starts_with_letter(s)
        && !has_url_prefix(s)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || is_cjk(c) || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::NameMalformed)
    }
}

/// 2–256 characters, starting with a letter or Chinese character, not a URL,
/// without control characters (NUL, line breaks, DEL, …).
pub fn description(s: &str) -> Result<(), DomainError> {
    let n = s.chars().count();
    if (2..=256).contains(&n)
        && starts_with_letter(s)
        && !has_url_prefix(s)
        && !s.chars().any(char::is_control)
    {
        Ok(())
    } else {
        Err(DomainError::DescriptionMalformed)
    }
}

/// Free text up to `max` characters without control characters.
pub fn free_text(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// Carrier circuit codes: up to 64 printable characters.
pub fn circuit_code(s: &str) -> Result<(), DomainError> {
    if s.chars().count() <= 64 && !s.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(DomainError::CircuitCodeMalformed)
    }
}

/// At most 64 printable ASCII characters (docs/design/decisions.md#idempotency).
pub fn client_token(s: &str) -> Result<(), DomainError> {
    if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        Ok(())
    } else {
        Err(DomainError::IllegalClientToken)
    }
}

/// A resource group id: `rg-` and 1–61 ASCII letters and digits, as the
/// cloud's ids are (docs/design/decisions.md#input-hygiene).
pub fn resource_group_id(s: &str) -> Result<(), DomainError> {
    match s.strip_prefix("rg-") {
        Some(rest)
            if (1..=61).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            Ok(())
        }
        _ => Err(DomainError::ResourceGroupIdInvalid),
    }
}

/// Tag keys: non-empty, ≤128, not `aliyun`/`acs:` prefixed, not a URL.
/// Values: may be empty, ≤128, not a URL. Neither holds a control character.
/// At most 20 tags.
pub fn tags(tags: &[(String, String)], param: &str) -> Result<(), DomainError> {
    if tags.len() > 20 {
        return Err(DomainError::InvalidParameter(param.to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, (k, v)) in tags.iter().enumerate() {
        let key_ok = !k.is_empty()
            && k.chars().count() <= 128
            && !k.starts_with("aliyun")
            && !k.starts_with("acs:")
            && !has_url_prefix(k)
            && !k.chars().any(char::is_control)
            && seen.insert(k.as_str());
        if !key_ok {
            return Err(DomainError::InvalidParameter(format!(
                "{param}.{}.Key",
                i + 1
            )));
        }
        if v.chars().count() > 128 || has_url_prefix(v) || v.chars().any(char::is_control) {
            return Err(DomainError::InvalidParameter(format!(
                "{param}.{}.Value",
                i + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name("tf-testAcc_1.x").is_ok());
        assert!(name("专线A").is_ok());
        for bad in ["a", "1abc", "pc test", "http://x", "-ab", &"a".repeat(129)] {
            assert!(name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions() {
        assert!(description("a b*c~d+e/f=g&h 中文").is_ok());
        assert!(description("https://x").is_err());
        assert!(description("1 thing").is_err());
        for bad in ["ab\0c", "ab\nc", "ab\u{7f}c", "ab\u{85}c"] {
            assert!(description(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resource_group_ids() {
        assert!(resource_group_id("rg-acfmxazb4ph6aiy").is_ok());
        for bad in [
            "rg-",
            "acfm",
            "rg-a b",
            "rg-a\0",
            "rg-a_b",
            "RG-acfm",
            &format!("rg-{}", "a".repeat(62)),
        ] {
            assert!(resource_group_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens() {
        assert!(client_token("CBCE910E-A396-4944-8764-B4047838B2C1").is_ok());
        assert!(client_token(&"x".repeat(65)).is_err());
        assert!(client_token("中文").is_err());
        assert!(client_token("a\nb").is_err());
    }

    #[test]
    fn tag_rules() {
        let t = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(tags(&t("k", ""), "Tag").is_ok());
        assert!(tags(&t("", "v"), "Tag").is_err());
        assert!(tags(&t("aliyun-x", "v"), "Tag").is_err());
        assert!(tags(&t("acs:x", "v"), "Tag").is_err());
        assert!(tags(&t("k\0", "v"), "Tag").is_err());
        assert!(tags(&t("k", "v\u{1}"), "Tag").is_err());
        let dup = vec![
            ("k".to_string(), "a".to_string()),
            ("k".to_string(), "b".to_string()),
        ];
        assert!(tags(&dup, "Tag").is_err());
    }
}
