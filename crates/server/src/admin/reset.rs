//! `POST /admin/reset`: test isolation. Empties every circuit, order, ledger
//! entry, token, timer, fault, account and key, except the `default`
//! account and its permanent keys, whose money starts over at the configured
//! opening balance.

use super::{write, AResult};
use crate::bootstrap::DEFAULT_ACCOUNT;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use physconn_domain::{Fen, LedgerKind};
use serde_json::{json, Value};

pub(crate) async fn reset(State(state): State<AppState>) -> AResult<Json<Value>> {
    let st = state.clone();
    let account = write(&state, move |tx| {
        let st = st.clone();
        Box::pin(async move {
            let Some(mut a) = tx.get_account_by_name(DEFAULT_ACCOUNT).await? else {
                return Ok(None);
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
            Ok(Some(a))
        })
    })
    .await?;
    state.keys.clear();
    state.nonces.clear();
    Ok(Json(
        json!({"reset": true, "DefaultAccountId": account.map(|a| a.id)}),
    ))
}
