//! What the listener checks of each request head before hyper parses it
//! (docs/design/protocol.md#edge-errors): its size, and the grammar hyper
//! itself would refuse with an empty answer. The grammar is httparse's with
//! hyper's settings (hyper parses with it), plus the checks hyper makes after
//! it (method, URI, `Content-Length`, `Transfer-Encoding`), so a head is
//! refused here exactly when hyper would refuse it. The scan follows the
//! stream byte for byte: a head, then its body (as many bytes as its
//! `Content-Length` says, or a chunked body to its last chunk and trailers,
//! `chunked.rs`), then the next head, so a head pipelined behind another is
//! checked too.

mod chunked;

use crate::listener::EdgeError;
use chunked::{Chunked, Progress};

/// hyper's own bounds on a head (`DEFAULT_MAX_HEADERS`, `MAX_URI_LEN` and
/// the largest body length its decoder takes).
const MAX_HEADERS: usize = 100;
const MAX_URI_LEN: usize = (u16::MAX - 1) as usize;
const MAX_BODY_LEN: u64 = u64::MAX - 2;

/// Where the scan stands in the connection's byte stream.
enum State {
    /// Reading a head; its bytes so far when it spans reads (only then are
    /// they copied), and how many empty lines came before it.
    Head { pending: Vec<u8>, blank: usize },
    /// Inside a body of known length: this many bytes still to pass.
    Body(u64),
    /// Inside a chunked body.
    Chunked(Chunked),
    /// After a refused head, or a chunked body hyper fails (it then reads
    /// nothing more of the connection): nothing more is looked at.
    Unfollowed,
}

/// A head the listener answers itself, and where it starts in the bytes just
/// fed (those before it go on to hyper; it and what follows do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    pub error: EdgeError,
    pub at: usize,
    /// Heads handed on to hyper before this one; their answers go out first.
    pub after: u64,
}

pub(crate) struct HeadScan {
    state: State,
    /// Complete heads handed on so far.
    heads: u64,
}

impl Default for HeadScan {
    fn default() -> Self {
        Self {
            state: State::Head {
                pending: Vec::new(),
                blank: 0,
            },
            heads: 0,
        }
    }
}

impl HeadScan {
    /// Feeds the bytes just read; says which head (if any) must be refused
    /// and why.
    pub(crate) fn feed(&mut self, data: &[u8], limit: usize) -> Option<Refused> {
        let mut pos = 0;
        while pos < data.len() {
            match &mut self.state {
                State::Unfollowed => return None,
                State::Chunked(body) => match body.feed(&data[pos..]) {
                    Progress::More => return None,
                    Progress::End(n) => {
                        pos += n;
                        self.state = State::Head {
                            pending: Vec::new(),
                            blank: 0,
                        };
                    }
                    // hyper fails the body; the pipeline answers that
                    // (400 `BadRequest`) and the connection ends with it.
                    Progress::Bad => {
                        self.state = State::Unfollowed;
                        return None;
                    }
                },
                State::Body(left) => {
                    let rest = (data.len() - pos) as u64;
                    let take = rest.min(*left);
                    *left -= take;
                    // `take` is at most `rest`, a usize.
                    pos += take as usize;
                    if *left == 0 {
                        self.state = State::Head {
                            pending: Vec::new(),
                            blank: 0,
                        };
                    }
                }
                State::Head { pending, blank } => {
                    let start = pos;
                    // Empty lines before a request line are skipped, as
                    // httparse does; they do not count against the limit.
                    if pending.is_empty() {
                        while pos < data.len() {
                            match (data[pos], data.get(pos + 1)) {
                                (b'\n', _) => pos += 1,
                                (b'\r', Some(b'\n')) => pos += 2,
                                _ => break,
                            }
                        }
                        *blank += pos - start;
                        if *blank > limit {
                            return Some(self.refuse(EdgeError::HeadTooLarge, start));
                        }
                        if pos == data.len() {
                            return None;
                        }
                    }
                    // At most `limit + 1` bytes of head are looked at: past
                    // that it is refused whatever follows.
                    let seg = &data[pos..];
                    let had = pending.len();
                    let room = (limit + 1).saturating_sub(had);
                    let verdict = if had == 0 {
                        check(&seg[..seg.len().min(room)], limit)
                    } else {
                        pending.extend_from_slice(&seg[..seg.len().min(room)]);
                        check(pending, limit)
                    };
                    match verdict {
                        Verdict::Partial => {
                            if had == 0 {
                                pending.extend_from_slice(seg);
                            }
                            return None;
                        }
                        Verdict::Refuse(e) => {
                            // A head begun in an earlier read is partly with
                            // hyper already; none of this read goes on.
                            let at = if had == 0 { pos } else { 0 };
                            return Some(self.refuse(e, at));
                        }
                        Verdict::Complete { len, body } => {
                            pos += len - had;
                            self.heads += 1;
                            self.state = match body {
                                Some(0) => State::Head {
                                    pending: Vec::new(),
                                    blank: 0,
                                },
                                Some(n) => State::Body(n),
                                None => State::Chunked(Chunked::default()),
                            };
                        }
                    }
                }
            }
        }
        None
    }

    fn refuse(&mut self, error: EdgeError, at: usize) -> Refused {
        self.state = State::Unfollowed;
        Refused {
            error,
            at,
            after: self.heads,
        }
    }
}

enum Verdict {
    /// More bytes are needed.
    Partial,
    Refuse(EdgeError),
    /// The head is `len` bytes; its body is that long (`None`: chunked).
    Complete {
        len: usize,
        body: Option<u64>,
    },
}

/// Parses a head as hyper does, looking at no more than `limit + 1` bytes.
fn check(bytes: &[u8], limit: usize) -> Verdict {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(len)) if len <= limit => match framing(&req) {
            Ok(body) => Verdict::Complete { len, body },
            Err(e) => Verdict::Refuse(e),
        },
        Ok(httparse::Status::Partial) if bytes.len() <= limit => Verdict::Partial,
        Ok(_) => Verdict::Refuse(too_large(bytes, limit)),
        Err(httparse::Error::TooManyHeaders) => Verdict::Refuse(EdgeError::HeadTooLarge),
        Err(_) => Verdict::Refuse(EdgeError::Malformed),
    }
}

/// 414 while the request line has not ended within the limit, else 431.
fn too_large(bytes: &[u8], limit: usize) -> EdgeError {
    if bytes.iter().take(limit + 1).any(|&b| b == b'\n') {
        EdgeError::HeadTooLarge
    } else {
        EdgeError::UriTooLong
    }
}

/// What hyper checks after httparse (its `Server::parse`): the method and
/// URI must parse, `Transfer-Encoding` needs HTTP/1.1 and must end in
/// `chunked`, and every `Content-Length` must be the same decimal number
/// (ignored once `Transfer-Encoding` is seen). Gives the body's length,
/// `None` for a chunked one.
fn framing(req: &httparse::Request<'_, '_>) -> Result<Option<u64>, EdgeError> {
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Err(EdgeError::Malformed);
    };
    if path.len() > MAX_URI_LEN {
        return Err(EdgeError::UriTooLong);
    }
    http::Method::from_bytes(method.as_bytes()).map_err(|_| EdgeError::Malformed)?;
    http::Uri::try_from(path).map_err(|_| EdgeError::Malformed)?;
    let mut chunked = None;
    let mut length = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if version != 1 {
                return Err(EdgeError::Malformed);
            }
            chunked = Some(is_chunked(h.value));
            length = None;
        } else if h.name.eq_ignore_ascii_case("content-length") && chunked.is_none() {
            let n = digits(h.value).ok_or(EdgeError::Malformed)?;
            match length {
                Some(prev) if prev != n => return Err(EdgeError::Malformed),
                Some(_) => {}
                None if n > MAX_BODY_LEN => return Err(EdgeError::HeadTooLarge),
                None => length = Some(n),
            }
        }
    }
    match chunked {
        Some(false) => Err(EdgeError::Malformed),
        Some(true) => Ok(None),
        None => Ok(Some(length.unwrap_or(0))),
    }
}

/// `chunked` is the last of the listed encodings (hyper's `is_chunked_`).
fn is_chunked(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|s| {
        s.rsplit(',')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("chunked"))
    })
}

/// A decimal length, digits only (no sign, no spaces), as hyper reads it.
fn digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b - b'0')),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(parts: &[&[u8]], limit: usize) -> Option<(usize, Refused)> {
        let mut s = HeadScan::default();
        parts
            .iter()
            .enumerate()
            .find_map(|(i, p)| s.feed(p, limit).map(|r| (i, r)))
    }

    #[test]
    fn a_head_over_the_limit_is_named_by_where_it_broke() {
        let r = |parts: &[&[u8]], limit| feed_all(parts, limit).map(|(_, r)| r.error);
        assert_eq!(r(&[&[b'a'; 20]], 10), Some(EdgeError::UriTooLong));
        assert_eq!(
            r(&[b"GET / HTTP/1.1\r\nx: aaaaaaaaaaaaaaaa"], 20),
            Some(EdgeError::HeadTooLarge)
        );
        assert_eq!(
            r(&[b"GET / HTTP/1.1\r\nx: aaaaaaa", b"aaaaaaaaaaaaaaa"], 20),
            Some(EdgeError::HeadTooLarge)
        );
        // A complete head within the limit, then its body: no refusal.
        assert_eq!(
            r(
                &[
                    b"\r\nPOST / HTTP/1.1\r\ncontent-length: 100\r\n\r\n",
                    &[b'b'; 100]
                ],
                40
            ),
            None
        );
    }

    #[test]
    fn heads_are_followed_through_bodies_and_across_reads() {
        let good = b"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
        let bad = b"GET / HTTP/1.1\r\nbad header: x\r\n\r\n";
        let mut two = good.to_vec();
        two.extend_from_slice(bad);
        // The second head, behind the first and its body, is refused from
        // where it starts, after one head handed on.
        let (_, r) = feed_all(&[&two], 8192).expect("refused");
        assert_eq!(
            r,
            Refused {
                error: EdgeError::Malformed,
                at: good.len(),
                after: 1
            }
        );
        // Split one byte at a time, the same verdict, in the read that shows it.
        let bytes: Vec<&[u8]> = two.chunks(1).collect();
        let (i, r) = feed_all(&bytes, 8192).expect("refused");
        assert_eq!((r.error, r.after), (EdgeError::Malformed, 1));
        assert!(i >= good.len() && i < two.len(), "{i}");
        // Two good ones in a row: nothing refused.
        let mut ok = good.to_vec();
        ok.extend_from_slice(good);
        assert_eq!(feed_all(&[&ok], 8192), None);
    }

    #[test]
    fn heads_are_followed_through_chunked_bodies() {
        // `Content-Length` is ignored beside chunked, as hyper ignores it.
        let good = b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 2\r\n\r\n\
                     5;x\r\nhello\r\n0\r\nx-t: v\r\n\r\n\r\n";
        let bad = b"GET / HTTP/1.1\r\nbad header: x\r\n\r\n";
        let two = [&good[..], &good[..], &bad[..]].concat();
        let (_, r) = feed_all(&[&two], 8192).expect("refused");
        assert_eq!(
            r,
            Refused {
                error: EdgeError::Malformed,
                at: 2 * good.len(),
                after: 2
            }
        );
        let bytes: Vec<&[u8]> = two.chunks(1).collect();
        let (i, r) = feed_all(&bytes, 8192).expect("refused");
        assert_eq!((r.error, r.after), (EdgeError::Malformed, 2));
        assert!(i >= 2 * good.len(), "{i}");
        // A bad head inside a chunk's data is data.
        let inside = [
            &b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n22\r\n"[..],
            &bad[..],
            &b"\r\n0\r\n\r\n"[..],
        ]
        .concat();
        assert_eq!(feed_all(&[&inside], 8192), None);
        // After a framing hyper fails, nothing more is looked at.
        let broken = [
            &b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"[..],
            &bad[..],
        ]
        .concat();
        assert_eq!(feed_all(&[&broken], 8192), None);
    }

    #[test]
    fn hyper_refusals_after_httparse_are_found() {
        let verdict = |head: &str| match check(head.as_bytes(), 8192) {
            Verdict::Refuse(e) => Some(e),
            Verdict::Complete { .. } => None,
            Verdict::Partial => panic!("partial: {head:?}"),
        };
        let bad = [
            "GET / HTTP/1.1\r\ncontent-length: +5\r\n\r\n",
            "GET / HTTP/1.1\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n",
            "GET / HTTP/1.1\r\ncontent-length: 5, 5\r\n\r\n",
            "GET / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n",
            "GET / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n",
            "GET http://[::1 HTTP/1.1\r\n\r\n",
        ];
        for h in bad {
            assert_eq!(verdict(h), Some(EdgeError::Malformed), "{h:?}");
        }
        let good = [
            "GET / HTTP/1.1\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\n",
            "GET / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\ncontent-length: x\r\n\r\n",
            "GET / HTTP/1.1\nhost: x\n\n",
        ];
        for h in good {
            assert_eq!(verdict(h), None, "{h:?}");
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("h{i}: v\r\n")).collect();
        assert_eq!(
            verdict(&format!("GET / HTTP/1.1\r\n{many}\r\n")),
            Some(EdgeError::HeadTooLarge)
        );
    }
}
