//! Circuits, forced provider transitions, orders.

use super::accounts::load_account;
use super::{read, write, AResult, AdminError};
use crate::actions::render;
use crate::simulator;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use physconn_domain::TimerKind;
use physconn_domain::*;
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn get_circuit(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let id = Arc::new(id);
    let (c, events, timers) = read(&state, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            let c = tx.get_circuit(&id).await?;
            let ev = tx.list_events(&id).await?;
            let tm = tx.list_timers(&id).await?;
            Ok((c, ev, tm))
        })
    })
    .await?;
    let c = c.ok_or_else(|| AdminError::not_found("physical connection"))?;
    let mut v = render::circuit(&c);
    if let Value::Object(m) = &mut v {
        m.insert("AccountId".into(), json!(c.account_id));
        m.insert("RegionId".into(), json!(c.region_id));
        m.insert("Deleted".into(), json!(c.deleted_at.is_some()));
        m.insert("PendingOrderId".into(), json!(c.pending_order_id));
        m.insert(
            "Timeline".into(),
            json!(events
                .iter()
                .map(|e| json!({"Time": format_timestamp(e.at), "From": e.from_status.map(|s| s.as_str()),
                                "To": e.to_status.as_str(), "Cause": e.cause}))
                .collect::<Vec<_>>()),
        );
        m.insert(
            "Timers".into(),
            json!(timers
                .iter()
                .map(|t| json!({"Kind": t.kind.as_str(), "Due": format_timestamp(t.due_at), "Expect": t.expect_status.map_or("", |s| s.as_str())}))
                .collect::<Vec<_>>()),
        );
    }
    Ok(Json(v))
}

#[derive(Deserialize)]
pub(crate) struct StatusBody {
    status: String,
}

/// Moves a circuit along the provider's transitions only: a chain of
/// automatic steps (`Initial` → `Allocated` passes `Approved` and
/// `Allocating`), a failure branch (`Rejected`, `Allocation Failed`), or the
/// activation of a paid circuit. Anything else is 409 with the reason.
pub(crate) async fn force_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<StatusBody>,
) -> AResult<Json<Value>> {
    let target = Status::parse(&body.status)
        .ok_or_else(|| AdminError::bad(format!("unknown status {:?}", body.status)))?;
    let st = state.clone();
    let id = Arc::new(id);
    let outcome = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(mut c) = tx.get_circuit(&id).await? else {
                return Ok(Err(AdminError::not_found("physical connection")));
            };
            if c.deleted_at.is_some() {
                return Ok(Err(AdminError::not_found("physical connection")));
            }
            let now = st.clock.now();
            let ids = st.ids.as_ref();
            let start = c.status;
            // The chain of automatic steps, if `target` lies on it.
            let mut path = Vec::new();
            let mut s = start;
            while let Some(n) = s.provider_next() {
                path.push(n);
                if n == target {
                    break;
                }
                s = n;
            }
            if path.last() == Some(&target) {
                for _ in &path {
                    let from = c.status;
                    simulator::provider_step(&mut c, ids);
                    simulator::record(tx, ids, &c.id, Some(from), c.status, "admin", now).await?;
                }
            } else if start.provider_may_move_to(target) && target == Status::Enabled {
                if !simulator::activate_if_paid(tx, &mut c, now).await? {
                    return Ok(Err(AdminError::conflict(
                        "Confirmed → Enabled needs a paid occupancy order",
                    )));
                }
                simulator::record(tx, ids, &c.id, Some(start), c.status, "admin", now).await?;
            } else if start.provider_may_move_to(target) {
                c.status = target;
                simulator::record(tx, ids, &c.id, Some(start), target, "admin", now).await?;
            } else {
                return Ok(Err(AdminError::conflict(format!(
                    "the provider cannot move a circuit from {start} to {target}"
                ))));
            }
            tx.delete_timers_for(&c.id).await?;
            tx.update_circuit(&c).await?;
            if start == Status::Confirmed && c.status == Status::Enabled {
                crate::billing::on_activated(tx, &st, &c, now).await?;
            }
            if c.status.provider_next().is_some() {
                simulator::schedule_next(tx, &st, &c, TimerKind::Provider, now, now).await?;
            }
            Ok(Ok(c))
        })
    })
    .await??;
    state.timers_changed.notify_one();
    Ok(Json(render::circuit(&outcome)))
}

#[derive(Deserialize)]
pub(crate) struct OrdersQuery {
    account: Option<String>,
}

pub fn order_json(o: &Order) -> Value {
    json!({
        "OrderId": o.id,
        "AccountId": o.account_id,
        "PhysicalConnectionId": o.circuit_id,
        "RegionId": o.region_id,
        "Kind": o.kind.as_str(),
        "Status": o.status.as_str(),
        "Abnormal": o.is_abnormal(),
        "AbnormalReason": o.abnormal_reason,
        "InstanceChargeType": o.charge_type.as_str(),
        "Period": o.period,
        "PricingCycle": o.pricing_cycle.as_str(),
        "AutoRenew": o.auto_renew,
        "AutoRenewDuration": o.auto_renew_duration,
        "Amount": o.amount.to_string(),
        "Currency": o.currency,
        "CreateTime": format_timestamp(o.created_at),
        "PaymentTime": o.paid_at.map(format_timestamp),
        "CancelTime": o.cancelled_at.map(format_timestamp),
    })
}

pub(crate) async fn list_orders(
    State(state): State<AppState>,
    Query(q): Query<OrdersQuery>,
) -> AResult<Json<Value>> {
    let account = match q.account {
        Some(a) => Some(load_account(&state, a).await?.id),
        None => None,
    };
    let account = Arc::new(account);
    let orders = read(&state, move |tx| {
        let account = account.clone();
        Box::pin(async move { tx.list_orders(account.as_deref()).await })
    })
    .await?;
    Ok(Json(
        json!({"Orders": orders.iter().map(order_json).collect::<Vec<_>>()}),
    ))
}

/// Performs the circuit's next pending provider step now (faults apply), as
/// if its delay had passed: the manual-mode way to move a circuit.
pub(crate) async fn advance_circuit(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let st = state.clone();
    let id = Arc::new(id);
    let c = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(c) = tx
                .get_circuit(&id)
                .await?
                .filter(|c| c.deleted_at.is_none())
            else {
                return Ok(Err(AdminError::not_found("physical connection")));
            };
            let Some(timer) = tx.list_timers(&c.id).await?.into_iter().next() else {
                return Ok(Err(AdminError::conflict(format!(
                    "{} ({}) has no pending provider step",
                    c.id, c.status
                ))));
            };
            tx.delete_timer(&timer.id).await?;
            let now = st.clock.now();
            simulator::perform(tx, &st, &timer, now, "admin").await?;
            Ok(tx
                .get_circuit(&c.id)
                .await?
                .ok_or_else(|| AdminError::not_found("physical connection")))
        })
    })
    .await??;
    state.timers_changed.notify_one();
    Ok(Json(render::circuit(&c)))
}

#[derive(Deserialize)]
pub(crate) struct ModeBody {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    delay: Option<f64>,
}

/// Per-circuit provisioning mode (`null` follows the account / global mode).
pub(crate) async fn set_circuit_mode(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<ModeBody>,
) -> AResult<Json<Value>> {
    let mode = super::accounts::parse_mode(&body.mode)?;
    let st = state.clone();
    let id = Arc::new(id);
    let c = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(mut c) = tx
                .get_circuit(&id)
                .await?
                .filter(|c| c.deleted_at.is_none())
            else {
                return Ok(None);
            };
            c.provisioning_mode = mode;
            tx.update_circuit(&c).await?;
            simulator::redate(tx, &st, &c, st.clock.now()).await?;
            Ok(Some(c))
        })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("physical connection"))?;
    state.timers_changed.notify_one();
    Ok(Json(
        json!({"PhysicalConnectionId": c.id, "ProvisioningMode": mode.map(|m| m.as_str())}),
    ))
}

pub(crate) async fn provisioning_json(state: &AppState) -> AResult<Value> {
    let st = state.clone();
    let (mode, delay) = read(state, move |tx| {
        let st = st.clone();
        Box::pin(async move { simulator::global_settings(tx, &st).await })
    })
    .await?;
    Ok(json!({"mode": mode.as_str(), "delay": delay.as_seconds_f64()}))
}

pub(crate) async fn get_provisioning(State(state): State<AppState>) -> AResult<Json<Value>> {
    Ok(Json(provisioning_json(&state).await?))
}

/// The global mode and step delay (stored, so every server and a restart see
/// them); pending steps are re-dated.
pub(crate) async fn set_provisioning(
    State(state): State<AppState>,
    Json(body): Json<ModeBody>,
) -> AResult<Json<Value>> {
    let mode = super::accounts::parse_mode(&body.mode)?;
    if let Some(d) = body.delay {
        if !(d.is_finite() && (0.0..=86_400.0).contains(&d)) {
            return Err(AdminError::bad("delay must be 0-86400 seconds"));
        }
    }
    let st = state.clone();
    let delay = body.delay;
    write(&state, move |tx| {
        let st = st.clone();
        Box::pin(async move {
            if let Some(m) = mode {
                tx.set_meta(simulator::META_MODE, m.as_str()).await?;
            }
            if let Some(d) = delay {
                tx.set_meta(simulator::META_DELAY, &d.to_string()).await?;
            }
            let now = st.clock.now();
            let mut seen = std::collections::HashSet::new();
            for t in tx.all_timers().await? {
                if seen.insert(t.circuit_id.clone()) {
                    if let Some(c) = tx.get_circuit(&t.circuit_id).await? {
                        simulator::redate(tx, &st, &c, now).await?;
                    }
                }
            }
            Ok(())
        })
    })
    .await?;
    state.timers_changed.notify_one();
    Ok(Json(provisioning_json(&state).await?))
}

/// Finds the order's owner, then runs `f` for it in one transaction.
async fn order_action(state: &AppState, id: String, pay: bool) -> AResult<Json<Value>> {
    let steps = crate::simulator::mark(state);
    let st = state.clone();
    let id = Arc::new(id);
    let order = write(state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(o) = tx.get_order(&id).await? else {
                return Err(DomainError::OrderNotFound.into());
            };
            let now = st.clock.now();
            if pay {
                crate::billing::pay_existing(tx, &st, &o.account_id, &id, now).await
            } else {
                crate::billing::void(tx, &o.account_id, &id, now).await
            }
        })
    })
    .await?;
    crate::simulator::after_write(state, steps).await;
    Ok(Json(order_json(&order)))
}

/// Pays an unpaid, normal order from its account's balance (as BSS
/// `PayOrder`); an occupancy order then enables its circuit.
pub(crate) async fn pay_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    order_action(&state, id, true).await
}

/// Voids an unpaid order (as BSS `CancelOrder`); no money moves.
pub(crate) async fn cancel_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    order_action(&state, id, false).await
}

#[derive(Deserialize)]
pub(crate) struct LoaReviewBody {
    status: String,
}

/// The provider's review of an LOA application: `Applying` → `Available`
/// (approved) or `Rejected` (then SecondApplyPhysicalConnectionLOA).
pub(crate) async fn review_loa(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<LoaReviewBody>,
) -> AResult<Json<Value>> {
    let to = match LoaStatus::parse(&body.status) {
        Some(s @ (LoaStatus::Available | LoaStatus::Rejected)) => s,
        _ => return Err(AdminError::bad("status must be Available or Rejected")),
    };
    let id = Arc::new(id);
    let c = write(&state, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            let Some(mut c) = tx
                .get_circuit(&id)
                .await?
                .filter(|c| c.deleted_at.is_none())
            else {
                return Ok(Err(AdminError::not_found("physical connection")));
            };
            if c.loa_status != Some(LoaStatus::Applying) {
                let now = c.loa_status.map(|s| s.as_str()).unwrap_or("none");
                return Ok(Err(AdminError::conflict(format!(
                    "the LOA is {now}, not Applying"
                ))));
            }
            c.loa_status = Some(to);
            if to == LoaStatus::Available {
                if let Some(l) = c.loa.as_mut() {
                    l.loa_url = format!("https://physconn.invalid/loa/{}.pdf", c.id);
                }
            }
            for t in tx.list_timers(&c.id).await? {
                if t.kind == TimerKind::Loa {
                    tx.delete_timer(&t.id).await?;
                }
            }
            tx.update_circuit(&c).await?;
            Ok(Ok(c))
        })
    })
    .await??;
    Ok(Json(render::circuit(&c)))
}
