//! Type-erased transaction jobs: how a typed workflow closure crosses into a
//! backend's transaction machinery (and, on SQLite, onto the writer task).

use crate::{OpError, OpResult, RowLocks, StoreError, TxOps};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use tokio::sync::oneshot;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A failure of a job that a re-run may fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A serialization failure or a concurrent twin's unique key.
    Conflict,
    /// The connection broke before the commit was sent.
    Connection,
}

/// A unit of work a backend runs inside a transaction.
pub trait ErasedJob: Send + Sync {
    /// Runs the workflow; `true` means it succeeded and its writes should be
    /// kept, `false` that they must be rolled back.
    fn run<'t>(&'t self, tx: &'t mut dyn TxOps) -> BoxFut<'t, bool>;
    /// Why the last run failed, when a re-run may fix it: a conflict, or a
    /// connection that broke mid-transaction (nothing was committed).
    fn failure(&self) -> Option<Failure>;
    /// Whether the job runs in the locked mode ([`crate::write_locked`]):
    /// it takes its rows' locks first, so PostgreSQL runs it at READ
    /// COMMITTED instead of SERIALIZABLE.
    fn locked(&self) -> bool {
        false
    }
    /// Whether the job runs at most one statement ([`crate::write_one`],
    /// [`crate::read_one`]): PostgreSQL then runs it without a transaction
    /// of its own, the statement being its own transaction and snapshot.
    fn single(&self) -> bool {
        false
    }
    /// Whether the job is a relaxed write ([`crate::write_relaxed`]): its
    /// commit need not wait for the database's log to reach the disk.
    fn relaxed(&self) -> bool {
        false
    }
    /// Whether the job is a released write of one statement
    /// ([`crate::write_released_one`]): its statement commits without
    /// waiting for the log flush, and the job's answer waits for it.
    fn released(&self) -> bool {
        false
    }
    /// Drops the result of the last run: a refusal whose durability
    /// barrier failed may rest on a write the database lost, so it is not
    /// delivered (the job answers with the store's error instead, or is
    /// re-run).
    fn forget(&self) {}
    /// Delivers the result once the transaction's fate is known: `Ok` when it
    /// committed (or the job's own failure was rolled back), `Err` when the
    /// commit itself failed.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

type Slot<R> = Mutex<Option<OpResult<R>>>;

pub(crate) struct TypedJob<R, F> {
    f: F,
    locks: Option<RowLocks>,
    single: bool,
    relaxed: bool,
    released: bool,
    slot: Slot<R>,
    reply: Mutex<Option<oneshot::Sender<OpResult<R>>>>,
}

impl<R, F> TypedJob<R, F>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    /// A job; with `locks`, one of the locked mode that takes them before
    /// running `f`.
    pub(crate) fn new(f: F, locks: Option<RowLocks>) -> (Self, oneshot::Receiver<OpResult<R>>) {
        let (tx, rx) = oneshot::channel();
        (
            Self {
                f,
                locks,
                single: false,
                relaxed: false,
                released: false,
                slot: Mutex::new(None),
                reply: Mutex::new(Some(tx)),
            },
            rx,
        )
    }

    /// A job of one statement (see [`ErasedJob::single`]).
    pub(crate) fn single(f: F) -> (Self, oneshot::Receiver<OpResult<R>>) {
        let (mut job, rx) = Self::new(f, None);
        job.single = true;
        (job, rx)
    }

    /// A released job of one statement (see [`ErasedJob::released`]).
    pub(crate) fn released(f: F) -> (Self, oneshot::Receiver<OpResult<R>>) {
        let (mut job, rx) = Self::single(f);
        job.released = true;
        (job, rx)
    }

    /// A relaxed job of one statement (see [`ErasedJob::relaxed`]).
    pub(crate) fn relaxed(f: F) -> (Self, oneshot::Receiver<OpResult<R>>) {
        let (mut job, rx) = Self::single(f);
        job.relaxed = true;
        (job, rx)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<R, F> ErasedJob for TypedJob<R, F>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    fn run<'t>(&'t self, tx: &'t mut dyn TxOps) -> BoxFut<'t, bool> {
        Box::pin(async move {
            let r = match &self.locks {
                Some(locks) => match tx.lock_rows(locks).await {
                    Ok(()) => (self.f)(tx).await,
                    Err(e) => Err(e),
                },
                None => (self.f)(tx).await,
            };
            let ok = r.is_ok();
            *lock(&self.slot) = Some(r);
            ok
        })
    }

    fn failure(&self) -> Option<Failure> {
        match &*lock(&self.slot) {
            Some(Err(OpError::Store(StoreError::Conflict))) => Some(Failure::Conflict),
            Some(Err(OpError::Store(StoreError::Unavailable(_)))) => Some(Failure::Connection),
            _ => None,
        }
    }

    fn locked(&self) -> bool {
        self.locks.is_some()
    }

    fn single(&self) -> bool {
        self.single
    }

    fn relaxed(&self) -> bool {
        self.relaxed
    }

    fn released(&self) -> bool {
        self.released
    }

    fn forget(&self) {
        *lock(&self.slot) = None;
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let result = lock(&self.slot).take();
        let delivered = match (commit, result) {
            (Ok(()), Some(r)) => r,
            // A refusal rolled back nothing that the failed commit lost.
            (Err(_), Some(Err(OpError::Domain(d)))) => Err(OpError::Domain(d)),
            (Err(e), _) => Err(OpError::Store(e)),
            (Ok(()), None) => Err(OpError::Store(StoreError::Unavailable(
                "job did not run".into(),
            ))),
        };
        if let Some(tx) = lock(&self.reply).take() {
            // The caller may have gone away (client disconnected); the work
            // is committed either way.
            let _ = tx.send(delivered);
        }
    }
}
