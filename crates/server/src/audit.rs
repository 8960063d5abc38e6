//! The audit log: every admin action and every state-changing API call (also
//! refused ones) is recorded with who, what, when, RequestId and outcome.
//! Entries go through a bounded queue to one writer task that stores them
//! in batches, so recording costs a request only a place in the queue (a
//! request waits for one only when the writer is that far behind); reading
//! the log first flushes the queue, so what was answered is always listed.
//! An entry is queued before its request is answered, and shutdown stores
//! everything queued before the store closes ([`AuditSink::close`]), so an
//! answered request's entry survives a graceful stop.

use physconn_store::security::AuditEntry;
use physconn_store::DynStore;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Entries waiting for the writer before recording waits.
const QUEUE: usize = 4096;
/// Entries stored in one transaction at most.
const BATCH: usize = 512;
/// How long the writer waits for more entries once it holds one, unless a
/// flush or the close asks for what is queued. Nobody waits for the writer,
/// so this costs no request time; it lets a batch carry many requests'
/// entries in one statement where, on PostgreSQL, each request's entry
/// would otherwise be a round trip of its own.
const LINGER: std::time::Duration = std::time::Duration::from_millis(2);

enum Msg {
    Entry(Box<AuditEntry>),
    Flush(oneshot::Sender<()>),
    /// Store what is queued, accept nothing more, stop.
    Close,
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Msg>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl AuditSink {
    /// Starts the writer task; [`AuditSink::close`] stops it.
    pub fn start(store: DynStore) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(run(store, rx));
        Self {
            tx,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Queues an entry (waiting for room while the writer is a full queue
    /// behind).
    pub async fn record(&self, e: AuditEntry) {
        if self.tx.send(Msg::Entry(Box::new(e))).await.is_err() {
            // Only after `close`, which runs once no request is in flight.
            tracing::error!("audit entry recorded after shutdown was lost");
        }
    }

    /// Waits until everything recorded so far is stored.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Stores everything queued and stops the writer; returns when it has.
    /// Shutdown calls it after the listeners have drained and before the
    /// store closes.
    pub async fn close(&self) {
        let _ = self.tx.send(Msg::Close).await;
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = writer {
            if let Err(e) = w.await {
                tracing::error!(error = %e, "the audit writer failed");
            }
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

/// Stores batches until `Close`; then stores whatever was queued before it
/// and ends.
async fn run(store: DynStore, mut rx: mpsc::Receiver<Msg>) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut acks = Vec::new();
        let mut urgent = false;
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        loop {
            while let Some(m) = next.take() {
                match m {
                    Msg::Entry(e) => batch.push(*e),
                    Msg::Flush(a) => {
                        acks.push(a);
                        urgent = true;
                    }
                    // Later sends fail; what is already queued is still received.
                    Msg::Close => {
                        rx.close();
                        urgent = true;
                    }
                }
                if batch.len() < BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if urgent || batch.len() >= BATCH {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => next = Some(m),
                Ok(None) | Err(_) => break,
            }
        }
        if !batch.is_empty() {
            let batch = Arc::new(batch);
            // One statement for the batch, so no transaction around it:
            // BEGIN and COMMIT would be two more round trips on PostgreSQL.
            let result = physconn_store::write_one(&*store, move |tx| {
                let batch = batch.clone();
                Box::pin(async move { tx.security().insert_audits(&batch).await })
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
