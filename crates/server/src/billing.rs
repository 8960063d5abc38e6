//! Money movements (docs/design/billing.md). Each function runs inside the caller's transaction,
//! so an order, its ledger entry, the balance and the circuit change together
//! or not at all.

use crate::simulator;
use crate::state::AppState;
use physconn_domain::clock::later;
use physconn_domain::order::ABNORMAL_INSUFFICIENT_BALANCE;
use physconn_domain::TimerKind;
use physconn_domain::{
    Account, BusinessStatus, ChargeType, Circuit, DomainError, Fen, LedgerKind, Order, OrderKind,
    PaymentStatus, Status, Time,
};
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
    simulator::schedule_next(tx, state, circuit, TimerKind::Activate, now, now).await
}

/// A new order (docs/design/decisions.md#payment): with `auto_pay`, pay at once, or mark the order
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

/// After a circuit is enabled by a paid order: a subscription gets its expiry
/// step at `EndTime`, pay-as-you-go its first metering hour.
pub async fn on_activated(
    tx: &mut dyn TxOps,
    state: &AppState,
    c: &Circuit,
    now: Time,
) -> OpResult<()> {
    match (c.charge_type, c.end_at) {
        (Some(ChargeType::Prepaid), Some(end)) => {
            simulator::schedule_at(tx, state, c, TimerKind::Expire, end, now).await
        }
        (Some(ChargeType::PostPaid), _) => {
            simulator::schedule_at(
                tx,
                state,
                c,
                TimerKind::Meter,
                later(now, time::Duration::HOUR),
                now,
            )
            .await
        }
        _ => Ok(()),
    }
}

/// A subscription reaches `EndTime` (docs/design/billing.md#expiry-and-renewal): with
/// `AutoRenew`, a renewal order for `AutoRenewDuration` months is paid from
/// the balance and `EndTime` moves on from the old one; without renewal, or
/// when it cannot be paid, the circuit becomes `FinancialLocked`.
pub async fn expire(
    tx: &mut dyn TxOps,
    state: &AppState,
    c: &mut Circuit,
    now: Time,
) -> OpResult<bool> {
    if c.status != Status::Enabled || c.charge_type != Some(ChargeType::Prepaid) {
        return Ok(false);
    }
    let Some(end) = c.end_at else {
        return Ok(false);
    };
    if c.auto_renew && c.auto_renew_duration > 0 {
        if let Some(price) = state.config.prices.get(c.port_type) {
            let amount = price
                .month
                .checked_mul(c.auto_renew_duration)
                .map_err(DomainError::from)?;
            let mut account = tx
                .get_account(&c.account_id)
                .await?
                .ok_or(DomainError::AccountNotFound)?;
            let mut order = Order {
                period: c.auto_renew_duration,
                auto_renew: true,
                auto_renew_duration: c.auto_renew_duration,
                ..Order::unpaid(state.ids.order_id(), c, OrderKind::Renewal, amount, now)
            };
            let paid = settle_new_order(tx, state, &mut account, &mut order, true, now).await?;
            tx.insert_order(&order).await?;
            if paid {
                let new_end = physconn_domain::circuit::renewal_end(end, c.auto_renew_duration);
                c.end_at = Some(new_end);
                simulator::schedule_at(tx, state, c, TimerKind::Expire, new_end, now).await?;
                return Ok(true);
            }
        }
    }
    c.business_status = BusinessStatus::FinancialLocked;
    Ok(true)
}

/// One metered hour of a pay-as-you-go circuit, ending at `hour_end`: one
/// ledger entry, then the next hour is scheduled. The charge may take the
/// account below zero (usage already happened); an account that stays below
/// zero past the grace period gets its pay-as-you-go circuits locked.
pub async fn meter(
    tx: &mut dyn TxOps,
    state: &AppState,
    c: &mut Circuit,
    hour_end: Time,
    now: Time,
) -> OpResult<bool> {
    if c.status != Status::Enabled || c.charge_type != Some(ChargeType::PostPaid) {
        return Ok(false);
    }
    if c.business_status == BusinessStatus::Normal {
        if let Some(price) = state.config.prices.get(c.port_type) {
            let mut account = tx
                .get_account(&c.account_id)
                .await?
                .ok_or(DomainError::AccountNotFound)?;
            let note = format!(
                "pay-as-you-go {} until {}",
                c.id,
                physconn_wire::format_timestamp(hour_end)
            );
            let entry = account.post(
                Fen(-price.hour.0),
                LedgerKind::Metering,
                None,
                note,
                state.ids.internal_id(),
                now,
            )?;
            tx.insert_ledger(&entry).await?;
            if account.available() < Fen::ZERO && account.overdue_since.is_none() {
                account.overdue_since = Some(hour_end);
                let grace = time::Duration::hours(state.config.overdue_grace_hours);
                simulator::schedule_at(tx, state, c, TimerKind::Overdue, hour_end + grace, now)
                    .await?;
            }
            tx.update_account(&account).await?;
        }
    }
    c.metered_until = Some(hour_end);
    simulator::schedule_at(
        tx,
        state,
        c,
        TimerKind::Meter,
        later(hour_end, time::Duration::HOUR),
        now,
    )
    .await?;
    Ok(true)
}

/// The grace period of an overdue account ended: if it is still below zero,
/// its pay-as-you-go circuits are locked.
pub async fn overdue(
    tx: &mut dyn TxOps,
    state: &AppState,
    account_id: &str,
    now: Time,
) -> OpResult<()> {
    let Some(account) = tx.get_account(account_id).await? else {
        return Ok(());
    };
    let grace = time::Duration::hours(state.config.overdue_grace_hours);
    let due = account
        .overdue_since
        .is_some_and(|since| since + grace <= now);
    if !due || account.available() >= Fen::ZERO {
        return Ok(());
    }
    for mut c in tx.list_account_circuits(account_id).await? {
        if c.charge_type == Some(ChargeType::PostPaid)
            && c.business_status == BusinessStatus::Normal
        {
            c.business_status = BusinessStatus::FinancialLocked;
            tx.update_circuit(&c).await?;
        }
    }
    Ok(())
}

/// After money came in: an account back at or above zero is no longer
/// overdue, and its locked pay-as-you-go circuits are `Normal` again.
pub async fn after_top_up(tx: &mut dyn TxOps, account: &mut Account) -> OpResult<()> {
    if account.available() < Fen::ZERO {
        return Ok(());
    }
    if account.overdue_since.take().is_some() {
        tx.update_account(account).await?;
    }
    for mut c in tx.list_account_circuits(&account.id).await? {
        if c.charge_type == Some(ChargeType::PostPaid)
            && c.business_status == BusinessStatus::FinancialLocked
        {
            c.business_status = BusinessStatus::Normal;
            tx.update_circuit(&c).await?;
        }
    }
    Ok(())
}

/// Pays an existing unpaid order of `account_id` from its balance (BSS
/// `PayOrder`, admin API). An occupancy order then enables its circuit after
/// the activation delay, exactly as an automatic payment would.
pub async fn pay_existing(
    tx: &mut dyn TxOps,
    state: &AppState,
    account_id: &str,
    order_id: &str,
    now: Time,
) -> OpResult<Order> {
    let mut order = tx
        .get_order(order_id)
        .await?
        .filter(|o| o.account_id == account_id)
        .ok_or(DomainError::OrderNotFound)?;
    // Nothing is paid for a line that is gone (deleted, or cancelled before
    // its installation): docs/design/billing.md#payment-flow.
    let line = tx.get_circuit(&order.circuit_id).await?;
    if line
        .as_ref()
        .is_none_or(|c| c.deleted_at.is_some() || c.status == Status::Canceled)
    {
        return Err(DomainError::OrderNotPayable.into());
    }
    let mut circuit = None;
    if order.kind == OrderKind::Occupancy {
        match line {
            Some(c)
                if c.deleted_at.is_none()
                    && c.status == Status::Confirmed
                    && c.pending_order_id.as_deref() == Some(order_id) =>
            {
                circuit = Some(c)
            }
            _ => return Err(DomainError::OrderNotPayable.into()),
        }
    }
    let mut account = tx
        .get_account(account_id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    pay(tx, state, &mut account, &mut order, now).await?;
    tx.update_order(&order).await?;
    if let Some(c) = circuit {
        schedule_activation(tx, state, &c, now).await?;
    }
    Ok(order)
}

/// Voids every unpaid setup order of a line that is going (cancelled or
/// deleted), in the caller's transaction: its installation will never
/// happen, so its fee must never be charged (docs/design/billing.md#orders).
pub async fn void_setup_orders(tx: &mut dyn TxOps, c: &Circuit, now: Time) -> OpResult<()> {
    for mut o in tx.list_orders(Some(&c.account_id)).await? {
        if o.circuit_id == c.id && o.kind == OrderKind::Setup && o.status == PaymentStatus::Unpaid {
            o.mark_cancelled(now)?;
            tx.update_order(&o).await?;
        }
    }
    Ok(())
}

/// Voids an unpaid order (normal or abnormal) of `account_id`: no money
/// moves, and an occupancy order's circuit may take a new order.
pub async fn void(
    tx: &mut dyn TxOps,
    account_id: &str,
    order_id: &str,
    now: Time,
) -> OpResult<Order> {
    let mut order = tx
        .get_order(order_id)
        .await?
        .filter(|o| o.account_id == account_id)
        .ok_or(DomainError::OrderNotFound)?;
    order.mark_cancelled(now)?;
    tx.update_order(&order).await?;
    if let Some(mut c) = tx.get_circuit(&order.circuit_id).await? {
        if c.pending_order_id.as_deref() == Some(order_id) {
            c.pending_order_id = None;
            tx.update_circuit(&c).await?;
        }
    }
    Ok(order)
}

/// Money in: a ledger `TopUp` entry, then the overdue state is settled.
pub async fn top_up(
    tx: &mut dyn TxOps,
    state: &AppState,
    account: &mut Account,
    amount: Fen,
    now: Time,
) -> OpResult<()> {
    let e = account.post(
        amount,
        LedgerKind::TopUp,
        None,
        "top-up",
        state.ids.internal_id(),
        now,
    )?;
    tx.insert_ledger(&e).await?;
    tx.update_account(account).await?;
    after_top_up(tx, account).await
}
