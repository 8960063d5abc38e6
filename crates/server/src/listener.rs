//! Serving a router on a listener with the limits an untrusted network needs:
//! a deadline for each request's headers (a slow-loris client is cut off and
//! an idle keep-alive connection closed), a cap on the request head and a
//! check of its syntax (`head.rs`), both answered in the listener's own error
//! shape, a cap on open connections with idle
//! ones closed early when near it, and graceful shutdown that lets requests
//! in flight end (docs/design/protocol.md#edge-limits). The same limits hold
//! over TLS (docs/tls.md), whose handshake has the header deadline too.

use axum::http::{Request, Response};
use axum::Router;
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::head::{HeadScan, Refused};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Headers must arrive within this long (also the keep-alive idle limit).
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight.
    pub drain: Duration,
}

/// Once this share (numerator, denominator) of `max_connections` is open,
/// connections idle for [`IDLE_UNDER_PRESSURE`] are closed, so that idle
/// clients cannot keep new ones waiting in the backlog for a whole
/// `header_read_timeout`.
const PRESSURE_SHARE: (usize, usize) = (3, 4);
const IDLE_UNDER_PRESSURE: Duration = Duration::from_secs(1);

/// How long a refused connection keeps reading (and discarding) what its
/// client still sends, so that the client reads the answer rather than a
/// reset, before it is closed anyway.
const LINGER: Duration = Duration::from_secs(1);

/// A request the listener answers itself, before any router sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeError {
    /// The request line alone is over `max_header_bytes` (414).
    UriTooLong,
    /// The head is over `max_header_bytes`, or has more headers than hyper
    /// takes (431).
    HeadTooLarge,
    /// The request line or a header is not HTTP/1.1 as hyper reads it (400).
    Malformed,
}

/// Renders an [`EdgeError`] in the listener's documented error shape (with
/// its request id header); the listener adds the framing.
pub type EdgeAnswer = Arc<dyn Fn(EdgeError) -> Response<Vec<u8>> + Send + Sync>;

/// Accepts until `shutdown` turns true, then drains open connections. With
/// `tls`, each connection first completes a TLS handshake, within
/// `header_read_timeout`, while it holds its connection slot; the limits
/// then apply to the decrypted stream as to a plain one.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    edge: EdgeAnswer,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    let pressure = Arc::new(Pressure {
        open: AtomicUsize::new(0),
        high: (max * PRESSURE_SHARE.0 / PRESSURE_SHARE.1).max(1),
        rose: Notify::new(),
    });
    let head_limit = limits.max_header_bytes.max(1024);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // hyper's own cap (answered with an empty body) must lie beyond ours:
        // its buffer may also hold bytes read before a head began. It is
        // also what one connection's read buffer can grow to.
        .max_buf_size((2 * head_limit).max(8192))
        .keep_alive(true);
    let stop = async move {
        let _ = shutdown.wait_for(|v| *v).await;
    };
    tokio::pin!(stop);
    let epoch = Instant::now();
    // Every connection's task, so none outlives `serve`.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut stop => break,
        };
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly
                    // rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        if pressure.open.fetch_add(1, Ordering::AcqRel) + 1 == pressure.high {
            pressure.rose.notify_waiters();
        }
        let conn = Connection {
            builder: builder.clone(),
            state: Arc::new(ConnState::new(epoch)),
            head_limit,
            edge: edge.clone(),
            router: router.clone(),
            // Registered now, so a shutdown during a handshake still waits
            // for (and then closes) the connection it becomes.
            watcher: graceful.watcher(),
        };
        let pressure = pressure.clone();
        let tls = tls.clone();
        let handshake_timeout = limits.header_read_timeout;
        connections.spawn(async move {
            // Errors here are the client's (a reset, a timeout, a failed
            // handshake); nothing to do.
            match tls {
                None => conn.run(stream, &pressure).await,
                Some(acceptor) => {
                    if let Ok(Ok(tls_stream)) =
                        tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await
                    {
                        conn.run(tls_stream, &pressure).await;
                    }
                }
            }
            pressure.open.fetch_sub(1, Ordering::AcqRel);
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
    connections.shutdown().await;
}

/// What one accepted connection is served with, once its stream is ready.
struct Connection {
    builder: http1::Builder,
    state: Arc<ConnState>,
    head_limit: usize,
    edge: EdgeAnswer,
    router: Router,
    watcher: Watcher,
}

impl Connection {
    async fn run<S>(self, stream: S, pressure: &Pressure)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = Guarded {
            inner: stream,
            conn: self.state.clone(),
            limit: self.head_limit,
            head: HeadScan::default(),
            held: None,
            waker: None,
            flushed: 0,
            edge: self.edge,
            refusal: None,
        };
        let service = Tracked {
            router: self.router,
            conn: self.state.clone(),
        };
        let conn = self
            .watcher
            .watch(self.builder.serve_connection(TokioIo::new(io), service));
        run_connection(conn, &self.state, pressure).await;
    }
}

/// How many connections are open, and a wake-up for idle ones when that
/// reaches the high-water mark.
struct Pressure {
    open: AtomicUsize,
    high: usize,
    rose: Notify,
}

impl Pressure {
    fn on(&self) -> bool {
        self.open.load(Ordering::Acquire) >= self.high
    }
}

/// Drives a connection to its end, or drops it (closing the socket) once it
/// has been idle for [`IDLE_UNDER_PRESSURE`] while many connections are open.
async fn run_connection<F: Future>(conn: F, state: &ConnState, pressure: &Pressure) {
    tokio::pin!(conn);
    loop {
        let rose = pressure.rose.notified();
        tokio::pin!(rose);
        // Registered before the check, so a rise in between is not missed.
        rose.as_mut().enable();
        if !pressure.on() {
            tokio::select! {
                _ = &mut conn => return,
                _ = &mut rose => continue,
            }
        }
        let now = Instant::now();
        let deadline = now + IDLE_UNDER_PRESSURE.saturating_sub(state.idle_for(now));
        tokio::select! {
            _ = &mut conn => return,
            _ = tokio::time::sleep_until(deadline) => {
                if pressure.on() && state.idle_for(Instant::now()) >= IDLE_UNDER_PRESSURE {
                    return;
                }
            }
        }
    }
}

/// What the listener knows of one connection: when it last moved bytes,
/// and whether a request is being handled.
struct ConnState {
    epoch: Instant,
    last_activity_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Requests answered so far: their whole answer handed to hyper.
    cycles: AtomicU64,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        let s = Self {
            epoch,
            last_activity_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            cycles: AtomicU64::new(0),
        };
        s.touch();
        s
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self, now: Instant) -> Duration {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let last =
            self.epoch + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed));
        now.saturating_duration_since(last)
    }
}

/// The socket as hyper sees it: reads and writes count as activity, and a
/// head over the limit or one hyper would not parse is answered here
/// ([`EdgeAnswer`]) and the connection ended, instead of hyper's empty
/// 400/414/431.
struct Guarded<S> {
    inner: S,
    conn: Arc<ConnState>,
    limit: usize,
    head: HeadScan,
    /// A refused head held back until the answers to the requests before
    /// it (pipelined in the same reads) are out, and the read waiting on it.
    held: Option<Refused>,
    waker: Option<Waker>,
    /// Requests whose answer hyper had written out at its last flush.
    flushed: u64,
    edge: EdgeAnswer,
    /// The refusal being written, how much of it is out, and when to stop
    /// lingering.
    refusal: Option<Refusal>,
}

struct Refusal {
    bytes: Vec<u8>,
    written: usize,
    linger: Pin<Box<tokio::time::Sleep>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Guarded<S> {
    /// Writes the refusal, closes our side, then reads and discards what the
    /// client still sends (closing with unread data would reset the
    /// connection and lose the answer) until it closes too or hyper's
    /// header deadline ends the connection.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(r) = &mut self.refusal {
            while r.written < r.bytes.len() {
                if r.linger.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(refused()));
                }
                match ready!(Pin::new(&mut self.inner).poll_write(cx, &r.bytes[r.written..])) {
                    Ok(n) if n > 0 => r.written += n,
                    _ => return Poll::Ready(Err(refused())),
                }
            }
            if ready!(Pin::new(&mut self.inner).poll_shutdown(cx)).is_err() {
                return Poll::Ready(Err(refused()));
            }
            let mut sink = [0u8; 4096];
            loop {
                if r.linger.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(refused()));
                }
                let mut buf = ReadBuf::new(&mut sink);
                match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf)) {
                    Ok(()) if !buf.filled().is_empty() => {}
                    _ => return Poll::Ready(Err(refused())),
                }
            }
        }
        Poll::Ready(Err(refused()))
    }
}

fn refused() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "request head refused")
}

/// An edge answer as HTTP/1.1 bytes; the connection closes after it.
fn frame(resp: Response<Vec<u8>>) -> Vec<u8> {
    let (parts, body) = resp.into_parts();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(&body);
    out
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.refusal.is_some() {
                return this.poll_refuse(cx);
            }
            if let Some(held) = this.held {
                // hyper reads ahead while it answers; the refusal must not
                // overtake an answer still to be written.
                if this.flushed < held.after {
                    this.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                this.refusal = Some(Refusal {
                    bytes: frame((this.edge)(held.error)),
                    written: 0,
                    linger: Box::pin(tokio::time::sleep(LINGER)),
                });
                continue;
            }
            let before = buf.filled().len();
            ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
            if buf.filled().len() == before {
                return Poll::Ready(Ok(()));
            }
            this.conn.touch();
            if let Some(r) = this.head.feed(&buf.filled()[before..], this.limit) {
                // hyper gets the requests before the refused head (an empty
                // read would be an end of stream to it).
                buf.set_filled(before + r.at);
                this.held = Some(r);
                if r.at == 0 {
                    continue;
                }
            }
            return Poll::Ready(Ok(()));
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, data))?;
        this.conn.touch();
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        this.conn.touch();
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    /// hyper flushes only once its own buffer is written out, so every
    /// answer it had finished by then is on its way.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let answered = this.conn.cycles.load(Ordering::Acquire);
        ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        this.flushed = answered;
        if this.held.is_some_and(|h| h.after <= answered) {
            if let Some(w) = this.waker.take() {
                w.wake();
            }
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The router, telling [`ConnState`] when a request starts and when its
/// answer has been handed to hyper.
struct Tracked {
    router: Router,
    conn: Arc<ConnState>,
}

/// Marks the request answered when dropped: with the answer's body, which
/// hyper drops once it has taken the last of it, or with the request if the
/// connection goes while the handler runs.
struct Answered(Arc<ConnState>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.touch();
        self.0.cycles.fetch_add(1, Ordering::AcqRel);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

type Answer = Result<Response<axum::body::Body>, std::convert::Infallible>;

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<axum::body::Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        self.conn.in_flight.fetch_add(1, Ordering::AcqRel);
        let answered = Answered(self.conn.clone());
        let router = self.router.clone();
        Box::pin(async move {
            let Ok(resp) = tower::ServiceExt::oneshot(router, req).await;
            Ok(resp.map(|inner| {
                axum::body::Body::new(AnswerBody {
                    inner,
                    _answered: answered,
                })
            }))
        })
    }
}

struct AnswerBody {
    inner: axum::body::Body,
    _answered: Answered,
}

impl HttpBody for AnswerBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
