//! Every request recorded from the official SDKs (fixtures/vectors) must parse, verify with
//! the recorded secret, produce exactly the independently recomputed signing strings, and
//! fail with the wrong secret while echoing that string to sign.

use std::path::PathBuf;

use physconn_wire::request::COMMON_PARAMS;
use physconn_wire::{parse_request, RawRequest, SignatureScheme};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/vectors"
    ))
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_vector_verifies() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("fixtures/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 112, "expected the 112 recorded requests");
    let (mut v1, mut v3) = (0, 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let req = &doc["requests"][0];
        let headers = pairs(&req["headers"]);
        let body = req["body"].as_str().unwrap_or_default().as_bytes().to_vec();
        let raw = RawRequest {
            method: req["method"].as_str().unwrap(),
            path: req["path"].as_str().unwrap(),
            raw_query: req["raw_query"].as_str().unwrap(),
            headers: &headers,
            body: &body,
        };
        let secret = doc["access_key_secret"].as_str().unwrap();
        let recomputed = &req["recomputed"];
        let parsed = parse_request(&raw).unwrap_or_else(|e| panic!("{name}: parse: {e:?}"));

        assert_eq!(
            parsed.action.as_deref(),
            doc["action"].as_str(),
            "{name}: action"
        );
        assert_eq!(
            parsed.version.as_deref(),
            Some("2016-04-28"),
            "{name}: version"
        );
        assert_eq!(
            parsed.access_key_id.as_deref(),
            doc["access_key_id"].as_str(),
            "{name}: access key"
        );
        assert_eq!(
            parsed.security_token.as_deref(),
            doc["security_token"].as_str(),
            "{name}: security token"
        );
        assert!(
            parsed.timestamp.is_some() && parsed.nonce.is_some(),
            "{name}"
        );
        physconn_wire::parse_timestamp(parsed.timestamp.as_deref().unwrap())
            .unwrap_or_else(|_| panic!("{name}: timestamp"));

        // Business parameters: the decoded query and form body without the common ones.
        let mut expected: Vec<(String, String)> = pairs(&req["query"]);
        expected.extend(pairs(&req["body_form"]));
        expected.retain(|(n, _)| !COMMON_PARAMS.contains(&n.as_str()));
        assert_eq!(parsed.params, expected, "{name}: params");
        assert!(parsed.params.iter().any(|(n, _)| n == "RegionId") || name.contains("getmethod"));
        parsed
            .param_tree()
            .unwrap_or_else(|e| panic!("{name}: tree {e}"));

        let strings = parsed.signing_strings(&raw);
        let expected_sts = recomputed["string_to_sign"].as_str().unwrap();
        assert_eq!(
            strings.string_to_sign, expected_sts,
            "{name}: string to sign"
        );
        match &parsed.scheme {
            SignatureScheme::V1 { .. } => {
                v1 += 1;
                assert!(doc["signature_algorithm"]
                    .as_str()
                    .unwrap()
                    .starts_with("HMAC-SHA1"));
                assert_eq!(strings.canonical_request, None);
            }
            SignatureScheme::V3(auth) => {
                v3 += 1;
                assert_eq!(doc["signature_algorithm"], "ACS3-HMAC-SHA256", "{name}");
                assert_eq!(
                    auth.signed_headers.join(";"),
                    recomputed["signed_headers"].as_str().unwrap()
                );
                assert_eq!(
                    strings.canonical_request.as_deref(),
                    recomputed["canonical_request"].as_str(),
                    "{name}: canonical request"
                );
            }
        }

        parsed
            .verify(&raw, secret)
            .unwrap_or_else(|e| panic!("{name}: verify: {e:?}"));

        let err = parsed.verify(&raw, "wrongsecret").unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "SignatureDoesNotMatch"),
            "{name}"
        );
        let prefix =
            "Specified signature does not match our calculation. server string to sign is:";
        assert_eq!(err.message, format!("{prefix}{expected_sts}"), "{name}");
        // The legacy SDK compares `message.split(':')[1]` with its own string to sign.
        if expected_sts.starts_with("POST&") || expected_sts.starts_with("GET&") {
            assert_eq!(err.message.split(':').nth(1), Some(expected_sts), "{name}");
        }
    }
    assert_eq!((v1, v3), (74, 38));
}
