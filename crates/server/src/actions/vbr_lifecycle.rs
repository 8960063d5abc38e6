//! TerminateVirtualBorderRouter, RecoverVirtualBorderRouter and
//! DeleteVirtualBorderRouter, and the provider's step that finishes each
//! (`terminating → terminated`, `recovering → active`, `deleting → gone`),
//! run from a durable timer like the line's steps (docs/design/vbr.md).

use super::params::Params;
use super::vbr::{line_of, schedule_step, visible_vbr};
use super::{client_token, idempotent_write, require_region, CallCtx, Reply};
use crate::simulator;
use crate::state::AppState;
use physconn_domain::vbr::{Vbr, VbrAction, VbrStatus, VbrStep};
use physconn_domain::vbr_error::VbrError;
use physconn_domain::{BusinessStatus, DomainError, Status, Time};
use physconn_store::{OpResult, Timer, TxOps, VbrScope};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
struct Done {}

/// What a VBR action checks and does beyond finding the VBR.
type Change = for<'t> fn(
    &'t mut dyn TxOps,
    &'t AppState,
    &'t str,
    Vbr,
    Time,
) -> physconn_store::BoxFut<'t, OpResult<()>>;

/// Finds the caller's VBR (`not_found` otherwise) and runs `change` on it in
/// one idempotent transaction.
async fn with_vbr(
    ctx: &CallCtx,
    p: &Params,
    not_found: VbrError,
    change: Change,
) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("VbrId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let st = ctx.state.clone();
    let caller = Arc::new(ctx.account_id.clone());
    let now = ctx.now;
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (st, caller, region, id, not_found) = (
            st.clone(),
            caller.clone(),
            region.clone(),
            id.clone(),
            not_found.clone(),
        );
        Box::pin(async move {
            let v = visible_vbr(tx, &caller, &region, &id, not_found).await?;
            change(tx, &st, &caller, v, now).await?;
            Ok(Done {})
        })
    })
    .await?;
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(Reply::standard(ctx, vec![]))
}

fn refused(e: VbrError) -> physconn_store::OpError {
    DomainError::Vbr(e).into()
}

/// Enters a transient status and schedules the provider's step out of it.
async fn begin(
    tx: &mut dyn TxOps,
    st: &AppState,
    mut v: Vbr,
    to: VbrStatus,
    now: Time,
) -> OpResult<()> {
    v.set_status(to, now);
    tx.vbrs().update_vbr(&v).await?;
    schedule_step(tx, st, &v, now).await
}

/// `active → terminating → terminated`; the line owner's call.
pub async fn terminate(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_vbr(ctx, p, VbrError::NotFound, |tx, st, caller, v, now| {
        Box::pin(async move {
            if v.circuit_owner_id != caller {
                return Err(refused(VbrError::OperationNotAllowedByUser("terminate")));
            }
            if !VbrAction::Terminate.allowed_in(v.status) {
                return Err(refused(VbrError::InvalidState));
            }
            begin(tx, st, v, VbrStatus::Terminating, now).await
        })
    })
    .await
}

/// `terminated → recovering → active`; the line owner's call, on an
/// `Enabled` line, while no other VBR took the VLAN meanwhile.
pub async fn recover(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_vbr(ctx, p, VbrError::NotFound, |tx, st, caller, v, now| {
        Box::pin(async move {
            if v.circuit_owner_id != caller {
                return Err(refused(VbrError::OperationNotAllowedByUser("recover")));
            }
            if !VbrAction::Recover.allowed_in(v.status) {
                return Err(refused(VbrError::InvalidState));
            }
            match line_of(tx, &v).await? {
                Some(l) if l.status == Status::Enabled && l.deleted_at.is_none() => {
                    if l.business_status != BusinessStatus::Normal {
                        return Err(refused(VbrError::CircuitNotEnabled));
                    }
                }
                _ => return Err(refused(VbrError::InvalidState)),
            }
            let line = tx.vbrs().list_vbrs(VbrScope::Line(&v.circuit_id)).await?;
            if !Vbr::vlan_free(v.vlan_id, Some(&v.id), &line, now) {
                return Err(refused(VbrError::VlanTakenMeanwhile));
            }
            begin(tx, st, v, VbrStatus::Recovering, now).await
        })
    })
    .await
}

/// `deleting`, then gone. The line owner may delete another account's VBR
/// only while that account has not accepted it.
pub async fn delete(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    with_vbr(
        ctx,
        p,
        VbrError::NotFoundDelete,
        |tx, st, caller, v, now| {
            Box::pin(async move {
                if v.account_id != caller && v.status != VbrStatus::Unconfirmed {
                    return Err(refused(VbrError::OperationNotAllowedByUser("delete")));
                }
                if !VbrAction::Delete.allowed_in(v.status) {
                    return Err(refused(VbrError::InvalidState));
                }
                if super::bgp::vbr_has_groups(tx, &v.id).await? {
                    return Err(DomainError::Bgp(physconn_domain::BgpError::VbrHasGroups).into());
                }
                begin(tx, st, v, VbrStatus::Deleting, now).await
            })
        },
    )
    .await
}

/// The provider finishes a VBR's transient status (a `vbr` timer). Returns
/// whether the VBR changed; a timer whose VBR is gone or stable is dropped.
pub async fn step(tx: &mut dyn TxOps, timer: &Timer, now: Time) -> OpResult<bool> {
    let Some(mut v) = tx.vbrs().get_vbr(&timer.circuit_id).await? else {
        return Ok(false);
    };
    match v.status.step() {
        None => Ok(false),
        Some(VbrStep::To(to)) => {
            v.set_status(to, now);
            tx.vbrs().update_vbr(&v).await
        }
        Some(VbrStep::Remove) => {
            super::bgp::drop_with_vbr(tx, &v.id).await?;
            tx.vbrs().delete_vbr(&v.id).await
        }
    }
}
