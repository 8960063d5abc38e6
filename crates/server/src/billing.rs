//! Money movements (D4). Each function runs inside the caller's transaction,
//! so an order, its ledger entry, the balance and the circuit change together
//! or not at all.

use crate::simulator::{self, KIND_ACTIVATE};
use crate::state::AppState;
use physconn_domain::order::ABNORMAL_INSUFFICIENT_BALANCE;
use physconn_domain::{Account, Circuit, DomainError, Order, PaymentStatus, Time};
use physconn_store::{OpResult, TxOps};

/// Debits the account for `order` and marks it paid. Fails with
/// `InsufficientBalance` (and changes nothing) when balance plus credit line
/// does not cover it.
pub async fn pay(
    tx: &mut dyn TxOps,
    state: &AppState,
    account: &mut Account,
    order: &mut Order,
    now: Time,
) -> OpResult<()> {
    if order.status != PaymentStatus::Unpaid || order.is_abnormal() {
        return Err(DomainError::OrderNotPayable.into());
    }
    let entry = account.debit_for_order(order.amount, &order.id, state.ids.internal_id(), now)?;
    order.mark_paid(now)?;
    tx.insert_ledger(&entry).await?;
    tx.update_account(account).await?;
    Ok(())
}

/// After an occupancy order is paid: schedule `Confirmed → Enabled` after the
/// activation delay.
pub async fn schedule_activation(
    tx: &mut dyn TxOps,
    state: &AppState,
    circuit: &Circuit,
    now: Time,
) -> OpResult<()> {
    simulator::schedule_next(tx, state, circuit, KIND_ACTIVATE, now, now).await
}

/// D4 for a new order: with `auto_pay`, pay at once, or mark the order
/// abnormal when the money is short (it can then only be voided). Returns
/// whether the order is paid.
pub async fn settle_new_order(
    tx: &mut dyn TxOps,
    state: &AppState,
    account: &mut Account,
    order: &mut Order,
    auto_pay: bool,
    now: Time,
) -> OpResult<bool> {
    if !auto_pay {
        return Ok(false);
    }
    match pay(tx, state, account, order, now).await {
        Ok(()) => Ok(true),
        Err(physconn_store::OpError::Domain(DomainError::InsufficientBalance)) => {
            order.abnormal_reason = Some(ABNORMAL_INSUFFICIENT_BALANCE.to_string());
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
