//! Request heads hyper would refuse (issue 14 item 7): the listener answers
//! them in its documented error shape with a request id, exactly when hyper
//! itself refuses them (checked against a bare hyper server fed the same
//! bytes), and after the answers to the requests pipelined before them.

use crate::common::*;
use crate::edge::{complete, Raw};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HEAD_MESSAGE: &str = "The request line or headers are malformed.";
const BODY_MESSAGE: &str = "The request body is malformed or incomplete.";
const BARE_BODY_ERROR: &str = "unreadable body";

/// A bare hyper server with hyper's defaults, answering 200 to whatever it
/// parses: what hyper alone makes of a head.
pub(crate) async fn bare_hyper() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                // It reads the whole body, as the pipeline does, so that
                // hyper goes on to the next head; one it cannot read gets
                // a 400 of the service's own, with a body.
                let svc = hyper::service::service_fn(|req: hyper::Request<_>| async {
                    let read = http_body_util::BodyExt::collect(req.into_body()).await;
                    let mut resp = hyper::Response::new(http_body_util::Full::new(
                        hyper::body::Bytes::from_static(match read {
                            Ok(_) => b"",
                            Err(_) => BARE_BODY_ERROR.as_bytes(),
                        }),
                    ));
                    if read.is_err() {
                        *resp.status_mut() = hyper::StatusCode::BAD_REQUEST;
                    }
                    Ok::<_, std::convert::Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(1))
                    .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    (addr, task)
}

/// The answers on one connection, read in order.
pub(crate) struct Answers {
    pub(crate) c: TcpStream,
    buf: Vec<u8>,
}

impl Answers {
    pub(crate) async fn connect(addr: SocketAddr) -> Self {
        Self {
            c: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// The next answer, or `None` once the server closed without one.
    pub(crate) async fn next(&mut self) -> Option<Raw> {
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = complete(&self.buf) {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end);
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                let status = head.split(' ').nth(1).and_then(|s| s.parse().ok())?;
                return Some(Raw::new(status, head, body));
            }
            match tokio::time::timeout(Duration::from_secs(10), self.c.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    assert!(self.buf.is_empty(), "a partial answer: {:?}", self.buf);
                    return None;
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => panic!("no answer in 10 s"),
            }
        }
    }
}

/// What became of a request: served, its head refused with a status, its
/// body unreadable, or nothing. `Bare` is hyper's own empty refusal, which
/// physconn must never let out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Served,
    Refused(u16),
    BodyRefused,
    Bare(u16),
    Closed,
}

/// hyper's own verdict: it answers a parsed head with the service's 200,
/// and a body it cannot read with the service's 400.
pub(crate) fn bare_fate(a: Option<Raw>) -> Fate {
    match a {
        None => Fate::Closed,
        Some(r) if r.status == 200 => Fate::Served,
        Some(r) if r.status == 400 && r.body == BARE_BODY_ERROR => Fate::BodyRefused,
        Some(r) => {
            assert!(r.body.is_empty(), "hyper's own refusal: {r:?}");
            Fate::Refused(r.status)
        }
    }
}

/// physconn's: a refusal is the listener's, in the Alibaba shape with a
/// request id, an unreadable body the pipeline's; anything else in the
/// Alibaba shape reached the router.
pub(crate) fn physconn_fate(a: Option<Raw>) -> Fate {
    let Some(r) = a else { return Fate::Closed };
    if r.body.is_empty() {
        return Fate::Bare(r.status);
    }
    let code = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| Some((v["Code"].as_str()?.to_string(), v["Message"].clone())));
    match code {
        Some((c, m)) if c == "BadRequest" && m == HEAD_MESSAGE => {
            assert_eq!(r.summary(), "400 BadRequest application/json;charset=utf-8");
            Fate::Refused(400)
        }
        Some((c, m)) if c == "BadRequest" && m == BODY_MESSAGE => {
            assert_eq!(r.summary(), "400 BadRequest application/json;charset=utf-8");
            Fate::BodyRefused
        }
        Some((c, _)) if c == "RequestHeaderFieldsTooLarge" || c == "RequestURITooLong" => {
            r.summary();
            Fate::Refused(r.status)
        }
        _ => Fate::Served,
    }
}

async fn fate(addr: SocketAddr, bytes: &[u8]) -> Option<Raw> {
    let mut a = Answers::connect(addr).await;
    // A refused head may be answered before the rest is read.
    let _ = a.c.write_all(bytes).await;
    a.next().await
}

/// A small deterministic generator (xorshift), so a failure replays.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// `bytes` with one or two bytes of `odd` inserted, put in place of
    /// one, or one removed.
    pub(crate) fn mutate(&mut self, bytes: &[u8], odd: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for _ in 0..1 + self.below(2) {
            let at = self.below(out.len());
            let b = odd[self.below(odd.len())];
            match self.below(3) {
                0 => out.insert(at, b),
                1 => out[at] = b,
                _ => {
                    out.remove(at);
                }
            }
        }
        out
    }
}

#[tokio::test]
async fn heads_are_refused_exactly_when_hyper_refuses_them() {
    let s = TestServer::start_with(|c| {
        c.max_header_bytes = 8192;
        c.header_read_timeout_seconds = 1.0;
    })
    .await;
    let (bare, task) = bare_hyper().await;
    let many: String = (0..101).map(|i| format!("h{i}: v\r\n")).collect();
    let named: Vec<(&str, Vec<u8>, Fate)> = vec![
        (
            "plain",
            b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            Fate::Served,
        ),
        (
            "bare LF",
            b"GET /health HTTP/1.1\nhost: x\n\n".to_vec(),
            Fate::Served,
        ),
        (
            "LF then CRLF",
            b"GET /health HTTP/1.1\nhost: x\r\n\n".to_vec(),
            Fate::Served,
        ),
        (
            "empty lines first",
            b"\r\n\nGET /health HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            Fate::Served,
        ),
        (
            "tab and no space",
            b"GET /health HTTP/1.1\r\nhost:x\r\nx-t: a\tb\r\n\r\n".to_vec(),
            Fate::Served,
        ),
        (
            "obs-text value",
            b"GET /health HTTP/1.1\r\nx: \x80\xff\r\n\r\n".to_vec(),
            Fate::Served,
        ),
        (
            "HTTP/1.0",
            b"GET /health HTTP/1.0\r\n\r\n".to_vec(),
            Fate::Served,
        ),
        (
            "garbage request line",
            b"GARBAGE\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "no version",
            b"GET /health\r\nhost: x\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "HTTP/2.0",
            b"GET /health HTTP/2.0\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "space in a header name",
            b"GET /health HTTP/1.1\r\nbad name: x\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "no colon",
            b"GET /health HTTP/1.1\r\nhost x\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "bare CR",
            b"GET /health HTTP/1.1\rhost: x\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "folded header",
            b"GET /health HTTP/1.1\r\nx: a\r\n b\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "NUL in a value",
            b"GET /health HTTP/1.1\r\nx: a\x00b\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "bad Content-Length",
            b"GET /health HTTP/1.1\r\ncontent-length: 1x\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "not chunked last",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked, gzip\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "a bad URI",
            b"GET http://[::1/ HTTP/1.1\r\n\r\n".to_vec(),
            Fate::Refused(400),
        ),
        (
            "101 headers",
            format!("GET /health HTTP/1.1\r\n{many}\r\n").into_bytes(),
            Fate::Refused(431),
        ),
    ];
    for (name, bytes, want) in &named {
        let hyper = bare_fate(fate(bare, bytes).await);
        assert_eq!(hyper, *want, "{name}: hyper's verdict");
        assert_eq!(
            physconn_fate(fate(s.r().api_addr, bytes).await),
            hyper,
            "{name}"
        );
    }
    // Mutations of one head, each byte by byte the same verdict as hyper's.
    let base = b"GET /health?a=b HTTP/1.1\r\nhost: x\r\nx-k: v1\r\n";
    let odd = b"\r\n\t :\x00\x7f\x80\"{[/?%;,()";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tally = std::collections::BTreeMap::new();
    for _ in 0..300 {
        let mut head = rng.mutate(base, odd);
        head.extend_from_slice(b"\r\n");
        let hyper = bare_fate(fate(bare, &head).await);
        let ours = physconn_fate(fate(s.r().api_addr, &head).await);
        assert_eq!(ours, hyper, "{:?}", String::from_utf8_lossy(&head));
        *tally.entry(format!("{hyper:?}")).or_insert(0) += 1;
    }
    // Both verdicts were tried often.
    assert!(
        tally.get("Served").is_some_and(|n| *n >= 30)
            && tally.get("Refused(400)").is_some_and(|n| *n >= 30),
        "{tally:?}"
    );
    task.abort();
    s.shutdown().await;
}

#[tokio::test]
async fn a_malformed_head_behind_good_requests_is_answered_after_them() {
    let s = TestServer::start().await;
    let api = s.r().api_addr;
    let body = "Action=DescribeRegions&Format=XML";
    let bad = "GET /health HTTP/1.1\r\nbad name: x\r\n\r\n";
    // A GET, then a POST whose body would be a malformed head were it read
    // as one, then a malformed head, all in one write.
    let pipelined = format!(
        "GET /health HTTP/1.1\r\nhost: x\r\n\r\n\
         POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {}\r\n\r\n{body}{bad}",
        body.len()
    );
    let mut a = Answers::connect(api).await;
    a.c.write_all(pipelined.as_bytes()).await.unwrap();
    let health = a.next().await.expect("an answer to the GET");
    assert_eq!(health.status, 200, "{health:?}");
    let post = a.next().await.expect("an answer to the POST");
    assert!(post.body.starts_with('<'), "the router's XML: {post:?}");
    let refused = a.next().await.expect("the refusal");
    assert_eq!(refused.json()["Message"], HEAD_MESSAGE);
    assert_eq!(
        refused.summary(),
        "400 BadRequest application/json;charset=utf-8"
    );
    assert!(a.next().await.is_none(), "the connection ends");

    // The same on a keep-alive connection, one request at a time.
    let mut a = Answers::connect(api).await;
    a.c.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(a.next().await.map(|r| r.status), Some(200));
    a.c.write_all(bad.as_bytes()).await.unwrap();
    let refused = a.next().await.expect("the refusal");
    assert_eq!(
        refused.summary(),
        "400 BadRequest application/json;charset=utf-8"
    );
    assert!(a.next().await.is_none(), "the connection ends");
    s.shutdown().await;
}
