//! Overload and slow clients (issue "Hostile input…", item 3): header
//! deadlines cut slow-loris clients off without starving others, oversized
//! heads are refused, and beyond the concurrency limit requests are shed
//! with an Alibaba 503.

use crate::common;
use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn slow_loris_clients_are_cut_off_and_do_not_starve_others() {
    let s = TestServer::start_with(|c| c.header_read_timeout_seconds = 0.5).await;
    // Many clients that never finish their headers.
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut c = TcpStream::connect(s.r().api_addr).await.unwrap();
        c.write_all(b"POST / HTTP/1.1\r\nhost: x\r\nx-slow: ")
            .await
            .unwrap();
        slow.push(c);
    }
    // A normal client is served at once meanwhile.
    let started = Instant::now();
    let r = s.call("DescribeRegions", &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "served while 100 slow clients wait"
    );
    // The slow ones are closed once their header deadline passes.
    let mut closed = 0;
    for mut c in slow {
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_secs(3), c.read(&mut buf)).await {
            Ok(Ok(_)) | Ok(Err(_)) => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(
        closed, 100,
        "every slow-loris connection was closed by the server"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn oversized_heads_are_refused() {
    let s = TestServer::start_with(|c| c.max_header_bytes = 8192).await;
    let mut c = TcpStream::connect(s.r().api_addr).await.unwrap();
    let big = "a".repeat(64 * 1024);
    let _ = c
        .write_all(format!("GET /health HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n").as_bytes())
        .await;
    let mut out = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), c.read_to_string(&mut out)).await;
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 431"), "{out}");
    // The server is still fine.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn beyond_the_concurrency_limit_requests_are_shed_with_503() {
    let s = TestServer::start_with(|c| c.max_concurrent_requests = 2).await;
    // Requests being handled hold both slots.
    let held = s.r().state.request_slots.try_acquire_many(2).unwrap();
    let r = s.call("DescribeRegions", &[]).await;
    assert_eq!((r.status, r.code().as_str()), (503, "ServiceUnavailable"));
    assert!(r.header("x-acs-request-id").is_some());
    // `/health` is not counted.
    let h = s.send(physconn_wire::ClientRequest {
        method: "GET".into(),
        path: "/health".into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    });
    assert_eq!(h.await.status, 200);
    drop(held);
    // Once a slot is free, requests go through again.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}
