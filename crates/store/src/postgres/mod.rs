//! PostgreSQL (and PostgreSQL-wire engines): every job runs in its own
//! transaction, but for jobs of one statement (below). Most run SERIALIZABLE; a serialization failure re-runs the job
//! after a short, jittered, growing pause, a bounded number of times. Jobs of
//! the locked mode ([`crate::write_locked`]) take their rows' locks first and
//! run at READ COMMITTED: concurrent writes to one account wait for each
//! other's commit instead of failing and re-running
//! (docs/design/decisions.md#row-locks). A job of one statement
//! ([`crate::write_one`], [`crate::read_one`]) runs without a transaction of
//! its own: `BEGIN` and `COMMIT` would be two round trips more than the
//! statement, which commits (or reads its snapshot) by itself. A relaxed
//! write ([`crate::write_relaxed`]) runs so on a session of its own with
//! `synchronous_commit = off`.
//!
//! When the database goes away, requests fail fast as `Unavailable` (a pool
//! acquire gives up after [`ACQUIRE_TIMEOUT`], a refused connect at once) and
//! the pool heals by itself (`postgres/pool.rs`): a connection that broke is closed,
//! and once one broke, the idle ones are pinged before they are handed out, so
//! connections the server killed (restart, `pg_terminate_backend`) are
//! replaced by new ones.

mod bind;
mod circuits;
mod documents;
mod export;
mod faults;
pub(crate) mod migrate;
mod orders;
mod pool;
mod security;
mod timers;
mod txops;

use crate::job::{BoxFut, ErasedJob, Failure};
use crate::{Backend, OpResult, PoolStat, RowLocks, Store, StoreError};
use pool::PgConns;
use rand::Rng;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Attempts per job before a conflict is reported as `ServiceUnavailable`.
const MAX_ATTEMPTS: u32 = 20;

/// Attempts per job when its connection broke before the commit was sent
/// (nothing was committed, so a re-run on a fresh connection is safe).
const MAX_CONNECTION_ATTEMPTS: u32 = 2;

/// How long a request waits for a connection before it is answered
/// `ServiceUnavailable`: short, so that while the database is away clients
/// get a retryable answer quickly instead of piling up.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections per server. Several servers share one database, whose
/// `max_connections` (100 by default) bounds the sum.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// Connections for relaxed writes ([`crate::write_relaxed`]): one batch of
/// nonce claims is in flight per server at a time.
const RELAXED_CONNECTIONS: u32 = 2;

pub struct PgStore {
    conns: Arc<PgConns>,
    /// Sessions with `synchronous_commit = off`, for relaxed writes only.
    relaxed: Arc<PgConns>,
    /// Jobs re-run after a conflict (serialization failure, deadlock, a
    /// twin's unique key): the figure the locked mode keeps near zero.
    conflict_reruns: AtomicU64,
}

/// Where in an attempt a failure happened: only one before the commit was
/// sent is known not to have committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No connection within the acquire timeout: the database is away.
    Acquire,
    /// Begin, the job's statements or the rollback: nothing committed.
    BeforeCommit,
    /// The commit itself: its outcome is unknown unless it was a conflict.
    Commit,
}

/// How a job runs: inside a transaction that `BEGIN …` opens, or alone (a
/// job of one statement, [`ErasedJob::single`]), each statement committing
/// by itself.
#[derive(Debug, Clone, Copy)]
enum How {
    Transaction(&'static str),
    Alone { write: bool },
}

impl PgStore {
    /// Connects, optionally inside `schema` (used by tests for isolation;
    /// otherwise the URL's `options=-c search_path=…` or the default), creates
    /// the schema if missing and runs the migrations.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        Self::connect_with(url, schema, DEFAULT_MAX_CONNECTIONS).await
    }

    /// As [`connect`](Self::connect) with a pool of `max_connections`.
    pub async fn connect_with(
        url: &str,
        schema: Option<&str>,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let mut opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?
            .disable_statement_logging();
        if let Some(schema) = schema {
            opts = opts.options([("search_path", schema)]);
        }
        let relaxed = PgConns::new(
            opts.clone().options([("synchronous_commit", "off")]),
            RELAXED_CONNECTIONS,
        );
        let conns = PgConns::new(opts, max_connections);
        let now = physconn_domain::clock::to_micros(time::OffsetDateTime::now_utc());
        let mut lease = conns.acquire(ACQUIRE_TIMEOUT).await?;
        migrate::run(lease.conn(), now).await?;
        lease.done();
        drop(lease);
        Ok(Self {
            conns,
            relaxed,
            conflict_reruns: AtomicU64::new(0),
        })
    }

    /// The migration versions recorded in `schema_migrations`.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let mut lease = self.conns.acquire(ACQUIRE_TIMEOUT).await?;
        let versions = migrate::applied_versions(lease.conn()).await?;
        lease.done();
        Ok(versions)
    }

    async fn attempt(&self, job: &dyn ErasedJob, how: How) -> Result<bool, (StoreError, Phase)> {
        let pool = if job.relaxed() {
            &self.relaxed
        } else {
            &self.conns
        };
        let mut lease = pool
            .acquire(ACQUIRE_TIMEOUT)
            .await
            .map_err(|e| (e, Phase::Acquire))?;
        let begin = match how {
            How::Transaction(begin) => begin,
            How::Alone { write } => {
                let ok = job.run(lease.conn()).await;
                let broke = !ok && job.failure() == Some(Failure::Connection);
                if !broke {
                    // No transaction was opened: the connection is clean.
                    lease.done();
                } else if write {
                    // The statement may have committed: not re-run.
                    return Err((
                        StoreError::Unavailable("connection lost".into()),
                        Phase::Commit,
                    ));
                }
                return Ok(ok);
            }
        };
        let before = |e: sqlx::Error| (StoreError::from(e), Phase::BeforeCommit);
        let mut tx = lease.conn().begin_with(begin).await.map_err(before)?;
        let ok = job.run(&mut *tx).await;
        if ok {
            tx.commit()
                .await
                .map_err(|e| (StoreError::from(e), Phase::Commit))?;
        } else {
            tx.rollback().await.map_err(before)?;
        }
        lease.done();
        Ok(ok)
    }

    async fn run(&self, job: Box<dyn ErasedJob>, how: How) {
        let mut attempt = 0;
        let mut connection_attempts = 0;
        loop {
            attempt += 1;
            let result = self.attempt(job.as_ref(), how).await;
            // A job that failed on a broken connection usually also fails
            // its rollback; either way the job's own failure tells why.
            let failure = match &result {
                Ok(true) => None,
                Ok(false) | Err((_, Phase::BeforeCommit)) => job.failure(),
                Err((StoreError::Conflict, _)) => Some(Failure::Conflict),
                Err(_) => None,
            };
            let failure = match (&result, failure) {
                (Err((StoreError::Unavailable(_), Phase::BeforeCommit)), None) => {
                    Some(Failure::Connection)
                }
                (_, f) => f,
            };
            let retry = match failure {
                Some(Failure::Conflict) => {
                    self.conflict_reruns.fetch_add(1, Ordering::Relaxed);
                    attempt < MAX_ATTEMPTS
                }
                Some(Failure::Connection) => {
                    connection_attempts += 1;
                    connection_attempts < MAX_CONNECTION_ATTEMPTS && attempt < MAX_ATTEMPTS
                }
                None => false,
            };
            if retry {
                let base = 2u64.saturating_pow(attempt.min(7));
                let jitter = rand::rng().random_range(0..=base);
                tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                continue;
            }
            return match result {
                Ok(_) => job.finish(Ok(())),
                Err((StoreError::Conflict, _)) => job.finish(Err(StoreError::Unavailable(
                    "too many serialization conflicts".into(),
                ))),
                Err((e, _)) => job.finish(Err(e)),
            };
        }
    }
}

impl Store for PgStore {
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        // The isolation level rides on BEGIN: one round trip less per job.
        let how = if job.single() {
            How::Alone { write: true }
        } else if job.locked() {
            How::Transaction("BEGIN ISOLATION LEVEL READ COMMITTED")
        } else {
            How::Transaction("BEGIN ISOLATION LEVEL SERIALIZABLE")
        };
        Box::pin(self.run(job, how))
    }

    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        let how = if job.single() {
            How::Alone { write: false }
        } else {
            How::Transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        };
        Box::pin(self.run(job, how))
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn pool_stats(&self) -> Vec<PoolStat> {
        vec![
            PoolStat::new(
                "pool_connections",
                "Open connections of the PostgreSQL pool.",
                self.conns.size(),
            ),
            PoolStat::new(
                "pool_idle",
                "Idle connections of the PostgreSQL pool.",
                self.conns.idle(),
            ),
            PoolStat::new(
                "pool_max",
                "Most connections the PostgreSQL pool opens.",
                u64::from(self.conns.max()),
            ),
            PoolStat::new(
                "conflict_reruns_total",
                "Jobs re-run after a serialization failure, deadlock or a concurrent twin's unique key.",
                self.conflict_reruns.load(Ordering::Relaxed),
            ),
        ]
    }

    fn close(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            self.conns.close().await;
            self.relaxed.close().await;
        })
    }
}

/// The locked mode's row locks (`TxOps::lock_rows`): the circuit's row, then
/// the account's, the fixed order of docs/design/decisions.md#row-locks.
/// PostgreSQL only, so the texts live here rather than in `sql/text.rs`
/// (SQLite has no `FOR UPDATE`, and needs no row locks behind its one
/// writer).
async fn lock_rows(conn: &mut PgConnection, locks: &RowLocks) -> OpResult<()> {
    if let Some(id) = &locks.circuit {
        sqlx::query("SELECT id FROM circuits WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    if let Some(id) = &locks.account {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}
