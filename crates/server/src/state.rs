//! Shared state of a running server.

use crate::config::Config;
use crate::keycache::KeyCache;
use crate::nonce::NonceCache;
use crate::secrets::SecretBox;
use crate::throttle::Throttle;
use physconn_domain::{Clock, IdGen, ManualClock};
use physconn_store::DynStore;
use std::sync::Arc;
use tokio::sync::Notify;

/// Cheap to clone: one `Arc`. Every request clones it several times (axum's
/// `State`, the handler service, spawned work); with a dozen `Arc` fields
/// that was two dozen contended atomic operations per clone and drop.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    pub config: Arc<Config>,
    pub store: DynStore,
    /// The business clock: provider steps, expiry, metering, `CreationTime`.
    pub clock: Arc<dyn Clock>,
    /// The clock signed timestamps and nonces are checked against: the
    /// machine's real time even when `clock` is manual, because that is what
    /// clients sign with (docs/design/protocol.md#replay-protection).
    pub sign_clock: Arc<dyn Clock>,
    /// Present when `--clock manual`: the admin API moves it.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub ids: Arc<dyn IdGen>,
    pub nonces: Arc<NonceCache>,
    pub keys: Arc<KeyCache>,
    pub throttle: Arc<Throttle>,
    /// Woken whenever a timer is written, so the simulator re-plans.
    pub timers_changed: Arc<Notify>,
    /// Steps scheduled to fall due (not parked) by this process so far
    /// (`simulator::StepMark`).
    pub steps_scheduled: std::sync::atomic::AtomicU64,
    /// The audit log's queue.
    pub audit: crate::audit::AuditSink,
    /// Encrypts access-key secrets at rest.
    pub secrets: Arc<SecretBox>,
    /// SHA-256 (hex) of the admin bearer token.
    pub admin_token_sha256: Arc<String>,
    /// One permit per request being handled (`max_concurrent_requests`).
    pub request_slots: tokio::sync::Semaphore,
}

impl Shared {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// A copy of `key` whose secret is in its stored (encrypted) form.
    pub fn sealed(&self, key: &physconn_domain::AccessKey) -> physconn_domain::AccessKey {
        let mut nonce = [0u8; 12];
        self.ids.fill(&mut nonce);
        physconn_domain::AccessKey {
            secret: self.secrets.seal(&key.secret, nonce),
            ..key.clone()
        }
    }
}
