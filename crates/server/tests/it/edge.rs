//! The HTTP edge at socket level (issue 14, items 3, 4, 6 and 7): slow bodies
//! and idle connections do not starve signed calls or `/health`, broken HTTP
//! is answered in each listener's documented error shape with a request id,
//! and the manual clock refuses times the server cannot represent.

use crate::common;
use common::*;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer read off a raw socket.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    head: String,
    pub(crate) body: String,
}

impl Raw {
    pub(crate) fn new(status: u16, head: &str, body: &str) -> Raw {
        Raw {
            status,
            head: head.to_string(),
            body: body.to_string(),
        }
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
    /// Status, `Code` and content type, and that a request id came along.
    pub(crate) fn summary(&self) -> String {
        let code = if self.body.starts_with('<') {
            self.body
                .split("<Code>")
                .nth(1)
                .and_then(|s| s.split('<').next())
                .unwrap_or("")
                .to_string()
        } else {
            self.json()["Code"].as_str().unwrap_or("").to_string()
        };
        assert!(
            self.header("x-acs-request-id")
                .is_some_and(|v| !v.is_empty()),
            "no request id: {self:?}"
        );
        format!(
            "{} {} {}",
            self.status,
            code,
            self.header("content-type").unwrap_or("-")
        )
    }
}

/// Reads one response (the server closes, or `content-length` says where it ends).
pub(crate) async fn read_answer(c: &mut TcpStream) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = complete(&buf) {
            break end;
        }
        match tokio::time::timeout(Duration::from_secs(10), c.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break buf.len(),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no answer in 10 s: {}", String::from_utf8_lossy(&buf)),
        }
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    Raw::new(status, head, body)
}

/// Where the first response in `buf` ends, if it is all there.
pub(crate) fn complete(buf: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(buf);
    let head_end = text.find("\r\n\r\n")? + 4;
    if text.starts_with("HTTP/1.1 1") {
        return Some(head_end);
    }
    let len = text[..head_end].lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    })?;
    (buf.len() >= head_end + len).then_some(head_end + len)
}

/// Sends `bytes` on a new connection and reads the answer.
pub(crate) async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Raw {
    let mut c = TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before it has read everything.
    let _ = c.write_all(bytes).await;
    read_answer(&mut c).await
}

#[tokio::test]
async fn slow_bodies_take_no_request_slot_and_time_out_with_408() {
    let s = TestServer::start_with(|c| {
        c.max_concurrent_requests = 4;
        c.body_read_timeout_seconds = 1.0;
    })
    .await;
    // Clients that send their headers, then one byte of a 100-byte body. The
    // `100 Continue` says the server is reading the body.
    let mut slow = Vec::new();
    for _ in 0..12 {
        let mut c = TcpStream::connect(s.r().api_addr).await.unwrap();
        c.write_all(
            b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
              expect: 100-continue\r\ncontent-length: 100\r\n\r\n",
        )
        .await
        .unwrap();
        let cont = read_answer(&mut c).await;
        assert_eq!(cont.status, 100, "{cont:?}");
        c.write_all(b"A").await.unwrap();
        slow.push(c);
    }
    // Meanwhile a signed call and /health are served.
    let r = s.call("DescribeRegions", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let h = exchange(s.r().api_addr, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(h.status, 200, "{h:?}");
    // Found by the pipeline fuzz target: the probe's answer has a request id too.
    assert!(h.header("x-acs-request-id").is_some(), "{h:?}");
    // The slow ones are answered once their body deadline passes.
    for mut c in slow {
        let r = read_answer(&mut c).await;
        assert_eq!(
            r.summary(),
            "408 RequestTimeout application/json;charset=utf-8"
        );
        assert_eq!(r.json()["Code"], "RequestTimeout");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn idle_connections_near_the_limit_are_closed_early() {
    let s = TestServer::start_with(|c| {
        c.max_connections = 8;
        // Without the early close a waiting client would wait this long.
        c.header_read_timeout_seconds = 30.0;
    })
    .await;
    // Eight keep-alive connections, each answered once (so the server holds
    // them all), then idle.
    let mut idle = Vec::new();
    for _ in 0..8 {
        let mut c = TcpStream::connect(s.r().api_addr).await.unwrap();
        c.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_answer(&mut c).await.status, 200);
        idle.push(c);
    }
    // A ninth client waits in the backlog only until idle ones are closed.
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(10), s.call("DescribeRegions", &[]))
        .await
        .expect("served before the idle connections' own timeout");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Idle ones were closed (down to the high-water mark, three quarters).
    let mut reads = tokio::task::JoinSet::new();
    for mut c in idle {
        reads.spawn(async move {
            let mut b = [0u8; 16];
            matches!(
                tokio::time::timeout(Duration::from_secs(3), c.read(&mut b)).await,
                Ok(Ok(0))
            )
        });
    }
    let closed = reads.join_all().await.into_iter().filter(|c| *c).count();
    assert!(closed >= 2, "{closed} idle connections were closed");
    s.shutdown().await;
}

#[tokio::test]
async fn broken_http_is_answered_in_the_alibaba_shape() {
    let s = TestServer::start_with(|c| c.max_header_bytes = 8192).await;
    let api = s.r().api_addr;
    let long_uri = format!(
        "GET /?Action={} HTTP/1.1\r\nhost: x\r\n\r\n",
        "a".repeat(10_000)
    );
    let big_header = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("uri over max_header_bytes", long_uri.into_bytes()),
        ("head over max_header_bytes", big_header.into_bytes()),
        (
            "malformed chunk size",
            b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "body over max_body_bytes",
            b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999\r\n\r\nAction=x".to_vec(),
        ),
        (
            "invalid UTF-8 asking for XML",
            b"GET /?Format=XML&Action=%FF HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        ),
        (
            "method",
            b"DELETE /?Format=XML HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        ),
        (
            "malformed header",
            b"GET /?Format=XML HTTP/1.1\r\nhost: x\r\nbad name: y\r\n\r\n".to_vec(),
        ),
        (
            "/health with POST (found by the pipeline fuzz target)",
            b"POST /health HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n".to_vec(),
        ),
    ];
    let mut got = Vec::new();
    let mut codes = Vec::new();
    for (name, bytes) in &cases {
        let r = exchange(api, bytes).await;
        got.push(format!("{name}: {}", r.summary()));
        if !r.body.starts_with('<') {
            codes.push(r.json()["Code"].as_str().unwrap_or("").to_string());
        }
    }
    assert_eq!(
        codes,
        [
            "RequestURITooLong",
            "RequestHeaderFieldsTooLarge",
            "BadRequest",
            "RequestEntityTooLarge",
            "BadRequest",
            "MissingParameter"
        ]
    );
    // A body cut short: the client stops sending.
    let mut c = TcpStream::connect(api).await.unwrap();
    c.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nAction=")
        .await
        .unwrap();
    c.shutdown().await.unwrap();
    got.push(format!(
        "truncated body: {}",
        read_answer(&mut c).await.summary()
    ));
    insta::assert_snapshot!(got.join("\n"), @r"
    uri over max_header_bytes: 414 RequestURITooLong application/json;charset=utf-8
    head over max_header_bytes: 431 RequestHeaderFieldsTooLarge application/json;charset=utf-8
    malformed chunk size: 400 BadRequest application/json;charset=utf-8
    body over max_body_bytes: 413 RequestEntityTooLarge application/json;charset=utf-8
    invalid UTF-8 asking for XML: 400 RequestParameterMalformed text/xml;charset=utf-8
    method: 403 UnsupportedHTTPMethod text/xml;charset=utf-8
    malformed header: 400 BadRequest application/json;charset=utf-8
    /health with POST (found by the pipeline fuzz target): 400 MissingParameter application/json;charset=utf-8
    truncated body: 400 BadRequest application/json;charset=utf-8
    ");
    // The message is the table's.
    let r = exchange(
        api,
        b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n",
    )
    .await;
    assert_eq!(
        r.json()["Message"],
        "The request body is malformed or incomplete."
    );
    // The server is still fine.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn the_admin_listener_answers_every_error_as_code_and_message() {
    let s = TestServer::start_with(|c| c.max_header_bytes = 8192).await;
    let admin = s.r().admin_addr;
    let auth = format!("authorization: Bearer {ADMIN_TOKEN}\r\n");
    let post = |path: &str, ct: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\n{auth}content-type: {ct}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid JSON",
            post("/admin/clock/set", "application/json", "{not json"),
        ),
        (
            "wrong content type",
            post(
                "/admin/clock/set",
                "text/plain",
                r#"{"now":"2030-01-01T00:00:00Z"}"#,
            ),
        ),
        (
            "wrong field type",
            post(
                "/admin/clock/advance",
                "application/json",
                r#"{"seconds":"x"}"#,
            ),
        ),
        (
            "unknown path",
            format!("GET /admin/nothing HTTP/1.1\r\nhost: x\r\n{auth}\r\n").into_bytes(),
        ),
        (
            "wrong method",
            format!("DELETE /admin/clock HTTP/1.1\r\nhost: x\r\n{auth}\r\n").into_bytes(),
        ),
        (
            "no token",
            b"GET /admin/clock HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        ),
        (
            "head over max_header_bytes",
            format!(
                "GET /admin/clock HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
                "b".repeat(10_000)
            )
            .into_bytes(),
        ),
        (
            "malformed header",
            format!("GET /admin/clock HTTP/1.1\r\n{auth}bad name: y\r\n\r\n").into_bytes(),
        ),
    ];
    let mut got = Vec::new();
    for (name, bytes) in &cases {
        let r = exchange(admin, bytes).await;
        assert!(
            r.json()["Message"].as_str().is_some_and(|m| !m.is_empty()),
            "{r:?}"
        );
        got.push(format!("{name}: {}", r.summary()));
    }
    insta::assert_snapshot!(got.join("\n"), @r"
    invalid JSON: 400 InvalidParameter application/json
    wrong content type: 400 InvalidParameter application/json
    wrong field type: 400 InvalidParameter application/json
    unknown path: 404 NotFound application/json
    wrong method: 405 MethodNotAllowed application/json
    no token: 401 Unauthorized application/json
    head over max_header_bytes: 431 RequestHeaderFieldsTooLarge application/json
    malformed header: 400 BadRequest application/json
    ");
    s.shutdown().await;
}

#[tokio::test]
async fn the_clock_refuses_times_it_cannot_represent() {
    let mut s = TestServer::start().await;
    for now in ["9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"] {
        let (status, v) = s
            .admin("POST", "/admin/clock/set", Some(json!({ "now": now })))
            .await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["Code"], "InvalidParameter");
        assert!(
            v["Message"]
                .as_str()
                .is_some_and(|m| m.contains("outside the times physconn can represent")),
            "{v}"
        );
    }
    // Up to the last representable instant, then no further.
    let (status, v) = s
        .admin(
            "POST",
            "/admin/clock/set",
            Some(json!({"now": "8999-12-31T23:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = s
        .admin(
            "POST",
            "/admin/clock/advance",
            Some(json!({"seconds": 1e10})),
        )
        .await;
    assert_eq!(
        (status, v["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{v}"
    );
    // The API still answers at the edge of time, and so does a restart.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.advance(3600.0).await;
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.restart().await;
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn a_stored_clock_out_of_range_is_refused_at_start() {
    let s = TestServer::start().await;
    let store = s.r().state.store.clone();
    physconn_store::write(&*store, |tx| {
        Box::pin(async move { tx.set_meta("manual_clock", "253402300799000000").await })
    })
    .await
    .unwrap();
    let mut s = s;
    s.running.take().expect("running").shutdown().await;
    let err =
        match physconn_server::start(physconn_server::StartOptions::new(s.config.clone())).await {
            Ok(_) => panic!("started with a clock in the year 9999"),
            Err(e) => e.to_string(),
        };
    assert!(
        err.contains("outside the times physconn can represent"),
        "{err}"
    );
}
