//! The admin API (JSON over the admin listener, bearer-token protected):
//! accounts, keys, balances, forced provider transitions, orders, the clock.
//! It is the contract tests and scripts drive physconn with.

use crate::actions::render;
use crate::errors::from_op;
use crate::simulator::{self, KIND_PROVIDER};
use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use physconn_domain::{AccessKey, Account, Fen, KeyKind, KeyStatus, LedgerKind, Order, Status};
use physconn_store::{OpError, OpResult, TxOps};
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

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
            next.run(req).await
        }
        _ => AdminError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "missing or wrong admin bearer token",
        )
        .into_response(),
    }
}

pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/admin/accounts", post(create_account).get(list_accounts))
        .route("/admin/accounts/{id}", get(get_account))
        .route("/admin/accounts/{id}/balance", put(set_balance))
        .route("/admin/accounts/{id}/sts", post(issue_sts))
        .route("/admin/accounts/{id}/ledger", get(get_ledger))
        .route("/admin/physical-connections/{id}", get(get_circuit))
        .route(
            "/admin/physical-connections/{id}/status",
            post(force_status),
        )
        .route("/admin/orders", get(list_orders))
        .route("/admin/clock", get(get_clock))
        .route("/admin/clock/advance", post(advance_clock))
        .route("/admin/clock/set", post(set_clock))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .merge(protected)
        .with_state(state)
}

async fn write<R, F>(state: &AppState, f: F) -> AResult<R>
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> physconn_store::BoxFut<'t, OpResult<R>>
        + Send
        + Sync
        + 'static,
{
    Ok(physconn_store::write(&*state.store, f).await?)
}

async fn read<R, F>(state: &AppState, f: F) -> AResult<R>
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

fn account_json(a: &Account) -> Value {
    json!({
        "AccountId": a.id,
        "Name": a.name,
        "Balance": a.balance.to_string(),
        "CreditLimit": a.credit_limit.to_string(),
        "AvailableAmount": a.available().to_string(),
        "BypassSp": a.bypass_sp,
    })
}

fn money(field: &str, v: &str) -> AResult<Fen> {
    Fen::parse(v)
        .map_err(|_| AdminError::bad(format!("{field} must be a decimal amount like \"100.00\"")))
}

#[derive(Deserialize)]
struct NewAccount {
    name: String,
    #[serde(default)]
    balance: Option<String>,
    #[serde(default)]
    credit_limit: Option<String>,
}

/// Creates an account (its opening balance is a ledger entry) and a key.
pub async fn create_account_in(
    state: &AppState,
    name: &str,
    balance: Fen,
    credit: Fen,
    key: Option<(String, String)>,
) -> AResult<(Account, AccessKey)> {
    let now = state.now();
    let ids = state.ids.clone();
    let mut account = Account {
        id: ids.account_id(),
        name: name.to_string(),
        balance: Fen::ZERO,
        credit_limit: credit,
        bypass_sp: false,
        ledger_seq: 0,
        created_at: now,
    };
    let opening = if balance != Fen::ZERO {
        Some(
            account
                .post(
                    balance,
                    LedgerKind::Opening,
                    None,
                    "opening balance",
                    ids.internal_id(),
                    now,
                )
                .map_err(|_| AdminError::bad("balance out of range"))?,
        )
    } else {
        None
    };
    let (key_id, secret) = key.unwrap_or_else(|| (ids.access_key_id(), ids.access_key_secret()));
    let key = AccessKey {
        id: key_id,
        account_id: account.id.clone(),
        secret,
        status: KeyStatus::Active,
        kind: KeyKind::Permanent,
        created_at: now,
    };
    let (a, k) = (Arc::new(account.clone()), Arc::new(key.clone()));
    let opening = Arc::new(opening);
    let created = write(state, move |tx| {
        let (a, k, opening) = (a.clone(), k.clone(), opening.clone());
        Box::pin(async move {
            if tx.get_account_by_name(&a.name).await?.is_some() {
                return Ok(false);
            }
            tx.insert_account(&a).await?;
            if let Some(e) = opening.as_ref() {
                tx.insert_ledger(e).await?;
            }
            tx.insert_access_key(&k).await?;
            Ok(true)
        })
    })
    .await?;
    if !created {
        return Err(AdminError::conflict(format!(
            "an account named {name:?} exists"
        )));
    }
    Ok((account, key))
}

async fn create_account(
    State(state): State<AppState>,
    Json(body): Json<NewAccount>,
) -> AResult<impl IntoResponse> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(AdminError::bad("name must be 1-64 characters"));
    }
    let balance = money("balance", body.balance.as_deref().unwrap_or("0"))?;
    let credit = money("credit_limit", body.credit_limit.as_deref().unwrap_or("0"))?;
    let (a, k) = create_account_in(&state, name, balance, credit, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"AccountId": a.id, "AccessKeyId": k.id, "AccessKeySecret": k.secret})),
    ))
}

async fn list_accounts(State(state): State<AppState>) -> AResult<Json<Value>> {
    let accounts = read(&state, |tx| tx.list_accounts()).await?;
    Ok(Json(
        json!({"Accounts": accounts.iter().map(account_json).collect::<Vec<_>>()}),
    ))
}

async fn load_account(state: &AppState, id: String) -> AResult<Account> {
    let id = Arc::new(id);
    read(state, move |tx| {
        let id = id.clone();
        Box::pin(async move { find_account(tx, &id).await })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))
}

async fn get_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    Ok(Json(account_json(&load_account(&state, id).await?)))
}

#[derive(Deserialize)]
struct BalanceBody {
    balance: String,
}

/// Sets the balance; the difference is recorded as a ledger adjustment.
async fn set_balance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<BalanceBody>,
) -> AResult<Json<Value>> {
    let target = money("balance", &body.balance)?;
    let now = state.now();
    let st = state.clone();
    let id = Arc::new(id);
    let account = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(mut a) = find_account(tx, &id).await? else {
                return Ok(None);
            };
            let delta = target
                .checked_sub(a.balance)
                .map_err(physconn_domain::DomainError::from)?;
            if delta != Fen::ZERO {
                let e = a.post(
                    delta,
                    LedgerKind::Adjustment,
                    None,
                    "admin balance set",
                    st.ids.internal_id(),
                    now,
                )?;
                tx.insert_ledger(&e).await?;
                tx.update_account(&a).await?;
            }
            Ok(Some(a))
        })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))?;
    Ok(Json(account_json(&account)))
}

async fn get_ledger(State(state): State<AppState>, Path(id): Path<String>) -> AResult<Json<Value>> {
    let a = load_account(&state, id).await?;
    let aid = Arc::new(a.id.clone());
    let entries = read(&state, move |tx| {
        let aid = aid.clone();
        Box::pin(async move { tx.list_ledger(&aid, 1000).await })
    })
    .await?;
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "Id": e.id, "Seq": e.seq, "Amount": e.amount.to_string(),
                "BalanceAfter": e.balance_after.to_string(), "Kind": e.kind.as_str(),
                "OrderId": e.order_id, "Note": e.note, "Time": format_timestamp(e.created_at),
            })
        })
        .collect();
    Ok(Json(json!({"AccountId": a.id, "Entries": items})))
}

#[derive(Deserialize)]
struct StsBody {
    #[serde(default = "default_sts_seconds")]
    seconds: i64,
}

fn default_sts_seconds() -> i64 {
    3600
}

/// Issues temporary credentials (an `STS.` key with a SecurityToken).
async fn issue_sts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<StsBody>,
) -> AResult<Json<Value>> {
    if !(1..=43_200).contains(&body.seconds) {
        return Err(AdminError::bad("seconds must be 1-43200"));
    }
    let a = load_account(&state, id).await?;
    let now = state.now();
    let expires_at = now + time::Duration::seconds(body.seconds);
    let key = AccessKey {
        id: state.ids.sts_access_key_id(),
        account_id: a.id.clone(),
        secret: state.ids.access_key_secret(),
        status: KeyStatus::Active,
        kind: KeyKind::Temporary {
            security_token: format!("CAIS{}", state.ids.token(120)),
            expires_at,
        },
        created_at: now,
    };
    let k = Arc::new(key.clone());
    write(&state, move |tx| {
        let k = k.clone();
        Box::pin(async move { tx.insert_access_key(&k).await })
    })
    .await?;
    let token = match &key.kind {
        KeyKind::Temporary { security_token, .. } => security_token.clone(),
        KeyKind::Permanent => String::new(),
    };
    Ok(Json(json!({
        "AccessKeyId": key.id,
        "AccessKeySecret": key.secret,
        "SecurityToken": token,
        "Expiration": format_timestamp(expires_at),
    })))
}

async fn get_circuit(
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
                .map(|t| json!({"Kind": t.kind, "Due": format_timestamp(t.due_at), "Expect": t.expect_status.as_str()}))
                .collect::<Vec<_>>()),
        );
    }
    Ok(Json(v))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

/// Moves a circuit along the provider's transitions only: a chain of
/// automatic steps (`Initial` → `Allocated` passes `Approved` and
/// `Allocating`), a failure branch (`Rejected`, `Allocation Failed`), or the
/// activation of a paid circuit. Anything else is 409 with the reason.
async fn force_status(
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
            if c.status.provider_next().is_some() {
                let delay = st.config.provisioning_delay();
                simulator::schedule(tx, ids, &c, KIND_PROVIDER, now, delay, now).await?;
            }
            Ok(Ok(c))
        })
    })
    .await??;
    state.timers_changed.notify_one();
    Ok(Json(render::circuit(&outcome)))
}

#[derive(Deserialize)]
struct OrdersQuery {
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

async fn list_orders(
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

fn clock_json(state: &AppState) -> Value {
    json!({
        "now": format_timestamp(state.now()),
        "mode": if state.manual_clock.is_some() { "manual" } else { "system" },
    })
}

async fn get_clock(State(state): State<AppState>) -> Json<Value> {
    Json(clock_json(&state))
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: f64,
}

/// Manual clock: moves time forward and fires whatever falls due on the way.
async fn advance_clock(
    State(state): State<AppState>,
    Json(body): Json<AdvanceBody>,
) -> AResult<Json<Value>> {
    if state.manual_clock.is_none() {
        return Err(AdminError::conflict(
            "the clock is the system clock; start with --clock manual",
        ));
    }
    if !(body.seconds.is_finite() && body.seconds >= 0.0 && body.seconds <= 1e10) {
        return Err(AdminError::bad("seconds must be a non-negative number"));
    }
    simulator::advance(&state, time::Duration::seconds_f64(body.seconds)).await?;
    Ok(Json(clock_json(&state)))
}

#[derive(Deserialize)]
struct SetBody {
    now: String,
}

/// Manual clock: jumps to an instant (backwards too, e.g. to replay recorded
/// requests); timers that become due fire.
async fn set_clock(
    State(state): State<AppState>,
    Json(body): Json<SetBody>,
) -> AResult<Json<Value>> {
    let Some(clock) = state.manual_clock.clone() else {
        return Err(AdminError::conflict(
            "the clock is the system clock; start with --clock manual",
        ));
    };
    let t = time::OffsetDateTime::parse(&body.now, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AdminError::bad("now must be RFC 3339, e.g. 2026-01-01T00:00:00Z"))?;
    let now = physconn_domain::Clock::now(clock.as_ref());
    if t > now {
        simulator::advance(&state, t - now).await?;
    } else {
        clock.set(t);
        simulator::persist_clock(&state).await?;
    }
    Ok(Json(clock_json(&state)))
}
