//! `POST /admin/reset`: test isolation. Empties every circuit, order, ledger
//! entry, token, timer, fault, account and key, except the `default`
//! account and its permanent keys, whose money starts over at the configured
//! opening balance. Configured fixtures are applied again in the same
//! transaction (docs/design/decisions.md#fixtures). Used nonces stay used.

use super::{write, AResult, AdminError};
use crate::bootstrap::DEFAULT_ACCOUNT;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use physconn_domain::{Fen, LedgerKind};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub(crate) async fn reset(State(state): State<AppState>) -> AResult<Json<Value>> {
    // Read again, so an edited file applies; a broken one refuses the reset
    // (nothing is emptied).
    let fixtures = crate::fixtures::configured(&state.config)
        .map_err(|e| AdminError::conflict(e.to_string()))?
        .map(Arc::new);
    let slot: crate::fixtures::ErrorSlot = Arc::new(Mutex::new(None));
    let st = state.clone();
    let (fx, sl) = (fixtures.clone(), slot.clone());
    let done = write(&state, move |tx| {
        let (st, fx, sl) = (st.clone(), fx.clone(), sl.clone());
        Box::pin(async move {
            let Some(mut a) = tx.get_account_by_name(DEFAULT_ACCOUNT).await? else {
                return Ok((None, Vec::new()));
            };
            tx.reset_except(&a.id).await?;
            tx.security().reset_security().await?;
            let now = st.clock.now();
            a.balance = Fen::ZERO;
            a.credit_limit = Fen::ZERO;
            a.ledger_seq = 0;
            a.bypass_sp = false;
            a.provisioning_mode = None;
            a.overdue_since = None;
            let opening = st.config.default_balance();
            if opening != Fen::ZERO {
                let e = a.post(
                    opening,
                    LedgerKind::Opening,
                    None,
                    "opening balance",
                    st.ids.internal_id(),
                    now,
                )?;
                tx.insert_ledger(&e).await?;
            }
            tx.update_account(&a).await?;
            tx.set_meta(crate::simulator::META_MODE, st.config.provisioning.as_str())
                .await?;
            tx.set_meta(
                crate::simulator::META_DELAY,
                &st.config.provisioning_delay.to_string(),
            )
            .await?;
            let notices = match fx.as_deref() {
                Some(fx) => crate::fixtures::apply_in(tx, &st, fx, &sl).await?,
                None => Vec::new(),
            };
            Ok((Some(a), notices))
        })
    })
    .await;
    let (account, notices) = match done {
        Ok(v) => v,
        Err(e) => match crate::fixtures::take(&slot) {
            Some(f) => return Err(AdminError::conflict(f.to_string())),
            None => return Err(e),
        },
    };
    state.keys.clear();
    // Replay protection is not business state: a request captured before
    // the reset stays refused (docs/design/protocol.md#replay-protection).
    state.timers_changed.notify_one();
    for n in &notices {
        tracing::info!("{n}");
    }
    Ok(Json(
        json!({"reset": true, "DefaultAccountId": account.map(|a| a.id), "Fixtures": notices}),
    ))
}
