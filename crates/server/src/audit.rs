//! The audit log: every admin action and every state-changing API call (also
//! refused ones) is recorded with who, what, when, RequestId and outcome.
//! Entries go through a queue to one writer task that stores them in
//! batches, so recording costs a request nothing; reading the log first
//! flushes the queue, so what was answered is always listed.

use physconn_store::security::AuditEntry;
use physconn_store::DynStore;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

enum Msg {
    Entry(Box<AuditEntry>),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::UnboundedSender<Msg>,
}

impl AuditSink {
    /// Starts the writer task; it ends when every sink is dropped.
    pub fn start(store: DynStore) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    pub fn record(&self, e: AuditEntry) {
        // A closed queue means the server is stopping; nothing to keep.
        let _ = self.tx.send(Msg::Entry(Box::new(e)));
    }

    /// Waits until everything recorded so far is stored.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

/// Sortable ids: the time, a per-process sequence, then randomness.
pub fn entry_id(at: time::OffsetDateTime, ids: &dyn physconn_domain::IdGen) -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let micros = physconn_domain::clock::to_micros(at).max(0);
    format!("{micros:016x}{n:012x}{}", ids.token(8))
}

async fn run(store: DynStore, mut rx: mpsc::UnboundedReceiver<Msg>) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Msg::Entry(e) => batch.push(*e),
                Msg::Flush(a) => acks.push(a),
            }
            if batch.len() < 512 {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let batch = Arc::new(batch);
            let result = physconn_store::write(&*store, move |tx| {
                let batch = batch.clone();
                Box::pin(async move {
                    for e in batch.iter() {
                        tx.security().insert_audit(e).await?;
                    }
                    Ok(())
                })
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "audit entries could not be stored");
            }
        }
        for a in acks {
            let _ = a.send(());
        }
    }
}
