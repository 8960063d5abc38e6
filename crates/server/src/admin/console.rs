//! The web console on the admin listener: a page and its assets (plain HTML,
//! JS and CSS embedded in the binary, served without the token; the page asks
//! for the admin token and calls the JSON admin API with it), plus the read
//! endpoints the console needs that the rest of the admin API lacks.

use super::{find_account, read, AResult, AdminError};
use crate::actions::render;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use physconn_domain::{Circuit, Status, TimerKind};
use physconn_store::Timer;
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const INDEX_HTML: &str = include_str!("console/index.html");
const APP_JS: &str = include_str!("console/app.js");
const DOM_JS: &str = include_str!("console/dom.js");
const STYLE_CSS: &str = include_str!("console/style.css");

/// Only the page's own scripts and styles, only calls back to this listener,
/// never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; form-action 'none'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// `GET /console` and `GET /console/{file}`: no token (the page logs in).
pub(crate) fn pages() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/console", get(index)),
        ("/console/", get(index)),
        ("/console/{file}", get(asset)),
    ]
}

fn respond(content_type: &'static str, body: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn index() -> Response {
    respond("text/html; charset=utf-8", INDEX_HTML)
}

async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "index.html" => respond("text/html; charset=utf-8", INDEX_HTML),
        "app.js" => respond("text/javascript; charset=utf-8", APP_JS),
        "dom.js" => respond("text/javascript; charset=utf-8", DOM_JS),
        "style.css" => respond("text/css; charset=utf-8", STYLE_CSS),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct CircuitsQuery {
    /// An AccountId (or `default`); absent: every account.
    account: Option<String>,
    /// At most this many circuits (newest first); default 200, at most 1000.
    limit: Option<usize>,
}

/// A pending step: `Expect` is the status the circuit must still have when it
/// fires, `To` the status it then moves to (null for LOA and billing steps).
fn timer_json(t: &Timer) -> Value {
    let to = match t.kind {
        TimerKind::Provider => t.expect_status.and_then(|s| s.provider_next()),
        TimerKind::Activate | TimerKind::Enable => Some(Status::Enabled),
        _ => None,
    };
    json!({
        "PhysicalConnectionId": t.circuit_id,
        "Kind": t.kind.as_str(),
        "Expect": t.expect_status.map_or("", |s| s.as_str()),
        "To": to.map(|s| s.as_str()),
        "Due": format_timestamp(t.due_at),
    })
}

/// A circuit as DescribePhysicalConnections shows it, plus what an operator
/// needs in a list: owner, region, provisioning mode, pending order and the
/// next pending provider step.
fn circuit_row(c: &Circuit, next: Option<&Timer>) -> Value {
    let mut v = render::circuit(c);
    if let Value::Object(m) = &mut v {
        m.insert("AccountId".into(), json!(c.account_id));
        m.insert("RegionId".into(), json!(c.region_id));
        m.insert(
            "ProvisioningMode".into(),
            json!(c.provisioning_mode.map(|m| m.as_str())),
        );
        m.insert("PendingOrderId".into(), json!(c.pending_order_id));
        m.insert("NextStep".into(), next.map_or(Value::Null, timer_json));
    }
    v
}

/// `GET /admin/physical-connections?account=&limit=`: the live circuits of an
/// account, or of every account, newest first.
pub(crate) async fn list_circuits(
    State(state): State<AppState>,
    Query(q): Query<CircuitsQuery>,
) -> AResult<Json<Value>> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(AdminError::bad("limit must be 1-1000"));
    }
    let account = Arc::new(q.account);
    let found = read(&state, move |tx| {
        let account = account.clone();
        Box::pin(async move {
            let owners = match account.as_deref() {
                Some(id) => match find_account(tx, id).await? {
                    Some(a) => vec![a.id],
                    None => return Ok(None),
                },
                None => tx
                    .list_accounts()
                    .await?
                    .into_iter()
                    .map(|a| a.id)
                    .collect(),
            };
            let mut circuits = Vec::new();
            for id in &owners {
                circuits.extend(tx.list_account_circuits(id).await?);
            }
            let timers = tx.all_timers().await?;
            Ok(Some((circuits, timers)))
        })
    })
    .await?;
    let Some((mut circuits, timers)) = found else {
        return Err(AdminError::not_found("account"));
    };
    // all_timers is earliest first: keep each circuit's first.
    let mut next: HashMap<&str, &Timer> = HashMap::new();
    for t in &timers {
        next.entry(t.circuit_id.as_str()).or_insert(t);
    }
    circuits.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = circuits.len();
    let rows: Vec<Value> = circuits
        .iter()
        .take(limit)
        .map(|c| circuit_row(c, next.get(c.id.as_str()).copied()))
        .collect();
    Ok(Json(
        json!({"PhysicalConnections": rows, "TotalCount": total}),
    ))
}

/// `GET /admin/timers`: every pending simulator step, earliest first.
pub(crate) async fn list_timers(State(state): State<AppState>) -> AResult<Json<Value>> {
    let timers = read(&state, |tx| tx.all_timers()).await?;
    Ok(Json(
        json!({"Timers": timers.iter().map(timer_json).collect::<Vec<_>>()}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn assets_are_served_with_their_types() {
        let res = asset(Path("app.js".into())).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let res = asset(Path("../mod.rs".into())).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = index().await;
        assert!(res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
    }

    #[test]
    fn the_page_loads_its_own_assets() {
        assert!(INDEX_HTML.contains("/console/app.js"));
        assert!(INDEX_HTML.contains("/console/style.css"));
    }
}
