//! Shared durability barriers (docs/design/decisions.md#early-release). A
//! released write of one statement commits without waiting for the log flush
//! and then waits for a barrier: a transaction that writes one log record
//! and commits at the session's own `synchronous_commit`. One barrier covers
//! every commit made before it was sent, so the writes that finished their
//! commits while a barrier was under way share the next one, as concurrent
//! requests' nonce claims share a commit.
//!
//! Whoever holds the turn takes everyone queued so far (itself included) and
//! sends the barrier on its own connection; a write queues only after its
//! commit returned, so its commit lies before any barrier sent after it
//! queued. A turn that finds its answer already given was covered by an
//! earlier barrier.

use crate::StoreError;
use sqlx::PgConnection;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The barrier's statement: a logical-decoding message (which any role may
/// emit and nothing consumes), as a literal so that `concat!` can put it
/// after a `COMMIT` or `ROLLBACK` in one simple query.
macro_rules! durable {
    () => {
        "SELECT pg_logical_emit_message(true, 'physconn', '')"
    };
}
pub(super) use durable;

type Answer = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
pub(super) struct Barriers {
    queue: Mutex<Vec<Answer>>,
    turn: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Barriers {
    /// Returns once everything committed on `conn` before the call is
    /// durable. `conn` sends the barrier if this call's turn comes first.
    pub(super) async fn wait(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let (reply, mut answer) = oneshot::channel();
        lock(&self.queue).push(reply);
        let _turn = self.turn.lock().await;
        match answer.try_recv() {
            Ok(r) => return r.map_err(StoreError::Unavailable),
            // Closed: the turn that took this call went away before it
            // answered (its request was cancelled mid-barrier), so this
            // call sends one itself, as when no turn took it.
            Err(oneshot::error::TryRecvError::Closed | oneshot::error::TryRecvError::Empty) => {}
        }
        let batch = std::mem::take(&mut *lock(&self.queue));
        let sent = super::simple(conn, durable!()).await;
        let shared = sent.as_ref().map_err(|e| e.to_string()).copied();
        for waiter in batch {
            // A waiter that went away (its request was dropped) needs no
            // answer.
            let _ = waiter.send(shared.clone());
        }
        sent.map_err(StoreError::from)
    }
}
