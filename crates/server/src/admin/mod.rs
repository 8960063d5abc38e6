//! The admin API (JSON over the admin listener, bearer-token protected):
//! accounts, keys, balances, forced provider transitions, orders, the clock.
//! It is the contract tests and scripts drive physconn with.

mod accounts;
mod bgp;
mod circuits;
mod clock;
mod console;
mod edge;
mod faults;
mod openapi;
mod ram;
mod reset;
mod vbrs;

pub use accounts::create_account_in;
pub use circuits::order_json;

use crate::errors::from_op;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use physconn_domain::{Account, Fen};
use physconn_store::{OpError, OpResult, TxOps};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An admin error: HTTP status plus `{"Code", "Message"}`.
pub struct AdminError(pub StatusCode, pub String, pub String);

impl AdminError {
    fn new(status: StatusCode, code: &str, msg: impl Into<String>) -> Self {
        Self(status, code.to_string(), msg.into())
    }
    fn bad(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", msg)
    }
    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{what} not found"),
        )
    }
    fn conflict(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", msg)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"Code": self.1, "Message": self.2}))).into_response()
    }
}

impl From<OpError> for AdminError {
    fn from(e: OpError) -> Self {
        let api = from_op(e);
        let status = StatusCode::from_u16(api.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self(status, api.code, api.message)
    }
}

type AResult<T> = Result<T, AdminError>;

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(token_hash);
    match given {
        Some(h) if physconn_wire::sign::signatures_equal(&h, &state.admin_token_sha256) => {
            let action = format!("{} {}", req.method(), req.uri().path());
            let changes = req.method() != axum::http::Method::GET;
            let request_id = req
                .extensions()
                .get::<edge::RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_else(|| state.ids.request_id());
            let resp = next.run(req).await;
            if changes {
                audit_admin(&state, action, resp.status(), request_id).await;
            }
            resp
        }
        _ => AdminError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "missing or wrong admin bearer token",
        )
        .into_response(),
    }
}

/// Every admin call that changes something is audited (no bodies: they may
/// carry balances' context but never secrets, and the path says what).
async fn audit_admin(state: &AppState, action: String, status: StatusCode, request_id: String) {
    let now = state.now();
    let account = action
        .split('/')
        .nth(3)
        .filter(|_| action.contains("/admin/accounts/"))
        .map(str::to_string);
    state
        .audit
        .record(physconn_store::security::AuditEntry {
            id: crate::audit::entry_id(now, state.ids.as_ref()),
            at: now,
            actor: "admin".into(),
            channel: "admin".into(),
            action,
            account_id: account,
            request_id,
            outcome: status.as_u16().to_string(),
            detail: String::new(),
        })
        .await;
}

/// The routes behind the admin token, as data: the router is built from this
/// list, and a test compares what it routes, method by method, with
/// `openapi.json`.
fn protected_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (
            "/admin/accounts",
            post(accounts::create_account).get(accounts::list_accounts),
        ),
        (
            "/admin/accounts/{id}",
            get(accounts::get_account).put(accounts::update_account),
        ),
        ("/admin/accounts/{id}/balance", put(accounts::set_balance)),
        ("/admin/accounts/{id}/topup", post(accounts::top_up)),
        ("/admin/accounts/{id}/sts", post(accounts::issue_sts)),
        (
            "/admin/accounts/{id}/keys",
            post(accounts::create_key).get(accounts::list_keys),
        ),
        ("/admin/accounts/{id}/ledger", get(accounts::get_ledger)),
        ("/admin/keys/{id}", put(accounts::set_key_status)),
        ("/admin/physical-connections", get(console::list_circuits)),
        ("/admin/timers", get(console::list_timers)),
        (
            "/admin/physical-connections/{id}",
            get(circuits::get_circuit),
        ),
        (
            "/admin/physical-connections/{id}/status",
            post(circuits::force_status),
        ),
        (
            "/admin/physical-connections/{id}/advance",
            post(circuits::advance_circuit),
        ),
        (
            "/admin/physical-connections/{id}/loa",
            post(circuits::review_loa),
        ),
        (
            "/admin/physical-connections/{id}/provisioning",
            put(circuits::set_circuit_mode),
        ),
        (
            "/admin/provisioning",
            get(circuits::get_provisioning).put(circuits::set_provisioning),
        ),
        (
            "/admin/faults",
            post(faults::add_fault).get(faults::list_faults),
        ),
        ("/admin/faults/{id}", delete(faults::delete_fault)),
        ("/admin/vbrs", get(vbrs::list_vbrs)),
        ("/admin/vbrs/{id}", get(vbrs::get_vbr)),
        ("/admin/vbrs/{id}/status", post(vbrs::force_status)),
        ("/admin/vbrs/{id}/advance", post(vbrs::advance_vbr)),
        ("/admin/bgp", get(bgp::list)),
        ("/admin/bgp/{id}/advance", post(bgp::advance)),
        ("/admin/bgp-peers/{id}/session", post(bgp::set_session)),
        ("/admin/orders", get(circuits::list_orders)),
        ("/admin/orders/{id}/pay", post(circuits::pay_order)),
        ("/admin/orders/{id}/cancel", post(circuits::cancel_order)),
        ("/admin/clock", get(clock::get_clock)),
        ("/admin/clock/advance", post(clock::advance_clock)),
        ("/admin/clock/set", post(clock::set_clock)),
        ("/admin/reset", post(reset::reset)),
        (
            "/admin/accounts/{id}/users",
            post(ram::create_user).get(ram::list_users),
        ),
        ("/admin/users/{id}", delete(ram::delete_user)),
        ("/admin/users/{id}/policy", put(ram::set_policy)),
        ("/admin/users/{id}/keys", post(ram::create_user_key)),
        ("/admin/audit", get(ram::list_audit)),
    ]
}

/// The routes open without the token.
fn public_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    let mut routes = vec![
        ("/health", get(|| async { Json(json!({"status": "ok"})) })),
        ("/metrics", get(crate::metrics_export::render)),
        (
            "/admin/openapi.json",
            get(|| async { Json(openapi::document()) }),
        ),
    ];
    routes.extend(console::pages());
    routes
}

/// Every path the admin listener routes, in the order it adds them.
pub fn route_paths() -> Vec<&'static str> {
    public_routes()
        .into_iter()
        .chain(protected_routes())
        .map(|(path, _)| path)
        .collect()
}

pub fn router(state: AppState) -> Router {
    let protected = protected_routes()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    public_routes()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .merge(protected)
        .fallback(|| async { AdminError::not_found("path") })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("admin handler panicked");
                AdminError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "the request failed on an internal error; it is logged",
                )
                .into_response()
            },
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::shape_answer,
        ))
        .with_state(state)
}

/// The admin listener's answer to a request head over `max_header_bytes` or
/// one hyper would not parse.
pub fn edge_answer(ids: std::sync::Arc<dyn physconn_domain::IdGen>) -> crate::listener::EdgeAnswer {
    std::sync::Arc::new(move |e| {
        let (status, code, message) = match e {
            crate::listener::EdgeError::UriTooLong => (
                414,
                "RequestURITooLong",
                "the request URI is over max_header_bytes",
            ),
            crate::listener::EdgeError::HeadTooLarge => (
                431,
                "RequestHeaderFieldsTooLarge",
                "the request head is over max_header_bytes",
            ),
            crate::listener::EdgeError::Malformed => (
                400,
                "BadRequest",
                "the request line or a header is malformed",
            ),
        };
        let body = json!({"Code": code, "Message": message}).to_string();
        crate::server::edge_response(
            status,
            "application/json",
            &ids.request_id(),
            body.into_bytes(),
        )
    })
}

pub(crate) async fn write<R, F>(state: &AppState, f: F) -> AResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> physconn_store::BoxFut<'t, OpResult<R>>
        + Send
        + Sync
        + 'static,
{
    Ok(physconn_store::write(&*state.store, f).await?)
}

pub(crate) async fn read<R, F>(state: &AppState, f: F) -> AResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> physconn_store::BoxFut<'t, OpResult<R>>
        + Send
        + Sync
        + 'static,
{
    Ok(physconn_store::read(&*state.store, f).await?)
}

/// `default` names the default account; anything else is an AccountId.
pub async fn find_account(tx: &mut dyn TxOps, id: &str) -> OpResult<Option<Account>> {
    if id == crate::bootstrap::DEFAULT_ACCOUNT {
        tx.get_account_by_name(id).await
    } else {
        tx.get_account(id).await
    }
}

pub(crate) fn account_json(a: &Account) -> Value {
    json!({
        "AccountId": a.id,
        "Name": a.name,
        "Balance": a.balance.to_string(),
        "CreditLimit": a.credit_limit.to_string(),
        "AvailableAmount": a.available().to_string(),
        "BypassSp": a.bypass_sp,
        "ProvisioningMode": a.provisioning_mode.map(|m| m.as_str()),
        "Overdue": a.overdue_since.is_some(),
    })
}

pub(crate) fn money(field: &str, v: &str) -> AResult<Fen> {
    Fen::parse(v)
        .map_err(|_| AdminError::bad(format!("{field} must be a decimal amount like \"100.00\"")))
}
