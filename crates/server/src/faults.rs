//! Faults of the simulated provider, as they strike
//! (docs/design/decisions.md#provider-simulator): a line's review or
//! allocation step that fails, and a create call answered with the conflict
//! the cloud gives while a back-end task runs (docs/design/vbr.md#conflicts).
//! The admin API adds and removes them (`admin/faults.rs`).

use crate::errors::from_op;
use crate::state::AppState;
use physconn_domain::{Circuit, FaultOutcome, FaultScope, Status};
use physconn_store::{Fault, OpResult, TxOps};
use physconn_wire::{ApiError, ErrorCode};
use std::sync::Arc;

/// The failure a pending fault makes of this circuit's next step, if any;
/// the fault is consumed. `Rejected` applies to the review steps (from
/// `Initial` or `Approved`), `Allocation Failed` to allocation.
pub async fn take_step_fault(tx: &mut dyn TxOps, c: &Circuit) -> OpResult<Option<Status>> {
    let outcome = match c.status {
        Status::Initial | Status::Approved => FaultOutcome::Rejected,
        Status::Allocating => FaultOutcome::AllocationFailed,
        _ => return Ok(None),
    };
    for f in tx.list_faults().await? {
        if f.outcome != outcome {
            continue;
        }
        let applies = match f.scope {
            FaultScope::Circuit => f.target == c.id,
            FaultScope::Account => f.target == c.account_id && f.remaining != 0,
            FaultScope::Global => {
                share_picks(&f.id, &c.id) < u64::try_from(f.share_ppm).unwrap_or(0)
            }
            FaultScope::Vbr => false,
        };
        if applies {
            consume(tx, &f).await?;
            return Ok(outcome.line_status());
        }
    }
    Ok(None)
}

/// A global fault picks a fixed share of *circuits* (not of steps): each
/// circuit's draw is a hash of the fault and the circuit, in 0..1,000,000, so
/// its review and allocation steps agree.
fn share_picks(fault_id: &str, circuit_id: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("{fault_id}/{circuit_id}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b) % 1_000_000
}

async fn consume(tx: &mut dyn TxOps, f: &Fault) -> OpResult<()> {
    if f.remaining > 0 {
        tx.set_fault_remaining(&f.id, f.remaining - 1).await?;
    }
    Ok(())
}

/// The create call a conflict fault may strike: its outcome, the caller and
/// the object it works on (the line for `TaskConflict` on
/// CreateVirtualBorderRouter, the VBR for `OperationConflict` on
/// CreateBgpGroup).
pub struct Call {
    pub outcome: FaultOutcome,
    pub account: String,
    pub object: String,
}

impl Call {
    fn struck_by(&self, f: &Fault) -> bool {
        f.outcome == self.outcome
            && f.remaining != 0
            && match f.scope {
                FaultScope::Account => f.target == self.account,
                FaultScope::Global => true,
                FaultScope::Circuit | FaultScope::Vbr => f.target == self.object,
            }
    }
}

/// Answers the call's conflict code, consuming one use of the first fault
/// that strikes it; `Ok` when none does. Runs before the call's own
/// transaction, whose refusal would roll the consumption back: a call is
/// struck only once its parameters have passed the checks that need no
/// stored state. The snapshot read keeps calls without a fault from writing;
/// the write looks again, so two racing calls never share one use.
pub async fn strike_conflict(state: &AppState, call: Call) -> Result<(), ApiError> {
    let call = Arc::new(call);
    let c = call.clone();
    let pending = physconn_store::read(&*state.store, move |tx| {
        let c = c.clone();
        Box::pin(async move { Ok(tx.list_faults().await?.iter().any(|f| c.struck_by(f))) })
    })
    .await
    .map_err(from_op)?;
    if !pending {
        return Ok(());
    }
    let c = call.clone();
    let struck = physconn_store::write(&*state.store, move |tx| {
        let c = c.clone();
        Box::pin(async move {
            for f in tx.list_faults().await? {
                if c.struck_by(&f) {
                    consume(tx, &f).await?;
                    return Ok(true);
                }
            }
            Ok(false)
        })
    })
    .await
    .map_err(from_op)?;
    match (struck, call.outcome) {
        (true, FaultOutcome::TaskConflict) => Err(ApiError::new(ErrorCode::TaskConflict)),
        (true, FaultOutcome::OperationConflict) => Err(ApiError::new(ErrorCode::OperationConflict)),
        _ => Ok(()),
    }
}
