//! The whole benchmark run behind `scripts/bench`: every workload and both baselines in
//! one run, so that results can be read as ratios on a noisy machine.

use crate::load::{run, Bound, RunSpec, SigVersion, Signer};
use crate::procs::{self, Server, ADMIN_TOKEN};
use crate::stats::RunReport;
use crate::workloads::Workload;
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
    #[arg(long, default_value = "6s")]
    pub duration: Bound,
    /// Warm-up before each time-bound workload.
    #[arg(long, default_value = "2s")]
    pub warmup: Bound,
    /// Occupancy orders placed in the durable-order workload.
    #[arg(long, default_value_t = 30000)]
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
    /// The same on an existing data directory (the main run's, with its circuits).
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
    pub fn find(&self, name: &str, target: &str, conns: usize) -> Option<&RunReport> {
        self.runs
            .iter()
            .find(|r| r.name == name && r.target == target && r.connections == conns)
    }
}

fn machine() -> Machine {
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
        }
    }

    /// Runs, prints and keeps one workload.
    async fn measure(
        &mut self,
        spec: RunSpec,
        signer: &Arc<Signer>,
        w: Workload,
    ) -> (RunReport, Vec<String>) {
        let (report, ids) = run(&spec, signer.clone(), Arc::new(w)).await;
        println!("{}", report.summary());
        self.results.runs.push(report.clone());
        (report, ids)
    }
}

/// Untimed set-up work (seeding): count-bound, not kept in the results.
pub async fn seed(
    server: &Server,
    signer: &Arc<Signer>,
    w: Workload,
    count: u64,
    conns: usize,
) -> Result<Vec<String>> {
    let spec = RunSpec {
        name: "seed".into(),
        target: "physconn".into(),
        addr: server.api,
        connections: conns,
        warmup: Bound::Count(0),
        run: Bound::Count(count),
        server_pid: None,
        collect_ids: true,
    };
    let (report, ids) = run(&spec, signer.clone(), Arc::new(w)).await;
    if (ids.len() as u64) < count {
        return Err(anyhow!(
            "seeding made {} of {count}: {:?}",
            ids.len(),
            report.errors
        ));
    }
    Ok(ids)
}

async fn account(server: &Server, name: &str, v: SigVersion) -> Result<Arc<Signer>> {
    let admin = server.admin.ok_or_else(|| anyhow!("no admin listener"))?;
    Ok(Arc::new(
        procs::new_account(admin, ADMIN_TOKEN, server.api, name, v).await?,
    ))
}

fn fresh_dir(out: &Path, name: &str) -> Result<PathBuf> {
    let dir = out.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub async fn suite(opts: SuiteOpts) -> Result<Results> {
    let wall = std::time::Instant::now();
    std::fs::create_dir_all(&opts.out)?;
    let out = opts.out.canonicalize()?;
    let config = procs::write_config(&out)?;
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
            duration: format!("{:?}", opts.duration),
            warmup: format!("{:?}", opts.warmup),
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
        cs.physconn_fresh_ms.push(s.cold_start.as_secs_f64() * 1e3);
        cs.physconn_ready_line_ms
            .push(s.ready_line.unwrap_or_default().as_secs_f64() * 1e3);
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
    let v3 = account(&pc, "bench-describe", SigVersion::V3).await?;
    let ids = seed(&pc, &v3, Workload::Create, 100, 8).await?;
    let v1 = Arc::new(Signer {
        version: SigVersion::V1,
        key_id: v3.key_id.clone(),
        secret: v3.secret.clone(),
        host: v3.host.clone(),
    });
    let ceiling_signer = Arc::new(procs::default_signer(ceiling.api, SigVersion::V3));
    for conns in [1, c, 64] {
        let spec = cx.spec("describe", "ceiling", &ceiling, conns);
        cx.measure(spec, &ceiling_signer, Workload::describe(ids.clone()))
            .await;
        let spec = cx.spec("describe", "physconn", &pc, conns);
        let (r, _) = cx.measure(spec, &v3, Workload::describe(ids.clone())).await;
        if conns == c {
            cx.results.memory.physconn_loaded_mb = r.server_rss_mb;
        }
    }
    let spec = cx.spec("describe-v1", "physconn", &pc, c);
    cx.measure(spec, &v1, Workload::describe(ids.clone())).await;

    let signer = account(&pc, "bench-create", SigVersion::V3).await?;
    let spec = cx.spec("create", "physconn", &pc, c);
    cx.measure(spec, &signer, Workload::Create).await;

    let signer = account(&pc, "bench-order", SigVersion::V3).await?;
    let spec = cx.spec("order", "physconn", &pc, c);
    cx.measure(spec, &signer, Workload::Order).await;

    let signer = account(&pc, "bench-mixed", SigVersion::V3).await?;
    let spec = cx.spec("mixed", "physconn", &pc, c);
    cx.measure(spec, &signer, Workload::Mixed).await;

    // Durable occupancy orders: prepare Confirmed circuits, then place one order on each.
    let signer = account(&pc, "bench-durable", SigVersion::V3).await?;
    let warm = (opts.orders / 10).max(100);
    let t = std::time::Instant::now();
    let ready = seed(&pc, &signer, Workload::Prepare, opts.orders + warm, 32).await?;
    println!(
        "prepared {} Confirmed circuits in {:.1} s",
        ready.len(),
        t.elapsed().as_secs_f64()
    );
    let spec = RunSpec {
        warmup: Bound::Count(warm),
        run: Bound::Count(opts.orders),
        ..cx.spec("durable-orders", "physconn", &pc, opts.order_connections)
    };
    cx.measure(spec, &signer, Workload::place_orders(ready))
        .await;

    scale(&mut cx, &pc).await?;

    cx.results.memory.physconn_peak_mb = pc.peak_rss_mb();
    pc.stop().await;
    ceiling.stop().await;

    // Cold start on the now well-filled data directory.
    for _ in 0..opts.cold_starts.min(3) {
        let s = procs::start_physconn(&bin, &data, &config).await?;
        cx.results
            .cold_start
            .physconn_existing_ms
            .push(s.cold_start.as_secs_f64() * 1e3);
        s.stop().await;
    }

    if !opts.no_moto {
        moto(&mut cx).await?;
    }
    cx.results.wall_seconds = wall.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&cx.results)?;
    std::fs::write(out.join("results.json"), json)?;
    Ok(cx.results)
}

/// describe by id and a 50-item page: an account of 10 circuits against one of many.
async fn scale(cx: &mut Ctx, pc: &Server) -> Result<()> {
    let n = cx.opts.scale_circuits;
    let small = account(pc, "bench-scale-10", SigVersion::V3).await?;
    let small_ids = seed(pc, &small, Workload::Create, 10, 4).await?;
    let big = account(pc, "bench-scale-big", SigVersion::V3).await?;
    let t = std::time::Instant::now();
    let big_ids = seed(pc, &big, Workload::Create, n, 32).await?;
    println!(
        "seeded {n} circuits in {:.1} s ({:.0}/s)",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );
    let c = cx.opts.connections;
    let sample: Vec<String> = big_ids
        .iter()
        .step_by((n as usize / 1000).max(1))
        .cloned()
        .collect();
    for (label, signer, ids, total) in [("10", &small, small_ids, 10u64), ("big", &big, sample, n)]
    {
        let name = |what: &str| {
            format!(
                "{what}@{}",
                if label == "10" {
                    "10".into()
                } else {
                    total.to_string()
                }
            )
        };
        let spec = cx.spec(&name("scale-describe"), "physconn", pc, c);
        cx.measure(spec, signer, Workload::describe(ids)).await;
        let spec = cx.spec(&name("scale-page50"), "physconn", pc, c);
        cx.measure(
            spec,
            signer,
            Workload::Page {
                size: 50,
                number: 1,
            },
        )
        .await;
        let last = total.div_ceil(50).max(1) as u32;
        let spec = cx.spec(&name("scale-lastpage50"), "physconn", pc, c);
        cx.measure(
            spec,
            signer,
            Workload::Page {
                size: 50,
                number: last,
            },
        )
        .await;
    }
    Ok(())
}

async fn moto(cx: &mut Ctx) -> Result<()> {
    let m = procs::start_moto(&cx.opts.moto).await?;
    cx.results.cold_start.moto_ms = Some(m.cold_start.as_secs_f64() * 1e3);
    tokio::time::sleep(Duration::from_secs(1)).await;
    cx.results.memory.moto_idle_mb = m.rss_mb();
    let signer = Arc::new(procs::default_signer(m.api, SigVersion::V3));
    let c = cx.opts.connections;
    let spec = RunSpec {
        collect_ids: true,
        ..cx.spec("create", "moto", &m, c)
    };
    let (_, ids) = cx
        .measure(
            spec,
            &signer,
            Workload::MotoCreate {
                counter: Default::default(),
            },
        )
        .await;
    let ids: Vec<String> = ids.into_iter().take(100).collect();
    if !ids.is_empty() {
        let spec = cx.spec("describe", "moto", &m, c);
        let (r, _) = cx
            .measure(spec, &signer, Workload::moto_describe(ids))
            .await;
        cx.results.memory.moto_loaded_mb = r.server_rss_mb;
    }
    m.stop().await;
    Ok(())
}
