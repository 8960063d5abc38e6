//! ClientToken idempotency (docs/design/decisions.md#idempotency): the key is
//! (account, action, token), and a
//! retry must carry the same business parameters, compared by fingerprint.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long tokens are kept at least (configurable upwards).
pub const DEFAULT_RETENTION_HOURS: i64 = 24;

/// The fingerprint of a request's business parameters: SHA-256 of the
/// canonical JSON of the action's typed input, so `AutoPay=True` and
/// `AutoPay=true` (Python and Node spellings) are the same request while any
/// real difference is not.
pub fn fingerprint<T: Serialize>(action: &str, input: &T) -> String {
    let mut h = Sha256::new();
    h.update(action.as_bytes());
    h.update([0u8]);
    // Serializing plain data structs cannot fail; an empty body would only
    // make distinct inputs collide, which the action name still separates.
    h.update(serde_json::to_vec(input).unwrap_or_default());
    hex::encode(h.finalize())
}

/// What an idempotency record holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub account_id: String,
    pub action: String,
    pub token: String,
    pub fingerprint: String,
    /// The action's result body without `RequestId` (JSON text), replayed as-is.
    pub response: String,
    pub created_at: crate::Time,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct In {
        a: bool,
        b: i64,
    }

    #[test]
    fn differs_by_content_and_action() {
        let x = fingerprint("A", &In { a: true, b: 1 });
        assert_eq!(x, fingerprint("A", &In { a: true, b: 1 }));
        assert_ne!(x, fingerprint("A", &In { a: false, b: 1 }));
        assert_ne!(x, fingerprint("B", &In { a: true, b: 1 }));
    }
}

/// Parameters that never take part in the comparison: the token itself and
/// the owner fields every SDK may add.
const IGNORED: &[&str] = &[
    "ClientToken",
    "Token",
    "OwnerId",
    "OwnerAccount",
    "ResourceOwnerId",
    "ResourceOwnerAccount",
];

/// Fingerprint of raw business parameters (signature and common parameters
/// already removed): sorted by name, with boolean spellings normalised
/// (`True` and `true` are one value; Python and Node differ) and empty values
/// of absent optionals dropped. Computed before any validation, so the
/// idempotency check can run first (docs/design/circuits.md#occupancy-check-order).
pub fn fingerprint_params(action: &str, params: &[(String, String)]) -> String {
    let mut items: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, v)| !IGNORED.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| {
            let v = if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
                v.to_ascii_lowercase()
            } else {
                v.clone()
            };
            (k.as_str(), v)
        })
        .collect();
    items.sort();
    fingerprint(action, &items)
}

#[cfg(test)]
mod param_tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn spelling_order_and_token_do_not_matter() {
        let a = fingerprint_params(
            "X",
            &p(&[("AutoPay", "True"), ("Period", "1"), ("ClientToken", "a")]),
        );
        let b = fingerprint_params(
            "X",
            &p(&[("Period", "1"), ("AutoPay", "true"), ("ClientToken", "b")]),
        );
        assert_eq!(a, b);
        let c = fingerprint_params("X", &p(&[("Period", "2"), ("AutoPay", "true")]));
        assert_ne!(a, c);
    }
}
