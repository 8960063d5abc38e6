//! Signature algorithms, as pure functions (docs/design/protocol.md#signature-v1,
//! #signature-v3), for both sides: the
//! server recomputes and compares, the client helpers build complete signed requests for the
//! load generator and the tests.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::encode::{encode_pairs, pct};

/// The only V3 algorithm the server implements.
pub const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";

/// SHA-256 of the empty string, the payload hash of every request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The `SignedHeaders` entries a V3 request must contain: without them the action, the time,
/// the nonce or the body would not be covered by the signature.
pub const V3_REQUIRED_SIGNED_HEADERS: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
];

/// Canonical `name=value&…` over `params` sorted by name (then value, so that the result does
/// not depend on input order even with repeated names), both [`pct`]-encoded.
fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    encode_pairs(sorted)
}

/// V1 string to sign: `METHOD&%2F&pct(canonical query)` over every parameter except
/// `Signature`. `params` is the decoded query plus the decoded form body.
pub fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let signed: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .cloned()
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct("/"),
        pct(&canonical_query(&signed))
    )
}

/// V1 signature: base64 (standard, padded) of HMAC-SHA1 keyed with `secret + "&"`.
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The parsed `Authorization` header of a V3 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Authorization {
    /// e.g. `ACS3-HMAC-SHA256`; other `ACS3-` algorithms parse but do not verify.
    pub algorithm: String,
    /// The `Credential=` value, which is just the AccessKeyId (no scope, unlike AWS SigV4).
    pub access_key_id: String,
    /// The `SignedHeaders=` entries, in the order sent.
    pub signed_headers: Vec<String>,
    /// The signature, lower-case hex.
    pub signature: String,
}

/// Why an `Authorization` header is not a well-formed ACS3 header.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthHeaderError {
    /// Not `ACS3-<ALG> Credential=…,SignedHeaders=…,Signature=<64 hex>`.
    #[error("malformed ACS3 Authorization header")]
    Malformed,
}

/// Parses `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<64 hex>`.
///
/// The SDKs send no spaces after the commas; optional spaces there are tolerated. The
/// credential and the header list must be non-empty, header names must not be empty or
/// contain whitespace, and the signature must be 64 hex digits (returned lower-case).
pub fn parse_v3_authorization(value: &str) -> Result<V3Authorization, AuthHeaderError> {
    let bad = AuthHeaderError::Malformed;
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').ok_or(bad.clone())?;
    let alg_ok = algorithm.strip_prefix("ACS3-").is_some_and(|a| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    });
    if !alg_ok {
        return Err(bad);
    }
    let mut parts = rest.trim_start().split(',').map(str::trim_start);
    let credential = parts
        .next()
        .and_then(|p| p.strip_prefix("Credential="))
        .ok_or(bad.clone())?;
    let signed = parts
        .next()
        .and_then(|p| p.strip_prefix("SignedHeaders="))
        .ok_or(bad.clone())?;
    let signature = parts
        .next()
        .and_then(|p| p.strip_prefix("Signature="))
        .ok_or(bad.clone())?;
    if parts.next().is_some() {
        return Err(bad);
    }
    if credential.is_empty() || credential.chars().any(char::is_whitespace) {
        return Err(bad);
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(bad);
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad);
    }
    Ok(V3Authorization {
        algorithm: algorithm.to_owned(),
        access_key_id: credential.to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// V3 canonical request (docs/design/protocol.md#signature-v3).
///
/// `query` is the decoded URL query only (form-body parameters are covered by the payload
/// hash). `headers` is the request's header list as received, in any case. The canonical
/// headers follow `signed_headers` in the given order: lower-case name, `:`, the trimmed
/// value; several headers with one name give their trimmed values sorted and joined with `,`;
/// a signed header that is absent contributes `name:` and a newline, so that the signature
/// fails rather than the header being silently skipped.
pub fn v3_canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    payload_hash_hex: &str,
) -> String {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let lower = name.to_ascii_lowercase();
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&lower))
            .map(|(_, v)| v.trim())
            .collect();
        values.sort_unstable();
        canonical_headers.push_str(&lower);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let path = if path.is_empty() { "/" } else { path };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path,
        canonical_query(query),
        canonical_headers,
        signed_headers.join(";"),
        payload_hash_hex
    )
}

/// `"ACS3-HMAC-SHA256\n" + hex(sha256(canonical_request))`.
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ACS3_HMAC_SHA256}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// V3 signature: lower-case hex HMAC-SHA256 keyed with the secret itself (no `&`).
pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares two signatures in time that depends only on their lengths, so that a caller
/// cannot learn a correct signature byte by byte from response times.
pub fn signatures_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A complete request built by a client helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// Always `POST` (every VPC action but one uses POST).
    pub method: String,
    /// Always `/`.
    pub path: String,
    /// The encoded query string, without the leading `?`.
    pub query: String,
    /// Headers to send (lower-case names, except `Authorization`). No `content-length`:
    /// the HTTP client adds it.
    pub headers: Vec<(String, String)>,
    /// The form body (empty when there is none).
    pub body: Vec<u8>,
}

/// Who signs a client request.
#[derive(Debug, Clone, Copy)]
pub struct ClientCredentials<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    /// STS token, sent as `SecurityToken` (V1) or `x-acs-security-token` (V3).
    pub security_token: Option<&'a str>,
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

fn owned(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// Builds a V1 (HMAC-SHA1) request the way the Tea SDKs do with `signature_algorithm='v2'`.
///
/// Common parameters go in the query. `api_params` go in the query too, unless `form_body`
/// is set and there are some: then they form an x-www-form-urlencoded body (as the first Tea
/// generation and the Terraform provider send), and the signature covers query and body.
#[allow(clippy::too_many_arguments)]
pub fn sign_v1(
    creds: &ClientCredentials,
    host: &str,
    action: &str,
    version: &str,
    api_params: &[(String, String)],
    form_body: bool,
    timestamp: &str,
    nonce: &str,
) -> ClientRequest {
    let mut query = vec![
        owned("Action", action),
        owned("Version", version),
        owned("Format", "JSON"),
        owned("AccessKeyId", creds.access_key_id),
        owned("SignatureMethod", "HMAC-SHA1"),
        owned("SignatureVersion", "1.0"),
        owned("SignatureNonce", nonce),
        owned("Timestamp", timestamp),
    ];
    if let Some(token) = creds.security_token {
        query.push(owned("SecurityToken", token));
    }
    let use_body = form_body && !api_params.is_empty();
    let body_params: &[(String, String)] = if use_body { api_params } else { &[] };
    if !use_body {
        query.extend_from_slice(api_params);
    }
    let mut all = query.clone();
    all.extend_from_slice(body_params);
    let signature = v1_signature(creds.access_key_secret, &v1_string_to_sign("POST", &all));
    query.push(owned("Signature", &signature));

    let mut headers = vec![
        owned("host", host),
        owned("x-acs-action", action),
        owned("x-acs-version", version),
    ];
    if use_body {
        headers.push(owned("content-type", FORM_CONTENT_TYPE));
    }
    ClientRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query: encode_pairs(&query),
        headers,
        body: encode_pairs(body_params).into_bytes(),
    }
}

/// Builds a V3 (ACS3-HMAC-SHA256) request the way the Node Tea SDK sends it: `api_params`
/// in the query (or in a form body if `form_body` and there are some), and every header it
/// sets signed (`host`, `content-type` with a body, and the `x-acs-*` headers).
#[allow(clippy::too_many_arguments)]
pub fn sign_v3(
    creds: &ClientCredentials,
    host: &str,
    action: &str,
    version: &str,
    api_params: &[(String, String)],
    form_body: bool,
    date: &str,
    nonce: &str,
) -> ClientRequest {
    let use_body = form_body && !api_params.is_empty();
    let (query, body) = if use_body {
        (Vec::new(), encode_pairs(api_params).into_bytes())
    } else {
        (api_params.to_vec(), Vec::new())
    };
    let payload_hash = sha256_hex(&body);
    let mut headers = vec![
        owned("host", host),
        owned("x-acs-action", action),
        owned("x-acs-version", version),
        owned("x-acs-date", date),
        owned("x-acs-signature-nonce", nonce),
        owned("x-acs-content-sha256", &payload_hash),
    ];
    if use_body {
        headers.push(owned("content-type", FORM_CONTENT_TYPE));
    }
    if let Some(token) = creds.security_token {
        headers.push(owned("x-acs-accesskey-id", creds.access_key_id));
        headers.push(owned("x-acs-security-token", token));
    }
    let mut signed: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
    signed.sort();
    let canonical = v3_canonical_request("POST", "/", &query, &headers, &signed, &payload_hash);
    let signature = v3_signature(creds.access_key_secret, &v3_string_to_sign(&canonical));
    headers.push(owned(
        "Authorization",
        &format!(
            "{ACS3_HMAC_SHA256} Credential={},SignedHeaders={},Signature={signature}",
            creds.access_key_id,
            signed.join(";")
        ),
    ));
    ClientRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query: encode_pairs(&query),
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_authorization() {
        let sig = "32daa037005c4429e4fb76832ff9aa71960b72f47820221d97d843a67d88259b";
        let a = parse_v3_authorization(&format!(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action,Signature={sig}"
        ))
        .unwrap();
        assert_eq!(a.algorithm, "ACS3-HMAC-SHA256");
        assert_eq!(a.access_key_id, "testid");
        assert_eq!(a.signed_headers, vec!["host", "x-acs-action"]);
        assert_eq!(a.signature, sig);
        let spaced = parse_v3_authorization(&format!(
            "ACS3-HMAC-SHA256 Credential=testid, SignedHeaders=host;x-acs-action, Signature={sig}"
        ))
        .unwrap();
        assert_eq!(spaced, a);
        for bad in [
            String::new(),
            "ACS3-HMAC-SHA256".to_owned(),
            format!("ACS3- Credential=a,SignedHeaders=host,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;date,Signature={sig}"),
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=abc".to_owned(),
            format!("ACS3-HMAC-SHA256 SignedHeaders=host,Credential=a,Signature={sig}"),
            format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={sig},X=1"),
        ] {
            assert_eq!(
                parse_v3_authorization(&bad),
                Err(AuthHeaderError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn constant_time_compare() {
        assert!(signatures_equal("abc", "abc"));
        assert!(!signatures_equal("abc", "abd"));
        assert!(!signatures_equal("abc", "ab"));
        assert!(signatures_equal("", ""));
    }

    #[test]
    fn empty_hash() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }
}
