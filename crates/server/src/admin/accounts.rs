//! Accounts, keys, balances, temporary credentials.

use super::{account_json, find_account, money, read, write, AResult, AdminError};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use physconn_domain::*;
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
pub(crate) struct NewAccount {
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
        provisioning_mode: None,
        overdue_since: None,
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
    let (a, k) = (Arc::new(account.clone()), Arc::new(state.sealed(&key)));
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

pub(crate) async fn create_account(
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

pub(crate) async fn list_accounts(State(state): State<AppState>) -> AResult<Json<Value>> {
    let accounts = read(&state, |tx| tx.list_accounts()).await?;
    Ok(Json(
        json!({"Accounts": accounts.iter().map(account_json).collect::<Vec<_>>()}),
    ))
}

pub(crate) async fn load_account(state: &AppState, id: String) -> AResult<Account> {
    let id = Arc::new(id);
    read(state, move |tx| {
        let id = id.clone();
        Box::pin(async move { find_account(tx, &id).await })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))
}

pub(crate) async fn get_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    Ok(Json(account_json(&load_account(&state, id).await?)))
}

#[derive(Deserialize)]
pub(crate) struct BalanceBody {
    balance: String,
}

/// Sets the balance; the difference is recorded as a ledger adjustment.
pub(crate) async fn set_balance(
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
                crate::billing::after_top_up(tx, &mut a).await?;
            }
            Ok(Some(a))
        })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))?;
    Ok(Json(account_json(&account)))
}

pub(crate) async fn get_ledger(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
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
pub(crate) struct StsBody {
    #[serde(default = "default_sts_seconds")]
    seconds: i64,
}

fn default_sts_seconds() -> i64 {
    3600
}

/// Issues temporary credentials (an `STS.` key with a SecurityToken).
pub(crate) async fn issue_sts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<StsBody>,
) -> AResult<Json<Value>> {
    if !(1..=43_200).contains(&body.seconds) {
        return Err(AdminError::bad("seconds must be 1-43200"));
    }
    let a = load_account(&state, id).await?;
    let now = state.now();
    let expires_at = physconn_domain::clock::later(now, time::Duration::seconds(body.seconds));
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
    let k = Arc::new(state.sealed(&key));
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

#[derive(Deserialize)]
pub(crate) struct AccountSettings {
    credit_limit: Option<String>,
    bypass_sp: Option<bool>,
    /// `auto`, `manual`, or `null`/`""` to follow the global mode.
    #[serde(default, with = "double_option")]
    provisioning_mode: Option<Option<String>>,
}

/// Distinguishes an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::deserialize(d)?))
    }
}

pub(crate) fn parse_mode(v: &Option<String>) -> AResult<Option<ProvisioningMode>> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(m) => ProvisioningMode::parse(m)
            .map(Some)
            .ok_or_else(|| AdminError::bad("provisioning_mode must be auto or manual")),
    }
}

/// Credit line, direct-enable permission (`bypass_sp`,
/// docs/design/decisions.md#api-profiles) and the account's provisioning mode.
pub(crate) async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<AccountSettings>,
) -> AResult<Json<Value>> {
    let credit = body
        .credit_limit
        .as_deref()
        .map(|c| money("credit_limit", c))
        .transpose()?;
    if credit.is_some_and(|c| c.0 < 0) {
        return Err(AdminError::bad("credit_limit must not be negative"));
    }
    let mode = body
        .provisioning_mode
        .as_ref()
        .map(parse_mode)
        .transpose()?;
    let bypass = body.bypass_sp;
    let st = state.clone();
    let id = Arc::new(id);
    let a = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(mut a) = find_account(tx, &id).await? else {
                return Ok(None);
            };
            if let Some(c) = credit {
                a.credit_limit = c;
            }
            if let Some(b) = bypass {
                a.bypass_sp = b;
            }
            if let Some(m) = mode {
                a.provisioning_mode = m;
            }
            tx.update_account(&a).await?;
            if mode.is_some() {
                let now = st.clock.now();
                for t in tx.all_timers().await? {
                    if let Some(c) = tx.get_circuit(&t.circuit_id).await? {
                        if c.account_id == a.id {
                            crate::simulator::redate(tx, &st, &c, now).await?;
                        }
                    }
                }
            }
            Ok(Some(a))
        })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))?;
    state.timers_changed.notify_one();
    Ok(Json(account_json(&a)))
}

/// A new permanent key for the account.
pub(crate) async fn create_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<impl IntoResponse> {
    let a = load_account(&state, id).await?;
    let key = AccessKey {
        id: state.ids.access_key_id(),
        account_id: a.id.clone(),
        secret: state.ids.access_key_secret(),
        status: KeyStatus::Active,
        kind: KeyKind::Permanent,
        created_at: state.now(),
    };
    let k = Arc::new(state.sealed(&key));
    write(&state, move |tx| {
        let k = k.clone();
        Box::pin(async move { tx.insert_access_key(&k).await })
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"AccessKeyId": key.id, "AccessKeySecret": key.secret, "AccountId": a.id})),
    ))
}

/// The account's keys, without secrets.
pub(crate) async fn list_keys(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let a = load_account(&state, id).await?;
    let aid = Arc::new(a.id.clone());
    let keys = read(&state, move |tx| {
        let aid = aid.clone();
        Box::pin(async move { tx.list_access_keys(&aid).await })
    })
    .await?;
    let items: Vec<Value> = keys
        .iter()
        .map(|k| {
            let (temporary, expiration) = match &k.kind {
                KeyKind::Permanent => (false, None),
                KeyKind::Temporary { expires_at, .. } => {
                    (true, Some(format_timestamp(*expires_at)))
                }
            };
            json!({"AccessKeyId": k.id, "Status": k.status.as_str(), "Temporary": temporary,
                   "Expiration": expiration, "CreateTime": format_timestamp(k.created_at)})
        })
        .collect();
    Ok(Json(json!({"AccountId": a.id, "AccessKeys": items})))
}

#[derive(Deserialize)]
pub(crate) struct KeyStatusBody {
    status: String,
}

/// Enables or disables a key (`InvalidAccessKeyId.Inactive` while disabled).
pub(crate) async fn set_key_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<KeyStatusBody>,
) -> AResult<Json<Value>> {
    let status = KeyStatus::parse(&body.status)
        .ok_or_else(|| AdminError::bad("status must be Active or Inactive"))?;
    let kid = Arc::new(id.clone());
    let changed = write(&state, move |tx| {
        let kid = kid.clone();
        Box::pin(async move { tx.set_access_key_status(&kid, status).await })
    })
    .await?;
    if !changed {
        return Err(AdminError::not_found("access key"));
    }
    state.keys.clear();
    Ok(Json(json!({"AccessKeyId": id, "Status": status.as_str()})))
}

#[derive(Deserialize)]
pub(crate) struct TopUpBody {
    amount: String,
}

/// Money in (a ledger `TopUp`); an overdue account's locked pay-as-you-go
/// circuits are unlocked once it is back at or above zero.
pub(crate) async fn top_up(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<TopUpBody>,
) -> AResult<Json<Value>> {
    let amount = money("amount", &body.amount)?;
    if amount.0 <= 0 {
        return Err(AdminError::bad("amount must be positive"));
    }
    let st = state.clone();
    let id = Arc::new(id);
    let a = write(&state, move |tx| {
        let (st, id) = (st.clone(), id.clone());
        Box::pin(async move {
            let Some(mut a) = find_account(tx, &id).await? else {
                return Ok(None);
            };
            crate::billing::top_up(tx, &st, &mut a, amount, st.clock.now()).await?;
            Ok(Some(a))
        })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("account"))?;
    Ok(Json(account_json(&a)))
}
