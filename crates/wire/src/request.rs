//! Turning an HTTP request into protocol facts (scheme, action, credentials, parameters)
//! and verifying its signature, without any lookups: the server supplies the secret.

use std::collections::HashSet;

use crate::decode::decode_form;
use crate::errors::{ApiError, ErrorCode};
use crate::flatten::{unflatten, FlattenError, Node};
use crate::render::Format;
use crate::sign::{
    parse_v3_authorization, sha256_hex, signatures_equal, v1_signature, v1_string_to_sign,
    v3_canonical_request, v3_signature, v3_string_to_sign, V3Authorization, ACS3_HMAC_SHA256,
    V3_REQUIRED_SIGNED_HEADERS,
};

/// Parameters that belong to the protocol rather than to the API; they are removed from
/// [`ParsedRequest::params`] so handlers and idempotency fingerprints never see them.
/// `RegionId` is deliberately absent: for VPC it is an API parameter.
pub const COMMON_PARAMS: [&str; 11] = [
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "SignatureType",
    "SecurityToken",
];

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The pieces of an HTTP request the protocol needs. `body` is the payload after any
/// chunked transfer coding has been removed.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    pub method: &'a str,
    /// The path without the query (always `/` for these APIs).
    pub path: &'a str,
    /// The query string as received, without the leading `?`.
    pub raw_query: &'a str,
    /// Headers in the order received, names in any case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// How the request is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureScheme {
    /// HMAC-SHA1 with the signature in the `Signature` parameter.
    V1 {
        signature: Option<String>,
        method: Option<String>,
        version: Option<String>,
    },
    /// ACS3 with the signature in the `Authorization` header.
    V3(V3Authorization),
}

/// What the server computed for the signature check; exposed for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningStrings {
    /// The V3 canonical request (`None` for V1).
    pub canonical_request: Option<String>,
    /// The string to sign, echoed in `SignatureDoesNotMatch`.
    pub string_to_sign: String,
}

/// The protocol facts of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    pub scheme: SignatureScheme,
    /// V1: parameter `Action`; V3: header `x-acs-action`.
    pub action: Option<String>,
    /// V1: parameter `Version`; V3: header `x-acs-version`.
    pub version: Option<String>,
    /// V1: parameter `AccessKeyId`; V3: `Credential=` of `Authorization`.
    pub access_key_id: Option<String>,
    /// V1: parameter `SecurityToken`; V3: header `x-acs-security-token`.
    pub security_token: Option<String>,
    /// V1: parameter `Timestamp`; V3: header `x-acs-date`.
    pub timestamp: Option<String>,
    /// V1: parameter `SignatureNonce`; V3: header `x-acs-signature-nonce`.
    pub nonce: Option<String>,
    /// From the `Format` parameter (query or body, any case); JSON by default.
    pub format: Format,
    /// Business parameters: query then form body, without [`COMMON_PARAMS`].
    pub params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body_form: Vec<(String, String)>,
}

/// The first header named `name` (compared case-insensitively).
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_form_content_type(value: &str) -> bool {
    let value = value.trim_start().as_bytes();
    value
        .get(..FORM_CONTENT_TYPE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(FORM_CONTENT_TYPE.as_bytes()))
}

fn find<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `Format` a request names, found without decoding anything else, so that a
/// request refused before it could be parsed (a bad escape, invalid UTF-8) is
/// still answered in the format it asked for. The query wins over a form body, as
/// in [`parse_request`] a name may appear only once anyway.
pub fn format_hint(raw: &RawRequest) -> Format {
    fn named(src: &[u8]) -> Option<&[u8]> {
        src.split(|b| *b == b'&').find_map(|pair| {
            let eq = pair.iter().position(|b| *b == b'=')?;
            (&pair[..eq] == b"Format").then(|| &pair[eq + 1..])
        })
    }
    let body = match header(raw.headers, "content-type") {
        Some(ct) if is_form_content_type(ct) => raw.body,
        _ => &[],
    };
    match named(raw.raw_query.as_bytes()).or_else(|| named(body)) {
        Some(v) if v.eq_ignore_ascii_case(b"xml") => Format::Xml,
        _ => Format::Json,
    }
}

/// Decodes the query and, when `Content-Type` starts with
/// `application/x-www-form-urlencoded`, the body; then finds out how the request is signed.
///
/// An `Authorization` header starting with `ACS3-` means V3 (a malformed one gives
/// `IncompleteSignature`); anything else means V1. Bad %-escapes or UTF-8 give
/// `RequestParameterMalformed`. A name given twice (in the query, the body or both) gives
/// `InvalidParameter` for that name: the signature would cover both values while a handler
/// could only use one, so the request is ambiguous.
pub fn parse_request(raw: &RawRequest) -> Result<ParsedRequest, ApiError> {
    let malformed = |_| ApiError::new(ErrorCode::RequestParameterMalformed);
    let query = decode_form(raw.raw_query.as_bytes()).map_err(malformed)?;
    let body_form = match header(raw.headers, "content-type") {
        Some(ct) if is_form_content_type(ct) => decode_form(raw.body).map_err(malformed)?,
        _ => Vec::new(),
    };
    let mut seen = HashSet::new();
    for (name, _) in query.iter().chain(&body_form) {
        if !seen.insert(name.as_str()) {
            return Err(ApiError::invalid_parameter(name));
        }
    }
    let all: Vec<(String, String)> = query.iter().chain(&body_form).cloned().collect();
    let param = |name: &str| find(&all, name).map(str::to_owned);
    let head = |name: &str| header(raw.headers, name).map(str::to_owned);

    let auth = header(raw.headers, "authorization").filter(|a| a.trim_start().starts_with("ACS3-"));
    let (scheme, action, version, access_key_id, security_token, timestamp, nonce) = match auth {
        Some(value) => {
            let auth = parse_v3_authorization(value)
                .map_err(|_| ApiError::with_args(ErrorCode::IncompleteSignature, &[""]))?;
            let key = Some(auth.access_key_id.clone());
            (
                SignatureScheme::V3(auth),
                head("x-acs-action"),
                head("x-acs-version"),
                key,
                head("x-acs-security-token"),
                head("x-acs-date"),
                head("x-acs-signature-nonce"),
            )
        }
        None => (
            SignatureScheme::V1 {
                signature: param("Signature"),
                method: param("SignatureMethod"),
                version: param("SignatureVersion"),
            },
            param("Action"),
            param("Version"),
            param("AccessKeyId"),
            param("SecurityToken"),
            param("Timestamp"),
            param("SignatureNonce"),
        ),
    };
    let format = Format::from_param(find(&all, "Format"));
    let params = all
        .into_iter()
        .filter(|(n, _)| !COMMON_PARAMS.contains(&n.as_str()))
        .collect();
    Ok(ParsedRequest {
        scheme,
        action,
        version,
        access_key_id,
        security_token,
        timestamp,
        nonce,
        format,
        params,
        query,
        body_form,
    })
}

impl ParsedRequest {
    /// The decoded URL query, all parameters, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The decoded form body (empty without a form content type), in order.
    pub fn body_pairs(&self) -> &[(String, String)] {
        &self.body_form
    }

    /// The business parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The business parameters as a tree (`Tag.1.Key` → `Tag` / `1` / `Key`).
    pub fn param_tree(&self) -> Result<Node, FlattenError> {
        unflatten(&self.params)
    }

    /// The canonical request (V3) and string to sign the server computes for this request.
    pub fn signing_strings(&self, raw: &RawRequest) -> SigningStrings {
        match &self.scheme {
            SignatureScheme::V1 { .. } => {
                let all: Vec<(String, String)> =
                    self.query.iter().chain(&self.body_form).cloned().collect();
                SigningStrings {
                    canonical_request: None,
                    string_to_sign: v1_string_to_sign(raw.method, &all),
                }
            }
            SignatureScheme::V3(auth) => {
                let canonical = v3_canonical_request(
                    raw.method,
                    raw.path,
                    &self.query,
                    raw.headers,
                    &auth.signed_headers,
                    &sha256_hex(raw.body),
                );
                SigningStrings {
                    string_to_sign: v3_string_to_sign(&canonical),
                    canonical_request: Some(canonical),
                }
            }
        }
    }

    /// Verifies the signature with the account's secret.
    ///
    /// V1: missing `Signature` → `IncompleteSignature`; `SignatureMethod` other than
    /// `HMAC-SHA1` → `InvalidSignatureMethod`; `SignatureVersion` other than `1.0` →
    /// `InvalidSignatureVersion`. V3: algorithm other than `ACS3-HMAC-SHA256` →
    /// `InvalidSignatureMethod`; `SignedHeaders` without one of
    /// [`V3_REQUIRED_SIGNED_HEADERS`] → `IncompleteSignature`; after the signature matches,
    /// `x-acs-content-sha256` must equal the body's SHA-256 (else `InvalidParameter`).
    /// A mismatch gives `SignatureDoesNotMatch` echoing the server's string to sign after
    /// `is:`, the exact form the legacy Python SDK splits on
    /// (docs/design/protocol.md#signature-error-message).
    pub fn verify(&self, raw: &RawRequest, secret: &str) -> Result<(), ApiError> {
        let sts = self.signing_strings(raw).string_to_sign;
        match &self.scheme {
            SignatureScheme::V1 {
                signature,
                method,
                version,
            } => {
                let Some(signature) = signature.as_deref().filter(|s| !s.is_empty()) else {
                    return Err(ApiError::with_args(ErrorCode::IncompleteSignature, &[&sts]));
                };
                if method.as_deref() != Some("HMAC-SHA1") {
                    return Err(ApiError::new(ErrorCode::InvalidSignatureMethod));
                }
                if version.as_deref() != Some("1.0") {
                    return Err(ApiError::new(ErrorCode::InvalidSignatureVersion));
                }
                if !signatures_equal(&v1_signature(secret, &sts), signature) {
                    return Err(ApiError::with_args(
                        ErrorCode::SignatureDoesNotMatch,
                        &[&sts],
                    ));
                }
                Ok(())
            }
            SignatureScheme::V3(auth) => {
                if auth.algorithm != ACS3_HMAC_SHA256 {
                    return Err(ApiError::new(ErrorCode::InvalidSignatureMethod));
                }
                let all_signed = V3_REQUIRED_SIGNED_HEADERS.iter().all(|required| {
                    auth.signed_headers
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(required))
                });
                if !all_signed {
                    return Err(ApiError::with_args(ErrorCode::IncompleteSignature, &[&sts]));
                }
                if !signatures_equal(&v3_signature(secret, &sts), &auth.signature) {
                    return Err(ApiError::with_args(
                        ErrorCode::SignatureDoesNotMatch,
                        &[&sts],
                    ));
                }
                let body_hash = sha256_hex(raw.body);
                let sent = header(raw.headers, "x-acs-content-sha256").map(str::trim);
                if !sent.is_some_and(|h| h.eq_ignore_ascii_case(&body_hash)) {
                    return Err(ApiError::invalid_parameter("x-acs-content-sha256"));
                }
                Ok(())
            }
        }
    }
}
