//! Starting the servers under test (physconn, the ceiling, moto), timing their cold start,
//! and stopping them again (each by its own child handle).

use crate::http::{json_request, Conn};
use crate::load::{SigVersion, Signer};
use crate::workloads::{moto_request, pairs, REGION};
use anyhow::{anyhow, bail, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const KEY_ID: &str = "LTAI5tBenchKey000000000";
pub const KEY_SECRET: &str = "BenchSecret0000000000000000000";
pub const ADMIN_TOKEN: &str = "bench-admin-token";

/// A running server started by this process.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub api: SocketAddr,
    pub admin: Option<SocketAddr>,
    /// Spawn → first answered request.
    pub cold_start: Duration,
    /// Spawn → "listening" line (physconn, ceiling).
    pub ready_line: Option<Duration>,
}

impl Server {
    /// SIGTERM (physconn checkpoints its WAL and exits), SIGKILL after 10 s.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }

    pub fn rss_mb(&self) -> Option<f64> {
        crate::stats::proc_mem_mb(self.pid, "VmRSS:")
    }

    pub fn peak_rss_mb(&self) -> Option<f64> {
        crate::stats::proc_mem_mb(self.pid, "VmHWM:")
    }
}

/// How the simulated provider runs during a benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderMode {
    /// `--clock manual` and manual provisioning: only the admin API moves circuits.
    Manual,
    /// System clock, `provisioning_delay = 0`: every provider step at once.
    ZeroDelay,
}

/// The TOML physconn runs with during benchmarks: no pending-circuit quota, no
/// throttle, and room for the nonces of the whole suite: under the manual clock no
/// timestamp leaves the window, so every request's nonce is kept, and the default
/// cap of a million fills (answering 503) within a suite run on a fast machine.
pub fn write_config(dir: &Path, mode: ProviderMode) -> Result<PathBuf> {
    let common = "max_pending_circuits = 10000000\n\
                  throttle_per_key_rps = 10000000\n\
                  throttle_burst = 10000000\n\
                  throttle_per_action_rps = 10000000\n\
                  nonce_cache_entries = 20000000\n\
                  default_balance = \"1000000000.00\"\n";
    let (name, provider) = match mode {
        ProviderMode::Manual => ("manual", "clock = \"manual\"\nprovisioning = \"Manual\"\n"),
        ProviderMode::ZeroDelay => ("zero-delay", "provisioning_delay = 0\n"),
    };
    let path = dir.join(format!("physconn-bench-{name}.toml"));
    std::fs::write(&path, format!("{common}{provider}"))?;
    Ok(path)
}

fn parse_url(line: &str, key: &str) -> Option<SocketAddr> {
    let start = line.find(key)? + key.len();
    let rest = &line[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest[..end].trim_end_matches('/').parse().ok()
}

/// Spawns a process that prints `listening: api=http://… [admin=http://…]`, waits for
/// that line, and keeps draining its stdout.
async fn spawn_listening(mut cmd: Command) -> Result<(Child, SocketAddr, Option<SocketAddr>)> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().context("spawn")?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("listening:") {
                let api = parse_url(&line, "api=http://").ok_or_else(|| anyhow!("{line}"))?;
                return Ok((api, parse_url(&line, "admin=http://")));
            }
        }
        bail!("exited before listening")
    })
    .await
    .context("no listening line within 30 s")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, found.0, found.1))
}

/// Starts `physconn serve` on free ports with the benchmark config and times the first
/// answered (signed) DescribePhysicalConnections.
pub async fn start_physconn(bin: &Path, data_dir: &Path, config: &Path) -> Result<Server> {
    start_physconn_with(bin, data_dir, config, &[]).await
}

/// [`start_physconn`] with more `serve` flags (e.g. `--database-url …`).
pub async fn start_physconn_with(
    bin: &Path,
    data_dir: &Path,
    config: &Path,
    extra: &[String],
) -> Result<Server> {
    let mut cmd = Command::new(bin);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ])
    .arg("--data-dir")
    .arg(data_dir)
    .arg("--config")
    .arg(config)
    .args(extra)
    .env("PHYSCONN_ACCESS_KEY_ID", KEY_ID)
    .env("PHYSCONN_ACCESS_KEY_SECRET", KEY_SECRET)
    .env("PHYSCONN_ADMIN_TOKEN", ADMIN_TOKEN)
    .env("PHYSCONN_LOG", "error");
    let t0 = Instant::now();
    let (child, api, admin) = spawn_listening(cmd).await?;
    let ready_line = t0.elapsed();
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    let signer = default_signer(api, SigVersion::V3);
    let req = signer.request(
        "DescribePhysicalConnections",
        &pairs(&[("RegionId", REGION)]),
    );
    let resp = Conn::new(api).send(&req).await?;
    let cold_start = t0.elapsed();
    if resp.status != 200 {
        bail!("first request answered {}", resp.error_code());
    }
    Ok(Server {
        child,
        pid,
        api,
        admin,
        cold_start,
        ready_line: Some(ready_line),
    })
}

/// Starts this binary's `ceiling` subcommand.
pub async fn start_ceiling() -> Result<Server> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["ceiling", "--listen", "127.0.0.1:0"]);
    let t0 = Instant::now();
    let (child, api, _) = spawn_listening(cmd).await?;
    let ready_line = t0.elapsed();
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    Conn::new(api)
        .send(&default_signer(api, SigVersion::V3).request("X", &[]))
        .await?;
    Ok(Server {
        child,
        pid,
        api,
        admin: None,
        cold_start: t0.elapsed(),
        ready_line: Some(ready_line),
    })
}

/// Starts moto's server (`python3 -m moto.server` by default) on a free port and times
/// the first answered DescribeConnections.
pub async fn start_moto(command: &str) -> Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let api: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut words = command.split_whitespace();
    let mut cmd = Command::new(words.next().ok_or_else(|| anyhow!("empty moto command"))?);
    cmd.args(words)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let t0 = Instant::now();
    let child = cmd.spawn().context("spawn moto")?;
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    let req = moto_request(&api.to_string(), "DescribeConnections", "{}");
    loop {
        if let Ok(r) = Conn::new(api).send(&req).await {
            if r.status == 200 {
                break;
            }
            bail!("moto answered HTTP {}", r.status);
        }
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("moto did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(Server {
        child,
        pid,
        api,
        admin: None,
        cold_start: t0.elapsed(),
        ready_line: None,
    })
}

pub fn default_signer(api: SocketAddr, version: SigVersion) -> Signer {
    Signer {
        key_id: KEY_ID.into(),
        secret: KEY_SECRET.into(),
        host: api.to_string(),
        version,
    }
}

/// Creates an account through the admin API and returns a signer for its key.
pub async fn new_account(
    admin: SocketAddr,
    token: &str,
    api: SocketAddr,
    name: &str,
    version: SigVersion,
) -> Result<Signer> {
    let body = serde_json::json!({ "name": name, "balance": "1000000000.00" });
    let r = json_request(admin, "POST", "/admin/accounts", Some(token), Some(&body)).await?;
    if !(200..300).contains(&r.status) {
        bail!(
            "POST /admin/accounts: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let v = r.json()?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("admin answer lacks {k}"))
    };
    Ok(Signer {
        key_id: field("AccessKeyId")?,
        secret: field("AccessKeySecret")?,
        host: api.to_string(),
        version,
    })
}
