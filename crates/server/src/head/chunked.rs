//! Where a chunked body ends, found as hyper's decoder finds it (hyper 1's
//! `proto::h1::decode`, `ChunkedState`): the same states, the same bytes
//! accepted in each, the same bounds on extensions and trailers, and the
//! trailers parsed as it parses them. The scan needs this to find the head
//! that follows the body; a framing hyper would refuse ends the scan, since
//! hyper then fails the body (the pipeline answers 400 `BadRequest`) and
//! reads nothing more from the connection.

/// hyper's bounds: extension bytes over a whole body
/// (`CHUNKED_EXTENSIONS_LIMIT`), trailer bytes (`TRAILER_LIMIT`, the server
/// setting none of its own) and trailer lines (`DEFAULT_MAX_HEADERS`).
const EXTENSIONS_LIMIT: u64 = 16 * 1024;
const TRAILER_LIMIT: usize = 16 * 1024;
const MAX_TRAILERS: usize = super::MAX_HEADERS;

/// The decoder's states, named as hyper names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Start,
    Size,
    SizeLws,
    Extension,
    SizeLf,
    Body,
    BodyCr,
    BodyLf,
    Trailer,
    TrailerLf,
    EndCr,
    EndLf,
}

/// What feeding bytes to a chunked body gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Progress {
    /// Every byte fed belongs to the body; it goes on.
    More,
    /// The body ended after this many of the bytes fed.
    End(usize),
    /// hyper would fail the body here.
    Bad,
}

/// One chunked body being followed.
#[derive(Debug)]
pub(super) struct Chunked {
    step: Step,
    /// The chunk size being read, then the chunk's bytes still to pass.
    size: u64,
    extensions: u64,
    /// The trailer section so far (hyper keeps it to parse at the end).
    trailers: Option<Vec<u8>>,
    trailer_lines: usize,
}

impl Default for Chunked {
    fn default() -> Self {
        Self {
            step: Step::Start,
            size: 0,
            extensions: 0,
            trailers: None,
            trailer_lines: 0,
        }
    }
}

impl Chunked {
    pub(super) fn feed(&mut self, data: &[u8]) -> Progress {
        let mut pos = 0;
        while pos < data.len() {
            if self.step == Step::Body {
                // A chunk's data is passed over whole, not byte by byte.
                let rest = (data.len() - pos) as u64;
                let take = rest.min(self.size);
                self.size -= take;
                // `take` is at most `rest`, a usize.
                pos += take as usize;
                if self.size == 0 {
                    self.step = Step::BodyCr;
                }
                continue;
            }
            let b = data[pos];
            pos += 1;
            match self.byte(b) {
                Some(true) => return Progress::End(pos),
                Some(false) => {}
                None => return Progress::Bad,
            }
        }
        Progress::More
    }

    /// Takes one byte outside a chunk's data: `None` where hyper fails,
    /// `Some(true)` when the body has ended with it.
    fn byte(&mut self, b: u8) -> Option<bool> {
        self.step = match (self.step, b) {
            (Step::Start, _) => {
                self.size = self.digit(b)?;
                Step::Size
            }
            (Step::Size, b'\t' | b' ') | (Step::SizeLws, b'\t' | b' ') => Step::SizeLws,
            (Step::Size | Step::SizeLws, b';') => Step::Extension,
            (Step::Size | Step::SizeLws, b'\r') => Step::SizeLf,
            (Step::Size, _) => {
                self.size = self.digit(b)?;
                Step::Size
            }
            (Step::SizeLws, _) => return None,
            (Step::Extension, b'\r') => Step::SizeLf,
            (Step::Extension, b'\n') => return None,
            (Step::Extension, _) => {
                self.extensions += 1;
                if self.extensions >= EXTENSIONS_LIMIT {
                    return None;
                }
                Step::Extension
            }
            (Step::SizeLf, b'\n') if self.size == 0 => Step::EndCr,
            (Step::SizeLf, b'\n') => Step::Body,
            (Step::BodyCr, b'\r') => Step::BodyLf,
            (Step::BodyLf, b'\n') => Step::Start,
            (Step::Trailer, _) => {
                self.keep(b)?;
                if b == b'\r' {
                    Step::TrailerLf
                } else {
                    Step::Trailer
                }
            }
            (Step::TrailerLf, b'\n') => {
                if self.trailer_lines >= MAX_TRAILERS {
                    return None;
                }
                self.trailer_lines += 1;
                self.keep(b)?;
                Step::EndCr
            }
            (Step::EndCr, b'\r') => {
                if self.trailers.is_some() {
                    self.keep(b)?;
                }
                Step::EndLf
            }
            (Step::EndCr, _) => {
                // The first trailer byte starts the section unbounded, as in
                // hyper; every later one is counted.
                match &mut self.trailers {
                    None => self.trailers = Some(vec![b]),
                    Some(_) => self.keep(b)?,
                }
                Step::Trailer
            }
            (Step::EndLf, b'\n') => {
                if self.trailers.is_some() {
                    self.keep(b)?;
                }
                return self.trailers_parse().then_some(true);
            }
            // A CR or LF missing where the framing needs one.
            (Step::SizeLf | Step::BodyCr | Step::BodyLf | Step::TrailerLf | Step::EndLf, _) => {
                return None
            }
            (Step::Body, _) => unreachable!("chunk data is passed over in `feed`"),
        };
        Some(false)
    }

    /// The size so far with one more hex digit; `None` for a non-digit or
    /// an overflow.
    fn digit(&self, b: u8) -> Option<u64> {
        let d = char::from(b).to_digit(16)?;
        self.size.checked_mul(16)?.checked_add(u64::from(d))
    }

    /// Keeps a trailer byte; `None` once the section reaches hyper's bound.
    fn keep(&mut self, b: u8) -> Option<()> {
        let t = self.trailers.as_mut()?;
        t.push(b);
        (t.len() < TRAILER_LIMIT).then_some(())
    }

    /// Whether hyper would take the trailers (its `decode_trailers`): as
    /// many header lines as it counted, each name and value valid for
    /// `http`. No trailers is fine.
    fn trailers_parse(&self) -> bool {
        let Some(t) = &self.trailers else {
            return true;
        };
        let mut headers = vec![httparse::EMPTY_HEADER; self.trailer_lines];
        match httparse::parse_headers(t, &mut headers) {
            Ok(httparse::Status::Complete((_, parsed))) => parsed.iter().all(|h| {
                http::HeaderName::try_from(h.name).is_ok()
                    && http::HeaderValue::from_bytes(h.value).is_ok()
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &[u8]) -> Progress {
        Chunked::default().feed(body)
    }

    #[test]
    fn a_body_ends_where_hyper_ends_it() {
        let cases: [&[u8]; 6] = [
            b"5\r\nhello\r\n0\r\n\r\n",
            b"5 \t;a=b;c\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n",
            b"0;x\r\n\r\n",
            b"0\r\nx-a: 1\r\nx-b:2\r\n\r\n",
            b"000\r\n\r\n",
            b"ffffffffffffffff\r\n",
        ];
        for c in &cases[..5] {
            let mut more = c.to_vec();
            more.extend_from_slice(b"GET / HTTP/1.1\r\n");
            assert_eq!(run(&more), Progress::End(c.len()), "{:?}", c);
            // Byte by byte, the same end.
            let mut k = Chunked::default();
            let ends: Vec<_> = c.iter().map(|b| k.feed(&[*b])).collect();
            assert_eq!(ends.last(), Some(&Progress::End(1)), "{:?}", c);
            assert!(ends[..c.len() - 1].iter().all(|p| *p == Progress::More));
        }
        assert_eq!(run(cases[5]), Progress::More, "the largest chunk size");
    }

    #[test]
    fn framing_hyper_refuses_is_bad() {
        let bad: [&[u8]; 12] = [
            b"zz\r\n",
            b"\r\n",
            b"10000000000000000\r\n",
            b"5\nhello",
            b"5 5\r\n",
            b"5;a\nb\r\n",
            b"5\r\nhelloX\r\n",
            b"5\r\nhello\rX",
            b"0\r\nbad name: x\r\n\r\n",
            b"0\r\nnocolon\r\n\r\n",
            b"0\r\nx: a\nb: c\r\n\r\n",
            b"0\r\n\rX",
        ];
        for b in bad {
            assert_eq!(run(b), Progress::Bad, "{:?}", String::from_utf8_lossy(b));
        }
        let many: String = (0..=MAX_TRAILERS).map(|i| format!("t{i}: v\r\n")).collect();
        assert_eq!(run(format!("0\r\n{many}\r\n").as_bytes()), Progress::Bad);
        let long = format!("0\r\nx: {}\r\n\r\n", "v".repeat(TRAILER_LIMIT));
        assert_eq!(run(long.as_bytes()), Progress::Bad);
        let ext = format!("1;{}\r\n", "e".repeat(EXTENSIONS_LIMIT as usize));
        assert_eq!(run(ext.as_bytes()), Progress::Bad);
    }
}
