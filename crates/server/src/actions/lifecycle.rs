//! The rest of a circuit's life:
//! ModifyPhysicalConnectionAttribute, EnablePhysicalConnection,
//! CancelPhysicalConnection, TerminatePhysicalConnection,
//! DeletePhysicalConnection, RecoverPhysicalConnection. Allowed states follow
//! docs/design/circuits.md#state-action-table.

use super::params::Params;
use super::{client_token, idempotent_write, require_region, scoped_circuit, CallCtx, Reply};
use crate::errors::from_domain;
use crate::state::AppState;
use crate::{billing, simulator};
use physconn_domain::TimerKind;
use physconn_domain::VbrError;
use physconn_domain::{
    validate, ApiProfile, Circuit, DomainError, LineOperator, PaymentStatus, PortType, Status, Time,
};
use physconn_store::{OpResult, TxOps, VbrScope};
use physconn_wire::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
struct Done {}

/// What every action here starts with: both required ids, then the region.
fn target(p: &Params) -> Result<(String, String), ApiError> {
    p.required("RegionId")?;
    let id = p.required("PhysicalConnectionId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    Ok((region, id))
}

/// Runs `change` on the caller's circuit in one idempotent transaction.
async fn with_circuit<F>(ctx: &CallCtx, p: &Params, change: F) -> Result<Reply, ApiError>
where
    F: for<'t> Fn(
            &'t mut dyn TxOps,
            Circuit,
            AppState,
            Time,
        ) -> physconn_store::BoxFut<'t, OpResult<()>>
        + Send
        + Sync
        + 'static,
{
    let (region, id) = target(p)?;
    let token = client_token(p)?;
    let st = ctx.state.clone();
    let account = ctx.account_id.clone();
    let now = ctx.now;
    let change = Arc::new(change);
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (st, account, region, id, change) = (
            st.clone(),
            account.clone(),
            region.clone(),
            id.clone(),
            change.clone(),
        );
        Box::pin(async move {
            let c =
                scoped_circuit(tx, &account, &region, &id, DomainError::CircuitNotFound).await?;
            change(tx, c, st, now).await?;
            Ok(Done {})
        })
    })
    .await?;
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(Reply::standard(ctx, vec![]))
}

/// Voids the circuit's unpaid occupancy order (no money moves). A paid order
/// waiting for activation cannot be undone this way: `Forbidden.NotAllowedInState`.
async fn void_pending_order(tx: &mut dyn TxOps, c: &mut Circuit, now: Time) -> OpResult<()> {
    let Some(order_id) = c.pending_order_id.clone() else {
        return Ok(());
    };
    if let Some(mut order) = tx.get_order(&order_id).await? {
        match order.status {
            PaymentStatus::Unpaid => {
                order.mark_cancelled(now)?;
                tx.update_order(&order).await?;
            }
            PaymentStatus::Paid => return Err(DomainError::NotAllowedInState.into()),
            PaymentStatus::Cancelled => {}
        }
    }
    c.pending_order_id = None;
    Ok(())
}

async fn transition(
    tx: &mut dyn TxOps,
    st: &AppState,
    c: &mut Circuit,
    to: Status,
    cause: &str,
    now: Time,
) -> OpResult<()> {
    let from = c.status;
    c.status = to;
    tx.update_circuit(c).await?;
    simulator::record(tx, st.ids.as_ref(), &c.id, Some(from), to, cause, now).await
}

#[derive(Default, Clone)]
struct Changes {
    line_operator: Option<LineOperator>,
    port_type: Option<PortType>,
    bandwidth: Option<i64>,
    peer_location: Option<String>,
    redundant_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    circuit_code: Option<String>,
}

fn parse_changes(p: &Params) -> Result<Changes, ApiError> {
    let refuse = |e: DomainError| from_domain(&e);
    let mut ch = Changes::default();
    if let Some(v) = p.non_empty("LineOperator") {
        ch.line_operator =
            Some(LineOperator::parse(v).ok_or_else(|| refuse(DomainError::LineOperatorMalformed))?);
    }
    if let Some(v) = p.non_empty("PortType") {
        ch.port_type =
            Some(PortType::parse(v).ok_or_else(|| refuse(DomainError::PortTypeMalformed))?);
    }
    if let Some(v) = p.non_empty("bandwidth") {
        ch.bandwidth = Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| refuse(DomainError::BandwidthInvalid))?,
        );
    }
    if let Some(v) = p.str("PeerLocation") {
        if !validate::free_text(v, 256) {
            return Err(refuse(DomainError::PeerLocationMalformed));
        }
        ch.peer_location = Some(v.to_string());
    }
    if let Some(v) = p.non_empty("Name") {
        validate::name(v).map_err(refuse)?;
        ch.name = Some(v.to_string());
    }
    if let Some(v) = p.non_empty("Description") {
        validate::description(v).map_err(refuse)?;
        ch.description = Some(v.to_string());
    }
    if let Some(v) = p.str("CircuitCode") {
        validate::circuit_code(v).map_err(refuse)?;
        ch.circuit_code = Some(v.to_string());
    }
    ch.redundant_id = p
        .non_empty("RedundantPhysicalConnectionId")
        .map(str::to_string);
    if p.int("DownDelayTime")?.is_some_and(|d| d < 0) {
        return Err(ApiError::invalid_parameter("DownDelayTime"));
    }
    Ok(ch)
}

/// docs/design/circuits.md#modify: the port type and the redundant circuit
/// change only in `Initial`, `Enabled` and `Rejected`; nothing changes in `Canceled`, `Allocating`,
/// `Allocation Failed`, `Terminating`, `Terminated`. A `Rejected` circuit
/// returns to `Initial` and is reviewed again.
pub async fn modify(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let ch = Arc::new(parse_changes(p)?);
    with_circuit(ctx, p, move |tx, mut c, st, now| {
        let ch = ch.clone();
        Box::pin(async move {
            use Status::*;
            if matches!(
                c.status,
                Canceled | Allocating | AllocationFailed | Terminating | Terminated
            ) {
                return Err(DomainError::NotAllowedInState.into());
            }
            let port_changes = ch.port_type.is_some_and(|p| p != c.port_type);
            let redundant_changes = ch
                .redundant_id
                .as_ref()
                .is_some_and(|r| *r != c.redundant_id);
            if (port_changes || redundant_changes)
                && !matches!(c.status, Initial | Enabled | Rejected)
            {
                return Err(DomainError::NotAllowedInState.into());
            }
            if let Some(r) = ch.redundant_id.as_ref().filter(|_| redundant_changes) {
                let other = scoped_circuit(
                    tx,
                    &c.account_id,
                    &c.region_id,
                    r,
                    DomainError::RedundantNotFound,
                )
                .await?;
                if !matches!(other.status, Allocated | Confirmed | Enabled) || other.id == c.id {
                    return Err(DomainError::RedundantStatus.into());
                }
                c.redundant_id = r.clone();
            }
            if let Some(v) = ch.line_operator {
                c.line_operator = v;
            }
            if let Some(v) = ch.port_type {
                c.port_type = v;
            }
            if let Some(b) = ch.bandwidth {
                // 2–10240 Mbit/s, and no more than the port carries.
                if !(2..=c.port_type.capacity_mbps().min(10_240)).contains(&b) {
                    return Err(DomainError::BandwidthInvalid.into());
                }
                c.bandwidth = b;
            }
            if let Some(v) = &ch.peer_location {
                c.peer_location = v.clone();
            }
            if let Some(v) = &ch.name {
                c.name = v.clone();
            }
            if let Some(v) = &ch.description {
                c.description = v.clone();
            }
            if let Some(v) = &ch.circuit_code {
                c.circuit_code = v.clone();
            }
            if c.status == Rejected {
                transition(
                    tx,
                    &st,
                    &mut c,
                    Initial,
                    "ModifyPhysicalConnectionAttribute",
                    now,
                )
                .await?;
                tx.delete_timers_for(&c.id).await?;
                simulator::schedule_next(tx, &st, &c, TimerKind::Provider, now, now).await?;
            } else {
                tx.update_circuit(&c).await?;
            }
            Ok(())
        })
    })
    .await
}

/// From `Confirmed` only, asynchronous (docs/design/circuits.md#enable).
/// Under the `current` profile only accounts marked `bypass_sp` may enable
/// without an order.
pub async fn enable(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.bool("ByPassSp")?;
    with_circuit(ctx, p, move |tx, c, st, now| {
        Box::pin(async move {
            if c.status != Status::Confirmed
                || c.pending_order_id.is_some()
                || !tx.list_timers(&c.id).await?.is_empty()
            {
                return Err(DomainError::NotAllowedInState.into());
            }
            if st.config.api_profile == ApiProfile::Current {
                let account = tx
                    .get_account(&c.account_id)
                    .await?
                    .ok_or(DomainError::AccountNotFound)?;
                if !account.bypass_sp {
                    return Err(DomainError::EnableWithoutSp.into());
                }
            }
            simulator::schedule_next(tx, &st, &c, TimerKind::Enable, now, now).await
        })
    })
    .await
}

/// `Initial`, `Approved`, `Allocated`, `Confirmed` → `Canceled`; an
/// unpaid occupancy order is voided.
pub async fn cancel(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_circuit(ctx, p, move |tx, mut c, st, now| {
        Box::pin(async move {
            if !matches!(
                c.status,
                Status::Initial | Status::Approved | Status::Allocated | Status::Confirmed
            ) {
                return Err(DomainError::NotAllowedInState.into());
            }
            void_pending_order(tx, &mut c, now).await?;
            billing::void_setup_orders(tx, &c, now).await?;
            tx.delete_timers_for(&c.id).await?;
            transition(
                tx,
                &st,
                &mut c,
                Status::Canceled,
                "CancelPhysicalConnection",
                now,
            )
            .await
        })
    })
    .await
}

/// A line with VBRs, in any status (terminated ones too), can be neither
/// terminated nor deleted: they must be deleted first.
async fn refuse_if_vbrs(tx: &mut dyn TxOps, c: &Circuit, refusal: VbrError) -> OpResult<()> {
    if tx.vbrs().list_vbrs(VbrScope::Line(&c.id)).await?.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Vbr(refusal).into())
    }
}

/// `Enabled` → `Terminating`, then the provider finishes → `Terminated`.
pub async fn terminate(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_circuit(ctx, p, move |tx, mut c, st, now| {
        Box::pin(async move {
            refuse_if_vbrs(tx, &c, VbrError::LineHasVbrsTerminate).await?;
            if c.status != Status::Enabled {
                return Err(DomainError::NotAllowedInState.into());
            }
            tx.delete_timers_for(&c.id).await?;
            transition(
                tx,
                &st,
                &mut c,
                Status::Terminating,
                "TerminatePhysicalConnection",
                now,
            )
            .await?;
            simulator::schedule_next(tx, &st, &c, TimerKind::Provider, now, now).await
        })
    })
    .await
}

/// docs/design/decisions.md#deletion: allowed in `Rejected`, `Canceled`,
/// `Allocation Failed`, `Terminated`, `Allocated`, `Confirmed`; the circuit
/// disappears at once.
pub async fn delete(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_circuit(ctx, p, move |tx, mut c, st, now| {
        Box::pin(async move {
            use Status::*;
            refuse_if_vbrs(tx, &c, VbrError::LineHasVbrsDelete).await?;
            if !matches!(
                c.status,
                Rejected | Canceled | AllocationFailed | Terminated | Allocated | Confirmed
            ) {
                return Err(DomainError::NotAllowedInState.into());
            }
            void_pending_order(tx, &mut c, now).await?;
            billing::void_setup_orders(tx, &c, now).await?;
            tx.delete_timers_for(&c.id).await?;
            c.deleted_at = Some(now);
            tx.update_circuit(&c).await?;
            simulator::record(
                tx,
                st.ids.as_ref(),
                &c.id,
                Some(c.status),
                c.status,
                "DeletePhysicalConnection",
                now,
            )
            .await
        })
    })
    .await
}

/// Only terminated *shared* circuits can be recovered; physconn's
/// circuits are dedicated, so a known circuit answers
/// `IncorrectStatus.PhysicalConnection` ("The status of <id> is incorrect.").
pub async fn recover(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("InstanceId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    p.bool("DryRun")?;
    if let Some(t) = p.non_empty("Token") {
        validate::client_token(t).map_err(|e| from_domain(&e))?;
    }
    let account = ctx.account_id.clone();
    let lookup_id = id.clone();
    let found = super::read(ctx, move |tx| {
        let (account, region, id) = (account.clone(), region.clone(), lookup_id.clone());
        Box::pin(async move {
            Ok(
                scoped_circuit(tx, &account, &region, &id, DomainError::CircuitNotFound)
                    .await
                    .is_ok(),
            )
        })
    })
    .await?;
    if !found {
        return Err(ApiError::with_args(ErrorCode::ResourceNotFound, &[&id]));
    }
    Err(from_domain(&DomainError::RecoverIncorrectStatus(id)))
}
