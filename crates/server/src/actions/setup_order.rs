//! CreatePhysicalConnectionSetupOrder (docs/design/decisions.md#setup-order): a new circuit in
//! `Initial` together with its one-time installation-fee order, paid per
//! `AutoPay` like the occupancy order. The answer is flat.

use super::circuits::{check_new_circuit, insert_counted, new_circuit, new_circuit_locks};
use super::params::Params;
use super::{client_token, idempotent_write_locked, require_region, CallCtx, Reply};
use crate::billing;
use crate::simulator;
use physconn_domain::{ApiProfile, DomainError, Order, OrderKind};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
struct Placed {
    #[serde(rename = "OrderId")]
    order_id: String,
    #[serde(rename = "PhysicalConnectionId")]
    circuit_id: String,
}

pub async fn create(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    for name in ["RegionId", "AccessPointId", "LineOperator"] {
        p.required(name)?;
    }
    let region = require_region(p, DomainError::RegionNotFound)?;
    let token = client_token(p)?;
    let auto_pay = p
        .bool("AutoPay")?
        .unwrap_or(ctx.state.config.api_profile == ApiProfile::Seed);
    let circuit = Arc::new(new_circuit(ctx, p, region)?);
    let price = ctx
        .state
        .config
        .prices
        .get(circuit.port_type)
        .map(|p| p.setup)
        .ok_or_else(|| crate::errors::from_domain(&DomainError::PriceNotFound))?;
    let st = ctx.state.clone();
    let now = ctx.now;
    let locks = Some(new_circuit_locks(&circuit));
    let placed: Placed = idempotent_write_locked(ctx, token, locks, move |tx| {
        let (c, st) = (circuit.clone(), st.clone());
        Box::pin(async move {
            check_new_circuit(tx, &c, st.config.max_pending_circuits).await?;
            let mut account = tx
                .get_account(&c.account_id)
                .await?
                .ok_or(DomainError::AccountNotFound)?;
            let mut order = Order::unpaid(st.ids.order_id(), &c, OrderKind::Setup, price, now);
            billing::settle_new_order(tx, &st, &mut account, &mut order, auto_pay, now).await?;
            // Counted as a create is, on the account's counts row, where
            // concurrent creates queue (docs/design/decisions.md#account-counts):
            // the check above read the counts without holding that row.
            let cause = "CreatePhysicalConnectionSetupOrder";
            insert_counted(tx, &st, &c, cause, now, None).await?;
            tx.insert_order(&order).await?;
            Ok(Placed {
                order_id: order.id,
                circuit_id: c.id.clone(),
            })
        })
    })
    .await?;
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(Reply::standard(
        ctx,
        vec![
            ("OrderId", json!(placed.order_id)),
            ("PhysicalConnectionId", json!(placed.circuit_id)),
        ],
    ))
}
