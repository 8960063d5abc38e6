//! `physconn-bench stores`: the same workloads against the embedded store and against
//! PostgreSQL in one command (one server each, then two and three servers on one
//! PostgreSQL schema), so that PostgreSQL's figures read as ratios against the embedded
//! baseline measured minutes apart on the same machine.

use crate::load::{run, Bound, RunSpec, Signer};
use crate::procs::{self, ProviderMode, Server, ADMIN_TOKEN};
use crate::stats::RunReport;
use crate::suite::{accounts, seed, sync_clock, Machine};
use crate::workloads::{Provider, Workload};
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::Arc;

/// Knobs of one `stores` run.
#[derive(Debug, Clone, clap::Args)]
pub struct StoresOpts {
    /// The physconn binary to benchmark.
    #[arg(long, default_value = "target/release/physconn")]
    pub physconn: PathBuf,
    /// Where data directories and stores.json go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// The PostgreSQL database; each server group gets a fresh schema in it, dropped
    /// when the group is done (also when the run fails or is interrupted).
    #[arg(
        long,
        env = "PHYSCONN_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub database_url: String,
    /// Connections of every workload but the durable orders.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Measured time of each time-bound workload.
    #[arg(long, default_value = "5s")]
    pub duration: Bound,
    /// Warm-up before each time-bound workload.
    #[arg(long, default_value = "1s")]
    pub warmup: Bound,
    /// Occupancy orders placed in the durable-order workload.
    #[arg(long, default_value_t = 3000)]
    pub orders: u64,
    /// Connections of the durable-order workload.
    #[arg(long, default_value_t = 64)]
    pub order_connections: usize,
    /// Server counts on one PostgreSQL schema besides one (e.g. `2,3`).
    #[arg(long, value_delimiter = ',', default_value = "2,3")]
    pub servers: Vec<usize>,
    /// How many times the whole sequence (embedded, PostgreSQL, N servers) runs, one
    /// round after the other, so that every ratio can be read in each round.
    #[arg(long, default_value_t = 2)]
    pub rounds: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoresResults {
    pub date: String,
    pub machine: Machine,
    pub connections: usize,
    pub duration: String,
    pub warmup: String,
    pub rounds: Vec<Round>,
    pub wall_seconds: f64,
}

/// One pass over every server group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Round {
    /// `/proc/loadavg` when the round started and when it ended.
    pub load_before: String,
    pub load_after: String,
    /// `target` is `embedded`, `postgres` or `postgres×N` (N servers on one schema).
    pub runs: Vec<RunReport>,
}

impl Round {
    pub fn find(&self, name: &str, target: &str) -> Option<&RunReport> {
        self.runs
            .iter()
            .find(|r| r.name == name && r.target == target)
    }
}

/// The workloads measured on every store, in the order of the tables.
pub const WORKLOADS: &[&str] = &[
    "describe",
    "create-1-account",
    "create-16-accounts",
    "mixed",
    "durable-orders",
];

/// Where a group of servers keeps its state.
enum Backing {
    Embedded(PathBuf),
    Postgres(String),
}

impl Backing {
    fn flags(&self) -> Vec<String> {
        match self {
            Backing::Embedded(_) => Vec::new(),
            Backing::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }
}

/// The PostgreSQL schemas of this run (`bench_s<N>_<random>`): the servers create each
/// when they start; [`Schemas::drop_all`] drops them again.
struct Schemas {
    url: String,
    made: Vec<String>,
}

impl Schemas {
    /// A fresh schema's name, remembered, and `url` with `search_path` set to it.
    fn fresh(&mut self, tag: &str) -> String {
        let schema = format!("bench_{tag}_{:08x}", rand::random::<u32>());
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}options=-c%20search_path%3D{schema}", self.url);
        self.made.push(schema);
        url
    }

    /// Drops every schema made so far (with everything in it).
    async fn drop_all(&mut self) -> Result<()> {
        if self.made.is_empty() {
            return Ok(());
        }
        let mut db = sqlx::PgConnection::connect(&self.url)
            .await
            .with_context(|| format!("connect to {} to drop the bench schemas", self.url))?;
        while let Some(schema) = self.made.pop() {
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&mut db)
                .await
                .with_context(|| format!("drop schema {schema}"))?;
        }
        let _ = db.close().await;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted (SIGINT)",
        _ = term => "interrupted (SIGTERM)",
    }
}

pub async fn stores(opts: StoresOpts) -> Result<StoresResults> {
    let mut schemas = Schemas {
        url: opts.database_url.clone(),
        made: Vec::new(),
    };
    // Fail before any server starts if the database cannot be reached.
    sqlx::PgConnection::connect(&opts.database_url)
        .await
        .with_context(|| format!("connect to {}", opts.database_url))?
        .close()
        .await?;
    let outcome = tokio::select! {
        r = measure(&opts, &mut schemas) => r,
        why = interrupted() => Err(anyhow!(why)),
    };
    // The servers of an interrupted group were killed with their handles; their
    // sessions end with them, so the schemas can go.
    let dropped = schemas.drop_all().await;
    let results = outcome?;
    dropped?;
    Ok(results)
}

async fn measure(opts: &StoresOpts, schemas: &mut Schemas) -> Result<StoresResults> {
    let wall = std::time::Instant::now();
    std::fs::create_dir_all(&opts.out)?;
    let out = opts.out.canonicalize()?;
    let config = procs::write_config(&out, ProviderMode::Manual)?;
    let bin = opts
        .physconn
        .canonicalize()
        .with_context(|| format!("{} (build it first)", opts.physconn.display()))?;
    let mut results = StoresResults {
        date: crate::report::today(),
        machine: crate::suite::machine(),
        connections: opts.connections,
        duration: opts.duration.to_string(),
        warmup: opts.warmup.to_string(),
        ..StoresResults::default()
    };
    for round in 1..=opts.rounds.max(1) {
        println!("round {round} of {}", opts.rounds.max(1));
        let mut r = Round {
            load_before: loadavg(),
            ..Round::default()
        };
        let data = out.join("stores-embedded");
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        std::fs::create_dir_all(&data)?;
        let groups = std::iter::once((1, None)).chain(
            std::iter::once(1)
                .chain(opts.servers.iter().copied())
                .map(|n| (n, Some(format!("s{n}")))),
        );
        for (n, tag) in groups {
            let (backing, target) = match (tag, n) {
                (None, _) => (Backing::Embedded(data.clone()), "embedded".to_string()),
                (Some(tag), n) => (
                    Backing::Postgres(schemas.fresh(&tag)),
                    if n == 1 {
                        "postgres".to_string()
                    } else {
                        format!("postgres×{n}")
                    },
                ),
            };
            let dir = match &backing {
                Backing::Embedded(d) => d.clone(),
                Backing::Postgres(_) => out.clone(),
            };
            let mut servers = Vec::new();
            let mut started = Ok(());
            for _ in 0..n.max(1) {
                match procs::start_physconn_with(&bin, &dir, &config, &backing.flags()).await {
                    Ok(s) => servers.push(s),
                    Err(e) => {
                        started = Err(e);
                        break;
                    }
                }
            }
            let runs = match started {
                Ok(()) => group(opts, &servers, &target).await,
                Err(e) => Err(e),
            };
            for s in servers {
                s.stop().await;
            }
            schemas.drop_all().await?;
            r.runs.extend(runs?);
        }
        r.load_after = loadavg();
        results.rounds.push(r);
    }
    results.wall_seconds = wall.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&results)?;
    std::fs::write(out.join("stores.json"), json)?;
    Ok(results)
}

/// The first three fields of `/proc/loadavg` (1, 5 and 15 minutes).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Every workload against one group of servers sharing one store.
async fn group(opts: &StoresOpts, servers: &[Server], target: &str) -> Result<Vec<RunReport>> {
    let c = opts.connections;
    let first = &servers[0];
    for s in servers {
        sync_clock(s).await?;
    }
    let mut runs = Vec::new();
    let one = accounts(first, &format!("{target}-describe"), 1).await?;
    let ids = seed(first, &one, Workload::Create, 100, 8).await?.concat();
    runs.push(
        spread(opts, servers, "describe", target, c, &one, || {
            Workload::describe(ids.clone())
        })
        .await,
    );
    let one = accounts(first, &format!("{target}-create1"), 1).await?;
    runs.push(
        spread(opts, servers, "create-1-account", target, c, &one, || {
            Workload::Create
        })
        .await,
    );
    let many = accounts(first, &format!("{target}-create16"), c).await?;
    runs.push(
        spread(
            opts,
            servers,
            "create-16-accounts",
            target,
            c,
            &many,
            || Workload::Create,
        )
        .await,
    );
    let many = accounts(first, &format!("{target}-mixed"), c).await?;
    runs.push(
        spread(opts, servers, "mixed", target, c, &many, || {
            Workload::Mixed(Provider::Admin)
        })
        .await,
    );
    runs.push(durable(opts, servers, target).await?);
    Ok(runs)
}

/// One workload over every server of the group at once, the connections dealt out in
/// turn (connection `i` to server `i % n`, signing as `signers[i % len]`), reported as
/// one run: throughputs add up, each latency percentile is the worst server's, the CPU
/// per request is the servers' CPU over all their answers.
async fn spread<F>(
    opts: &StoresOpts,
    servers: &[Server],
    name: &str,
    target: &str,
    conns: usize,
    signers: &[Arc<Signer>],
    workload: F,
) -> RunReport
where
    F: Fn() -> Workload,
{
    spread_bounded(
        servers,
        name,
        target,
        conns,
        signers,
        opts.warmup,
        opts.duration,
        |_| workload(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn spread_bounded<F>(
    servers: &[Server],
    name: &str,
    target: &str,
    conns: usize,
    signers: &[Arc<Signer>],
    warmup: Bound,
    measured: Bound,
    workload: F,
) -> RunReport
where
    F: Fn(usize) -> Workload,
{
    let n = servers.len();
    let share = |b: Bound, i: usize| match b {
        Bound::Count(k) => Bound::Count(k / n as u64 + u64::from((i as u64) < k % n as u64)),
        t => t,
    };
    let mut tasks = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let mine: Vec<Arc<Signer>> = (0..conns)
            .filter(|k| k % n == i)
            .map(|k| rehost(&signers[k % signers.len()], s))
            .collect();
        let spec = RunSpec {
            name: name.into(),
            target: target.into(),
            addr: s.api,
            connections: mine.len(),
            warmup: share(warmup, i),
            run: share(measured, i),
            server_pid: Some(s.pid),
            collect_ids: false,
            admin: s.admin.map(|a| (a, ADMIN_TOKEN.to_string())),
            announce: false,
        };
        let w = Arc::new(workload(i));
        tasks.push(tokio::spawn(async move { run(&spec, &mine, w).await.0 }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            parts.push(r);
        }
    }
    let r = combine(name, target, parts);
    println!("{}", r.summary());
    r
}

/// Several servers' reports of one workload as one.
fn combine(name: &str, target: &str, parts: Vec<RunReport>) -> RunReport {
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    let mut r = RunReport {
        name: name.into(),
        target: target.into(),
        ..RunReport::default()
    };
    let mut cpu = 0.0;
    let mut answered = 0.0;
    for p in &parts {
        r.connections += p.connections;
        r.measured_seconds = r.measured_seconds.max(p.measured_seconds);
        r.requests_per_sec += p.requests_per_sec;
        r.ok_per_sec += p.ok_per_sec;
        r.iterations_per_sec += p.iterations_per_sec;
        r.latency.count += p.latency.count;
        r.latency.p50_ms = r.latency.p50_ms.max(p.latency.p50_ms);
        r.latency.p99_ms = r.latency.p99_ms.max(p.latency.p99_ms);
        r.latency.p999_ms = r.latency.p999_ms.max(p.latency.p999_ms);
        r.latency.max_ms = r.latency.max_ms.max(p.latency.max_ms);
        for (code, k) in &p.errors {
            *r.errors.entry(code.clone()).or_insert(0) += k;
        }
        r.error_total += p.error_total;
        r.tcp_connects += p.tcp_connects;
        let a = p.requests_per_sec * p.measured_seconds;
        answered += a;
        cpu += p.server_cpu_us_per_req.unwrap_or(0.0) * a;
        r.client_cpu_us_per_req += p.client_cpu_us_per_req * a;
    }
    if answered > 0.0 {
        r.server_cpu_us_per_req = Some(cpu / answered);
        r.client_cpu_us_per_req /= answered;
    }
    r
}

/// Durable occupancy orders: Confirmed circuits prepared first (one account per
/// connection, through the first server), then one order on each, spread over the group.
async fn durable(opts: &StoresOpts, servers: &[Server], target: &str) -> Result<RunReport> {
    let conns = opts.order_connections;
    let signers = accounts(&servers[0], &format!("{target}-durable"), conns).await?;
    let warm = (opts.orders / 10).max(100);
    let ready = seed(
        &servers[0],
        &signers,
        Workload::Prepare(Provider::Admin),
        opts.orders + warm,
        conns,
    )
    .await?;
    let n = servers.len();
    // Server i gets the connections k with k % n == i, each with its own queue.
    let queues = |i: usize| -> Vec<Vec<String>> {
        ready
            .iter()
            .enumerate()
            .filter(|(k, _)| k % n == i)
            .map(|(_, q)| q.clone())
            .collect()
    };
    Ok(spread_bounded(
        servers,
        "durable-orders",
        target,
        conns,
        &signers,
        Bound::Count(warm),
        Bound::Count(opts.orders),
        |i| Workload::place_orders(queues(i)),
    )
    .await)
}

fn rehost(s: &Signer, server: &Server) -> Arc<Signer> {
    Arc::new(Signer {
        key_id: s.key_id.clone(),
        secret: s.secret.clone(),
        host: server.api.to_string(),
        version: s.version,
    })
}
