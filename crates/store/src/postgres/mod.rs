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
//! `synchronous_commit = off`. Write transactions, and the create's
//! statement run on its own ([`crate::write_released_one`]), commit without
//! waiting for the log flush and answer after a durability barrier
//! (docs/design/decisions.md#early-release; `barrier.rs`).
//!
//! When the database goes away, requests fail fast as `Unavailable` (a pool
//! acquire gives up after [`ACQUIRE_TIMEOUT`], a refused connect at once) and
//! the pool heals by itself (`postgres/pool.rs`): a connection that broke is closed,
//! and once one broke, the idle ones are pinged before they are handed out, so
//! connections the server killed (restart, `pg_terminate_backend`) are
//! replaced by new ones.

mod barrier;
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// The barriers released writes of one statement share.
    barriers: barrier::Barriers,
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
    Transaction {
        begin: &'static str,
        /// Write jobs under the early release: the commit does not wait for its log flush, so the
        /// job's row locks are released before it; [`COMMIT_DURABLE`] waits for the
        /// flush before the job's answer is given.
        early_release: bool,
    },
    Alone {
        write: bool,
        /// A released write ([`crate::write_released_one`]): the durability
        /// barrier follows the job.
        released: bool,
    },
}

/// A locked job's BEGIN (docs/design/decisions.md#early-release): READ
/// COMMITTED, and `synchronous_commit = off` for this transaction only, in
/// one round trip (a simple query of two statements).
const LOCKED_BEGIN: &str =
    "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off";

/// Any other write job's BEGIN under the early release: SERIALIZABLE, its
/// commit released as a locked job's is. A SERIALIZABLE job that only read,
/// or that refused, commits nothing that would flush the log, yet may have
/// read a released write not yet durable: it passes the barrier too.
const SERIALIZABLE_BEGIN: &str =
    "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = off";

/// A locked job's end when it succeeded: its commit, then the durability
/// barrier, in one round trip (a simple query of two statements; the second
/// runs in a transaction of its own, at the session's `synchronous_commit`).
/// The barrier writes one log record (a logical-decoding message, which any
/// role may emit and nothing consumes), so its commit waits until the log is
/// flushed (and replicated, if the database is set to wait for that) up to
/// its own commit record, which lies after everything the job wrote and read.
const COMMIT_DURABLE: &str = concat!("COMMIT; ", barrier::durable!());

/// A locked job's end when it was refused: the rollback, then the barrier,
/// since the refusal may rest on another job's commit that is not durable
/// yet.
const ROLLBACK_DURABLE: &str = concat!("ROLLBACK; ", barrier::durable!());

/// Whether the database has what the early release needs (`set_config` of
/// `synchronous_commit` for one transaction, `pg_logical_emit_message`):
/// PostgreSQL has both. Probed when a store connects; once a database in
/// this process lacks them, every write commits as usual (waiting for its
/// flush, no barrier). One flag for the process, because the create's
/// statement is written on a bare connection (`circuits.rs`).
static EARLY_RELEASE: AtomicBool = AtomicBool::new(true);

pub(super) fn early_release() -> bool {
    EARLY_RELEASE.load(Ordering::Relaxed)
}

/// Probes [`EARLY_RELEASE`] in a transaction that is rolled back.
async fn probe_early_release(conn: &mut PgConnection) -> Result<(), StoreError> {
    const PROBE: &str = "BEGIN; SELECT set_config('synchronous_commit', 'off', true), \
        pg_logical_emit_message(true, 'physconn', ''); ROLLBACK";
    if simple(conn, PROBE).await.is_err() {
        simple(conn, "ROLLBACK").await?;
        EARLY_RELEASE.store(false, Ordering::Relaxed);
        tracing::warn!("the database lacks set_config or pg_logical_emit_message: writes wait for their log flush under their locks");
    }
    Ok(())
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
        probe_early_release(lease.conn()).await?;
        lease.done();
        drop(lease);
        Ok(Self {
            conns,
            relaxed,
            conflict_reruns: AtomicU64::new(0),
            barriers: barrier::Barriers::default(),
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
            How::Transaction {
                begin,
                early_release: true,
            } => return released(job, lease, begin).await,
            How::Transaction { begin, .. } => begin,
            How::Alone { write, released } => {
                let ok = job.run(lease.conn()).await;
                let broke = !ok && job.failure() == Some(Failure::Connection);
                if released && early_release() && !broke && (ok || job.failure().is_none()) {
                    // Its write (or what its refusal read) is durable once
                    // the barrier returns; until then the outcome is unknown.
                    if let Err(e) = self.barriers.wait(lease.conn()).await {
                        job.forget();
                        return Err((e, Phase::Commit));
                    }
                }
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

/// Runs `sql` as one simple query (no parameters, so it may hold several
/// statements): one round trip.
async fn simple(conn: &mut PgConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::Executor::execute(conn, sql).await.map(|_| ())
}

/// An attempt of a write job in a transaction under the early release
/// (docs/design/decisions.md#early-release): its transaction is opened and
/// ended by hand, `begin` ([`LOCKED_BEGIN`], [`SERIALIZABLE_BEGIN`]) and
/// [`COMMIT_DURABLE`] (or a rollback) being one round trip each. A lease
/// dropped before [`Lease::done`](pool::Lease::done) closes its connection,
/// so a job cancelled mid-way leaves no transaction open on the pool.
async fn released(
    job: &dyn ErasedJob,
    mut lease: pool::Lease,
    begin: &'static str,
) -> Result<bool, (StoreError, Phase)> {
    let before = |e: sqlx::Error| (StoreError::from(e), Phase::BeforeCommit);
    simple(lease.conn(), begin).await.map_err(before)?;
    let ok = job.run(lease.conn()).await;
    if ok {
        // Committed, but perhaps not durable, until the barrier returns: an
        // error here leaves the outcome unknown.
        simple(lease.conn(), COMMIT_DURABLE)
            .await
            .map_err(|e| (StoreError::from(e), Phase::Commit))?;
    } else {
        // A refusal (no failure of the store's own) is answered once what it
        // read is durable. Nothing was committed, so a broken barrier lets
        // the job re-run.
        // Should the barrier fail, the refusal is not delivered.
        if job.failure().is_none() {
            if let Err(e) = simple(lease.conn(), ROLLBACK_DURABLE).await {
                job.forget();
                return Err(before(e));
            }
        } else {
            simple(lease.conn(), "ROLLBACK").await.map_err(before)?;
        }
    }
    lease.done();
    Ok(ok)
}

impl Store for PgStore {
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        // The isolation level rides on BEGIN: one round trip less per job.
        let how = if job.single() {
            How::Alone {
                write: true,
                released: job.released(),
            }
        } else if job.locked() && early_release() {
            How::Transaction {
                begin: LOCKED_BEGIN,
                early_release: true,
            }
        } else if early_release() {
            How::Transaction {
                begin: SERIALIZABLE_BEGIN,
                early_release: true,
            }
        } else if job.locked() {
            How::Transaction {
                begin: "BEGIN ISOLATION LEVEL READ COMMITTED",
                early_release: false,
            }
        } else {
            How::Transaction {
                begin: "BEGIN ISOLATION LEVEL SERIALIZABLE",
                early_release: false,
            }
        };
        Box::pin(self.run(job, how))
    }

    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        let how = if job.single() {
            How::Alone {
                write: false,
                released: false,
            }
        } else {
            How::Transaction {
                begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                early_release: false,
            }
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
