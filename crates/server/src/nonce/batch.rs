//! Group commit of nonce claims (docs/design/protocol.md#replay-protection):
//! concurrent requests' claims share one write transaction, so a server
//! commits once per batch instead of once per request, and no claim is
//! answered before its batch committed.
//!
//! Whoever holds the flush turn takes everything queued so far (its own
//! claim included) and writes it; claims queued meanwhile wait for the next
//! turn, which is how batches form under load. A turn finds its claim
//! already answered when an earlier turn took it.

use physconn_store::{DynStore, NonceClaim, OpError, StoreError};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<bool, OpError>>;

struct Pending {
    key: String,
    nonce: String,
    now: OffsetDateTime,
    expires: OffsetDateTime,
    reply: Reply,
}

#[derive(Default)]
pub(super) struct Batcher {
    queue: Mutex<Vec<Pending>>,
    turn: tokio::sync::Mutex<()>,
}

fn gone() -> OpError {
    OpError::Store(StoreError::Unavailable("nonce claim abandoned".into()))
}

impl Batcher {
    /// The claim of the pair (`TxOps::claim_nonces`), committed together with the claims
    /// of concurrent requests.
    pub(super) async fn claim(
        &self,
        store: &DynStore,
        key: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires: OffsetDateTime,
    ) -> Result<bool, OpError> {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Pending {
                key: key.to_string(),
                nonce: nonce.to_string(),
                now,
                expires,
                reply,
            });
        {
            let _turn = self.turn.lock().await;
            match answer.try_recv() {
                Ok(r) => return r,
                Err(oneshot::error::TryRecvError::Closed) => return Err(gone()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()));
            flush(store, batch).await;
        }
        answer.await.unwrap_or_else(|_| Err(gone()))
    }
}

async fn flush(store: &DynStore, mut batch: Vec<Pending>) {
    if batch.is_empty() {
        return;
    }
    // One order for every batch on every server: two transactions that
    // claim the same pairs lock them in the same order and cannot deadlock.
    batch.sort_by(|a, b| (&a.key, &a.nonce).cmp(&(&b.key, &b.nonce)));
    // A pair is taken over only if it expired by the earliest request's
    // time: never later than any of them would have taken it alone.
    let now = batch
        .iter()
        .map(|p| p.now)
        .min()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let claims: Arc<Vec<NonceClaim>> = Arc::new(
        batch
            .iter()
            .map(|p| NonceClaim {
                access_key_id: p.key.clone(),
                nonce: p.nonce.clone(),
                expires_at: p.expires,
            })
            .collect(),
    );
    // One statement for the whole batch; a pair twice in it (a replay
    // racing its original) is claimed for its first listing only.
    // One statement, so no transaction around it (BEGIN and COMMIT would be
    // two more round trips on PostgreSQL), and a relaxed commit, which
    // waits for no log flush (the guarantee this keeps: nonce.rs).
    let r = physconn_store::write_relaxed(&**store, move |tx| {
        let claims = claims.clone();
        Box::pin(async move { tx.claim_nonces(&claims, now).await })
    })
    .await;
    match r {
        Ok(out) => {
            for (p, claimed) in batch.into_iter().zip(out) {
                let _ = p.reply.send(Ok(claimed));
            }
        }
        Err(e) => {
            let text = e.to_string();
            for p in batch {
                let _ = p
                    .reply
                    .send(Err(OpError::Store(StoreError::Unavailable(text.clone()))));
            }
        }
    }
}
