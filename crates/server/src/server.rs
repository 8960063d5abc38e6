//! Starting and stopping a server: the store, the clock, both listeners, the
//! simulator loop, the background purges and sweeps, graceful shutdown.

use crate::config::{ClockMode, Config};
use crate::keycache::KeyCache;
use crate::nonce::NonceCache;
use crate::pipeline::error_response;
use crate::secrets::SecretBox;
use crate::state::{AppState, Shared};
use crate::throttle::Throttle;
use crate::{admin, bootstrap, pipeline, simulator};
use axum::routing::get;
use axum::{Json, Router};
use physconn_domain::{Clock, IdGen, ManualClock, RandomIds, SystemClock};
use physconn_store::DynStore;
use physconn_wire::{render_error, ApiError, ErrorCode, Format};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// How to start: the configuration plus what comes from the environment.
pub struct StartOptions {
    pub config: Config,
    /// `PHYSCONN_ACCESS_KEY_ID` / `PHYSCONN_ACCESS_KEY_SECRET`.
    pub access_key: Option<(String, String)>,
    /// `PHYSCONN_ADMIN_TOKEN`.
    pub admin_token: Option<String>,
    /// Replaces the random id generator (reproducible tests).
    pub ids: Option<Arc<dyn IdGen>>,
    /// Replaces the signing clock (the machine's time), so tests can sign
    /// with a time of their choosing.
    pub sign_clock: Option<Arc<dyn Clock>>,
}

impl StartOptions {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            access_key: None,
            admin_token: None,
            ids: None,
            sign_clock: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("storage: {0}")]
    Store(#[from] physconn_store::StoreError),
    #[error(transparent)]
    Bootstrap(#[from] bootstrap::BootstrapError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Fixtures(#[from] crate::fixtures::FixtureError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("the manual clock stored in the database ({0}) cannot be used: {1}; a version before this check set it. Remove the row `manual_clock` from the `meta` table to start again from `clock_start`")]
    StoredClock(String, String),
}

/// The box for access-key secrets: the configured master key; else, for the
/// embedded store, a key file beside the data; else (PostgreSQL without a
/// key) plaintext, with a warning.
fn secret_box(
    config: &Config,
    backend: physconn_store::Backend,
    ids: &dyn IdGen,
) -> Result<SecretBox, StartError> {
    if let Some(k) = &config.master_key {
        return Ok(SecretBox::from_base64(k)?);
    }
    match backend {
        physconn_store::Backend::Sqlite => Ok(SecretBox::from_key_file(
            &config.data_dir.join("master.key"),
            || {
                let mut k = [0u8; 32];
                ids.fill(&mut k);
                k
            },
        )?),
        physconn_store::Backend::Postgres => {
            tracing::warn!(
                "no master key (PHYSCONN_MASTER_KEY): access-key secrets are stored unencrypted"
            );
            Ok(SecretBox::plaintext())
        }
    }
}

/// A running server.
pub struct Running {
    pub api_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub state: AppState,
    /// Lines to print once (generated credentials, a CA made).
    pub notices: Vec<String>,
    /// `https` with `tls`, else `http`: the scheme of both listeners.
    pub scheme: &'static str,
    /// The CA a client must trust, when physconn issued the certificate.
    pub ca_file: Option<std::path::PathBuf>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (the listeners end
    /// only when their connections have), stops the simulator, the
    /// ClientToken purge and the idle nonce sweep, stores the queued audit entries, waits for a
    /// background nonce purge, then closes the store (its writer and sync
    /// threads finish what they were given). Every task the server started
    /// has ended when this returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            if let Err(e) = t.await {
                tracing::error!(error = %e, "a server task failed");
            }
        }
        self.state.audit.close().await;
        self.state.nonces.shutdown().await;
        self.state.store.close().await;
    }

    /// Resolves when shutdown has been requested.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

async fn make_clock(
    config: &Config,
    store: &DynStore,
) -> Result<(Arc<dyn Clock>, Option<Arc<ManualClock>>), StartError> {
    if config.clock == ClockMode::System {
        return Ok((Arc::new(SystemClock), None));
    }
    let stored = physconn_store::read(&**store, |tx| tx.get_meta(simulator::META_MANUAL_CLOCK))
        .await
        .map_err(op_to_start)?;
    // A stored clock outside the range would make every request fail later
    // (docs/design/decisions.md#clock-range): refuse to start instead.
    let stored = match stored {
        Some(s) => Some(stored_clock(&s)?),
        None => None,
    };
    let start = match (stored, &config.clock_start) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|e| crate::config::ConfigError::Invalid("clock_start", e.to_string()))?
        }
        (None, None) => time::OffsetDateTime::now_utc(),
    };
    let manual = Arc::new(ManualClock::new(start));
    Ok((manual.clone(), Some(manual)))
}

/// Replay protection for this store (docs/design/protocol.md#replay-protection).
/// On the embedded store, when the previous run accepted requests signed up
/// to this very second, waits (at most a few seconds) until the signing
/// clock has passed them: a client that signs after the `listening:` line
/// is then never refused as a possible replay.
async fn nonce_cache(
    config: &Config,
    store: &DynStore,
    sign_clock: &dyn Clock,
) -> Result<NonceCache, StartError> {
    let (window, cap) = (config.timestamp_window_seconds, config.nonce_cache_entries);
    if store.backend() == physconn_store::Backend::Postgres {
        // Many servers may share PostgreSQL: their nonces must be shared too.
        return Ok(NonceCache::shared(window, cap, store.clone()));
    }
    let cache = NonceCache::local(window, cap, store.clone(), sign_clock.now())
        .await
        .map_err(op_to_start)?;
    let ahead = cache.floor().unwrap_or(0) - sign_clock.now().unix_timestamp();
    if ahead >= 0 {
        if ahead < 5 {
            let until_next = 1.0 - f64::from(sign_clock.now().nanosecond()) / 1e9;
            tokio::time::sleep(std::time::Duration::from_secs_f64(
                ahead as f64 + until_next,
            ))
            .await;
        } else {
            tracing::warn!(
                seconds = ahead,
                "the replay floor is ahead of the clock (was the clock set back?): requests signed before it are refused"
            );
        }
    }
    Ok(cache)
}

fn op_to_start(e: physconn_store::OpError) -> StartError {
    match e {
        physconn_store::OpError::Store(s) => StartError::Store(s),
        physconn_store::OpError::Domain(d) => {
            StartError::Store(physconn_store::StoreError::Database(d.to_string()))
        }
    }
}

fn stored_clock(value: &str) -> Result<time::OffsetDateTime, StartError> {
    use physconn_domain::clock;
    let refuse = |why: String| StartError::StoredClock(value.to_string(), why);
    let us: i64 = value
        .parse()
        .map_err(|_| refuse("not a number of microseconds".into()))?;
    let (lo, hi) = (
        clock::to_micros(clock::EARLIEST),
        clock::to_micros(clock::LATEST),
    );
    if !(lo..=hi).contains(&us) {
        return Err(refuse(
            clock::OutOfRange(format!("{us} µs after the epoch")).to_string(),
        ));
    }
    Ok(clock::from_micros(us))
}

/// The API router: `/health`, everything else is the RPC pipeline (which
/// enforces `max_concurrent_requests` itself, once a request's body is in,
/// so `/health` is never shed).
pub fn api_router(state: AppState) -> Router {
    let ids = state.ids.clone();
    let health_ids = state.ids.clone();
    let router = Router::new()
        // Only GET (and HEAD) of /health is the probe; any other method
        // there is an API request like any other path, so it gets an
        // Alibaba answer, not axum's empty 405. The probe's answer carries a
        // request id like every other.
        .route(
            "/health",
            get(move || {
                let rid = health_ids.request_id();
                async move {
                    (
                        [(pipeline::REQUEST_ID_HEADER, rid)],
                        Json(serde_json::json!({"status": "ok"})),
                    )
                }
            })
            .fallback(pipeline::handle),
        )
        .fallback(pipeline::handle)
        .with_state(state);
    with_alibaba_errors(router, ids)
}

/// The API listener's answer to a request head over `max_header_bytes` or
/// one hyper would not parse: the Alibaba error body, as from the pipeline
/// (docs/design/protocol.md#edge-errors).
fn api_edge_answer(ids: Arc<dyn IdGen>) -> crate::listener::EdgeAnswer {
    Arc::new(move |e| {
        let err = ApiError::new(match e {
            crate::listener::EdgeError::UriTooLong => ErrorCode::RequestUriTooLong,
            crate::listener::EdgeError::HeadTooLarge => ErrorCode::RequestHeaderFieldsTooLarge,
            crate::listener::EdgeError::Malformed => ErrorCode::BadRequestOnHead,
        });
        let product = crate::actions::Product::Vpc;
        let rid = ids.request_id();
        let body = render_error(&err, &rid, product.host_id(), product.code(), Format::Json);
        edge_response(err.status, Format::Json.content_type(), &rid, body)
    })
}

/// A response the listener writes itself: status, body, content type and
/// request id.
pub(crate) fn edge_response(
    status: u16,
    content_type: &'static str,
    request_id: &str,
    body: Vec<u8>,
) -> axum::http::Response<Vec<u8>> {
    let mut resp = axum::http::Response::new(body);
    *resp.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(content_type),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(request_id) {
        h.insert(pipeline::REQUEST_ID_HEADER, v);
    }
    resp
}

/// Wraps a router so that a panic anywhere below becomes an Alibaba
/// `InternalError` body rather than a dropped connection.
pub fn with_alibaba_errors(router: Router, ids: Arc<dyn IdGen>) -> Router {
    router.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        move |_panic: Box<dyn std::any::Any + Send>| {
            tracing::error!("request handler panicked");
            error_response(
                &ApiError::internal(),
                &ids.request_id(),
                Format::Json,
                crate::actions::Product::Vpc,
            )
        },
    ))
}

async fn bind(addr: &str) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind(addr.to_string(), e))
}

/// Opens the store, bootstraps, binds both listeners and starts serving.
pub async fn start(opts: StartOptions) -> Result<Running, StartError> {
    let config = opts.config;
    config.validate()?;
    // A bad fixtures file stops the start before anything is opened.
    let fixtures = crate::fixtures::configured(&config)?;
    // So does bad TLS input; the certificate's validity follows the
    // machine's time, which clients check it against.
    let tls = crate::tls::setup(&config, time::OffsetDateTime::now_utc())?;
    let store = physconn_store::open(config.database_url.as_deref(), &config.data_dir).await?;
    let ids: Arc<dyn IdGen> = opts.ids.unwrap_or_else(|| Arc::new(RandomIds));
    let (clock, manual_clock) = make_clock(&config, &store).await?;
    let secrets = Arc::new(secret_box(&config, store.backend(), ids.as_ref())?);
    bootstrap::check_master_key(&store, &secrets).await?;
    let audit = crate::audit::AuditSink::start(store.clone());
    let (admin_hash, new_admin_token) =
        bootstrap::admin_token(&store, ids.as_ref(), opts.admin_token).await?;
    // Requests are counted from the first one on.
    let _ = crate::metrics_export::handle();
    let sign_clock: Arc<dyn Clock> = opts.sign_clock.unwrap_or_else(|| match &manual_clock {
        Some(_) => Arc::new(SystemClock),
        None => clock.clone(),
    });
    let nonces = nonce_cache(&config, &store, sign_clock.as_ref()).await?;
    let config_slots = config.max_concurrent_requests;
    let state = AppState::new(Shared {
        nonces: Arc::new(nonces),
        sign_clock,
        keys: Arc::new(KeyCache::new(std::time::Duration::from_secs(1))),
        throttle: Arc::new(Throttle::new(
            config.throttle_per_key_rps,
            config.throttle_burst,
            config.throttle_per_action_rps,
        )),
        config: Arc::new(config),
        store,
        clock,
        manual_clock,
        ids,
        timers_changed: Arc::new(Notify::new()),
        steps_scheduled: std::sync::atomic::AtomicU64::new(0),
        secrets,
        audit,
        admin_token_sha256: Arc::new(admin_hash),
        request_slots: tokio::sync::Semaphore::new(config_slots),
    });
    let mut notices =
        bootstrap::ensure_default_account(&state, opts.access_key, state.config.default_balance())
            .await?;
    if let Some(fx) = fixtures {
        match crate::fixtures::apply_at_start(&state, fx).await {
            Ok(n) => notices.extend(n),
            Err(e) => {
                state.audit.close().await;
                state.store.close().await;
                return Err(e.into());
            }
        }
    }
    let (acceptor, scheme, ca_file) = match tls {
        Some(t) => {
            notices.extend(t.notices);
            if let Some(ca) = &t.ca_file {
                tracing::info!(ca = %ca.display(), "serving HTTPS; clients trust this CA");
            }
            let acceptor = tokio_rustls::TlsAcceptor::from(t.server_config);
            (Some(acceptor), "https", t.ca_file)
        }
        None => (None, "http", None),
    };
    if let Some(t) = new_admin_token {
        notices.push(format!(
            "admin token: {t} (shown once; set PHYSCONN_ADMIN_TOKEN to choose one)"
        ));
    }
    let api = bind(&state.config.listen).await?;
    let adm = bind(&state.config.admin_listen).await?;
    let api_addr = api
        .local_addr()
        .map_err(|e| StartError::Bind(state.config.listen.clone(), e))?;
    let admin_addr = adm
        .local_addr()
        .map_err(|e| StartError::Bind(state.config.admin_listen.clone(), e))?;
    let (tx, rx) = watch::channel(false);
    let c = &state.config;
    let limits = crate::listener::Limits {
        header_read_timeout: std::time::Duration::from_secs_f64(c.header_read_timeout_seconds),
        max_header_bytes: c.max_header_bytes,
        max_connections: c.max_connections,
        drain: std::time::Duration::from_secs(10),
    };
    let serve = |listener: tokio::net::TcpListener,
                 router: Router,
                 edge: crate::listener::EdgeAnswer,
                 rx: watch::Receiver<bool>| {
        tokio::spawn(crate::listener::serve(
            listener,
            acceptor.clone(),
            router,
            limits,
            edge,
            rx,
        ))
    };
    let tasks = vec![
        serve(
            api,
            api_router(state.clone()),
            api_edge_answer(state.ids.clone()),
            rx.clone(),
        ),
        serve(
            adm,
            admin::router(state.clone()),
            admin::edge_answer(state.ids.clone()),
            rx.clone(),
        ),
        tokio::spawn(simulator::run(state.clone(), rx.clone())),
        tokio::spawn(crate::nonce::idle::run(
            state.nonces.clone(),
            state.sign_clock.clone(),
            crate::nonce::idle::SWEEP_EVERY,
            rx.clone(),
        )),
        tokio::spawn(crate::retention::run(state.clone(), rx)),
    ];
    Ok(Running {
        api_addr,
        admin_addr,
        state,
        notices,
        scheme,
        ca_file,
        shutdown: tx,
        tasks,
    })
}
