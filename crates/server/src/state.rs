//! Shared state of a running server.

use crate::config::Config;
use crate::keycache::KeyCache;
use crate::nonce::NonceCache;
use crate::throttle::Throttle;
use physconn_domain::{Clock, IdGen, ManualClock};
use physconn_store::DynStore;
use std::sync::Arc;
use tokio::sync::Notify;

/// Cheap to clone: everything is behind `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    /// Present when `--clock manual`: the admin API moves it.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub ids: Arc<dyn IdGen>,
    pub nonces: Arc<NonceCache>,
    pub keys: Arc<KeyCache>,
    pub throttle: Arc<Throttle>,
    /// Woken whenever a timer is written, so the simulator re-plans.
    pub timers_changed: Arc<Notify>,
    /// SHA-256 (hex) of the admin bearer token.
    pub admin_token_sha256: Arc<String>,
}

impl AppState {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}
