//! RAM users (issue "Hostile input…", access control): sub-users of an
//! account whose access keys act under a policy document, and the audit log.

use super::accounts::load_account;
use super::{read, write, AResult, AdminError};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use physconn_domain::ram::Policy;
use physconn_domain::{AccessKey, KeyKind, KeyStatus};
use physconn_store::security::{AuditQuery, RamUser};
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

fn policy_text(policy: &Value) -> AResult<String> {
    let text = policy.to_string();
    Policy::parse(&text).map_err(|e| AdminError::bad(format!("policy: {e}")))?;
    Ok(text)
}

fn user_json(u: &RamUser) -> Value {
    let policy: Value = serde_json::from_str(&u.policy).unwrap_or(Value::Null);
    json!({"UserId": u.id, "AccountId": u.account_id, "Name": u.name, "Policy": policy,
           "CreateTime": format_timestamp(u.created_at)})
}

/// A new permanent key bound to `user`; returns it with its secret.
async fn bound_key(state: &AppState, user: &RamUser) -> AResult<AccessKey> {
    let key = AccessKey {
        id: state.ids.access_key_id(),
        account_id: user.account_id.clone(),
        secret: state.ids.access_key_secret(),
        status: KeyStatus::Active,
        kind: KeyKind::Permanent,
        created_at: state.now(),
    };
    let (k, uid) = (Arc::new(state.sealed(&key)), Arc::new(user.id.clone()));
    write(state, move |tx| {
        let (k, uid) = (k.clone(), uid.clone());
        Box::pin(async move {
            tx.insert_access_key(&k).await?;
            tx.security().bind_key_to_user(&k.id, &uid).await
        })
    })
    .await?;
    Ok(key)
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    name: String,
    policy: Value,
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<NewUser>,
) -> AResult<impl IntoResponse> {
    let a = load_account(&state, id).await?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.len() > 64 {
        return Err(AdminError::bad("name must be 1-64 characters"));
    }
    let user = RamUser {
        id: format!("ram-{}", state.ids.token(16)),
        account_id: a.id,
        name,
        policy: policy_text(&body.policy)?,
        created_at: state.now(),
    };
    let u = Arc::new(user.clone());
    let created = write(&state, move |tx| {
        let u = u.clone();
        Box::pin(async move {
            let taken = tx
                .security()
                .list_ram_users(&u.account_id)
                .await?
                .iter()
                .any(|x| x.name == u.name);
            if !taken {
                tx.security().insert_ram_user(&u).await?;
            }
            Ok(!taken)
        })
    })
    .await?;
    if !created {
        return Err(AdminError::conflict(format!(
            "a user named {:?} exists",
            user.name
        )));
    }
    let key = bound_key(&state, &user).await?;
    let mut v = user_json(&user);
    v["AccessKeyId"] = json!(key.id);
    v["AccessKeySecret"] = json!(key.secret);
    Ok((StatusCode::CREATED, Json(v)))
}

pub(crate) async fn list_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<Json<Value>> {
    let a = Arc::new(load_account(&state, id).await?.id);
    let users = read(&state, move |tx| {
        let a = a.clone();
        Box::pin(async move { tx.security().list_ram_users(&a).await })
    })
    .await?;
    Ok(Json(
        json!({"Users": users.iter().map(user_json).collect::<Vec<_>>()}),
    ))
}

async fn load_user(state: &AppState, id: String) -> AResult<RamUser> {
    let id = Arc::new(id);
    read(state, move |tx| {
        let id = id.clone();
        Box::pin(async move { tx.security().get_ram_user(&id).await })
    })
    .await?
    .ok_or_else(|| AdminError::not_found("RAM user"))
}

pub(crate) async fn set_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(policy): Json<Value>,
) -> AResult<Json<Value>> {
    let text = Arc::new(policy_text(&policy)?);
    let uid = Arc::new(id.clone());
    let changed = write(&state, move |tx| {
        let (uid, text) = (uid.clone(), text.clone());
        Box::pin(async move { tx.security().set_ram_user_policy(&uid, &text).await })
    })
    .await?;
    if !changed {
        return Err(AdminError::not_found("RAM user"));
    }
    state.keys.clear();
    Ok(Json(user_json(&load_user(&state, id).await?)))
}

pub(crate) async fn create_user_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<impl IntoResponse> {
    let user = load_user(&state, id).await?;
    let key = bound_key(&state, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"UserId": user.id, "AccessKeyId": key.id, "AccessKeySecret": key.secret})),
    ))
}

pub(crate) async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AResult<StatusCode> {
    let uid = Arc::new(id);
    let gone = write(&state, move |tx| {
        let uid = uid.clone();
        Box::pin(async move { tx.security().delete_ram_user(&uid).await })
    })
    .await?;
    state.keys.clear();
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found("RAM user"))
    }
}

#[derive(Deserialize)]
pub(crate) struct AuditParams {
    account: Option<String>,
    channel: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

/// The audit log, newest first (`account`, `channel` = api|admin, `since`
/// RFC 3339, `limit` ≤ 10,000).
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    Query(q): Query<AuditParams>,
) -> AResult<Json<Value>> {
    state.audit.flush().await;
    let account = match q.account {
        Some(a) => Some(load_account(&state, a).await?.id),
        None => None,
    };
    let since = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AdminError::bad("since must be RFC 3339"))?,
        ),
    };
    let query = Arc::new(AuditQuery {
        account_id: account,
        channel: q.channel,
        since,
        limit: q.limit.unwrap_or(200),
    });
    let entries = read(&state, move |tx| {
        let query = query.clone();
        Box::pin(async move { tx.security().list_audit(&query).await })
    })
    .await?;
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({"Time": format_timestamp(e.at), "Actor": e.actor, "Channel": e.channel, "Action": e.action,
                   "AccountId": e.account_id, "RequestId": e.request_id, "Outcome": e.outcome, "Detail": e.detail})
        })
        .collect();
    Ok(Json(json!({"Entries": items})))
}
