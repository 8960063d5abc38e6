//! BGP for operators: a VBR's groups, peers and networks as the API shows
//! them (with their pending steps), a peer's session state and route
//! counts, which no API action sets (so a user can test "the session went
//! down"), and the provider's pending step run now (docs/design/bgp.md#admin).

use super::{read, write, AResult, AdminError};
use crate::actions::bgp_describe::{render_group, render_network, render_peer};
use axum::extract::{Path, Query, State};
use axum::Json;
use physconn_domain::bgp::{BgpObject, SessionState};
use physconn_store::{BgpScope, TxOps};
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    vbr: String,
}

/// A VBR's BGP objects, each as the API shows it plus its pending step.
pub(crate) async fn objects_of(tx: &mut dyn TxOps, vbr: &str) -> physconn_store::OpResult<Value> {
    let all = tx.bgp().list_bgp(BgpScope::Vbr(vbr)).await?;
    let groups: HashMap<&str, &physconn_domain::BgpGroup> = all
        .iter()
        .filter_map(|o| match o {
            BgpObject::Group(g) => Some((g.id.as_str(), g)),
            _ => None,
        })
        .collect();
    let (mut gs, mut ps, mut ns) = (Vec::new(), Vec::new(), Vec::new());
    for o in &all {
        let mut shown = match o {
            BgpObject::Group(g) => render_group(g),
            BgpObject::Peer(p) => render_peer(p, groups.get(p.group_id.as_str()).copied()),
            BgpObject::Network(n) => render_network(n),
        };
        let timers = tx.list_timers(o.id()).await?;
        if let Value::Object(m) = &mut shown {
            m.insert(
                "Timers".into(),
                json!(timers
                    .iter()
                    .map(|t| json!({"Kind": t.kind, "Due": format_timestamp(t.due_at)}))
                    .collect::<Vec<_>>()),
            );
        }
        match o {
            BgpObject::Group(_) => gs.push(shown),
            BgpObject::Peer(_) => ps.push(shown),
            BgpObject::Network(_) => ns.push(shown),
        }
    }
    Ok(json!({"Groups": gs, "Peers": ps, "Networks": ns}))
}

/// `GET /admin/bgp?vbr=vbr-…`: the VBR's groups, peers and networks.
pub(crate) async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AResult<Json<Value>> {
    let vbr = Arc::new(q.vbr);
    let out = read(&state, move |tx| {
        let vbr = vbr.clone();
        Box::pin(async move { objects_of(tx, &vbr).await })
    })
    .await?;
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SessionBody {
    /// A session state, or `""` for none.
    bgp_status: String,
    advertised_route_count: Option<i64>,
    received_route_count: Option<i64>,
}

/// `POST /admin/bgp-peers/{id}/session {"BgpStatus": "Idle", …}`.
pub(crate) async fn set_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<SessionBody>,
) -> AResult<Json<Value>> {
    let session = match body.bgp_status.as_str() {
        "" => None,
        s => Some(SessionState::parse(s).ok_or_else(|| {
            AdminError::bad(format!(
                "unknown BgpStatus {s:?}: one of {:?} or \"\"",
                SessionState::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
            ))
        })?),
    };
    let counts = [body.advertised_route_count, body.received_route_count];
    if counts.iter().flatten().any(|c| *c < 0) {
        return Err(AdminError::bad("route counts are not negative"));
    }
    let id = Arc::new(id);
    let out = write(&state, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            let Some(BgpObject::Peer(mut p)) = tx.bgp().get_bgp(&id).await? else {
                return Ok(Err(AdminError::not_found("BGP peer")));
            };
            p.session = session;
            if let Some(c) = counts[0] {
                p.advertised_route_count = c;
            }
            if let Some(c) = counts[1] {
                p.received_route_count = c;
            }
            let group = match tx.bgp().get_bgp(&p.group_id).await? {
                Some(BgpObject::Group(g)) => Some(g),
                _ => None,
            };
            tx.bgp().update_bgp(&BgpObject::Peer(p.clone())).await?;
            Ok(Ok(render_peer(&p, group.as_ref())))
        })
    })
    .await??;
    Ok(Json(out))
}

/// `POST /admin/bgp/{id}/advance`: a group's, peer's or network's pending
/// provider step (`Pending`/`Modifying` → `Available`, `Deleting` → gone), now.
pub(crate) async fn advance(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let st = state.clone();
    let id = Arc::new(id);
    let out = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(o) = tx.bgp().get_bgp(&id).await? else {
                return Ok(Err(AdminError::not_found("BGP object")));
            };
            if o.status().step().is_none() {
                return Ok(Err(AdminError::conflict(format!(
                    "{} ({}) has no pending provider step",
                    o.id(),
                    o.status()
                ))));
            }
            tx.delete_timers_for(&id).await?;
            crate::actions::bgp::step(tx, &id, st.clock.now()).await?;
            let after = tx.bgp().get_bgp(&id).await?;
            Ok(Ok(json!({
                "Id": id.as_str(),
                "Status": after.map(|o| o.status().as_str()).unwrap_or("deleted"),
            })))
        })
    })
    .await??;
    state.timers_changed.notify_one();
    Ok(Json(out))
}
