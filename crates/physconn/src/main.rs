//! The `physconn` binary: `serve`, `migrate`, `export`/`import`, the
//! admin subcommands, and `completions` / `config-reference` for packaging
//! and the docs.

mod admin_cli;
mod admin_client;

use admin_cli::{
    AccountCmd, BgpCmd, CircuitCmd, ClockCmd, FaultCmd, KeyCmd, OrderCmd, ProvisioningCmd, VbrCmd,
};
use admin_client::AdminTarget;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};
use physconn_domain::{ApiProfile, ResponseStyle};
use physconn_server::{ClockMode, Config, StartOptions};
use std::io::Write;
use std::path::PathBuf;

/// The process's allocator. glibc's malloc was the largest item of the
/// server's profile under load, partly waiting on its arena locks between the tokio workers
/// and the store threads (BENCHMARKS.md, finding 1). The binary owns it; the
/// library crates leave the choice to whoever links them.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "physconn",
    version,
    about = "Alibaba Cloud Express Connect physical-connection API server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    admin: AdminTarget,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and admin listeners. A flag given twice takes its last value.
    #[command(args_override_self = true)]
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(StoreArgs),
    /// Write all state of a store to a JSON-lines file (servers may run; the
    /// export is one consistent snapshot).
    Export(ExportArgs),
    /// Load a file written by `export` into an empty store, then check that
    /// the store holds exactly the file's contents.
    Import(ImportArgs),
    /// Accounts, balances and credentials (admin API).
    #[command(subcommand)]
    Account(AccountCmd),
    /// Access keys (admin API).
    #[command(subcommand)]
    Key(KeyCmd),
    /// Drive circuits through the provider's steps (admin API).
    #[command(subcommand)]
    Circuit(CircuitCmd),
    /// Drive virtual border routers through the provider's moves (admin API).
    #[command(subcommand)]
    Vbr(VbrCmd),
    /// BGP objects' pending steps and peers' session states (admin API).
    #[command(subcommand)]
    Bgp(BgpCmd),
    /// Provider faults (admin API).
    #[command(subcommand)]
    Fault(FaultCmd),
    /// The global provisioning mode and step delay (admin API).
    #[command(subcommand)]
    Provisioning(ProvisioningCmd),
    /// Orders (admin API).
    #[command(subcommand)]
    Order(OrderCmd),
    /// The clock (admin API).
    #[command(subcommand)]
    Clock(ClockCmd),
    /// Empty all state but the default account and its key (admin API).
    Reset,
    /// Print a shell completion script, e.g. `physconn completions bash >
    /// /etc/bash_completion.d/physconn`.
    Completions { shell: clap_complete::Shell },
    /// Print the configuration reference (every TOML key, its default, flag
    /// and meaning) as Markdown; docs/configuration.md embeds it.
    ConfigReference,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// TOML configuration file; flags override its values.
    #[arg(long, env = "PHYSCONN_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded SQLite store [default: ./physconn-data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of the embedded store.
    #[arg(long, env = "PHYSCONN_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// File to write (replaced only once the export is complete).
    #[arg(long, short)]
    output: PathBuf,
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// File written by `physconn export`.
    #[arg(long, short)]
    input: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// API listener address [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long)]
    listen: Option<String>,
    /// Admin listener address [default: 127.0.0.1:8081].
    #[arg(long)]
    admin_listen: Option<String>,
    /// Which vintage of the API to serve [default: seed].
    #[arg(long, value_enum)]
    api_profile: Option<ApiProfile>,
    /// Shape of the occupancy-order response [default: union].
    #[arg(long, value_enum)]
    response_style: Option<ResponseStyle>,
    /// Which clock drives time [default: system].
    #[arg(long, value_enum)]
    clock: Option<ClockMode>,
    /// Start of a manual clock on an empty store (RFC 3339).
    #[arg(long)]
    clock_start: Option<String>,
    /// Seconds per provider step; fractions allowed, 0 = at once [default: 1].
    #[arg(long)]
    provisioning_delay: Option<f64>,
    /// TOML file of accounts and physical connections applied on a new store
    /// and after every reset (docs/fixtures.md).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Serve both listeners over HTTPS; without --tls-cert, with a
    /// certificate from a local CA made in <data-dir>/tls/ (docs/tls.md).
    #[arg(long, env = "PHYSCONN_TLS")]
    tls: bool,
    /// Another name (DNS name or IP address) for the issued certificate
    /// besides localhost, 127.0.0.1 and ::1; repeatable.
    #[arg(
        long = "tls-san",
        value_name = "NAME",
        env = "PHYSCONN_TLS_SAN",
        value_delimiter = ','
    )]
    tls_san: Vec<String>,
    /// Your own certificate chain (PEM) instead of an issued one; implies --tls.
    #[arg(long, value_name = "FILE", env = "PHYSCONN_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", env = "PHYSCONN_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

fn load_config(a: &StoreArgs) -> Result<Config> {
    let mut c = match &a.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    if let Some(d) = &a.data_dir {
        c.data_dir = d.clone();
    }
    if let Some(u) = &a.database_url {
        c.database_url = Some(u.clone());
    }
    Ok(c)
}

fn apply_serve_flags(c: &mut Config, a: &ServeArgs) -> Result<()> {
    if let Some(v) = &a.listen {
        c.listen = v.clone();
    }
    if let Some(v) = &a.admin_listen {
        c.admin_listen = v.clone();
    }
    if let Some(v) = a.api_profile {
        c.api_profile = v;
    }
    if let Some(v) = a.response_style {
        c.response_style = v;
    }
    if let Some(v) = a.clock {
        c.clock = v;
    }
    if let Some(v) = &a.clock_start {
        c.clock_start = Some(v.clone());
    }
    if let Some(v) = a.provisioning_delay {
        c.provisioning_delay = v;
    }
    if let Some(v) = &a.fixtures {
        c.fixtures = Some(v.clone());
    }
    if a.tls {
        c.tls = true;
    }
    if !a.tls_san.is_empty() {
        c.tls_san = a.tls_san.clone();
    }
    if let Some(v) = &a.tls_cert {
        c.tls_cert = Some(v.clone());
    }
    if let Some(v) = &a.tls_key {
        c.tls_key = Some(v.clone());
    }
    Ok(())
}

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

fn init_logging(format: LogFormat) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PHYSCONN_LOG")
        // PostgreSQL notices are not actionable: the one that comes up is
        // the pool's ROLLBACK after a commit that failed to serialize (the
        // job is re-run), which would otherwise warn on every conflict.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,physconn=info,sqlx::postgres::notice=error")
        });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The signals that stop the server gracefully. Registered before the
/// `listening:` line is printed: a supervisor (or a test) may send SIGTERM as
/// soon as it reads that line, and a signal that arrives before the handler
/// exists kills the process without a shutdown.
struct StopSignals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(i), Ok(t)) => Some((i, t)),
                _ => None,
            };
            StopSignals { streams }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut i, mut t)) = self.streams {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve(a: ServeArgs) -> Result<()> {
    init_logging(a.log_format)?;
    let mut config = load_config(&a.store)?;
    apply_serve_flags(&mut config, &a)?;
    if let Some(k) = env_nonempty("PHYSCONN_MASTER_KEY") {
        config.master_key = Some(k);
    }
    let access_key = match (
        env_nonempty("PHYSCONN_ACCESS_KEY_ID"),
        env_nonempty("PHYSCONN_ACCESS_KEY_SECRET"),
    ) {
        (Some(id), Some(secret)) => Some((id, secret)),
        (None, None) => None,
        _ => anyhow::bail!(
            "set both PHYSCONN_ACCESS_KEY_ID and PHYSCONN_ACCESS_KEY_SECRET, or neither"
        ),
    };
    let opts = StartOptions {
        config,
        access_key,
        admin_token: env_nonempty("PHYSCONN_ADMIN_TOKEN"),
        ids: None,
        sign_clock: None,
    };
    let stop = StopSignals::register();
    let running = physconn_server::start(opts)
        .await
        .context("starting physconn")?;
    let mut out = std::io::stdout().lock();
    for n in &running.notices {
        writeln!(out, "{n}")?;
    }
    writeln!(
        out,
        "listening: api={scheme}://{} admin={scheme}://{}",
        running.api_addr,
        running.admin_addr,
        scheme = running.scheme
    )?;
    out.flush()?;
    drop(out);
    stop.wait().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

async fn migrate(a: StoreArgs) -> Result<()> {
    init_logging(LogFormat::Text)?;
    let store = open_store(&a).await?;
    store.close().await;
    println!("migrations applied");
    Ok(())
}

async fn open_store(a: &StoreArgs) -> Result<physconn_store::DynStore> {
    let c = load_config(a)?;
    physconn_store::open(c.database_url.as_deref(), &c.data_dir)
        .await
        .context("opening the store")
}

async fn export(a: ExportArgs) -> Result<()> {
    init_logging(LogFormat::Text)?;
    let store = open_store(&a.store).await?;
    // Written beside the target and renamed at the end, so an interrupted
    // export never leaves a file that looks like a finished one.
    let mut tmp = a.output.clone().into_os_string();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = physconn_store::export::export(&*store, std::io::BufWriter::new(file)).await;
    store.close().await;
    let snapshot = result.context("exporting")?;
    std::fs::rename(&tmp, &a.output)
        .with_context(|| format!("renaming {} to {}", tmp.display(), a.output.display()))?;
    println!(
        "exported {} rows of {} tables to {}",
        snapshot.rows(),
        snapshot.tables.len(),
        a.output.display()
    );
    Ok(())
}

async fn import(a: ImportArgs) -> Result<()> {
    init_logging(LogFormat::Text)?;
    let file =
        std::fs::File::open(&a.input).with_context(|| format!("opening {}", a.input.display()))?;
    let snapshot = physconn_store::export::read_snapshot(std::io::BufReader::new(file))
        .with_context(|| format!("reading {}", a.input.display()))?;
    let rows = snapshot.rows();
    let store = open_store(&a.store).await?;
    let result = physconn_store::export::import(&*store, snapshot).await;
    store.close().await;
    result.context("importing")?;
    println!(
        "imported {rows} rows from {}; verified: the store holds exactly the file's contents",
        a.input.display()
    );
    Ok(())
}

/// Output meant for a pipe (`physconn completions bash | head`): a reader
/// that stops early is not an error, unlike `print!`, which would panic.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = || admin_client::Client::new(&cli.admin);
        let answer = match cli.command {
            Command::Serve(a) => return serve(a).await,
            Command::Migrate(a) => return migrate(a).await,
            Command::Export(a) => return export(a).await,
            Command::Import(a) => return import(a).await,
            Command::Account(c) => admin_cli::account(&client()?, c).await?,
            Command::Key(c) => admin_cli::key(&client()?, c).await?,
            Command::Circuit(c) => admin_cli::circuit(&client()?, c).await?,
            Command::Vbr(c) => admin_cli::vbr(&client()?, c).await?,
            Command::Bgp(c) => admin_cli::bgp(&client()?, c).await?,
            Command::Fault(c) => admin_cli::fault(&client()?, c).await?,
            Command::Provisioning(c) => admin_cli::provisioning(&client()?, c).await?,
            Command::Order(c) => admin_cli::order(&client()?, c).await?,
            Command::Clock(c) => admin_cli::clock(&client()?, c).await?,
            Command::Reset => client()?.call("POST", "/admin/reset", None).await?,
            Command::Completions { shell } => {
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "physconn", &mut script);
                return write_stdout(&script);
            }
            Command::ConfigReference => {
                return write_stdout(physconn_server::config::reference_markdown().as_bytes());
            }
        };
        if !answer.is_null() {
            println!("{}", serde_json::to_string_pretty(&answer)?);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration reference names only flags `serve` really has.
    #[test]
    fn reference_flags_exist() {
        let cmd = Cli::command();
        let serve = cmd.find_subcommand("serve").expect("serve");
        let longs: Vec<String> = serve
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        for o in physconn_server::config::OPTIONS {
            if let Some(f) = o.flag {
                assert!(longs.iter().any(|l| l == f), "{}: no flag {f}", o.key);
            }
        }
    }

    /// The Dockerfile's ENTRYPOINT and the systemd unit's ExecStart are
    /// command lines nobody runs in CI; at least their flags must parse.
    #[test]
    fn packaged_command_lines_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let unit = std::fs::read_to_string(root.join("packaging/physconn.service")).unwrap();
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("ExecStart");
        let args: Vec<&str> = exec.split_whitespace().collect();
        assert!(args[0].ends_with("/physconn"), "{exec}");
        Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("ExecStart: {e}"));

        let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
        let entry = dockerfile
            .lines()
            .find_map(|l| l.strip_prefix("ENTRYPOINT "))
            .expect("ENTRYPOINT");
        let mut args: Vec<String> = serde_json::from_str(entry).expect("exec-form ENTRYPOINT");
        assert_eq!(args[0], "physconn");
        Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("ENTRYPOINT: {e}"));
        // `docker run IMAGE --clock manual` appends to the ENTRYPOINT.
        args.extend(["--clock".into(), "manual".into()]);
        Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("ENTRYPOINT + flags: {e}"));
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
