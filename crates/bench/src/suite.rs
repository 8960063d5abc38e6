//! The whole benchmark run behind `scripts/bench`: every workload and both baselines in
//! one run, so that results can be read as ratios on a noisy machine.

use crate::http::json_request;
use crate::load::{run, Bound, RunSpec, SigVersion, Signer};
use crate::procs::{self, ProviderMode, Server, ADMIN_TOKEN};
use crate::stats::RunReport;
use crate::workloads::{Provider, Workload};
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Knobs of one suite run.
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteOpts {
    /// The physconn binary to benchmark.
    #[arg(long, default_value = "target/release/physconn")]
    pub physconn: PathBuf,
    /// Where data directories and results.json go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// Connections for the headline workloads.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Measured time of each time-bound workload.
    #[arg(long, default_value = "8s")]
    pub duration: Bound,
    /// Warm-up before each time-bound workload.
    #[arg(long, default_value = "2s")]
    pub warmup: Bound,
    /// Alternating runs of the ceiling and physconn describe at `connections` (median kept).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Occupancy orders placed in the durable-order workload.
    #[arg(long, default_value_t = 15000)]
    pub orders: u64,
    /// Connections of the durable-order workload (group commit needs many in flight).
    #[arg(long, default_value_t = 64)]
    pub order_connections: usize,
    /// Circuits in the large account of the scale workload.
    #[arg(long, default_value_t = 100_000)]
    pub scale_circuits: u64,
    /// How moto's server is started (`-H 127.0.0.1 -p PORT` are appended).
    #[arg(long, default_value = "python3 -m moto.server")]
    pub moto: String,
    /// Skip moto (when it is not installed).
    #[arg(long)]
    pub no_moto: bool,
    /// The helper that clones circuits into the scale account's database.
    #[arg(long, default_value = "bench/seed_circuits.py")]
    pub seed_script: PathBuf,
    /// Cold starts of physconn to time (each on a fresh data directory).
    #[arg(long, default_value_t = 5)]
    pub cold_starts: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub mem_gib: f64,
    pub kernel: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    pub physconn_idle_mb: Option<f64>,
    pub physconn_loaded_mb: Option<f64>,
    pub physconn_peak_mb: Option<f64>,
    pub ceiling_idle_mb: Option<f64>,
    pub moto_idle_mb: Option<f64>,
    pub moto_loaded_mb: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ColdStart {
    /// Spawn → first answered signed request, fresh data directory, ms.
    pub physconn_fresh_ms: Vec<f64>,
    /// The same on the main run's data directory, after the scale account was filled.
    pub physconn_existing_ms: Vec<f64>,
    /// Spawn → `listening:` line, fresh data directory, ms.
    pub physconn_ready_line_ms: Vec<f64>,
    pub moto_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Results {
    pub date: String,
    pub machine: Machine,
    pub connections: usize,
    pub duration: String,
    pub warmup: String,
    pub runs: Vec<RunReport>,
    pub cold_start: ColdStart,
    pub memory: Memory,
    /// Seeding rate of the scale workload (creates/s) and its size.
    pub scale_circuits: u64,
    pub wall_seconds: f64,
}

impl Results {
    /// The run of a workload; of repeated runs, the one with the median throughput.
    pub fn find(&self, name: &str, target: &str, conns: usize) -> Option<&RunReport> {
        let mut same: Vec<&RunReport> = self
            .runs
            .iter()
            .filter(|r| r.name == name && r.target == target && r.connections == conns)
            .collect();
        same.sort_by(|a, b| a.ok_per_sec.total_cmp(&b.ok_per_sec));
        same.get(same.len().saturating_sub(1) / 2).copied()
    }
}

pub(crate) fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    let mem_kb: f64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        mem_gib: (mem_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

struct Ctx {
    opts: SuiteOpts,
    results: Results,
}

impl Ctx {
    fn spec(&self, name: &str, target: &str, server: &Server, conns: usize) -> RunSpec {
        RunSpec {
            name: name.into(),
            target: target.into(),
            addr: server.api,
            connections: conns,
            warmup: self.opts.warmup,
            run: self.opts.duration,
            server_pid: Some(server.pid),
            collect_ids: false,
            admin: server.admin.map(|a| (a, ADMIN_TOKEN.to_string())),
            announce: false,
        }
    }

    /// Runs, prints and keeps one workload.
    async fn measure(
        &mut self,
        spec: RunSpec,
        signers: &[Arc<Signer>],
        w: Workload,
    ) -> (RunReport, Vec<Vec<String>>) {
        let (report, ids) = run(&spec, signers, Arc::new(w)).await;
        println!("{}", report.summary());
        self.results.runs.push(report.clone());
        (report, ids)
    }
}

/// Untimed set-up work (seeding): count-bound, not kept in the results. Returns the ids
/// each connection collected.
pub async fn seed(
    server: &Server,
    signers: &[Arc<Signer>],
    w: Workload,
    count: u64,
    conns: usize,
) -> Result<Vec<Vec<String>>> {
    let spec = RunSpec {
        name: "seed".into(),
        target: "physconn".into(),
        addr: server.api,
        connections: conns,
        warmup: Bound::Count(0),
        run: Bound::Count(count),
        server_pid: None,
        collect_ids: true,
        admin: server.admin.map(|a| (a, ADMIN_TOKEN.to_string())),
        announce: false,
    };
    let (report, ids) = run(&spec, signers, Arc::new(w)).await;
    let made: usize = ids.iter().map(Vec::len).sum();
    if (made as u64) < count {
        return Err(anyhow!(
            "seeding made {made} of {count}: {:?}",
            report.errors
        ));
    }
    Ok(ids)
}

/// `n` fresh accounts (each with a large balance), one signer each.
pub(crate) async fn accounts(server: &Server, prefix: &str, n: usize) -> Result<Vec<Arc<Signer>>> {
    let admin = server.admin.ok_or_else(|| anyhow!("no admin listener"))?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{prefix}-{i}");
        let s = procs::new_account(admin, ADMIN_TOKEN, server.api, &name, SigVersion::V3).await?;
        out.push(Arc::new(s));
    }
    Ok(out)
}

/// Keeps a manual clock on wall time, so signed timestamps stay inside its window.
pub(crate) async fn sync_clock(server: &Server) -> Result<()> {
    let Some(admin) = server.admin else {
        return Ok(());
    };
    let now = physconn_wire::format_timestamp(time::OffsetDateTime::now_utc());
    let body = serde_json::json!({ "now": now });
    let r = json_request(
        admin,
        "POST",
        "/admin/clock/set",
        Some(ADMIN_TOKEN),
        Some(&body),
    )
    .await?;
    if r.status != 200 {
        return Err(anyhow!("clock/set: HTTP {}", r.status));
    }
    Ok(())
}

fn fresh_dir(out: &Path, name: &str) -> Result<PathBuf> {
    let dir = out.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub async fn suite(opts: SuiteOpts) -> Result<Results> {
    let wall = std::time::Instant::now();
    std::fs::create_dir_all(&opts.out)?;
    let out = opts.out.canonicalize()?;
    let config = procs::write_config(&out, ProviderMode::Manual)?;
    let bin = opts
        .physconn
        .canonicalize()
        .with_context(|| format!("{} (build it first)", opts.physconn.display()))?;
    let c = opts.connections;
    let mut cx = Ctx {
        results: Results {
            date: crate::report::today(),
            machine: machine(),
            connections: c,
            duration: opts.duration.to_string(),
            warmup: opts.warmup.to_string(),
            scale_circuits: opts.scale_circuits,
            ..Results::default()
        },
        opts: opts.clone(),
    };

    // Cold start on fresh data directories.
    for i in 0..opts.cold_starts {
        let dir = fresh_dir(&out, &format!("cold-{i}"))?;
        let s = procs::start_physconn(&bin, &dir, &config).await?;
        let cs = &mut cx.results.cold_start;
        cs.physconn_fresh_ms.push(ms(s.cold_start));
        cs.physconn_ready_line_ms
            .push(ms(s.ready_line.unwrap_or_default()));
        s.stop().await;
        std::fs::remove_dir_all(&dir)?;
    }
    println!(
        "cold start (fresh): {:?} ms",
        cx.results.cold_start.physconn_fresh_ms
    );

    let data = fresh_dir(&out, "data")?;
    let pc = procs::start_physconn(&bin, &data, &config).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    cx.results.memory.physconn_idle_mb = pc.rss_mb();
    let ceiling = procs::start_ceiling().await?;
    cx.results.memory.ceiling_idle_mb = ceiling.rss_mb();

    // describe: the ceiling, then physconn, same generator and request.
    let v3 = accounts(&pc, "bench-describe", 1).await?;
    let ids: Vec<String> = seed(&pc, &v3, Workload::Create, 100, 8).await?.concat();
    let v1 = vec![Arc::new(Signer {
        version: SigVersion::V1,
        key_id: v3[0].key_id.clone(),
        secret: v3[0].secret.clone(),
        host: v3[0].host.clone(),
    })];
    let ceiling_signer = vec![Arc::new(procs::default_signer(ceiling.api, SigVersion::V3))];
    // vbr-describe reads VBRs of an account of their own: 10 VBRs on each of
    // 10 Enabled lines.
    let vbr_reader = accounts(&pc, "bench-vbr-describe", 1).await?;
    let vbr_ids = seed(&pc, &vbr_reader, Workload::VbrSeed(Provider::Admin), 10, 4)
        .await?
        .concat();
    for conns in [1, c, 64] {
        // The headline pair runs alternately `repeat` times; the median counts.
        // Each round also describes a VBR by id, right after the line, so
        // the two are compared round by round (issue 16 item 8).
        let reps = if conns == c { opts.repeat.max(1) } else { 1 };
        for _ in 0..reps {
            let spec = cx.spec("describe", "ceiling", &ceiling, conns);
            cx.measure(spec, &ceiling_signer, Workload::describe(ids.clone()))
                .await;
            sync_clock(&pc).await?;
            let spec = cx.spec("describe", "physconn", &pc, conns);
            let (r, _) = cx.measure(spec, &v3, Workload::describe(ids.clone())).await;
            if conns == c {
                cx.results.memory.physconn_loaded_mb = r.server_rss_mb;
                let spec = cx.spec("vbr-describe", "physconn", &pc, conns);
                cx.measure(spec, &vbr_reader, Workload::vbr_describe(vbr_ids.clone()))
                    .await;
            }
        }
    }
    let spec = cx.spec("describe-v1", "physconn", &pc, c);
    cx.measure(spec, &v1, Workload::describe(ids.clone())).await;

    // Writes: one account per connection, as independent clients.
    for (name, w) in [
        ("create", Workload::Create),
        ("order", Workload::Order(Provider::Admin)),
        ("mixed", Workload::Mixed(Provider::Admin)),
    ] {
        sync_clock(&pc).await?;
        let signers = accounts(&pc, &format!("bench-{name}"), c).await?;
        let spec = cx.spec(name, "physconn", &pc, c);
        cx.measure(spec, &signers, w).await;
    }

    durable(&mut cx, &pc).await?;
    cx.results.memory.physconn_peak_mb = pc.peak_rss_mb();
    ceiling.stop().await;
    let pc = scale(&mut cx, pc, &bin, &data, &config).await?;
    pc.stop().await;

    zero_delay(&mut cx, &bin, &out).await?;
    if !opts.no_moto {
        moto(&mut cx).await?;
    }
    cx.results.wall_seconds = wall.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&cx.results)?;
    std::fs::write(out.join("results.json"), json)?;
    Ok(cx.results)
}

/// Durable occupancy orders: Confirmed circuits are prepared first (one account per
/// connection), then one order is placed on each; every answer waits for the commit.
async fn durable(cx: &mut Ctx, pc: &Server) -> Result<()> {
    sync_clock(pc).await?;
    let conns = cx.opts.order_connections;
    let orders = cx.opts.orders;
    let signers = accounts(pc, "bench-durable", conns).await?;
    let warm = (orders / 10).max(100);
    let t = std::time::Instant::now();
    let ready = seed(
        pc,
        &signers,
        Workload::Prepare(Provider::Admin),
        orders + warm,
        conns,
    )
    .await?;
    println!(
        "prepared {} Confirmed circuits in {:.1} s",
        orders + warm,
        t.elapsed().as_secs_f64()
    );
    let spec = RunSpec {
        warmup: Bound::Count(warm),
        run: Bound::Count(orders),
        ..cx.spec("durable-orders", "physconn", pc, conns)
    };
    cx.measure(spec, &signers, Workload::place_orders(ready))
        .await;
    Ok(())
}

/// describe by id, a 50-item page (first and last) and create: an account of 10
/// circuits against one of `scale_circuits`. The large account is filled by cloning one
/// API-made circuit in the stopped server's database (bench/seed_circuits.py); the
/// server is restarted on it, which also times a cold start on a large store.
async fn scale(cx: &mut Ctx, pc: Server, bin: &Path, data: &Path, config: &Path) -> Result<Server> {
    let n = cx.opts.scale_circuits;
    sync_clock(&pc).await?;
    let small = accounts(&pc, "bench-scale-small", 1).await?;
    let small_ids = seed(&pc, &small, Workload::Create, 10, 4).await?.concat();
    // A full first page (50 rows) needs 50 circuits: the like-for-like
    // account for the page's cost.
    let fifty = accounts(&pc, "bench-scale-fifty", 1).await?;
    let fifty_ids = seed(&pc, &fifty, Workload::Create, 50, 4).await?.concat();
    let big = accounts(&pc, "bench-scale-big", 1).await?;
    let template = seed(&pc, &big, Workload::Create, 1, 1).await?.concat();
    pc.stop().await;
    let t = std::time::Instant::now();
    let out = tokio::process::Command::new("python3")
        .arg(&cx.opts.seed_script)
        .arg(data.join("physconn.db"))
        .arg(&template[0])
        .arg((n - 1).to_string())
        .output()
        .await?;
    if !out.status.success() {
        return Err(anyhow!(
            "seed_circuits.py: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let sample: Vec<String> = serde_json::from_slice(&out.stdout)?;
    println!("seeded {n} circuits in {:.1} s", t.elapsed().as_secs_f64());
    let mut pc = procs::start_physconn(bin, data, config).await?;
    for _ in 1..cx.opts.cold_starts.min(3) {
        cx.results
            .cold_start
            .physconn_existing_ms
            .push(ms(pc.cold_start));
        pc.stop().await;
        pc = procs::start_physconn(bin, data, config).await?;
    }
    cx.results
        .cold_start
        .physconn_existing_ms
        .push(ms(pc.cold_start));
    let c = cx.opts.connections;
    let small = rehost(&small, &pc);
    let big = rehost(&big, &pc);
    let fifty = rehost(&fifty, &pc);
    for (signers, ids, total) in [
        (&small, small_ids, 10u64),
        (&fifty, fifty_ids, 50),
        (&big, sample, n),
    ] {
        let name = |what: &str| format!("{what}@{total}");
        sync_clock(&pc).await?;
        // The 50-circuit account is there for the full page only.
        let full_set = total != 50;
        if full_set {
            let spec = cx.spec(&name("scale-describe"), "physconn", &pc, c);
            cx.measure(spec, signers, Workload::describe(ids)).await;
        }
        for (what, number) in [
            ("scale-page50", 1),
            ("scale-lastpage50", total.div_ceil(50)),
        ] {
            let spec = cx.spec(&name(what), "physconn", &pc, c);
            let w = Workload::Page {
                size: 50,
                number: number as u32,
            };
            cx.measure(spec, signers, w).await;
        }
        if !full_set {
            continue;
        }
        let spec = RunSpec {
            warmup: Bound::Time(Duration::from_secs(1)),
            run: Bound::Time(Duration::from_secs(4)),
            ..cx.spec(&name("scale-create"), "physconn", &pc, c)
        };
        cx.measure(spec, signers, Workload::Create).await;
    }
    let mem = &mut cx.results.memory;
    if let Some(peak) = pc.peak_rss_mb() {
        mem.physconn_peak_mb = Some(mem.physconn_peak_mb.unwrap_or(0.0).max(peak));
    }
    Ok(pc)
}

/// The same signers aimed at a restarted server.
fn rehost(signers: &[Arc<Signer>], server: &Server) -> Vec<Arc<Signer>> {
    signers
        .iter()
        .map(|s| {
            Arc::new(Signer {
                key_id: s.key_id.clone(),
                secret: s.secret.clone(),
                host: server.api.to_string(),
                version: s.version,
            })
        })
        .collect()
}

/// The order path with the simulator at `provisioning_delay = 0` (polling, no admin).
async fn zero_delay(cx: &mut Ctx, bin: &Path, out: &Path) -> Result<()> {
    let config = procs::write_config(out, ProviderMode::ZeroDelay)?;
    let dir = fresh_dir(out, "data-zero-delay")?;
    let pc = procs::start_physconn(bin, &dir, &config).await?;
    let c = cx.opts.connections;
    let signers = accounts(&pc, "bench-order0", c).await?;
    let spec = RunSpec {
        admin: None,
        ..cx.spec("order-zero-delay", "physconn", &pc, c)
    };
    cx.measure(spec, &signers, Workload::Order(Provider::Poll))
        .await;
    pc.stop().await;
    Ok(())
}

async fn moto(cx: &mut Ctx) -> Result<()> {
    let m = procs::start_moto(&cx.opts.moto).await?;
    cx.results.cold_start.moto_ms = Some(ms(m.cold_start));
    tokio::time::sleep(Duration::from_secs(1)).await;
    cx.results.memory.moto_idle_mb = m.rss_mb();
    let signer = vec![Arc::new(procs::default_signer(m.api, SigVersion::V3))];
    let c = cx.opts.connections;
    let spec = RunSpec {
        collect_ids: true,
        admin: None,
        ..cx.spec("create", "moto", &m, c)
    };
    let w = Workload::MotoCreate {
        counter: Default::default(),
    };
    let (_, ids) = cx.measure(spec, &signer, w).await;
    let ids: Vec<String> = ids.concat().into_iter().take(100).collect();
    if !ids.is_empty() {
        let spec = RunSpec {
            admin: None,
            ..cx.spec("describe", "moto", &m, c)
        };
        let (r, _) = cx
            .measure(spec, &signer, Workload::moto_describe(ids))
            .await;
        cx.results.memory.moto_loaded_mb = r.server_rss_mb;
    }
    m.stop().await;
    Ok(())
}
