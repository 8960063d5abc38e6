//! Provider faults: added, listed and removed here; `crate::faults` makes
//! them strike (docs/design/decisions.md#provider-simulator,
//! docs/design/vbr.md#conflicts).

use super::accounts::load_account;
use super::{read, write, AResult, AdminError};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use physconn_domain::{FaultOutcome, FaultScope};
use physconn_store::Fault;
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
pub(crate) struct FaultBody {
    /// `circuit`, `vbr`, `account` or `global`.
    scope: String,
    /// Circuit id, VBR id or AccountId (`default` allowed); empty for `global`.
    #[serde(default)]
    target: String,
    /// `Rejected`, `Allocation Failed`, `TaskConflict` or `OperationConflict`.
    outcome: String,
    /// How many steps or calls it applies to; default 1 (global: unlimited
    /// unless given).
    #[serde(default)]
    count: Option<i64>,
    /// For a global `Rejected` or `Allocation Failed`: the share of circuits, 0-1.
    #[serde(default)]
    share: Option<f64>,
}

fn fault_json(f: &Fault) -> Value {
    json!({"FaultId": f.id, "Scope": f.scope.as_str(), "Target": f.target, "Outcome": f.outcome.as_str(),
           "Remaining": f.remaining, "Share": f.share_ppm as f64 / 1e6, "CreateTime": format_timestamp(f.created_at)})
}

fn names(items: impl Iterator<Item = &'static str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Makes the next matching provider step fail, or the next matching create
/// call answer a conflict.
pub(crate) async fn add_fault(
    State(state): State<AppState>,
    Json(body): Json<FaultBody>,
) -> AResult<impl IntoResponse> {
    let outcome = FaultOutcome::parse(&body.outcome).ok_or_else(|| {
        AdminError::bad(format!(
            "outcome must be one of {}",
            names(FaultOutcome::ALL.iter().map(|o| o.as_str()))
        ))
    })?;
    let scope = FaultScope::parse(&body.scope)
        .filter(|s| outcome.scopes().contains(s))
        .ok_or_else(|| {
            AdminError::bad(format!(
                "scope of a {outcome} fault must be one of {}",
                names(outcome.scopes().iter().map(|s| s.as_str()))
            ))
        })?;
    if body.share.is_some() && !outcome.takes_share() {
        return Err(AdminError::bad(format!(
            "a {outcome} fault strikes calls, not a share of objects: give count, not share"
        )));
    }
    let (target, remaining, share_ppm) = match scope {
        FaultScope::Circuit | FaultScope::Vbr => {
            let target = body.target.clone();
            if !exists(&state, scope, &target).await? {
                return Err(AdminError::not_found(match scope {
                    FaultScope::Vbr => "virtual border router",
                    _ => "physical connection",
                }));
            }
            (target, body.count.unwrap_or(1), 0)
        }
        FaultScope::Account => (
            load_account(&state, body.target.clone()).await?.id,
            body.count.unwrap_or(1),
            0,
        ),
        FaultScope::Global => {
            let share = body.share.unwrap_or(1.0);
            if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
                return Err(AdminError::bad("share must be between 0 and 1"));
            }
            (
                String::new(),
                body.count.unwrap_or(-1),
                (share * 1e6).round() as i64,
            )
        }
    };
    if remaining == 0 {
        return Err(AdminError::bad("count must not be 0"));
    }
    let fault = Fault {
        id: state.ids.internal_id(),
        scope,
        target,
        outcome,
        remaining,
        share_ppm,
        created_at: state.now(),
    };
    let f = Arc::new(fault.clone());
    write(&state, move |tx| {
        let f = f.clone();
        Box::pin(async move { tx.insert_fault(&f).await })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(fault_json(&fault))))
}

/// Whether the line or VBR a fault names exists (a deleted line does not).
async fn exists(state: &AppState, scope: FaultScope, id: &str) -> AResult<bool> {
    let id = Arc::new(id.to_string());
    read(state, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            Ok(match scope {
                FaultScope::Vbr => tx.vbrs().get_vbr(&id).await?.is_some(),
                _ => tx
                    .get_circuit(&id)
                    .await?
                    .is_some_and(|c| c.deleted_at.is_none()),
            })
        })
    })
    .await
}

pub(crate) async fn list_faults(State(state): State<AppState>) -> AResult<Json<Value>> {
    let faults = read(&state, |tx| tx.list_faults()).await?;
    Ok(Json(
        json!({"Faults": faults.iter().map(fault_json).collect::<Vec<_>>()}),
    ))
}

pub(crate) async fn delete_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<StatusCode> {
    let fid = Arc::new(id);
    let gone = write(&state, move |tx| {
        let fid = fid.clone();
        Box::pin(async move { tx.delete_fault(&fid).await })
    })
    .await?;
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found("fault"))
    }
}
