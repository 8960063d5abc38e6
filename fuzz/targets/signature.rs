//! V1 and V3 verification on arbitrary requests: parse_request and verify
//! return an answer (usually an error), never panic; requests the client
//! side signs always verify.
//!
//! Shared by the libFuzzer target and the short replay in CI.

use super::raw;

pub fn run(data: &[u8]) {
    let r = raw::parse(data);
    let req = physconn_wire::RawRequest {
        method: &r.method,
        path: &r.path,
        raw_query: &r.query,
        headers: &r.headers,
        body: &r.body,
    };
    if let Ok(parsed) = physconn_wire::parse_request(&req) {
        let _ = parsed.verify(&req, "testsecret");
        // Whatever parameters survived decoding, a correctly signed request
        // carrying them verifies, in both schemes.
        let creds = physconn_wire::ClientCredentials {
            access_key_id: "testid",
            access_key_secret: "testsecret",
            security_token: None,
        };
        for v3 in [false, true] {
            let signed = if v3 {
                physconn_wire::sign_v3(
                    &creds,
                    "h",
                    "A",
                    "2016-04-28",
                    &parsed.params,
                    false,
                    "2026-11-29T00:00:00Z",
                    "n",
                )
            } else {
                physconn_wire::sign_v1(
                    &creds,
                    "h",
                    "A",
                    "2016-04-28",
                    &parsed.params,
                    true,
                    "2026-11-29T00:00:00Z",
                    "n",
                )
            };
            let again = physconn_wire::RawRequest {
                method: &signed.method,
                path: &signed.path,
                raw_query: &signed.query,
                headers: &signed.headers,
                body: &signed.body,
            };
            let p = physconn_wire::parse_request(&again).expect("own request parses");
            p.verify(&again, "testsecret")
                .expect("own signature verifies");
        }
    }
}
