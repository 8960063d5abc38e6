//! The read side of the SQLite store, and the counters `/metrics` shows.
//!
//! A read job normally runs *inline*, on the thread of the task that asked
//! for it, on a read-only connection leased from a small pool: it is a few
//! index lookups, and handing it to another thread cost more
//! than running it (two futex wake-ups and two context switches per request,
//! the largest item of a describe's profile on two cores; BENCHMARKS.md,
//! finding 1). The job is polled as part of the caller's future, so a job
//! that does await something still yields properly, holding its lease.
//! When every pooled connection is leased (more concurrent reads than the
//! pool has connections), the job goes to the reader threads' queue as
//! before.

use crate::job::ErasedJob;
use crate::sqlite::lite::Lite;
use crate::sqlite::{exec, lock, run_job};
use crate::StoreError;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Counters of the store's threads and queues (relaxed atomics: figures
/// for `/metrics`, never used to decide anything).
#[derive(Default)]
pub(crate) struct Stats {
    pub writer_queue: AtomicU64,
    pub write_jobs: AtomicU64,
    pub commits: AtomicU64,
    pub last_batch: AtomicU64,
    pub reads_inline: AtomicU64,
    pub reads_queued: AtomicU64,
    pub readers_busy: AtomicU64,
}

impl Stats {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub(c: &AtomicU64, n: u64) {
        c.fetch_sub(n, Ordering::Relaxed);
    }

    pub(crate) fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// The read jobs waiting for a reader thread.
#[derive(Default)]
pub(crate) struct ReadQueue {
    pub jobs: Mutex<(VecDeque<Box<dyn ErasedJob>>, bool)>,
    pub ready: Condvar,
}

/// Read-only connections for inline reads.
pub(crate) struct InlinePool {
    idle: Mutex<Vec<Lite>>,
    pub size: u64,
}

impl InlinePool {
    pub(crate) fn new(conns: Vec<Lite>) -> Self {
        Self {
            size: conns.len() as u64,
            idle: Mutex::new(conns),
        }
    }

    pub(crate) fn idle(&self) -> u64 {
        lock(&self.idle).len() as u64
    }

    pub(crate) fn close(&self) {
        lock(&self.idle).clear();
    }

    fn lease(&self) -> Option<Lease<'_>> {
        let conn = lock(&self.idle).pop()?;
        Some(Lease {
            pool: self,
            conn: Some(conn),
        })
    }
}

/// A leased connection; going out of scope (also by a panic or a cancelled
/// request) ends its snapshot and gives it back.
struct Lease<'p> {
    pool: &'p InlinePool,
    conn: Option<Lite>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.conn.is_autocommit() && exec(&conn, "ROLLBACK").is_err() {
            // A connection that cannot end its transaction is not reused.
            return;
        }
        lock(&self.pool.idle).push(conn);
    }
}

/// Polls `f`, turning a panic into `None` (as a job that panicked on a store
/// thread answers "did not run").
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

/// Runs `job` on a pooled connection in the caller's task; gives the job
/// back when no connection is free.
pub(crate) fn try_inline<'p>(
    pool: &'p InlinePool,
    stats: &'p Stats,
    job: Box<dyn ErasedJob>,
) -> Result<impl Future<Output = ()> + Send + 'p, Box<dyn ErasedJob>> {
    let Some(mut lease) = pool.lease() else {
        return Err(job);
    };
    Stats::add(&stats.reads_inline, 1);
    Ok(async move {
        let Some(conn) = lease.conn.as_mut() else {
            return;
        };
        // One snapshot for the whole job; nothing to keep, so it is just
        // released (by the lease).
        if let Err(e) = exec(conn, "BEGIN") {
            drop(lease);
            job.finish(Err(e));
            return;
        }
        let ran = CatchUnwind(job.run(conn)).await;
        if ran.is_none() {
            tracing::error!("a store job panicked; its snapshot is released");
        }
        drop(lease);
        job.finish(Ok(()));
    })
}

/// Wakes a store thread parked on a job that is not ready yet (a job only
/// awaits its own `TxOps` calls, which are complete, so this is rare).
pub(crate) struct Unpark(pub std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

pub(crate) fn reader_loop(mut conn: Lite, q: &ReadQueue, stats: &Stats) {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    loop {
        let job = {
            let mut g = lock(&q.jobs);
            loop {
                if let Some(job) = g.0.pop_front() {
                    break job;
                }
                if g.1 {
                    return;
                }
                g = q.ready.wait(g).unwrap_or_else(|e| e.into_inner());
            }
        };
        Stats::add(&stats.readers_busy, 1);
        if let Err(e) = exec(&conn, "BEGIN") {
            job.finish(Err(e));
        } else {
            run_job(&waker, &mut conn, job.as_ref());
            let _ = exec(&conn, "ROLLBACK");
            job.finish(Ok(()));
        }
        Stats::sub(&stats.readers_busy, 1);
    }
}

/// Queues a job for the reader threads (refused once the store is closed).
pub(crate) fn queue(q: &ReadQueue, stats: &Stats, job: Box<dyn ErasedJob>) {
    let mut g = lock(&q.jobs);
    if g.1 {
        drop(g);
        job.finish(Err(StoreError::Unavailable("store is closed".into())));
    } else {
        g.0.push_back(job);
        drop(g);
        Stats::add(&stats.reads_queued, 1);
        q.ready.notify_one();
    }
}
