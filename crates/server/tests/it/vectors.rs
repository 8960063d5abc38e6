//! Replays every request recorded from the official SDKs (112 files in
//! `fixtures/vectors`) through the whole pipeline, with the injected clocks
//! (business and signing) set to each request's own timestamp.

use crate::common;
use axum::body::Body;
use common::*;
use http_body_util::BodyExt;
use physconn_domain::*;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

struct Vector {
    name: String,
    action: String,
    scenario: String,
    security_token: Option<String>,
    method: String,
    path: String,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: String,
    string_to_sign: String,
}

fn load() -> Vec<Vector> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/vectors");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("fixtures/vectors") {
        let path = e.expect("entry").path();
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let r = &v["requests"][0];
        let s = |x: &Value| x.as_str().unwrap_or("").to_string();
        out.push(Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            action: s(&v["action"]),
            scenario: s(&v["scenario"]),
            security_token: v["security_token"].as_str().map(str::to_string),
            method: s(&r["method"]),
            path: s(&r["path"]),
            raw_query: s(&r["raw_query"]),
            headers: r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (s(&h[0]), s(&h[1])))
                .collect(),
            body: s(&r["body"]),
            string_to_sign: s(&r["recomputed"]["string_to_sign"]),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(out.len(), 112);
    out
}

/// The request's own time: `x-acs-date` (V3) or the `Timestamp` parameter.
fn request_time(v: &Vector) -> Time {
    let from_header = v
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-acs-date"))
        .map(|(_, v)| v.clone());
    let from_param = || {
        physconn_wire::decode_form(format!("{}&{}", v.raw_query, v.body).as_bytes())
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == "Timestamp")
            .map(|(_, v)| v)
    };
    let ts = from_header.or_else(from_param).expect("a timestamp");
    physconn_wire::parse_timestamp(&ts).expect("parse")
}

async fn replay(s: &TestServer, v: &Vector) -> Resp {
    let state = s.r().state.clone();
    state.manual_clock.as_ref().unwrap().set(request_time(v));
    s.sign.as_ref().unwrap().set(request_time(v));
    let uri = if v.raw_query.is_empty() {
        v.path.clone()
    } else {
        format!("{}?{}", v.path, v.raw_query)
    };
    let mut b = axum::http::Request::builder()
        .method(v.method.as_str())
        .uri(uri);
    for (k, val) in &v.headers {
        b = b.header(k.as_str(), val.as_str());
    }
    let req = b.body(Body::from(v.body.clone())).unwrap();
    let resp = physconn_server::server::api_router(state)
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn set_key(s: &TestServer, secret: &str, token: Option<&str>) {
    let state = s.r().state.clone();
    let key = Arc::new(AccessKey {
        id: KEY_ID.into(),
        account_id: String::new(),
        secret: secret.into(),
        status: KeyStatus::Active,
        kind: match token {
            None => KeyKind::Permanent,
            Some(t) => KeyKind::Temporary {
                security_token: t.into(),
                expires_at: time::macros::datetime!(2030-01-01 0:00 UTC),
            },
        },
        created_at: time::OffsetDateTime::UNIX_EPOCH,
    });
    physconn_store::write(&*state.store, move |tx| {
        let key = key.clone();
        Box::pin(async move {
            let old = tx.get_access_key(KEY_ID).await?.expect("key");
            tx.update_access_key(&AccessKey {
                account_id: old.account_id,
                ..(*key).clone()
            })
            .await
        })
    })
    .await
    .unwrap();
    state.keys.clear();
}

/// `pc-test`, the circuit the recorded occupancy orders name, waiting for payment.
async fn seed_pc_test(s: &TestServer) {
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    let account = acct["AccountId"].as_str().unwrap().to_string();
    let state = s.r().state.clone();
    physconn_store::write(&*state.store, move |tx| {
        let account = account.clone();
        Box::pin(async move {
            tx.insert_circuit(&Circuit {
                id: "pc-test".into(),
                account_id: account,
                region_id: "cn-hangzhou".into(),
                access_point_id: "ap-cn-hangzhou-yh-B".into(),
                status: Status::Confirmed,
                business_status: BusinessStatus::Normal,
                loa_status: None,
                name: String::new(),
                description: String::new(),
                line_operator: LineOperator::CT,
                port_type: PortType::Base1000LX,
                bandwidth: 100,
                port_number: "1/1/1".into(),
                circuit_code: String::new(),
                peer_location: String::new(),
                ad_location: String::new(),
                ad_detail_location: String::new(),
                redundant_id: String::new(),
                resource_group_id: "rg-acfmtest".into(),
                created_at: time::macros::datetime!(2026-11-28 0:00 UTC),
                enabled_at: None,
                end_at: None,
                charge_type: None,
                pending_order_id: None,
                auto_renew: false,
                auto_renew_duration: 1,
                deleted_at: None,
                tags: Vec::new(),
                loa: None,
                provisioning_mode: None,
                metered_until: None,
            })
            .await
        })
    })
    .await
    .unwrap();
}

const AUTH_CODES: &[&str] = &[
    "IncompleteSignature",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "SignatureNonceUsed",
    "InvalidTimeStamp.Expired",
    "InvalidTimeStamp.Format",
    "InvalidSignatureMethod",
    "InvalidSignatureVersion",
    "RequestParameterMalformed",
];

fn code_of(r: &Resp) -> String {
    if r.status == 200 {
        return "200".into();
    }
    if r.text.starts_with('<') {
        let start = r.text.find("<Code>").map(|i| i + 6).unwrap_or(0);
        let end = r.text.find("</Code>").unwrap_or(start);
        return r.text[start..end].to_string();
    }
    r.code()
}

#[tokio::test]
async fn every_vector_verifies_and_gets_the_expected_answer() {
    let s = TestServer::start().await;
    seed_pc_test(&s).await;
    let mut order_ids = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for v in load() {
        set_key(&s, KEY_SECRET, v.security_token.as_deref()).await;
        let r = replay(&s, &v).await;
        let code = code_of(&r);
        if AUTH_CODES.contains(&code.as_str()) {
            failures.push(format!("{}: {} {}", v.name, r.status, r.text));
            continue;
        }
        assert!(r.header("x-acs-request-id").is_some(), "{}", v.name);
        let expected = match v.action.as_str() {
            "CreatePhysicalConnectionOccupancyOrder" => "200",
            "DescribePhysicalConnections" => "200",
            // The recorded name "pc test" has a space, which the cloud's rules refuse.
            "CreatePhysicalConnection" => "InvalidName.Malformed",
            _ => "InvalidAction.NotFound",
        };
        if code != expected {
            failures.push(format!(
                "{}: expected {expected}, got {} {}",
                v.name, r.status, r.text
            ));
            continue;
        }
        if v.action == "CreatePhysicalConnectionOccupancyOrder" {
            let asks_xml = v.scenario == "format_xml_success" && v.raw_query.contains("Format=XML");
            if asks_xml {
                assert!(
                    r.text.contains("<CreatePhysicalConnectionOccupancyOrder>"),
                    "{}",
                    r.text
                );
                let start = r.text.find("<OrderId>").unwrap() + 9;
                order_ids.insert(r.text[start..start + 15].to_string());
            } else {
                order_ids.insert(r.json()["Data"]["OrderId"].as_str().unwrap().to_string());
            }
        }
        // The same request again is a replay.
        let again = replay(&s, &v).await;
        assert_eq!(code_of(&again), "SignatureNonceUsed", "{}", v.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every SDK spelled the same order (AutoPay=True / true, query / form body)
    // with ClientToken tok-1: one order, returned every time.
    assert_eq!(order_ids.len(), 1, "{order_ids:?}");
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"].as_array().unwrap().len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_echoes_the_string_to_sign() {
    let s = TestServer::start().await;
    set_key(&s, "wrongsecret", None).await;
    for v in load().into_iter().filter(|v| v.security_token.is_none()) {
        let r = replay(&s, &v).await;
        let body = if r.text.starts_with('<') {
            String::new()
        } else {
            r.json()["Message"].as_str().unwrap().to_string()
        };
        assert_eq!(r.status, 400, "{}: {}", v.name, r.text);
        assert_eq!(code_of(&r), "SignatureDoesNotMatch", "{}", v.name);
        if !body.is_empty() {
            assert_eq!(
                body,
                format!("Specified signature does not match our calculation. server string to sign is:{}", v.string_to_sign),
                "{}",
                v.name
            );
        }
    }
    s.shutdown().await;
}

#[tokio::test]
async fn sts_vectors_need_the_right_token() {
    let s = TestServer::start().await;
    let sts: Vec<Vector> = load()
        .into_iter()
        .filter(|v| v.security_token.is_some())
        .collect();
    assert_eq!(sts.len(), 6);
    set_key(&s, KEY_SECRET, Some("another-token")).await;
    for v in &sts {
        let r = replay(&s, v).await;
        assert_eq!(
            code_of(&r),
            "InvalidSecurityToken.MismatchWithAccessKey",
            "{}",
            v.name
        );
    }
    // A permanent key with a token is refused the same way.
    set_key(&s, KEY_SECRET, None).await;
    let r = replay(&s, &sts[0]).await;
    assert_eq!(code_of(&r), "InvalidSecurityToken.MismatchWithAccessKey");
    s.shutdown().await;
}
