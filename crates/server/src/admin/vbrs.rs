//! Virtual border routers for operators: listing (a line's, an account's),
//! one VBR with its pending step, and the provider's moves: run the pending
//! step now, or force a status the provider can reach (an `unconfirmed` VBR
//! accepted, a transient status finished).

use super::{read, write, AResult, AdminError};
use crate::actions::vbr_describe::render;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use physconn_domain::vbr::{Vbr, VbrStatus, VbrStep};
use physconn_store::{TxOps, VbrScope};
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    circuit: Option<String>,
    account: Option<String>,
}

/// The admin view of a VBR: the API object plus its owners, timers and
/// BGP objects.
async fn view(tx: &mut dyn TxOps, v: &Vbr) -> physconn_store::OpResult<Value> {
    let line = tx.circuit_status(&v.circuit_id).await?;
    let timers = tx.list_timers(&v.id).await?;
    let bgp = super::bgp::objects_of(tx, &v.id).await?;
    let mut out = render(v, line);
    if let Value::Object(m) = &mut out {
        m.insert("AccountId".into(), json!(v.account_id));
        m.insert("RegionId".into(), json!(v.region_id));
        m.insert("Bgp".into(), bgp);
        m.insert(
            "Timers".into(),
            json!(timers
                .iter()
                .map(|t| json!({"Kind": t.kind, "Due": format_timestamp(t.due_at)}))
                .collect::<Vec<_>>()),
        );
    }
    Ok(out)
}

/// `GET /admin/vbrs?circuit=pc-…` (a line's VBRs) or `?account=…` (the
/// VBRs an account owns or carries on its lines), newest first.
pub(crate) async fn list_vbrs(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AResult<Json<Value>> {
    if q.circuit.is_none() && q.account.is_none() {
        return Err(AdminError::bad(
            "give circuit=<PhysicalConnectionId> or account=<AccountId>",
        ));
    }
    let q = Arc::new(q);
    let items = read(&state, move |tx| {
        let q = q.clone();
        Box::pin(async move {
            let mut vbrs = match (&q.circuit, &q.account) {
                (Some(c), _) => tx.vbrs().list_vbrs(VbrScope::Line(c)).await?,
                (None, Some(a)) => {
                    let mut all = tx.vbrs().list_vbrs(VbrScope::Owner(a)).await?;
                    for v in tx.vbrs().list_vbrs(VbrScope::LineOwner(a)).await? {
                        if !all.iter().any(|o| o.id == v.id) {
                            all.push(v);
                        }
                    }
                    all
                }
                (None, None) => Vec::new(),
            };
            vbrs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let mut out = Vec::with_capacity(vbrs.len());
            for v in &vbrs {
                out.push(view(tx, v).await?);
            }
            Ok(out)
        })
    })
    .await?;
    Ok(Json(json!({ "Vbrs": items })))
}

pub(crate) async fn get_vbr(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let id = Arc::new(id);
    let v = read(&state, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            match tx.vbrs().get_vbr(&id).await? {
                Some(v) => Ok(Some(view(tx, &v).await?)),
                None => Ok(None),
            }
        })
    })
    .await?;
    v.map(Json)
        .ok_or_else(|| AdminError::not_found("virtual border router"))
}

#[derive(Deserialize)]
pub(crate) struct StatusBody {
    status: String,
}

/// What the provider can make of a VBR in one move: finish its transient
/// status, or accept an `unconfirmed` one. `None`: it has no move.
fn provider_move(s: VbrStatus) -> Option<VbrStep> {
    match s {
        VbrStatus::Unconfirmed => Some(VbrStep::To(VbrStatus::Active)),
        other => other.step(),
    }
}

/// Applies the provider's move; the VBR after it (`None`: deleted).
async fn apply(
    tx: &mut dyn TxOps,
    st: &AppState,
    mut v: Vbr,
    step: VbrStep,
) -> physconn_store::OpResult<Option<Value>> {
    tx.delete_timers_for(&v.id).await?;
    match step {
        VbrStep::To(to) => {
            v.set_status(to, st.clock.now());
            tx.vbrs().update_vbr(&v).await?;
            Ok(Some(view(tx, &v).await?))
        }
        VbrStep::Remove => {
            crate::actions::bgp::drop_with_vbr(tx, &v.id).await?;
            tx.vbrs().delete_vbr(&v.id).await?;
            Ok(None)
        }
    }
}

/// `POST /admin/vbrs/{id}/status {"status": "active"|"terminated"|"deleted"}`:
/// only where the provider's one move leads (409 otherwise).
pub(crate) async fn force_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<StatusBody>,
) -> AResult<Json<Value>> {
    let target = match body.status.as_str() {
        "deleted" => VbrStep::Remove,
        s => VbrStep::To(
            VbrStatus::parse(s).ok_or_else(|| AdminError::bad(format!("unknown status {s:?}")))?,
        ),
    };
    move_vbr(state, id, Some(target)).await
}

/// `POST /admin/vbrs/{id}/advance`: the provider's pending move, now.
pub(crate) async fn advance_vbr(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    move_vbr(state, id, None).await
}

async fn move_vbr(state: AppState, id: String, target: Option<VbrStep>) -> AResult<Json<Value>> {
    let st = state.clone();
    let id = Arc::new(id);
    let shown = id.clone();
    let out = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(v) = tx.vbrs().get_vbr(&id).await? else {
                return Ok(Err(AdminError::not_found("virtual border router")));
            };
            let Some(step) = provider_move(v.status) else {
                return Ok(Err(AdminError::conflict(format!(
                    "{} ({}) has no pending provider step",
                    v.id, v.status
                ))));
            };
            if target.is_some_and(|t| t != step) {
                return Ok(Err(AdminError::conflict(format!(
                    "the provider cannot move {} from {} there",
                    v.id, v.status
                ))));
            }
            Ok(Ok(apply(tx, &st, v, step).await?))
        })
    })
    .await??;
    state.timers_changed.notify_one();
    Ok(Json(out.unwrap_or_else(
        || json!({"VbrId": shown.as_str(), "Deleted": true}),
    )))
}
