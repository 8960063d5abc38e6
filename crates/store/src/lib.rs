//! Persistence for physconn: one [`Store`] trait with an embedded SQLite
//! implementation (the default) and a PostgreSQL one.
//!
//! Business workflows are written once against [`TxOps`], a set of
//! fine-grained reads and writes that both backends implement with the same
//! SQL text. A workflow runs as a *job* inside one transaction: SQLite
//! group-commits many jobs per transaction (one savepoint each, one fsync per
//! batch); PostgreSQL runs each job in its own transaction: SERIALIZABLE,
//! re-run on serialization failures, or, for the contended writes of
//! [`write_locked`], READ COMMITTED behind row locks taken in a fixed order.

pub mod bgp;
pub mod export;
mod job;
mod migrate;
mod ops;
mod postgres;
pub mod security;
mod sql;
mod sqlite;
pub mod vbr;

pub use bgp::{BgpOps, BgpScope};
pub use job::{BoxFut, ErasedJob, Failure};
pub use ops::{
    CircuitEvent, CircuitQuery, Fault, NewCircuit, NonceClaim, ProvisioningSettings, QuotaCounts,
    RowLocks, Timer, TxOps,
};
pub use postgres::{PgStore, ACQUIRE_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
pub use sqlite::{SqliteOptions, SqliteStore};
pub use vbr::{LineState, VbrOps, VbrScope};

use physconn_domain::DomainError;
use std::sync::Arc;

/// A failure of the storage layer itself (never a business refusal).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or the server is shutting down; the
    /// request may be retried (answered as `ServiceUnavailable`).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A concurrent transaction conflicted; the job may be re-run.
    #[error("serialization conflict")]
    Conflict,
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &e {
            // A broken connection shows as I/O, or as a protocol error when
            // the stream ends mid-message; the pool drops such connections.
            E::Io(_)
            | E::Protocol(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::WorkerCrashed
            | E::Tls(_) => StoreError::Unavailable(e.to_string()),
            E::Database(db) => match db.code().as_deref() {
                // serialization_failure, deadlock_detected, unique_violation
                // (a concurrent twin inserted the same key first)
                Some("40001") | Some("40P01") | Some("23505") => StoreError::Conflict,
                // connection exceptions, admin_shutdown (restart or
                // pg_terminate_backend), crash_shutdown, cannot_connect_now,
                // too_many_connections, read-only after a failover
                Some(c)
                    if c.starts_with("08")
                        || matches!(c, "57P01" | "57P02" | "57P03" | "53300" | "25006") =>
                {
                    StoreError::Unavailable(e.to_string())
                }
                _ => StoreError::Database(e.to_string()),
            },
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// The outcome of a workflow: a business refusal or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OpError {
    fn from(e: sqlx::Error) -> Self {
        OpError::Store(e.into())
    }
}

pub type OpResult<T> = Result<T, OpError>;

/// Which database is behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One figure of a store's connections and queues, exported at `/metrics`
/// as `physconn_db_<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolStat {
    pub name: &'static str,
    pub help: &'static str,
    pub value: f64,
}

impl PoolStat {
    pub(crate) fn new(name: &'static str, help: &'static str, value: u64) -> Self {
        Self {
            name,
            help,
            value: value as f64,
        }
    }
}

/// A transactional store. Implementations only know how to run jobs; the
/// typed entry points are [`write`] and [`read`].
pub trait Store: Send + Sync + 'static {
    /// Runs `job` in a read-write transaction and calls `job.finish` once the
    /// outcome (commit or not) is known.
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()>;
    /// Runs `job` in a read-only snapshot.
    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()>;
    fn backend(&self) -> Backend;
    /// The state of its connections and queues, for `/metrics`.
    fn pool_stats(&self) -> Vec<PoolStat>;
    /// Flushes pending work and closes connections.
    fn close(&self) -> BoxFut<'_, ()>;
}

pub type DynStore = Arc<dyn Store>;

/// A job's answer; a store that stopped before answering is `Unavailable`.
async fn answer<R>(rx: tokio::sync::oneshot::Receiver<OpResult<R>>) -> OpResult<R> {
    rx.await
        .unwrap_or_else(|_| Err(StoreError::Unavailable("store stopped".into()).into()))
}

/// Runs a workflow in one read-write transaction. Its writes are durable
/// (committed, and on SQLite fsynced) before this returns `Ok`. On
/// PostgreSQL `f` may run more than once, so it must only touch the
/// transaction.
pub async fn write<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::new(f, None);
    store.submit_write(Box::new(job)).await;
    answer(rx).await
}

/// Runs a workflow in one read-write transaction of the locked mode: the
/// rows of `locks` are locked first (circuit, then account), and PostgreSQL
/// runs it at READ COMMITTED, so concurrent writes to one account queue on
/// those locks instead of failing to serialize and re-running
/// (docs/design/decisions.md#row-locks). Only for workflows whose reads and
/// writes that must not interleave are all guarded by those rows; `f` may
/// still run more than once (a deadlock, a unique key taken by a twin).
pub async fn write_locked<R, F>(store: &dyn Store, locks: RowLocks, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::new(f, Some(locks));
    store.submit_write(Box::new(job)).await;
    answer(rx).await
}

/// Runs a write of one statement (or of statements each of which stands on
/// its own: a batch of nonce claims, of audit entries), durable before this
/// returns `Ok`. PostgreSQL runs it without a transaction of its own: the
/// statement commits by itself, which saves the round trips of `BEGIN` and
/// `COMMIT`. A failed statement changed nothing; if the connection breaks
/// while a statement is under way, its outcome is unknown and it is not
/// re-run. SQLite runs it as [`write`] does.
pub async fn write_one<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::single(f);
    store.submit_write(Box::new(job)).await;
    answer(rx).await
}

/// A write whose one writing statement stands on its own (reads may come
/// before it), run without a transaction and with its locks released before
/// the log flush (docs/design/decisions.md#early-release): PostgreSQL runs
/// each statement on its own, the writing one committing without waiting
/// for the flush (it says so itself: only statements written for it, such
/// as [`TxOps::create_circuit`]'s, do), then waits for the flush before this
/// returns, also when the job refused. So one account's concurrent writes
/// queue on their rows only for the statement itself. If the connection
/// breaks under way, the outcome is unknown and the job is not re-run.
/// SQLite runs it as [`write`] does.
pub async fn write_released_one<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::released(f);
    store.submit_write(Box::new(job)).await;
    answer(rx).await
}

/// [`write_one`] whose commit need not reach the disk before it returns:
/// PostgreSQL runs it on a session with `synchronous_commit = off`. Every
/// other session sees it at once, and it is lost only if the database
/// itself crashes within a fraction of a second of the commit (its WAL
/// writer flushes within three `wal_writer_delay`s); it waits for no log
/// flush, so it costs no fsync. For writes whose rare loss is acceptable
/// (the nonce claims: docs/design/protocol.md#replay-protection). SQLite
/// runs it as [`write`] does.
pub async fn write_relaxed<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::relaxed(f);
    store.submit_write(Box::new(job)).await;
    answer(rx).await
}

/// Runs a read-only workflow of one statement: one statement is a
/// consistent snapshot by itself, so PostgreSQL runs it without `BEGIN` and
/// `COMMIT`. A workflow that may run several statements which must agree
/// (a count and a page) uses [`read`].
pub async fn read_one<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::single(f);
    store.submit_read(Box::new(job)).await;
    answer(rx).await
}

/// Runs a read-only workflow on a consistent snapshot.
pub async fn read<R, F>(store: &dyn Store, f: F) -> OpResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    let (job, rx) = job::TypedJob::new(f, None);
    store.submit_read(Box::new(job)).await;
    answer(rx).await
}

/// Opens (and migrates) the store a URL names: `postgres://…` or
/// `postgresql://…` for PostgreSQL; without a URL (or an empty one), the
/// embedded SQLite store in `data_dir`. Any other scheme is refused rather
/// than silently falling back to a local file.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<DynStore, StoreError> {
    match database_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url, None).await?))
        }
        Some(url) => Err(StoreError::Database(format!(
            "unsupported database URL {:?}: use postgres://… (or none for the embedded store)",
            url.split(':').next().unwrap_or_default()
        ))),
        None => Ok(Arc::new(
            SqliteStore::open(SqliteOptions::new(data_dir.join("physconn.db"))).await?,
        )),
    }
}
