//! The processing order of docs/design/protocol.md#processing-order and the error shapes of every
//! layer: each step's refusal, with its exact status, code and headers.

use crate::common;
use common::*;
use physconn_domain::{IdGen, KeyStatus, RandomIds};
use physconn_wire::{sign_v1, sign_v3, ClientCredentials, ClientRequest};

fn occ_params() -> Vec<(String, String)> {
    pairs(&[
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", "pc-nope"),
    ])
}

fn v1(s: &TestServer, params: &[(String, String)], ts: &str, nonce: &str) -> ClientRequest {
    sign_v1(
        &s.creds(),
        &s.host(),
        "CreatePhysicalConnectionOccupancyOrder",
        "2016-04-28",
        params,
        false,
        ts,
        nonce,
    )
}

fn v3(
    s: &TestServer,
    creds: &ClientCredentials,
    action: &str,
    version: &str,
    ts: &str,
) -> ClientRequest {
    sign_v3(
        creds,
        &s.host(),
        action,
        version,
        &occ_params(),
        false,
        ts,
        &RandomIds.token(32),
    )
}

fn set_query_param(req: &mut ClientRequest, name: &str, value: &str) {
    let mut p = physconn_wire::decode_form(req.query.as_bytes()).unwrap();
    p.retain(|(k, _)| k != name);
    p.push((name.to_string(), value.to_string()));
    req.query = physconn_wire::encode_pairs(&p);
}

#[tokio::test]
async fn each_step_refuses_with_its_own_code() {
    let s = TestServer::start().await;
    let now = s.now_str();
    // decode: a bad escape
    let mut r = v1(&s, &occ_params(), &now, "n1");
    r.query.push_str("&Bad=%zz");
    let resp = s.send(r).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (400, "RequestParameterMalformed")
    );
    // Action, then Version
    let mut r = v1(&s, &occ_params(), &now, "n2");
    set_query_param(&mut r, "Action", "");
    assert_eq!(s.send(r).await.code(), "MissingParameter");
    // unknown key (404) comes before a bad timestamp
    let ghost = ClientCredentials {
        access_key_id: "LTAIghost",
        access_key_secret: "x",
        security_token: None,
    };
    let resp = s
        .send(v3(
            &s,
            &ghost,
            "CreatePhysicalConnectionOccupancyOrder",
            "2016-04-28",
            "garbage",
        ))
        .await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (404, "InvalidAccessKeyId.NotFound")
    );
    assert_eq!(resp.json()["Message"], "Specified access key is not found.");
    // timestamp format, then window
    let resp = s
        .send(v3(
            &s,
            &s.creds(),
            "CreatePhysicalConnectionOccupancyOrder",
            "2016-04-28",
            "yesterday",
        ))
        .await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (400, "InvalidTimeStamp.Format")
    );
    let late = "2026-11-29T00:15:01Z";
    let early = "2026-11-28T23:44:59Z";
    for ts in [late, early] {
        let resp = s
            .send(v3(
                &s,
                &s.creds(),
                "CreatePhysicalConnectionOccupancyOrder",
                "2016-04-28",
                ts,
            ))
            .await;
        assert_eq!(resp.code(), "InvalidTimeStamp.Expired", "{ts}");
    }
    let edge = s
        .send(v3(
            &s,
            &s.creds(),
            "CreatePhysicalConnectionOccupancyOrder",
            "2016-04-28",
            "2026-11-29T00:15:00Z",
        ))
        .await;
    assert_eq!(
        edge.code(),
        "InvalidPhysicalConnectionId.NotFound",
        "15 minutes is still inside the window"
    );
    // an expired timestamp wins over a bad signature (time before signature)
    let mut r = v3(
        &s,
        &s.creds(),
        "CreatePhysicalConnectionOccupancyOrder",
        "2016-04-28",
        late,
    );
    set_query_param(&mut r, "RegionId", "cn-beijing");
    assert_eq!(s.send(r).await.code(), "InvalidTimeStamp.Expired");
    // signature
    let mut r = v1(&s, &occ_params(), &now, "n3");
    set_query_param(&mut r, "RegionId", "cn-beijing");
    let resp = s.send(r).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (400, "SignatureDoesNotMatch")
    );
    let msg = resp.json()["Message"].as_str().unwrap().to_string();
    let sts = msg.split(':').nth(1).unwrap();
    assert!(sts.starts_with("POST&%2F&AccessKeyId%3Dtestid"), "{msg}");
    // nonce: the good request once, then its replay
    let r = v1(&s, &occ_params(), &now, "n4");
    let again = ClientRequest {
        method: r.method.clone(),
        path: r.path.clone(),
        query: r.query.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
    };
    assert_eq!(
        s.send(r).await.code(),
        "InvalidPhysicalConnectionId.NotFound"
    );
    let resp = s.send(again).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (400, "SignatureNonceUsed")
    );
    // version, then action
    let resp = s
        .send(v3(
            &s,
            &s.creds(),
            "CreatePhysicalConnectionOccupancyOrder",
            "2014-05-26",
            &now,
        ))
        .await;
    assert_eq!((resp.status, resp.code().as_str()), (400, "InvalidVersion"));
    let resp = s
        .send(v3(&s, &s.creds(), "CreateVpnGateway", "2016-04-28", &now))
        .await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (404, "InvalidAction.NotFound")
    );
    assert_eq!(
        resp.json()["Message"],
        "Specified api is not found, please check your url and method."
    );
    let resp = s
        .send(v3(
            &s,
            &s.creds(),
            "CreatePhysicalConnection",
            "2017-12-14",
            &now,
        ))
        .await;
    assert_eq!(
        resp.code(),
        "InvalidAction.NotFound",
        "a VPC action under the BSS version"
    );
    assert_eq!(resp.json()["HostId"], "business.aliyuncs.com");
    s.shutdown().await;
}

#[tokio::test]
async fn disabled_keys_and_temporary_credentials() {
    let s = TestServer::start().await;
    let (st, sts) = s
        .admin(
            "POST",
            "/admin/accounts/default/sts",
            Some(serde_json::json!({"seconds": 60})),
        )
        .await;
    assert_eq!(st, 200, "{sts}");
    let id = sts["AccessKeyId"].as_str().unwrap().to_string();
    let secret = sts["AccessKeySecret"].as_str().unwrap().to_string();
    let token = sts["SecurityToken"].as_str().unwrap().to_string();
    let good = ClientCredentials {
        access_key_id: &id,
        access_key_secret: &secret,
        security_token: Some(&token),
    };
    let r = s
        .call_as(
            &good,
            "DescribePhysicalConnections",
            &[("RegionId", "cn-hangzhou")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let none = ClientCredentials {
        security_token: None,
        ..good
    };
    assert_eq!(
        s.call_as(&none, "DescribeRegions", &[]).await.code(),
        "InvalidSecurityToken.Malformed"
    );
    let wrong = ClientCredentials {
        security_token: Some("CAISother"),
        ..good
    };
    assert_eq!(
        s.call_as(&wrong, "DescribeRegions", &[]).await.code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    s.advance(61.0).await;
    let r = s.call_as(&good, "DescribeRegions", &[]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidSecurityToken.Expired")
    );
    // A disabled key.
    let state = s.r().state.clone();
    physconn_store::write(&*state.store, |tx| {
        tx.set_access_key_status(KEY_ID, KeyStatus::Inactive)
    })
    .await
    .unwrap();
    state.keys.clear();
    let r = s.call("DescribeRegions", &[]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidAccessKeyId.Inactive")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn throttling_answers_with_retry_after() {
    let s = TestServer::start_with(|c| {
        c.throttle_per_key_rps = 1;
        c.throttle_burst = 2;
    })
    .await;
    let mut codes = Vec::new();
    let mut retry = None;
    for _ in 0..4 {
        let r = s.call("DescribeRegions", &[]).await;
        if r.status != 200 {
            retry = r.header("x-acs-retry-after").map(str::to_string);
            assert_eq!(
                r.json()["Message"],
                "Request was denied due to user flow control."
            );
        }
        codes.push(if r.status == 200 {
            "200".to_string()
        } else {
            r.code()
        });
    }
    assert_eq!(codes, ["200", "200", "Throttling.User", "Throttling.User"]);
    let ms: u64 = retry.expect("x-acs-retry-after").parse().unwrap();
    assert!((1..=1000).contains(&ms), "{ms}");
    s.shutdown().await;
}

#[tokio::test]
async fn middleware_errors_have_the_alibaba_shape() {
    let s = TestServer::start_with(|c| c.max_body_bytes = 64).await;
    let mut r = v1(&s, &occ_params(), &s.now_str(), "big");
    r.body = vec![b'a'; 1000];
    r.headers.push((
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    let resp = s.send(r).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (413, "RequestEntityTooLarge")
    );
    assert_eq!(
        resp.json()["RequestId"].as_str(),
        resp.header("x-acs-request-id")
    );
    let mut r = v1(&s, &occ_params(), &s.now_str(), "put");
    r.method = "PUT".into();
    let resp = s.send(r).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (403, "UnsupportedHTTPMethod")
    );
    s.shutdown().await;

    // A client that announces a body and never sends it is cut off by the
    // body timeout with a 408 in the same shape.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start_with(|c| c.body_read_timeout_seconds = 0.2).await;
    let mut sock = tokio::net::TcpStream::connect(s.r().api_addr)
        .await
        .unwrap();
    sock.write_all(
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\nconnection: close\r\n\r\nAction=",
    )
    .await
    .unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    assert!(out.contains("\"Code\":\"RequestTimeout\""), "{out}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_panic_is_an_internal_error() {
    use tower::ServiceExt;
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            if true {
                panic!("boom");
            }
            "unreachable"
        }),
    );
    let app = physconn_server::server::with_alibaba_errors(router, std::sync::Arc::new(RandomIds));
    let resp = app
        .oneshot(
            axum::http::Request::builder()
                .uri("/")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("x-acs-request-id").is_some());
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["Code"], "InternalError");
    assert!(
        !String::from_utf8_lossy(&body).contains("boom"),
        "no internal text leaks"
    );
}

#[tokio::test]
async fn xml_errors_and_request_ids() {
    let s = TestServer::start().await;
    let r = s
        .call(
            "DescribePhysicalConnections",
            &[
                ("RegionId", "cn-hangzhou"),
                ("Format", "XML"),
                ("Filter.1.Key", "Foo"),
                ("Filter.1.Value.1", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/xml;charset=utf-8"));
    assert!(
        r.text
            .contains("<Code>InvalidFilterKey.ValueNotSupported</Code>"),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains("Specified filter key is not supported: Filter.1.key"),
        "{}",
        r.text
    );
    let rid = r.header("x-acs-request-id").unwrap().to_string();
    assert!(r.text.contains(&format!("<RequestId>{rid}</RequestId>")));
    let ok = s
        .call("DescribeRegions", &[("format", "ignored-lowercase-name")])
        .await;
    assert_eq!(
        ok.header("content-type"),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(
        ok.json()["RequestId"].as_str(),
        ok.header("x-acs-request-id")
    );
    s.shutdown().await;
}

/// Node streams form bodies with `Transfer-Encoding: chunked`.
#[tokio::test]
async fn chunked_form_bodies_are_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start().await;
    let req = sign_v3(
        &s.creds(),
        &s.host(),
        "DescribePhysicalConnections",
        "2016-04-28",
        &pairs(&[("RegionId", "cn-hangzhou"), ("PageSize", "5")]),
        true,
        &s.now_str(),
        &RandomIds.token(32),
    );
    let mut head = "POST / HTTP/1.1\r\n".to_string();
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    let (a, b) = req.body.split_at(req.body.len() / 2);
    let mut wire = head.into_bytes();
    for part in [a, b] {
        wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        wire.extend_from_slice(part);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let mut sock = tokio::net::TcpStream::connect(s.r().api_addr)
        .await
        .unwrap();
    sock.write_all(&wire).await.unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"PageSize\":5"), "{out}");
    s.shutdown().await;
}

#[tokio::test]
async fn health_and_admin_auth() {
    let s = TestServer::start().await;
    for addr in [s.r().api_addr, s.r().admin_addr] {
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        sock.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        sock.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
    let mut sock = tokio::net::TcpStream::connect(s.r().admin_addr)
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    sock.write_all(b"GET /admin/clock HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    s.shutdown().await;
}
