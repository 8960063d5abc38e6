//! Forgetting ClientTokens once `idempotency_retention_hours` have passed
//! (docs/design/decisions.md#idempotency): a background task purges older
//! records every [`PURGE_EVERY`], and moving the manual clock purges at once,
//! so a test that jumps past the retention sees the token forgotten.

use crate::state::AppState;
use physconn_store::OpResult;
use std::time::Duration;

/// How often the background task purges. Records live at least the
/// retention, and at most this much longer.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Deletes the records older than the retention at the injected clock's
/// now; returns how many went.
pub async fn purge(state: &AppState) -> OpResult<u64> {
    let hours = i32::try_from(state.config.idempotency_retention_hours).ok();
    // A retention reaching before the calendar's start keeps everything.
    let Some(before) = hours
        .and_then(|h| time::Duration::HOUR.checked_mul(h))
        .and_then(|d| state.clock.now().checked_sub(d))
    else {
        return Ok(0);
    };
    physconn_store::write(&*state.store, move |tx| tx.purge_idempotency(before)).await
}

/// The background task: purges, then waits; returns on shutdown. A failure
/// (e.g. the database was away) only delays the purge to the next round.
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        match purge(&state).await {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "ClientTokens past retention forgotten"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging ClientTokens failed; retrying later"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
