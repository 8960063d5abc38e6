//! The provider side (docs/design/decisions.md#provider-simulator): what the
//! vendor's staff and fibre do. Circuits
//! move `Initial → Approved → Allocating → Allocated` on their own, a paid (or
//! directly enabled) circuit `Confirmed → Enabled`, `Terminating →
//! Terminated`, and an LOA application `Applying → Available`.
//!
//! Every pending step is a row in `timers`: nothing sleeps in memory, so
//! steps survive restarts, fire once across many servers, and with
//! `--clock manual` fire exactly when the admin API moves the clock past them.
//! In `manual` provisioning mode the row is *parked* (due in the year 9999):
//! the step exists but only the admin API moves it.

use crate::state::AppState;
use physconn_domain::clock::later;
use physconn_domain::{
    Circuit, Clock, IdGen, LoaStatus, PaymentStatus, ProvisioningMode, Status, Time, TimerKind,
};
use physconn_store::{CircuitEvent, OpResult, ProvisioningSettings, Timer, TxOps};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The due time of a parked step (manual mode).
pub const PARKED: Time = time::macros::datetime!(9999-12-31 0:00 UTC);

pub const META_MODE: &str = "provisioning_mode";
pub const META_DELAY: &str = "provisioning_delay";
pub const META_MANUAL_CLOCK: &str = "manual_clock";

/// The global provisioning settings: the admin API's override (stored, so
/// every server sees it) or the configuration.
pub async fn global_settings(
    tx: &mut dyn TxOps,
    state: &AppState,
) -> OpResult<(ProvisioningMode, time::Duration)> {
    // No account has the empty id: only the two global values are read.
    let stored = tx.provisioning_settings(META_MODE, META_DELAY, "").await?;
    Ok(global_of(&stored, state))
}

fn global_of(
    stored: &ProvisioningSettings,
    state: &AppState,
) -> (ProvisioningMode, time::Duration) {
    let mode = stored
        .global_mode
        .as_deref()
        .and_then(ProvisioningMode::parse)
        .unwrap_or(state.config.provisioning);
    let delay = stored
        .global_delay
        .as_deref()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0)
        .map(time::Duration::seconds_f64)
        .unwrap_or_else(|| state.config.provisioning_delay());
    (mode, delay)
}

/// The mode that applies to a circuit: its own, else its account's, else
/// the global one (read together: one statement).
pub async fn mode_for(
    tx: &mut dyn TxOps,
    state: &AppState,
    c: &Circuit,
) -> OpResult<(ProvisioningMode, time::Duration)> {
    let stored = tx
        .provisioning_settings(META_MODE, META_DELAY, &c.account_id)
        .await?;
    let (global, delay) = global_of(&stored, state);
    let mode = c
        .provisioning_mode
        .or(stored.account_mode)
        .unwrap_or(global);
    Ok((mode, delay))
}

/// Where the count of steps this process scheduled to fall due (not parked)
/// stood: taken before a write, it tells [`after_write`] whether the write
/// may have scheduled a step that can fall due. A write that only parked its
/// steps (manual provisioning) leaves nothing for the simulator to find, so
/// it skips the read of the due timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepMark(u64);

/// The count of steps scheduled so far ([`StepMark`]).
pub fn mark(state: &AppState) -> StepMark {
    StepMark(state.steps_scheduled.load(Ordering::Acquire))
}

/// Counts a step due at `due_at` unless it is parked. Called inside the
/// write, before its commit, so a caller's [`after_write`] sees it; a job
/// re-run counts it again, which costs at most one read more.
pub fn count_step(state: &AppState, due_at: Time) {
    if due_at != PARKED {
        state.steps_scheduled.fetch_add(1, Ordering::Release);
    }
}

/// Writes a step's timer, counting it ([`count_step`]). Every timer a
/// request's write schedules goes through here.
pub async fn insert_step(tx: &mut dyn TxOps, state: &AppState, timer: &Timer) -> OpResult<()> {
    count_step(state, timer.due_at);
    tx.insert_timer(timer).await
}

/// Schedules the circuit's next step of `kind`, due one delay after `from`
/// (auto) or parked (manual).
pub async fn schedule_next(
    tx: &mut dyn TxOps,
    state: &AppState,
    circuit: &Circuit,
    kind: TimerKind,
    from: Time,
    now: Time,
) -> OpResult<()> {
    let timer = next_step(tx, state, circuit, kind, from, now).await?;
    insert_step(tx, state, &timer).await
}

/// The timer [`schedule_next`] writes, not yet written: the caller writes it
/// (a create, with its circuit) and counts it ([`count_step`]).
pub async fn next_step(
    tx: &mut dyn TxOps,
    state: &AppState,
    circuit: &Circuit,
    kind: TimerKind,
    from: Time,
    now: Time,
) -> OpResult<Timer> {
    let (mode, delay) = mode_for(tx, state, circuit).await?;
    let due_at = match mode {
        ProvisioningMode::Auto => later(from, delay),
        ProvisioningMode::Manual => PARKED,
    };
    Ok(Timer {
        id: state.ids.internal_id(),
        circuit_id: circuit.id.clone(),
        kind,
        expect_status: Some(circuit.status),
        due_at,
        created_at: now,
    })
}

/// Schedules a billing step at a fixed time (never parked).
pub async fn schedule_at(
    tx: &mut dyn TxOps,
    state: &AppState,
    circuit: &Circuit,
    kind: TimerKind,
    due_at: Time,
    now: Time,
) -> OpResult<()> {
    let timer = Timer {
        id: state.ids.internal_id(),
        circuit_id: circuit.id.clone(),
        kind,
        expect_status: Some(circuit.status),
        due_at,
        created_at: now,
    };
    insert_step(tx, state, &timer).await
}

/// Re-dates a circuit's pending steps after its mode changed.
pub async fn redate(tx: &mut dyn TxOps, state: &AppState, c: &Circuit, now: Time) -> OpResult<()> {
    let (mode, delay) = mode_for(tx, state, c).await?;
    for t in tx
        .list_timers(&c.id)
        .await?
        .into_iter()
        .filter(|t| !t.kind.is_billing())
    {
        let due = match mode {
            ProvisioningMode::Auto if t.due_at == PARKED => later(now, delay),
            ProvisioningMode::Auto => t.due_at,
            ProvisioningMode::Manual => PARKED,
        };
        if due != t.due_at {
            count_step(state, due);
            tx.set_timer_due(&t.id, due).await?;
        }
    }
    Ok(())
}

/// Event ids sort like the events happened: the time, then a per-process
/// sequence (transitions recorded at one instant keep their order), then
/// randomness so servers sharing a database never collide.
/// The event [`record`] writes, not yet written.
pub fn event(
    ids: &dyn IdGen,
    circuit_id: &str,
    from: Option<Status>,
    to: Status,
    cause: &str,
    at: Time,
) -> CircuitEvent {
    CircuitEvent {
        id: event_id(ids, at),
        circuit_id: circuit_id.to_string(),
        at,
        from_status: from,
        to_status: to,
        cause: cause.to_string(),
    }
}

fn event_id(ids: &dyn IdGen, at: Time) -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let micros = physconn_domain::clock::to_micros(at).max(0);
    format!("{micros:016x}{n:012x}{}", ids.token(8))
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
    tx.insert_event(&event(ids, circuit_id, from, to, cause, at))
        .await
}

/// Applies one successful provider step to a loaded circuit (filling in what
/// allocation assigns) and returns the new status, if there is a step.
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
    if order.charge_type == physconn_domain::InstanceChargeType::PostPaid {
        c.metered_until = Some(now);
    }
    Ok(true)
}

/// Performs the step a timer stands for, in the current transaction. Returns
/// whether the circuit changed. A timer whose circuit has moved on is dropped.
pub async fn perform(
    tx: &mut dyn TxOps,
    state: &AppState,
    timer: &Timer,
    now: Time,
    cause: &str,
) -> OpResult<bool> {
    if timer.kind == TimerKind::Vbr {
        return crate::actions::vbr_lifecycle::step(tx, timer, now).await;
    }
    if timer.kind == TimerKind::Bgp {
        return crate::actions::bgp::step(tx, &timer.circuit_id, now).await;
    }
    let Some(mut c) = tx.get_circuit(&timer.circuit_id).await? else {
        return Ok(false);
    };
    // An LOA review runs beside the circuit's own progress; every other step
    // belongs to the state it was scheduled in.
    let independent = timer.kind.independent_of_status();
    if c.deleted_at.is_some() || (!independent && Some(c.status) != timer.expect_status) {
        return Ok(false);
    }
    let ids = state.ids.as_ref();
    let from = c.status;
    match timer.kind {
        TimerKind::Provider => {
            let to = match crate::faults::take_step_fault(tx, &c).await? {
                Some(failure) => {
                    c.status = failure;
                    failure
                }
                None => match provider_step(&mut c, ids) {
                    Some(to) => to,
                    None => return Ok(false),
                },
            };
            tx.update_circuit(&c).await?;
            record(tx, ids, &c.id, Some(from), to, cause, now).await?;
            if to.provider_next().is_some() && to != Status::Terminating {
                let base = if timer.due_at == PARKED || timer.due_at > now {
                    now
                } else {
                    timer.due_at
                };
                schedule_next(tx, state, &c, TimerKind::Provider, base, now).await?;
            }
        }
        TimerKind::Activate => {
            if !activate_if_paid(tx, &mut c, now).await? {
                return Ok(false);
            }
            tx.update_circuit(&c).await?;
            record(tx, ids, &c.id, Some(from), Status::Enabled, cause, now).await?;
            crate::billing::on_activated(tx, state, &c, now).await?;
        }
        TimerKind::Expire => {
            if !crate::billing::expire(tx, state, &mut c, now).await? {
                return Ok(false);
            }
            tx.update_circuit(&c).await?;
        }
        TimerKind::Meter => {
            let hour_end = if timer.due_at > now {
                now
            } else {
                timer.due_at
            };
            if !crate::billing::meter(tx, state, &mut c, hour_end, now).await? {
                return Ok(false);
            }
            tx.update_circuit(&c).await?;
        }
        TimerKind::Overdue => crate::billing::overdue(tx, state, &c.account_id, now).await?,
        TimerKind::Enable => {
            if c.status != Status::Confirmed {
                return Ok(false);
            }
            c.status = Status::Enabled;
            c.enabled_at = Some(now);
            c.business_status = physconn_domain::BusinessStatus::Normal;
            tx.update_circuit(&c).await?;
            record(tx, ids, &c.id, Some(from), Status::Enabled, cause, now).await?;
        }
        TimerKind::Loa => {
            let Some(loa) = c.loa_status else {
                return Ok(false);
            };
            if loa != LoaStatus::Applying {
                return Ok(false);
            }
            c.loa_status = Some(LoaStatus::Available);
            if let Some(l) = c.loa.as_mut() {
                l.loa_url = format!("https://physconn.invalid/loa/{}.pdf", c.id);
            }
            tx.update_circuit(&c).await?;
        }
        // Handled before the circuit is loaded.
        TimerKind::Vbr | TimerKind::Bgp => return Ok(false),
    }
    Ok(true)
}

/// Fires one due timer in the current transaction (taking it first, so it
/// fires once even when several servers race for it).
async fn fire(tx: &mut dyn TxOps, state: &AppState, timer: &Timer, now: Time) -> OpResult<()> {
    if !tx.delete_timer(&timer.id).await? {
        return Ok(());
    }
    perform(tx, state, timer, now, "provider").await?;
    Ok(())
}

/// Fires every timer due at or before `upto`, each in its own transaction:
/// a circuit's timers one after another, earliest first, and different
/// circuits' side by side, so that one group commit (and one WAL sync)
/// carries the steps of every circuit due, not one commit each in turn.
/// Returns how many fired.
pub async fn run_due(state: &AppState, upto: Time) -> OpResult<usize> {
    let mut fired = 0;
    loop {
        let due = physconn_store::read(&*state.store, move |tx| tx.due_timers(upto, 64)).await?;
        if due.is_empty() {
            return Ok(fired);
        }
        let mut by_circuit: Vec<Vec<Timer>> = Vec::new();
        for timer in due {
            match by_circuit
                .iter_mut()
                .find(|g| g[0].circuit_id == timer.circuit_id)
            {
                Some(group) => group.push(timer),
                None => by_circuit.push(vec![timer]),
            }
        }
        let mut running = tokio::task::JoinSet::new();
        for group in by_circuit {
            let st = state.clone();
            running.spawn(async move {
                let mut fired = 0;
                for timer in group {
                    fire_one(&st, timer).await?;
                    fired += 1;
                }
                OpResult::Ok(fired)
            });
        }
        let mut first_error = None;
        while let Some(done) = running.join_next().await {
            match done {
                Ok(Ok(n)) => fired += n,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(physconn_store::OpError::Store(
                        physconn_store::StoreError::Unavailable(format!("timer task: {e}")),
                    ));
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
    }
}

/// Fires one timer in its own transaction.
async fn fire_one(state: &AppState, timer: Timer) -> OpResult<()> {
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
    .await
}

/// Runs due timers at once when steps take no time (`provisioning_delay =
/// 0`), so "at once" holds before the reply; otherwise wakes the loop.
///
/// One request fires at a time. Concurrent requests used to each read the
/// same due timers and race to fire them, every loser having waited for a
/// commit of a transaction that did nothing (BENCHMARKS.md, finding 5). A
/// request that waited for the lock still runs after the holder, so the
/// steps of its own write are fired before it answers.
///
/// `since` was taken before the write: if no step that can fall due was
/// scheduled since, there is nothing to fire or re-plan.
pub async fn after_write(state: &AppState, since: StepMark) {
    static ONE_RUNNER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    if mark(state) == since {
        return;
    }
    if state.config.provisioning_delay <= 0.0 {
        let _runner = ONE_RUNNER.lock().await;
        if let Err(e) = run_due(state, state.clock.now()).await {
            tracing::warn!(error = %e, "firing timers failed");
        }
    }
    state.timers_changed.notify_one();
}

/// How long the background loop lets writes accumulate after being woken by
/// one: under load every write wakes it, and one pass (a read of the due
/// timers) per burst serves them all instead of one per write.
const COALESCE_WAKE: Duration = Duration::from_millis(5);

/// Manual clock: moves time forward by `by`, stopping at each due timer so
/// that every step happens at its own due time, persists the clock, and
/// forgets the ClientTokens that aged past their retention.
pub async fn advance(state: &AppState, by: time::Duration) -> OpResult<Time> {
    let Some(clock) = state.manual_clock.clone() else {
        return Ok(state.clock.now());
    };
    let target = later(clock.now(), by).min(physconn_domain::clock::LATEST);
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
    // Tokens that aged past their retention go now, not at the background
    // task's next round (which follows the system clock).
    if let Err(e) = crate::retention::purge(state).await {
        tracing::warn!(error = %e, "purging ClientTokens failed");
    }
    Ok(target)
}

/// Stores the manual clock so a restart resumes from the same instant.
pub async fn persist_clock(state: &AppState) -> OpResult<()> {
    let Some(clock) = state.manual_clock.clone() else {
        return Ok(());
    };
    let v = physconn_domain::clock::to_micros(clock.now()).to_string();
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
        let failed = match run_due(&state, now).await {
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, "firing timers failed; retrying shortly");
                true
            }
        };
        // After a failure (e.g. the database was away) retry soon in every
        // clock mode: steps that fell due must not wait for the next write.
        let wait = if failed {
            Duration::from_millis(500)
        } else if state.manual_clock.is_some() {
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
            _ = state.timers_changed.notified() => {
                tokio::select! {
                    _ = tokio::time::sleep(COALESCE_WAKE) => {}
                    _ = shutdown.changed() => return,
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
