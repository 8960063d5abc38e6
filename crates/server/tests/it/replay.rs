//! Replay protection (docs/design/protocol.md#replay-protection) in process:
//! restarts, resets, the signing clock under a moved manual clock, and the
//! bounded nonce memory. The real binary killed and restarted is
//! crates/physconn/tests/it/replay.rs.

use crate::common;
use common::*;
use physconn_wire::{sign_v1, ClientRequest};

fn request(s: &TestServer, nonce: &str) -> ClientRequest {
    sign_v1(
        &s.creds(),
        &s.host(),
        "DescribePhysicalConnections",
        "2016-04-28",
        &pairs(&[("RegionId", "cn-hangzhou")]),
        false,
        &s.now_str(),
        nonce,
    )
}

fn again(r: &ClientRequest) -> ClientRequest {
    ClientRequest {
        method: r.method.clone(),
        path: r.path.clone(),
        query: r.query.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
    }
}

#[tokio::test]
async fn restarts_and_resets_do_not_reopen_the_window() {
    let mut s = TestServer::start().await;
    let r = request(&s, "first");
    let captured = again(&r);
    assert_eq!(s.send(r).await.status, 200);
    s.restart().await;
    let resp = s.send(again(&captured)).await;
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (400, "SignatureNonceUsed"),
        "signed before the restart: {}",
        resp.text
    );
    let other = request(&s, "second");
    let captured = again(&other);
    assert_eq!(s.send(other).await.status, 200, "signed after the restart");
    let (st, _) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 200);
    assert_eq!(s.send(captured).await.code(), "SignatureNonceUsed");
    s.shutdown().await;
}

/// The business clock moves 40 days; signatures and nonces follow the
/// signing clock, which did not move.
#[tokio::test]
async fn signatures_follow_the_signing_clock_not_the_manual_clock() {
    let s = TestServer::start().await;
    s.advance(40.0 * 86400.0).await;
    let r = request(&s, "forty-days");
    let captured = again(&r);
    let resp = s.send(r).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(s.send(captured).await.code(), "SignatureNonceUsed");
    // A timestamp at the manual clock's time is 40 days off real time.
    let business = physconn_wire::format_timestamp(s.r().state.clock.now());
    let off = sign_v1(
        &s.creds(),
        &s.host(),
        "DescribePhysicalConnections",
        "2016-04-28",
        &pairs(&[("RegionId", "cn-hangzhou")]),
        false,
        &business,
        "business-time",
    );
    assert_eq!(s.send(off).await.code(), "InvalidTimeStamp.Expired");
    s.shutdown().await;
}

#[tokio::test]
async fn a_full_nonce_memory_refuses_rather_than_forgets() {
    let s = TestServer::start_with(|c| c.nonce_cache_entries = 2).await;
    let first = request(&s, "a");
    let replay = again(&first);
    assert_eq!(s.send(first).await.status, 200);
    assert_eq!(s.send(request(&s, "b")).await.status, 200);
    for _ in 0..2 {
        let resp = s.send(request(&s, "c")).await;
        assert_eq!(
            (resp.status, resp.code().as_str()),
            (503, "ServiceUnavailable"),
            "{}",
            resp.text
        );
        assert_eq!(resp.header("x-acs-retry-after"), Some("1000"));
    }
    assert_eq!(s.r().state.nonces.len(), 2, "a refused request is not held");
    assert_eq!(
        s.send(replay).await.code(),
        "SignatureNonceUsed",
        "not forgotten"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn throttled_requests_take_no_nonce_memory() {
    let s = TestServer::start_with(|c| {
        c.throttle_per_key_rps = 1;
        c.throttle_burst = 1;
    })
    .await;
    let mut throttled = 0;
    for i in 0..5 {
        let resp = s.send(request(&s, &format!("t{i}"))).await;
        if resp.code() == "Throttling.User" {
            throttled += 1;
        }
    }
    assert!(throttled >= 3, "{throttled}");
    assert_eq!(s.r().state.nonces.len(), 5 - throttled);
    s.shutdown().await;
}
