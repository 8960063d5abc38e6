//! A minimal HTTP/1.1 client over one keep-alive TCP connection: the generator's cost per
//! request is one `write` and usually one `read`. Reconnects when the server closes
//! (`Connection: close`, as moto's Werkzeug server does after every answer).

use anyhow::{anyhow, bail, Context, Result};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer: status and body (headers are parsed and dropped).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// The error `Code` of an Alibaba error body (`"Code":"..."`), or moto's `__type`,
    /// found by scanning, without parsing the JSON.
    pub fn error_code(&self) -> String {
        for key in ["\"Code\":\"", "\"__type\": \"", "\"__type\":\""] {
            if let Some(code) = find_value(&self.body, key) {
                return code;
            }
        }
        format!("HTTP{}", self.status)
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("response is not JSON")
    }
}

fn find_value(body: &[u8], key: &str) -> Option<String> {
    let key = key.as_bytes();
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    let end = body[at..].iter().position(|&b| b == b'"')? + at;
    Some(String::from_utf8_lossy(&body[at..end]).into_owned())
}

/// A keep-alive connection to one address.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// Bytes of `buf` already filled.
    filled: usize,
    /// TCP connections opened so far (1 for a well-behaved keep-alive server).
    pub connects: u64,
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            buf: vec![0; 16 * 1024],
            filled: 0,
            connects: 0,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn stream(&mut self) -> Result<&mut TcpStream> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connect {}", self.addr))?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.filled = 0;
            self.connects += 1;
        }
        Ok(self.stream.as_mut().expect("just set"))
    }

    /// Sends one complete request (head and body) and reads its answer. A request on a
    /// kept-alive connection that the server had already closed is retried once on a new one.
    pub async fn send(&mut self, request: &[u8]) -> Result<Response> {
        let reused = self.stream.is_some();
        match self.exchange(request).await {
            Ok(r) => Ok(r),
            Err(e) if reused && is_stale(&e) => {
                self.stream = None;
                self.exchange(request).await
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Response> {
        self.stream().await?.write_all(request).await?;
        let (status, framing, close, head_len) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf[..self.filled])? {
                httparse::Status::Complete(n) => {
                    let status = resp.code.unwrap_or(0);
                    let (framing, close) = framing(resp.headers, resp.version == Some(0))?;
                    break (status, framing, close, n);
                }
                httparse::Status::Partial => self.fill().await?,
            }
        };
        let body = match framing {
            Framing::Length(n) => {
                while self.filled < head_len + n {
                    self.fill().await?;
                }
                let body = self.buf[head_len..head_len + n].to_vec();
                self.consume(head_len + n);
                body
            }
            Framing::Chunked => self.read_chunked(head_len).await?,
            Framing::UntilClose => {
                while self.fill().await.is_ok() {}
                let body = self.buf[head_len..self.filled].to_vec();
                self.filled = 0;
                self.stream = None;
                body
            }
        };
        if close {
            self.stream = None;
            self.filled = 0;
        }
        Ok(Response { status, body })
    }

    async fn read_chunked(&mut self, head_len: usize) -> Result<Vec<u8>> {
        self.consume(head_len);
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(p) = self.buf[..self.filled]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                {
                    break p;
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[..line_end])?;
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).context("chunk size")?;
            let need = line_end + 2 + size + 2;
            while self.filled < need {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
            self.consume(need);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    async fn fill(&mut self) -> Result<()> {
        if self.filled == self.buf.len() {
            let len = self.buf.len() * 2;
            self.buf.resize(len, 0);
        }
        let filled = self.filled;
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| anyhow!("not connected"))?;
        let n = stream.read(&mut self.buf[filled..]).await?;
        if n == 0 {
            bail!(Closed);
        }
        self.filled += n;
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}

/// The server closed the connection before answering.
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by server")
    }
}

impl std::error::Error for Closed {}

fn is_stale(e: &anyhow::Error) -> bool {
    e.downcast_ref::<Closed>().is_some()
        || e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        })
}

fn framing(headers: &[httparse::Header], http10: bool) -> Result<(Framing, bool)> {
    let mut framing = Framing::UntilClose;
    let mut close = http10;
    for h in headers {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)?.trim().parse()?;
            framing = Framing::Length(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if h.value.eq_ignore_ascii_case(b"chunked") {
                framing = Framing::Chunked;
            }
        } else if h.name.eq_ignore_ascii_case("connection") {
            close = h.value.eq_ignore_ascii_case(b"close");
        }
    }
    Ok((framing, close))
}

/// Serialises a request: `POST {target} HTTP/1.1`, the headers as given, then
/// `content-length` and the body.
pub fn encode_request(target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + target.len() + body.len() + headers.len() * 48);
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// A one-off JSON request (admin API, setup): its own connection.
pub async fn json_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<Response> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let host = addr.to_string();
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    let mut req = encode_request(path, &headers, body.as_bytes());
    if method != "POST" {
        req.splice(0..4, method.bytes());
    }
    Conn::new(addr).send(&req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn error_codes_are_found_without_parsing() {
        let r = |body: &str| Response {
            status: 400,
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            r(r#"{"RequestId":"x","Code":"Throttling.User","Message":"m"}"#).error_code(),
            "Throttling.User"
        );
        assert_eq!(
            r(r#"{"__type": "ConnectionNotFound"}"#).error_code(),
            "ConnectionNotFound"
        );
        assert_eq!(r("<html>").error_code(), "HTTP400");
    }

    #[tokio::test]
    async fn keeps_the_connection_alive() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, crate::ceiling::router()).await });
        let mut c = Conn::new(addr);
        let req = encode_request("/?a=1", &[("host", "x")], b"");
        for _ in 0..3 {
            let r = c.send(&req).await.unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.body, crate::ceiling::BODY.as_bytes());
        }
        assert_eq!(c.connects, 1);
    }

    /// A server that answers chunked and closes after every answer, as Werkzeug does.
    #[tokio::test]
    async fn reconnects_after_close_and_reads_chunked_bodies() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
                              Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        let mut c = Conn::new(addr);
        let req = encode_request("/", &[("host", "x")], b"{}");
        for _ in 0..2 {
            let r = c.send(&req).await.unwrap();
            assert_eq!(r.body, b"abcde");
        }
        assert_eq!(c.connects, 2);
    }
}
