//! The load engine: N connections, each running a workload's iterations back to back,
//! a warm-up, then a measured phase bounded by time or by a count of iterations.

use crate::http::{encode_request, Conn, Response};
use crate::stats::{proc_cpu, self_cpu, ConnStats, RunReport};
use anyhow::{anyhow, Result};
use physconn_wire::{format_timestamp, sign_v1, sign_v3, ClientCredentials};
use rand::Rng;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const VPC_VERSION: &str = "2016-04-28";

/// A bound on a phase: a time or a number of iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Time(Duration),
    Count(u64),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Time(d) => write!(f, "{} s", d.as_secs_f64()),
            Bound::Count(n) => write!(f, "{n} iterations"),
        }
    }
}

impl std::str::FromStr for Bound {
    type Err = anyhow::Error;
    /// `10s`, `500ms` or a plain count (`20000`).
    fn from_str(s: &str) -> Result<Bound> {
        if let Some(ms) = s.strip_suffix("ms") {
            Ok(Bound::Time(Duration::from_millis(ms.parse()?)))
        } else if let Some(secs) = s.strip_suffix('s') {
            Ok(Bound::Time(Duration::from_secs_f64(secs.parse()?)))
        } else {
            Ok(Bound::Count(s.parse()?))
        }
    }
}

/// Signature version of generated requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum SigVersion {
    V1,
    V3,
}

/// Signs Alibaba RPC requests for one access key with a fresh nonce and timestamp each.
pub struct Signer {
    pub key_id: String,
    pub secret: String,
    pub host: String,
    pub version: SigVersion,
}

impl Signer {
    /// The complete HTTP/1.1 request bytes of one signed call.
    pub fn request(&self, action: &str, params: &[(String, String)]) -> Vec<u8> {
        let creds = ClientCredentials {
            access_key_id: &self.key_id,
            access_key_secret: &self.secret,
            security_token: None,
        };
        let nonce = format!("{:032x}", rand::rng().random::<u128>());
        let now = format_timestamp(time::OffsetDateTime::now_utc());
        let req = match self.version {
            SigVersion::V3 => sign_v3(
                &creds,
                &self.host,
                action,
                VPC_VERSION,
                params,
                false,
                &now,
                &nonce,
            ),
            SigVersion::V1 => sign_v1(
                &creds,
                &self.host,
                action,
                VPC_VERSION,
                params,
                false,
                &now,
                &nonce,
            ),
        };
        let target = if req.query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.query)
        };
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        encode_request(&target, &headers, &req.body)
    }
}

/// Phases and stop condition shared by all connections of one run.
pub struct Control {
    announce: bool,
    start: Instant,
    warmup: Bound,
    run: Bound,
    issued: AtomicU64,
    measured_issued: AtomicU64,
    measure_start: OnceLock<(Instant, std::time::Duration, Option<Duration>)>,
    stop: AtomicBool,
    server_pid: Option<u32>,
}

impl Control {
    pub fn new(warmup: Bound, run: Bound, server_pid: Option<u32>, announce: bool) -> Control {
        Control {
            announce,
            start: Instant::now(),
            warmup,
            run,
            issued: AtomicU64::new(0),
            measured_issued: AtomicU64::new(0),
            measure_start: OnceLock::new(),
            stop: AtomicBool::new(false),
            server_pid,
        }
    }

    /// The next iteration: `Some(true)` measured, `Some(false)` warm-up, `None` stop.
    fn next(&self) -> Option<bool> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        let now = Instant::now();
        let warm = match self.warmup {
            Bound::Count(w) => self.issued.fetch_add(1, Ordering::Relaxed) < w,
            Bound::Time(d) => now < self.start + d,
        };
        if warm {
            return Some(false);
        }
        let (ms, _, _) = *self.measure_start.get_or_init(|| {
            if self.announce {
                eprintln!("measuring");
            }
            let server = self.server_pid.and_then(|p| proc_cpu(&p.to_string()));
            (Instant::now(), self_cpu(), server)
        });
        let go = match self.run {
            Bound::Count(n) => self.measured_issued.fetch_add(1, Ordering::Relaxed) < n,
            Bound::Time(d) => now < ms + d,
        };
        if !go {
            self.stop.store(true, Ordering::Relaxed);
        }
        go.then_some(true)
    }

    /// Whether a request that ended at `end` falls inside the measured window.
    fn in_window(&self, end: Instant) -> bool {
        match (self.run, self.measure_start.get()) {
            (Bound::Time(d), Some((ms, _, _))) => end <= *ms + d,
            _ => true,
        }
    }
}

/// One connection's view: sends requests, times the measured ones.
pub struct Client {
    /// Which connection of the run this is (0-based).
    pub index: usize,
    pub conn: Conn,
    pub signer: Arc<Signer>,
    /// A keep-alive connection to physconn's admin listener, and its token.
    admin: Option<(Conn, Arc<str>)>,
    pub stats: ConnStats,
    ctl: Arc<Control>,
    measured: bool,
    last_end: Option<Instant>,
    /// Ids collected by workloads that create circuits (when asked to).
    pub created: Vec<String>,
}

impl Client {
    /// Sends raw request bytes, recording latency (and error code when not 2xx) as `action`.
    pub async fn send_raw(&mut self, action: &'static str, request: &[u8]) -> Result<Response> {
        self.send_via(false, action, request).await
    }

    async fn send_via(
        &mut self,
        admin: bool,
        action: &'static str,
        request: &[u8],
    ) -> Result<Response> {
        let conn = match (&mut self.admin, admin) {
            (Some((c, _)), true) => c,
            (None, true) => return Err(anyhow!("this workload needs the admin API")),
            _ => &mut self.conn,
        };
        let t0 = Instant::now();
        let result = conn.send(request).await;
        let end = Instant::now();
        let record = self.measured && self.ctl.in_window(end);
        if record {
            self.last_end = Some(end);
        }
        match result {
            Ok(resp) => {
                if record {
                    self.stats.record(action, (end - t0).as_nanos() as u64);
                    if !(200..300).contains(&resp.status) {
                        self.stats.error(resp.error_code());
                    }
                }
                Ok(resp)
            }
            Err(e) => {
                if record {
                    self.stats.error(format!("io: {}", e.root_cause()));
                }
                Err(e)
            }
        }
    }

    /// Signs and sends one RPC call.
    pub async fn call(
        &mut self,
        action: &'static str,
        params: &[(String, String)],
    ) -> Result<Response> {
        let req = self.signer.request(action, params);
        self.send_raw(action, &req).await
    }

    /// `POST` a JSON body to the admin API (recorded as `action`); non-2xx is an error.
    pub async fn admin_post(
        &mut self,
        action: &'static str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Response> {
        let (conn, token) = self
            .admin
            .as_ref()
            .ok_or_else(|| anyhow!("this workload needs the admin API"))?;
        let host = conn.addr().to_string();
        let auth = format!("Bearer {token}");
        let body = body.to_string();
        let req = encode_request(
            path,
            &[
                ("host", &host),
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            body.as_bytes(),
        );
        let resp = self.send_via(true, action, &req).await?;
        if !(200..300).contains(&resp.status) {
            return Err(anyhow!(
                "{action}: HTTP {} {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            ));
        }
        Ok(resp)
    }

    /// Like [`Client::call`] but a non-2xx answer is an error.
    pub async fn call_ok(
        &mut self,
        action: &'static str,
        params: &[(String, String)],
    ) -> Result<Response> {
        let resp = self.call(action, params).await?;
        if !(200..300).contains(&resp.status) {
            return Err(anyhow!("{action}: {}", resp.error_code()));
        }
        Ok(resp)
    }
}

/// What a run needs besides the workload.
#[derive(Clone)]
pub struct RunSpec {
    pub name: String,
    pub target: String,
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Bound,
    pub run: Bound,
    pub server_pid: Option<u32>,
    pub collect_ids: bool,
    /// physconn's admin listener and token, for workloads that drive the provider.
    pub admin: Option<(SocketAddr, String)>,
    /// Print `measuring` on stderr when the measured phase starts (for profilers).
    pub announce: bool,
}

/// A workload: one iteration is one request or one multi-request flow.
pub trait Iterate: Send + Sync + 'static {
    fn iteration<'a>(
        &'a self,
        c: &'a mut Client,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;
}

/// Runs `workload` over `spec.connections` connections and reports the measured phase.
/// Connection `i` signs with `signers[i % len]` (one account per connection, or one for
/// all). Returns the ids each connection's iterations collected too (when `collect_ids`).
pub async fn run<W: Iterate>(
    spec: &RunSpec,
    signers: &[Arc<Signer>],
    workload: Arc<W>,
) -> (RunReport, Vec<Vec<String>>) {
    assert!(!signers.is_empty(), "no signer");
    let admin_token: Option<Arc<str>> = spec.admin.as_ref().map(|(_, t)| t.as_str().into());
    let ctl = Arc::new(Control::new(
        spec.warmup,
        spec.run,
        spec.server_pid,
        spec.announce,
    ));
    let mut tasks = Vec::new();
    for index in 0..spec.connections {
        let signer = signers[index % signers.len()].clone();
        let (ctl, workload) = (ctl.clone(), workload.clone());
        let addr = spec.addr;
        let admin = spec
            .admin
            .as_ref()
            .zip(admin_token.clone())
            .map(|((a, _), t)| (Conn::new(*a), t));
        tasks.push(tokio::spawn(async move {
            let mut c = Client {
                index,
                admin,
                conn: Conn::new(addr),
                signer,
                stats: ConnStats::default(),
                ctl: ctl.clone(),
                measured: false,
                last_end: None,
                created: Vec::new(),
            };
            let mut consecutive = 0u32;
            while let Some(measured) = ctl.next() {
                c.measured = measured;
                match workload.iteration(&mut c).await {
                    Ok(()) => {
                        consecutive = 0;
                        if measured && ctl.in_window(Instant::now()) {
                            c.stats.iterations += 1;
                        }
                    }
                    Err(_) => {
                        consecutive += 1;
                        if consecutive > 1000 {
                            // Nothing works (server gone?): stop this connection.
                            break;
                        }
                        if consecutive > 10 {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            }
            c
        }));
    }
    let mut all = ConnStats::default();
    let mut connects = 0;
    let mut last_end: Option<Instant> = None;
    let mut ids = Vec::new();
    for t in tasks {
        let Ok(c) = t.await else { continue };
        connects += c.conn.connects;
        last_end = last_end.max(c.last_end);
        all.merge(c.stats);
        if spec.collect_ids {
            ids.push(c.created);
        }
    }
    let (elapsed, client_cpu, server_cpu) = match ctl.measure_start.get() {
        Some((ms, cpu0, server0)) => {
            let elapsed = match spec.run {
                Bound::Time(d) => d,
                Bound::Count(_) => last_end.map(|e| e - *ms).unwrap_or_default(),
            };
            let server = spec
                .server_pid
                .and_then(|p| proc_cpu(&p.to_string()))
                .zip(*server0)
                .map(|(b, a)| b.saturating_sub(a));
            (elapsed, self_cpu().saturating_sub(*cpu0), server)
        }
        None => (Duration::ZERO, Duration::ZERO, None),
    };
    let mut report = RunReport::build(
        &spec.name,
        &spec.target,
        spec.connections,
        elapsed,
        all,
        connects,
    );
    let answered = (report.requests_per_sec * report.measured_seconds).max(1.0);
    report.client_cpu_us_per_req = client_cpu.as_secs_f64() * 1e6 / answered;
    report.server_cpu_us_per_req = server_cpu.map(|c| c.as_secs_f64() * 1e6 / answered);
    report.server_rss_mb = spec
        .server_pid
        .and_then(|p| crate::stats::proc_mem_mb(p, "VmRSS:"));
    (report, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse() {
        assert_eq!(
            "10s".parse::<Bound>().unwrap(),
            Bound::Time(Duration::from_secs(10))
        );
        assert_eq!(
            "1.5s".parse::<Bound>().unwrap(),
            Bound::Time(Duration::from_millis(1500))
        );
        assert_eq!(
            "500ms".parse::<Bound>().unwrap(),
            Bound::Time(Duration::from_millis(500))
        );
        assert_eq!("2000".parse::<Bound>().unwrap(), Bound::Count(2000));
        assert!("x".parse::<Bound>().is_err());
    }

    #[test]
    fn count_bounds_split_warm_up_and_measurement() {
        let ctl = Control::new(Bound::Count(2), Bound::Count(3), None, false);
        let seen: Vec<Option<bool>> = (0..7).map(|_| ctl.next()).collect();
        assert_eq!(
            seen,
            [
                Some(false),
                Some(false),
                Some(true),
                Some(true),
                Some(true),
                None,
                None
            ]
        );
    }

    #[test]
    fn signed_requests_verify_with_fresh_nonces() {
        let signer = Signer {
            key_id: "LTAI5tBenchKey000000000".into(),
            secret: "BenchSecret0000000000000000000".into(),
            host: "127.0.0.1:8080".into(),
            version: SigVersion::V3,
        };
        let params = crate::workloads::describe_params("pc-bp1abc");
        let a = signer.request("DescribePhysicalConnections", &params);
        let b = signer.request("DescribePhysicalConnections", &params);
        assert_ne!(a, b, "nonce must differ");
        let text = String::from_utf8(a).unwrap();
        assert!(text.starts_with("POST /?"));
        assert!(text.contains("x-acs-signature-nonce: "));
        assert!(text.contains("Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tBenchKey"));
    }
}
