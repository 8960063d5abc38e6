//! Request heads behind chunked bodies (issue 14 item 7): the listener
//! follows a chunked body to its end as hyper does, so a malformed head
//! pipelined after one is answered in the documented shape, while a body
//! whose chunk framing is broken is the pipeline's 400 `BadRequest`, never
//! 413 nor hyper's empty answer. Every case is compared with a bare hyper
//! server fed the same bytes.

use crate::common::*;
use crate::edge::Raw;
use crate::edge_head::{bare_fate, bare_hyper, physconn_fate, Answers, Fate, Rng};
use std::net::SocketAddr;
use tokio::io::AsyncWriteExt;

/// What became of every request sent in `bytes` on one connection, in order,
/// until the server closed it.
async fn fates(addr: SocketAddr, bytes: &[u8], of: fn(Option<Raw>) -> Fate) -> Vec<Fate> {
    let mut a = Answers::connect(addr).await;
    // A refused head may be answered before the rest is read.
    let _ = a.c.write_all(bytes).await;
    let mut out = Vec::new();
    loop {
        let f = of(a.next().await);
        if f == Fate::Closed {
            return out;
        }
        out.push(f);
    }
}

const CHUNKED: &str =
    "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
                       transfer-encoding: chunked\r\n\r\n";
const BAD_HEAD: &str = "GET /health HTTP/1.1\r\nbad name: x\r\n\r\n";
const GOOD_HEAD: &str = "GET /health HTTP/1.1\r\nhost: x\r\n\r\n";
/// The last request of a case: every stream that reaches it as a head ends.
const LAST: &str = "GET /health HTTP/1.1\r\nconnection: close\r\n\r\n";

fn chunked(body: &str, then: &str) -> Vec<u8> {
    format!("{CHUNKED}{body}{then}{LAST}").into_bytes()
}

#[tokio::test]
async fn heads_after_chunked_bodies_are_refused_exactly_when_hyper_refuses_them() {
    use Fate::*;
    let s = TestServer::start_with(|c| {
        c.max_header_bytes = 8192;
        c.header_read_timeout_seconds = 1.0;
    })
    .await;
    let (bare, task) = bare_hyper().await;
    let many: String = (0..101).map(|i| format!("t{i}: v\r\n")).collect();
    let named: Vec<(&str, Vec<u8>, Vec<Fate>)> = vec![
        (
            "a bad head after a chunked body",
            chunked("5\r\na=b&c\r\n0\r\n\r\n", BAD_HEAD),
            vec![Served, Refused(400)],
        ),
        (
            "a good head after a chunked body",
            chunked("5\r\na=b&c\r\n0\r\n\r\n", GOOD_HEAD),
            vec![Served, Served, Served],
        ),
        (
            "extensions, whitespace and trailers, then a bad head",
            chunked(
                "5 \t;name=\"v\";x\r\na=b&c\r\nA\r\n&d=0123456\r\n0;e\r\nx-t: v\r\ny:w\r\n\r\n",
                BAD_HEAD,
            ),
            vec![Served, Refused(400)],
        ),
        (
            "empty lines before the next head",
            chunked("0\r\n\r\n", &format!("\r\n\n\r\n{BAD_HEAD}")),
            vec![Served, Refused(400)],
        ),
        (
            // hyper reads the body as chunked, answers, then closes.
            "Content-Length beside chunked",
            format!(
                "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 40\r\n\r\n\
                 3\r\na=b\r\n0\r\n\r\n{BAD_HEAD}{LAST}"
            )
            .into_bytes(),
            vec![Served],
        ),
        (
            "a bad head inside a chunk is data",
            chunked(
                &format!("{:x}\r\n{BAD_HEAD}\r\n0\r\n\r\n", BAD_HEAD.len()),
                "",
            ),
            vec![Served, Served],
        ),
        (
            "pipelined: chunked, Content-Length, chunked, a bad head",
            format!(
                "{CHUNKED}3\r\na=b\r\n0\r\n\r\n\
                 POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\na=b\
                 {CHUNKED}1\r\na\r\n0\r\n\r\n{BAD_HEAD}{LAST}"
            )
            .into_bytes(),
            vec![Served, Served, Served, Refused(400)],
        ),
        (
            "a chunk size that is not hex",
            chunked("zz\r\nhello\r\n0\r\n\r\n", BAD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a chunk size over 64 bits",
            chunked("10000000000000000\r\n", BAD_HEAD),
            vec![BodyRefused],
        ),
        (
            "no chunk size",
            chunked("\r\nhello\r\n0\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a bare LF after the size",
            chunked("5\nhello\r\n0\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a digit after whitespace",
            chunked("5 5\r\nhello\r\n0\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a LF in an extension",
            chunked("5;a\nb\r\nhello\r\n0\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "data longer than its size",
            chunked("3\r\nhello\r\n0\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a trailer with a space in its name",
            chunked("0\r\nbad name: x\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "a trailer without a colon",
            chunked("0\r\nnocolon\r\n\r\n", GOOD_HEAD),
            vec![BodyRefused],
        ),
        (
            "101 trailers",
            chunked(&format!("0\r\n{many}\r\n"), GOOD_HEAD),
            vec![BodyRefused],
        ),
    ];
    for (name, bytes, want) in &named {
        let hyper = fates(bare, bytes, bare_fate).await;
        assert_eq!(&hyper, want, "{name}: hyper's verdict");
        assert_eq!(
            fates(s.r().api_addr, bytes, physconn_fate).await,
            hyper,
            "{name}"
        );
    }
    // Seeded mutations of a chunked body's framing, each followed by a bad
    // head, then enough empty lines to end any chunk a mutation could
    // declare (the data bytes hold no hex digit, so sizes stay small), then
    // the last request.
    let body = "5;q=r\r\nx=yzz\r\n2\r\n&w\r\n0\r\nx-t: v\r\n\r\n";
    let odd = b"\r\n\t ;:=0aAzX\x00";
    let pad = "\r\n".repeat(2048);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut tally = std::collections::BTreeMap::new();
    for _ in 0..300 {
        let b = rng.mutate(body.as_bytes(), odd);
        let bytes = [
            CHUNKED.as_bytes(),
            &b,
            BAD_HEAD.as_bytes(),
            pad.as_bytes(),
            LAST.as_bytes(),
        ]
        .concat();
        let hyper = fates(bare, &bytes, bare_fate).await;
        let ours = fates(s.r().api_addr, &bytes, physconn_fate).await;
        assert_eq!(ours, hyper, "{:?}", String::from_utf8_lossy(&b));
        *tally.entry(format!("{:?}", hyper.first())).or_insert(0) += 1;
    }
    // Both a read body and a refused one were tried often.
    assert!(
        tally.get("Some(Served)").is_some_and(|n| *n >= 30)
            && tally.get("Some(BodyRefused)").is_some_and(|n| *n >= 30),
        "{tally:?}"
    );
    task.abort();
    s.shutdown().await;
}
