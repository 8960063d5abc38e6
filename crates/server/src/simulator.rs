//! The provider side (D8): what the vendor's staff and fibre do. Circuits
//! move `Initial → Approved → Allocating → Allocated` on their own, and a paid
//! circuit `Confirmed → Enabled`, each step after the configured delay.
//!
//! Every pending step is a row in `timers` with a due time: nothing sleeps in
//! memory, so steps survive restarts, and with `--clock manual` they fire
//! exactly when the admin API moves the clock past them.

use crate::state::AppState;
use physconn_domain::{Circuit, Clock, IdGen, PaymentStatus, Status, Time};
use physconn_store::{CircuitEvent, OpResult, Timer, TxOps};
use std::sync::Arc;
use std::time::Duration;

/// Initial → Approved → Allocating → Allocated, Terminating → Terminated.
pub const KIND_PROVIDER: &str = "provider";
/// Confirmed → Enabled once the occupancy order is paid.
pub const KIND_ACTIVATE: &str = "activate";

/// Schedules the circuit's next step `delay` after `from`.
pub async fn schedule(
    tx: &mut dyn TxOps,
    ids: &dyn IdGen,
    circuit: &Circuit,
    kind: &str,
    from: Time,
    delay: time::Duration,
    now: Time,
) -> OpResult<()> {
    tx.insert_timer(&Timer {
        id: ids.internal_id(),
        circuit_id: circuit.id.clone(),
        kind: kind.to_string(),
        expect_status: circuit.status,
        due_at: from + delay,
        created_at: now,
    })
    .await
}

/// Records a transition in the circuit's history.
pub async fn record(
    tx: &mut dyn TxOps,
    ids: &dyn IdGen,
    circuit_id: &str,
    from: Option<Status>,
    to: Status,
    cause: &str,
    at: Time,
) -> OpResult<()> {
    tx.insert_event(&CircuitEvent {
        id: ids.internal_id(),
        circuit_id: circuit_id.to_string(),
        at,
        from_status: from,
        to_status: to,
        cause: cause.to_string(),
    })
    .await
}

/// Applies one provider step to a loaded circuit (fills in what allocation
/// assigns) and returns the new status, or `None` when there is no step.
pub fn provider_step(c: &mut Circuit, ids: &dyn IdGen) -> Option<Status> {
    let next = c.status.provider_next()?;
    if next == Status::Allocated && c.port_number.is_empty() {
        c.port_number = format!(
            "{}/{}/{}",
            1 + ids.below(2),
            1 + ids.below(4),
            1 + ids.below(48)
        );
        if let Some(ap) = physconn_domain::catalog::catalog().access_point(&c.access_point_id) {
            c.ad_location = ap.name_en.clone();
        }
    }
    c.status = next;
    Some(next)
}

/// Activates a `Confirmed` circuit whose pending occupancy order is paid.
/// Returns whether it did.
pub async fn activate_if_paid(tx: &mut dyn TxOps, c: &mut Circuit, now: Time) -> OpResult<bool> {
    if c.status != Status::Confirmed {
        return Ok(false);
    }
    let Some(order_id) = c.pending_order_id.clone() else {
        return Ok(false);
    };
    let Some(order) = tx.get_order(&order_id).await? else {
        return Ok(false);
    };
    if order.status != PaymentStatus::Paid {
        return Ok(false);
    }
    c.auto_renew = order.auto_renew;
    c.auto_renew_duration = order.auto_renew_duration;
    c.activate(now, order.circuit_charge_type(), order.months());
    Ok(true)
}

/// Fires one timer in the current transaction. A timer another server took,
/// or one whose circuit has moved on, is dropped.
async fn fire(tx: &mut dyn TxOps, state: &AppState, timer: &Timer, now: Time) -> OpResult<()> {
    if !tx.delete_timer(&timer.id).await? {
        return Ok(());
    }
    let Some(mut c) = tx.get_circuit(&timer.circuit_id).await? else {
        return Ok(());
    };
    if c.deleted_at.is_some() || c.status != timer.expect_status {
        return Ok(());
    }
    let ids = state.ids.as_ref();
    let from = c.status;
    match timer.kind.as_str() {
        KIND_PROVIDER => {
            let Some(to) = provider_step(&mut c, ids) else {
                return Ok(());
            };
            tx.update_circuit(&c).await?;
            record(tx, ids, &c.id, Some(from), to, "provider", now).await?;
            if to.provider_next().is_some() {
                let delay = state.config.provisioning_delay();
                schedule(tx, ids, &c, KIND_PROVIDER, timer.due_at, delay, now).await?;
            }
        }
        KIND_ACTIVATE => {
            if activate_if_paid(tx, &mut c, now).await? {
                tx.update_circuit(&c).await?;
                record(tx, ids, &c.id, Some(from), Status::Enabled, "payment", now).await?;
            }
        }
        other => tracing::warn!(kind = other, "unknown timer kind dropped"),
    }
    Ok(())
}

/// Fires every timer due at or before `upto`, earliest first, each in its own
/// transaction. Returns how many fired.
pub async fn run_due(state: &AppState, upto: Time) -> OpResult<usize> {
    let mut fired = 0;
    loop {
        let due = physconn_store::read(&*state.store, move |tx| tx.due_timers(upto, 64)).await?;
        if due.is_empty() {
            return Ok(fired);
        }
        for timer in due {
            let st = state.clone();
            let timer = Arc::new(timer);
            physconn_store::write(&*state.store, move |tx| {
                let st = st.clone();
                let timer = timer.clone();
                Box::pin(async move {
                    let now = st.clock.now();
                    fire(tx, &st, &timer, now).await
                })
            })
            .await?;
            fired += 1;
        }
    }
}

/// Manual clock: moves time forward by `by`, stopping at each due timer so
/// that every step happens at its own due time, and persists the clock.
pub async fn advance(state: &AppState, by: time::Duration) -> OpResult<Time> {
    let Some(clock) = state.manual_clock.clone() else {
        return Ok(state.clock.now());
    };
    let target = clock.now() + by;
    loop {
        let next = physconn_store::read(&*state.store, |tx| tx.next_timer_due()).await?;
        match next {
            Some(t) if t <= target => {
                if t > clock.now() {
                    clock.set(t);
                }
                run_due(state, t).await?;
            }
            _ => break,
        }
    }
    clock.set(target);
    persist_clock(state).await?;
    Ok(target)
}

pub const META_MANUAL_CLOCK: &str = "manual_clock";

/// Stores the manual clock so a restart resumes from the same instant.
pub async fn persist_clock(state: &AppState) -> OpResult<()> {
    let Some(clock) = state.manual_clock.clone() else {
        return Ok(());
    };
    let v =
        physconn_domain::clock::to_micros(physconn_domain::Clock::now(clock.as_ref())).to_string();
    physconn_store::write(&*state.store, move |tx| {
        let v = v.clone();
        Box::pin(async move { tx.set_meta(META_MANUAL_CLOCK, &v).await })
    })
    .await
}

/// The background loop: fires due timers, then sleeps until the next one is
/// due (system clock) or until a new timer is written.
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let now = state.clock.now();
        if let Err(e) = run_due(&state, now).await {
            tracing::warn!(error = %e, "firing timers failed; retrying shortly");
        }
        let wait = if state.manual_clock.is_some() {
            Duration::from_secs(3600)
        } else {
            match physconn_store::read(&*state.store, |tx| tx.next_timer_due()).await {
                Ok(Some(t)) => {
                    let d = t - state.clock.now();
                    Duration::from_secs_f64(d.as_seconds_f64().clamp(0.0, 60.0))
                }
                Ok(None) => Duration::from_secs(60),
                Err(_) => Duration::from_millis(500),
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.timers_changed.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}
