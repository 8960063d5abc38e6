//! `physconn-bench`: load generator, baselines and the benchmark suite of physconn.

mod ceiling;
mod http;
mod load;
mod procs;
mod report;
mod stats;
mod stores;
mod stores_report;
mod suite;
mod workloads;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};
use load::{run, Bound, RunSpec, SigVersion, Signer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use workloads::{Provider, Workload};

#[derive(Parser)]
#[command(
    version,
    about = "Benchmarks physconn against a bare-axum ceiling and moto"
)]
struct Cli {
    /// Worker threads of the load generator (the ceiling uses one per core).
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve a fixed JSON body with bare axum (the ceiling baseline).
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
    /// Run one workload against a running server.
    Run(RunArgs),
    /// Run every workload and baseline; write results.json and the BENCHMARKS.md tables.
    Suite {
        #[command(flatten)]
        opts: suite::SuiteOpts,
        /// The document whose results section is rewritten.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// The workloads against the embedded store and PostgreSQL (one, two and three
    /// servers on one database) in one command; writes stores.json and, with
    /// --markdown, the side-by-side tables of BENCHMARKS.md.
    Stores {
        #[command(flatten)]
        opts: stores::StoresOpts,
        /// The document whose side-by-side section is rewritten.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Re-render the BENCHMARKS.md tables from a results.json (or, with --stores, the
    /// side-by-side tables from a stores.json).
    Report {
        #[arg(long, default_value = "target/bench/results.json")]
        results: PathBuf,
        /// A stores.json to render instead of results.json.
        #[arg(long)]
        stores: Option<PathBuf>,
        #[arg(long, default_value = "BENCHMARKS.md")]
        markdown: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WorkloadName {
    /// DescribePhysicalConnections of one circuit by id (100 circuits are created first).
    Describe,
    /// CreatePhysicalConnection.
    Create,
    /// The full path to an Enabled circuit (needs provisioning_delay 0).
    Order,
    /// A Terraform-like resource life.
    Mixed,
    /// Occupancy orders on circuits confirmed beforehand (needs counts for --run and
    /// --warmup).
    PlaceOrders,
    /// One page of DescribePhysicalConnections (--page-size, --page-number).
    Page,
    /// DescribeVirtualBorderRouters of one VBR by id (100 VBRs on 10 Enabled lines are
    /// created first).
    VbrDescribe,
    /// moto: CreateConnection.
    MotoCreate,
    /// moto: DescribeConnections by id (100 connections are created first).
    MotoDescribe,
}

#[derive(clap::Args)]
struct RunArgs {
    #[arg(long, value_enum)]
    workload: WorkloadName,
    /// The API address (physconn, the ceiling or moto).
    #[arg(long)]
    addr: SocketAddr,
    /// physconn's admin address: with it, the run uses fresh accounts of its own and
    /// flows move circuits through the admin API (else they poll, for zero delays).
    #[arg(long)]
    admin: Option<SocketAddr>,
    /// Fresh accounts to spread the connections over (with --admin).
    #[arg(long, default_value_t = 1)]
    accounts: usize,
    #[arg(long, env = "PHYSCONN_ADMIN_TOKEN", default_value = procs::ADMIN_TOKEN)]
    admin_token: String,
    #[arg(long, env = "PHYSCONN_ACCESS_KEY_ID", default_value = procs::KEY_ID)]
    key_id: String,
    #[arg(long, env = "PHYSCONN_ACCESS_KEY_SECRET", default_value = procs::KEY_SECRET)]
    key_secret: String,
    /// Signature version.
    #[arg(long, value_enum, default_value = "v3")]
    sign: SigVersion,
    #[arg(short = 'c', long, default_value_t = 16)]
    connections: usize,
    /// Measured phase: a time (`10s`, `500ms`) or a count of iterations (`20000`).
    #[arg(long, default_value = "10s")]
    run: Bound,
    /// Warm-up: a time or a count of iterations.
    #[arg(long, default_value = "2s")]
    warmup: Bound,
    /// The server's pid, for its CPU time per request and RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, default_value_t = 50)]
    page_size: u32,
    #[arg(long, default_value_t = 1)]
    page_number: u32,
    /// Print `measuring` on stderr when the measured phase starts.
    #[arg(long)]
    announce: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

async fn run_one(a: RunArgs) -> Result<()> {
    let physconn = !matches!(
        a.workload,
        WorkloadName::MotoCreate | WorkloadName::MotoDescribe
    );
    let mut signers = vec![Arc::new(Signer {
        key_id: a.key_id.clone(),
        secret: a.key_secret.clone(),
        host: a.addr.to_string(),
        version: a.sign,
    })];
    if let (Some(admin), true) = (a.admin, physconn) {
        let tag = rand::random::<u32>();
        signers.clear();
        for i in 0..a.accounts.max(1) {
            let name = format!("bench-{tag:08x}-{i}");
            let s = procs::new_account(admin, &a.admin_token, a.addr, &name, a.sign).await?;
            signers.push(Arc::new(s));
        }
    }
    let provider = if a.admin.is_some() {
        Provider::Admin
    } else {
        Provider::Poll
    };
    let spec = RunSpec {
        name: WorkloadName::to_possible_value(&a.workload)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default(),
        target: if physconn { "physconn" } else { "moto" }.into(),
        addr: a.addr,
        connections: a.connections,
        warmup: a.warmup,
        run: a.run,
        server_pid: a.server_pid,
        collect_ids: false,
        admin: a.admin.map(|ad| (ad, a.admin_token.clone())),
        announce: a.announce,
    };
    let seed = |w: Workload, n: u64| {
        let seed_spec = RunSpec {
            name: "seed".into(),
            warmup: Bound::Count(0),
            run: Bound::Count(n),
            server_pid: None,
            collect_ids: true,
            announce: false,
            ..spec.clone()
        };
        let signers = signers.clone();
        async move { run(&seed_spec, &signers, Arc::new(w)).await.1 }
    };
    let moto_create = || Workload::MotoCreate {
        counter: Default::default(),
    };
    if matches!(
        a.workload,
        WorkloadName::Describe | WorkloadName::VbrDescribe
    ) && signers.len() > 1
    {
        bail!("describe reads the objects of one account: use --accounts 1");
    }
    let workload = match a.workload {
        WorkloadName::Describe => Workload::describe(seed(Workload::Create, 100).await.concat()),
        WorkloadName::Create => Workload::Create,
        WorkloadName::Order => Workload::Order(provider),
        WorkloadName::Mixed => Workload::Mixed(provider),
        WorkloadName::Page => Workload::Page {
            size: a.page_size,
            number: a.page_number,
        },
        WorkloadName::PlaceOrders => {
            let (Bound::Count(n), Bound::Count(w)) = (a.run, a.warmup) else {
                bail!("place-orders needs counts: --run N --warmup M");
            };
            Workload::place_orders(seed(Workload::Prepare(provider), n + w).await)
        }
        WorkloadName::VbrDescribe => {
            Workload::vbr_describe(seed(Workload::VbrSeed(provider), 10).await.concat())
        }
        WorkloadName::MotoCreate => moto_create(),
        WorkloadName::MotoDescribe => {
            Workload::moto_describe(seed(moto_create(), 100).await.concat())
        }
    };
    if let Workload::Describe { ids, .. }
    | Workload::VbrDescribe { ids, .. }
    | Workload::MotoDescribe { ids, .. } = &workload
    {
        if ids.is_empty() {
            bail!("could not create the objects to describe");
        }
    }
    let (report, _) = run(&spec, &signers, Arc::new(workload)).await;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Cmd::Ceiling { listen } = &cli.command {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(ceiling::serve(listen));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async {
        match cli.command {
            Cmd::Ceiling { .. } => unreachable!("handled above"),
            Cmd::Run(a) => run_one(a).await,
            Cmd::Suite { opts, markdown } => {
                let results = suite::suite(opts).await?;
                if let Some(path) = markdown {
                    report::rewrite(&path, &results)?;
                    println!("rewrote {}", path.display());
                }
                Ok(())
            }
            Cmd::Stores { opts, markdown } => {
                let results = stores::stores(opts).await?;
                if let Some(path) = markdown {
                    stores_report::rewrite(&path, &results)?;
                    println!("rewrote {}", path.display());
                }
                Ok(())
            }
            Cmd::Report {
                stores: Some(path),
                markdown,
                ..
            } => {
                let r: stores::StoresResults = serde_json::from_slice(&std::fs::read(path)?)?;
                stores_report::rewrite(&markdown, &r)
            }
            Cmd::Report {
                results, markdown, ..
            } => {
                let r: suite::Results = serde_json::from_slice(&std::fs::read(results)?)?;
                report::rewrite(&markdown, &r)
            }
        }
    })
}
