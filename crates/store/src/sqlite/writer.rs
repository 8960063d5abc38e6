//! The writer thread: it *group-commits* every job queued while the previous
//! batch ran, each in its own savepoint inside one transaction, hands the
//! committed batch to the sync thread (`sqlite/sync.rs`) or answers it, and
//! asks the checkpointer thread to copy the WAL back into the database.

use super::lite::Lite;
use super::read::{Stats, Unpark};
use super::sync::Batch;
use super::{exec, lock, run_job};
use crate::job::ErasedJob;
use crate::StoreError;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Most jobs one transaction takes; bounds the latency one batch adds.
const MAX_BATCH: usize = 512;

/// The checkpointer copies the WAL back into the database at most this often.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// WAL frames (pages) beyond which the writer restarts the log itself.
/// PASSIVE checkpoints copy frames back but never let a busy log start over
/// (SQLite restarts the WAL only at a write transaction that finds it wholly
/// copied, which under a steady stream of commits never happens): the file
/// grew without bound in an order benchmark. A restart stalls the writer
/// while it copies what the last passive pass left and waits for readers,
/// so it should be rare; the runs that chose this bound are in
/// BENCHMARKS.md (change 4).
const WAL_RESTART_FRAMES: i64 = 131_072;

pub(super) enum Msg {
    Job(Box<dyn ErasedJob>),
    Close(oneshot::Sender<()>),
}

/// Runs a batch in one transaction; the jobs come back with the outcome of
/// its commit, to be answered (at once, or after the WAL sync).
fn run_batch(
    waker: &Waker,
    conn: &mut Lite,
    batch: Batch,
    stats: &Stats,
) -> (Batch, Result<(), StoreError>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        return (batch, Err(e));
    }
    let mut broken: Option<StoreError> = None;
    for job in &batch {
        if broken.is_some() {
            break;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            broken = Some(e);
            break;
        }
        let end = if run_job(waker, conn, job.as_ref()) {
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        };
        if let Err(e) = end {
            broken = Some(e);
        }
    }
    let outcome = match broken {
        Some(e) => Err(e),
        None => exec(conn, "COMMIT"),
    };
    if outcome.is_err() && !conn.conn.is_autocommit() {
        let _ = exec(conn, "ROLLBACK");
    }
    // Counted before the answers, so whoever sees its write done sees it
    // counted (`/metrics`, the conformance suite).
    Stats::add(&stats.write_jobs, batch.len() as u64);
    if outcome.is_ok() {
        Stats::add(&stats.commits, 1);
    }
    (batch, outcome)
}

fn answer(batch: Batch, outcome: &Result<(), StoreError>) {
    for job in batch {
        job.finish(match outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        });
    }
}

/// Commits since the last checkpoint, and whether the writer has stopped.
#[derive(Default)]
pub(super) struct Checkpoints {
    state: Mutex<(u64, bool)>,
    wake: Condvar,
    /// Set by the checkpointer when the log is over [`WAL_RESTART_FRAMES`].
    restart: std::sync::atomic::AtomicBool,
}

impl Checkpoints {
    fn committed(&self) {
        lock(&self.state).0 += 1;
        self.wake.notify_one();
    }

    fn stop(&self) {
        lock(&self.state).1 = true;
        self.wake.notify_one();
    }
}

/// Copies committed WAL frames into the database file (PASSIVE: never
/// blocks the writer or readers), at most every [`CHECKPOINT_EVERY`], so a
/// page written by many commits in that time is copied once.
pub(super) fn checkpoint_loop(conn: Lite, cp: &Checkpoints) {
    loop {
        {
            let mut g = lock(&cp.state);
            while g.0 == 0 && !g.1 {
                g = cp.wake.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            if g.1 {
                return;
            }
            g.0 = 0;
        }
        match conn
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
        {
            Ok(frames) if frames > WAL_RESTART_FRAMES => {
                cp.restart.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
        std::thread::sleep(CHECKPOINT_EVERY);
    }
}

pub(super) fn writer_loop(
    mut conn: Lite,
    rx: mpsc::Receiver<Msg>,
    cp: &Checkpoints,
    stats: &Stats,
    mut syncer: Option<(mpsc::Sender<Batch>, JoinHandle<()>)>,
) {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut closing: Option<oneshot::Sender<()>> = None;
    while closing.is_none() {
        let Ok(first) = rx.recv() else { break };
        let mut batch = Vec::new();
        match first {
            Msg::Job(j) => batch.push(j),
            Msg::Close(ack) => closing = Some(ack),
        }
        // Everything that queued while the last commit was fsyncing.
        while batch.len() < MAX_BATCH && closing.is_none() {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Close(ack)) => closing = Some(ack),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            let jobs = batch.len() as u64;
            Stats::sub(&stats.writer_queue, jobs);
            stats
                .last_batch
                .store(jobs, std::sync::atomic::Ordering::Relaxed);
            let (batch, outcome) = run_batch(&waker, &mut conn, batch, stats);
            match (&syncer, &outcome) {
                (Some((to_sync, _)), Ok(())) => {
                    if let Err(mpsc::SendError(batch)) = to_sync.send(batch) {
                        answer(batch, &Err(StoreError::Unavailable("sync stopped".into())));
                    }
                }
                _ => answer(batch, &outcome),
            }
            cp.committed();
        }
        if cp.restart.swap(false, std::sync::atomic::Ordering::Relaxed) {
            // Between batches, so no job waits inside a transaction; the
            // jobs arriving meanwhile make the next batch larger.
            if let Err(e) = conn
                .conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
            {
                tracing::warn!(error = %e, "WAL restart failed");
            }
        }
    }
    cp.stop();
    // Jobs sent after the close are refused (their senders see "closed").
    drop(rx);
    // Every committed batch is synced and answered before the close is.
    if let Some((to_sync, thread)) = syncer.take() {
        drop(to_sync);
        let _ = thread.join();
    }
    // Checkpoint so the next start opens a compact file.
    let _ = conn
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    drop(conn);
    if let Some(ack) = closing {
        let _ = ack.send(());
    }
}
