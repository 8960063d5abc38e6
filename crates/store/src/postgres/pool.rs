//! The PostgreSQL store's own connection pool: sqlx's pool round-trips to the
//! server twice per transaction besides the transaction's own statements (a
//! ping when a connection is handed out, and another when it is given back),
//! which was a third of the round trips of a describe (BENCHMARKS.md). Here a
//! connection is pinged only when it may have gone stale: after it sat idle
//! for [`PING_AFTER`], or when another connection broke since it was last
//! used (the database restarted, or an administrator killed our sessions).
//!
//! A leased connection goes back to the pool only if its transaction ended
//! cleanly (committed or rolled back); one dropped mid-way (a cancelled
//! request, a broken connection) is closed, so no half-read answer or open
//! transaction is ever handed to the next job.

use crate::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// An idle connection older than this is pinged before it is handed out.
pub const PING_AFTER: Duration = Duration::from_secs(1);

struct Idle {
    conn: PgConnection,
    since: Instant,
}

pub(crate) struct PgConns {
    opts: PgConnectOptions,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle>>,
    max: u32,
    open: AtomicU64,
    closed: AtomicBool,
    /// When a leased connection last turned out broken: idle connections
    /// from before then are pinged before use.
    broken_at: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PgConns {
    pub(crate) fn new(opts: PgConnectOptions, max: u32) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(Self {
            opts,
            permits: Arc::new(Semaphore::new(max as usize)),
            idle: Mutex::new(Vec::with_capacity(max as usize)),
            max,
            open: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            broken_at: Mutex::new(None),
        })
    }

    /// A connection within `timeout`, or `Unavailable`: none free in time,
    /// the store closed, or the database unreachable.
    pub(crate) async fn acquire(self: &Arc<Self>, timeout: Duration) -> Result<Lease, StoreError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let permit = tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Unavailable("no database connection free in time".into()))?
            .map_err(|_| StoreError::Unavailable("store closed".into()))?;
        loop {
            let candidate = lock(&self.idle).pop();
            let Some(Idle { mut conn, since }) = candidate else {
                break;
            };
            let suspect = since.elapsed() >= PING_AFTER
                || lock(&self.broken_at).is_some_and(|at| at >= since);
            if !suspect || conn.ping().await.is_ok() {
                return Ok(self.lease(conn, permit));
            }
            self.discard(conn);
        }
        let conn = tokio::time::timeout_at(deadline, self.opts.connect())
            .await
            .map_err(|_| StoreError::Unavailable("database connect timed out".into()))??;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(self.lease(conn, permit))
    }

    fn lease(self: &Arc<Self>, conn: PgConnection, permit: OwnedSemaphorePermit) -> Lease {
        Lease {
            conn: Some(conn),
            pool: self.clone(),
            clean: false,
            _permit: permit,
        }
    }

    fn discard(&self, conn: PgConnection) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        *lock(&self.broken_at) = Some(Instant::now());
        drop(conn);
    }

    pub(crate) fn size(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    pub(crate) fn idle(&self) -> u64 {
        lock(&self.idle).len() as u64
    }

    pub(crate) fn max(&self) -> u32 {
        self.max
    }

    /// Refuses new leases and closes the idle connections; leased ones close
    /// when they come back.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.permits.close();
        let idle: Vec<Idle> = std::mem::take(&mut *lock(&self.idle));
        for i in idle {
            self.open.fetch_sub(1, Ordering::Relaxed);
            let _ = i.conn.close().await;
        }
    }
}

/// A connection on loan; back to the pool when dropped, if [`Lease::done`]
/// said its transaction ended cleanly.
pub(crate) struct Lease {
    conn: Option<PgConnection>,
    pool: Arc<PgConns>,
    clean: bool,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        self.clean = false;
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }

    /// The transaction ended (commit or rollback answered): the connection
    /// may serve the next job.
    pub(crate) fn done(&mut self) {
        self.clean = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.clean && !self.pool.closed.load(Ordering::Relaxed) {
            lock(&self.pool.idle).push(Idle {
                conn,
                since: Instant::now(),
            });
        } else {
            self.pool.discard(conn);
        }
    }
}
