//! CreatePhysicalConnection, DescribePhysicalConnections and
//! ConfirmPhysicalConnection (docs/design/circuits.md#create, #describe,
//! #confirm).

use super::params::Params;
use super::{
    client_token, idempotent_write_locked, read, render, replay, require_region, scoped_circuit,
    workflow, CallCtx, Reply,
};
use crate::errors::{from_domain, from_op};
use crate::simulator;
use physconn_domain::catalog::catalog;
use physconn_domain::idempotency::{fingerprint_params, IdempotencyRecord};
use physconn_domain::ram::ResourceType;
use physconn_domain::TimerKind;
use physconn_domain::{
    validate, BusinessStatus, Circuit, DomainError, LineOperator, PortType, Status,
};
use physconn_store::{CircuitQuery, StoreError};
use physconn_wire::{ApiError, Format};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

fn refuse(e: DomainError) -> ApiError {
    from_domain(&e)
}

/// A stable default resource group per account (`rg-acfm…`), as the cloud
/// assigns one to every account.
pub(super) fn default_resource_group(account_id: &str) -> String {
    let digest = physconn_domain::idempotency::fingerprint("rg", &account_id);
    format!("rg-acfm{}", &digest[..13])
}

/// `ResourceGroupId`, when given, well formed (`InvalidResourceGroupId`).
pub(super) fn resource_group(p: &Params) -> Result<Option<String>, ApiError> {
    p.non_empty("ResourceGroupId")
        .map(|rg| {
            validate::resource_group_id(rg).map_err(refuse)?;
            Ok(rg.to_string())
        })
        .transpose()
}

#[derive(Serialize, Deserialize)]
struct Created {
    #[serde(rename = "PhysicalConnectionId")]
    id: String,
}

/// Checks every field of the request that needs no stored state, in the
/// order the documentation lists them, and builds the new circuit.
pub(crate) fn new_circuit(ctx: &CallCtx, p: &Params, region: &str) -> Result<Circuit, ApiError> {
    let ap_id = p.required("AccessPointId")?;
    let op = p.required("LineOperator")?;
    let ap = catalog()
        .access_point(ap_id)
        .filter(|ap| ap.region_id == region)
        .ok_or_else(|| refuse(DomainError::AccessPointNotFound))?;
    match ap.status.as_str() {
        "disabled" => return Err(refuse(DomainError::AccessPointNotEnabled)),
        "full" => return Err(refuse(DomainError::AccessPointFull)),
        _ => {}
    }
    let line_operator =
        LineOperator::parse(op).ok_or_else(|| refuse(DomainError::LineOperatorMalformed))?;
    let port_type = match p.non_empty("PortType") {
        None => PortType::Base1000T,
        Some(s) => PortType::parse(s).ok_or_else(|| refuse(DomainError::PortTypeMalformed))?,
    };
    if let Some(t) = p.non_empty("Type") {
        if t != "VPC" {
            return Err(refuse(DomainError::TypeMalformed));
        }
    }
    let bandwidth = match p.non_empty("bandwidth") {
        None => port_type.capacity_mbps(),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|b| (2..=port_type.capacity_mbps()).contains(b))
            .ok_or_else(|| refuse(DomainError::BandwidthInvalid))?,
    };
    let name = p.str("Name").unwrap_or("");
    if !name.is_empty() {
        validate::name(name).map_err(refuse)?;
    }
    let description = p.str("Description").unwrap_or("");
    if !description.is_empty() {
        validate::description(description).map_err(refuse)?;
    }
    // A create without PeerLocation gets the access point's
    // (docs/design/circuits.md#peer-location).
    let peer_location = p
        .non_empty("PeerLocation")
        .unwrap_or_else(|| ap.default_peer_location());
    if !validate::free_text(peer_location, 256) {
        return Err(refuse(DomainError::PeerLocationMalformed));
    }
    let circuit_code = p.str("CircuitCode").unwrap_or("");
    validate::circuit_code(circuit_code).map_err(refuse)?;
    let mut tags = Vec::new();
    for (i, k, v) in p.key_values("Tag")? {
        let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("Tag.{i}.Key")))?;
        tags.push((k, v.unwrap_or_default()));
    }
    validate::tags(&tags, "Tag").map_err(refuse)?;
    let resource_group_id = match resource_group(p)? {
        Some(rg) => rg,
        None => default_resource_group(&ctx.account_id),
    };
    Ok(Circuit {
        id: ctx.state.ids.circuit_id(region),
        account_id: ctx.account_id.clone(),
        region_id: region.to_string(),
        access_point_id: ap.id.clone(),
        status: Status::Initial,
        business_status: BusinessStatus::Normal,
        loa_status: None,
        name: name.to_string(),
        description: description.to_string(),
        line_operator,
        port_type,
        bandwidth,
        port_number: String::new(),
        circuit_code: circuit_code.to_string(),
        peer_location: peer_location.to_string(),
        ad_location: String::new(),
        ad_detail_location: String::new(),
        redundant_id: p
            .non_empty("RedundantPhysicalConnectionId")
            .unwrap_or("")
            .to_string(),
        resource_group_id,
        created_at: ctx.now,
        enabled_at: None,
        end_at: None,
        charge_type: None,
        pending_order_id: None,
        auto_renew: false,
        auto_renew_duration: 1,
        deleted_at: None,
        tags,
        loa: None,
        provisioning_mode: None,
        metered_until: None,
    })
}

/// The rows a new circuit's write locks (docs/design/decisions.md#row-locks):
/// the redundant circuit it names, whose status [`check_new_circuit`] checks,
/// then the account, which guards its quota and lock checks.
pub fn new_circuit_locks(c: &Circuit) -> physconn_store::RowLocks {
    let mut locks = redundant_lock(c);
    locks.account = Some(c.account_id.clone());
    locks
}

/// The redundant circuit a new circuit names, if any: the only row a create
/// locks before its work (it takes the account's last, [`create`]).
fn redundant_lock(c: &Circuit) -> physconn_store::RowLocks {
    physconn_store::RowLocks {
        circuit: (!c.redundant_id.is_empty()).then(|| c.redundant_id.clone()),
        account: None,
    }
}

/// The checks that need stored state: the redundant circuit, the account's
/// locks and its number of circuits not yet enabled
/// (docs/design/circuits.md#create).
pub async fn check_new_circuit(
    tx: &mut dyn physconn_store::TxOps,
    c: &Circuit,
    max_pending: i64,
) -> physconn_store::OpResult<()> {
    check_redundant(tx, c).await?;
    check_quota(tx, c, max_pending).await
}

async fn check_redundant(
    tx: &mut dyn physconn_store::TxOps,
    c: &Circuit,
) -> physconn_store::OpResult<()> {
    if !c.redundant_id.is_empty() {
        let r = scoped_circuit(
            tx,
            &c.account_id,
            &c.region_id,
            &c.redundant_id,
            DomainError::RedundantNotFound,
        )
        .await?;
        if !matches!(
            r.status,
            Status::Allocated | Status::Confirmed | Status::Enabled
        ) {
            return Err(DomainError::RedundantStatus.into());
        }
    }
    Ok(())
}

/// The account's locked circuits and its quota of pending ones, read in one
/// statement from counts kept with every circuit write: the same cost however
/// many circuits the account has.
/// Writes a new circuit (its row, first event, first provider step and,
/// given, its `ClientToken` record) if the account's quota lets it in: one
/// statement on PostgreSQL, which holds the account's counts row from its
/// quota check to the commit (docs/design/decisions.md#account-counts).
/// Refused: the reason, read from the counts (the rare path pays a statement
/// more); should they let the circuit in now, a write that holds no lock on
/// them (a provider step) moved them in between, and a re-run
/// (`StoreError::Conflict`) decides again.
pub(super) async fn insert_counted(
    tx: &mut dyn physconn_store::TxOps,
    st: &crate::AppState,
    c: &Circuit,
    cause: &str,
    now: physconn_domain::Time,
    record: Option<&IdempotencyRecord>,
) -> physconn_store::OpResult<()> {
    let event = simulator::event(st.ids.as_ref(), &c.id, None, Status::Initial, cause, now);
    let timer = simulator::next_step(tx, st, c, TimerKind::Provider, now, now).await?;
    simulator::count_step(st, timer.due_at);
    let max_pending = st.config.max_pending_circuits;
    let new = physconn_store::NewCircuit {
        circuit: c,
        event: &event,
        timer: &timer,
        idempotency: record,
    };
    if tx.create_circuit(new, max_pending).await? {
        return Ok(());
    }
    Err(match check_quota(tx, c, max_pending).await {
        Err(refused) => refused,
        Ok(()) => StoreError::Conflict.into(),
    })
}

pub(super) async fn check_quota(
    tx: &mut dyn physconn_store::TxOps,
    c: &Circuit,
    max_pending: i64,
) -> physconn_store::OpResult<()> {
    let counts = tx.quota_counts(&c.account_id).await?;
    if counts.financial_locked > 0 {
        return Err(DomainError::AccountFinancialLocked.into());
    }
    if counts.pending >= max_pending {
        return Err(DomainError::TooManyPendingCircuits.into());
    }
    Ok(())
}

pub async fn create(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    for name in ["RegionId", "AccessPointId", "LineOperator"] {
        p.required(name)?;
    }
    let region = require_region(p, DomainError::RegionNotFound)?;
    let token = client_token(p)?;
    let circuit = Arc::new(new_circuit(ctx, p, region)?);
    let st = ctx.state.clone();
    let now = ctx.now;
    let locks = Some(redundant_lock(&circuit));
    let twin = Arc::new(token.clone());
    let action = ctx.action.name();
    // Without tags or a redundant circuit to lock, the create writes in one
    // statement, its ClientToken record included, which runs on its own and
    // holds the account's counts row only while it runs
    // (docs/design/decisions.md#early-release).
    let alone = circuit.tags.is_empty() && circuit.redundant_id.is_empty();
    let record = match (&token, alone) {
        (Some(tok), true) => Some(Arc::new(IdempotencyRecord {
            account_id: ctx.account_id.clone(),
            action: action.to_string(),
            token: tok.clone(),
            fingerprint: fingerprint_params(action, &ctx.raw_params),
            response: serde_json::to_string(&Created {
                id: circuit.id.clone(),
            })
            .map_err(|e| from_op(StoreError::Corrupt(e.to_string()).into()))?,
            created_at: now,
        })),
        _ => None,
    };
    let work = workflow(move |tx| {
        let c = circuit.clone();
        let st = st.clone();
        let twin = twin.clone();
        let record = record.clone();
        Box::pin(async move {
            if let Some(r) = record.as_deref() {
                if let Some(found) = tx.get_idempotency(&r.account_id, action, &r.token).await? {
                    return replay(&found, &r.fingerprint);
                }
            }
            check_redundant(tx, &c).await?;
            let cause = "CreatePhysicalConnection";
            if let Err(refused) = insert_counted(tx, &st, &c, cause, now, record.as_deref()).await {
                // A twin (same ClientToken) may have committed while this
                // one waited for the lock, and its answer is this request's
                // too: a re-run finds its record and replays it. (Only
                // after a refusal: a failed statement leaves nothing to
                // read.)
                let refusal = matches!(refused, physconn_store::OpError::Domain(_));
                if let (true, Some(tok)) = (refusal, twin.as_deref()) {
                    if tx
                        .get_idempotency(&c.account_id, action, tok)
                        .await?
                        .is_some()
                    {
                        return Err(physconn_store::StoreError::Conflict.into());
                    }
                }
                return Err(refused);
            }
            // A twin that waited on the account's counts row and was let
            // in after this one's commit fails on the record's key and is
            // re-run, which finds the record.
            Ok(Created { id: c.id.clone() })
        })
    });
    let created: Created = if alone {
        physconn_store::write_released_one(&*ctx.state.store, work)
            .await
            .map_err(from_op)?
    } else {
        idempotent_write_locked(ctx, token, locks, work).await?
    };
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(Reply::standard(
        ctx,
        vec![("PhysicalConnectionId", Value::String(created.id))],
    ))
}

/// Filter keys and the column each one matches (docs/design/circuits.md#describe).
fn filter_column(key: &str) -> Option<&'static str> {
    Some(match key {
        "PhysicalConnectionId" => "id",
        "AccessPointId" => "access_point_id",
        "LineOperator" => "line_operator",
        "Status" => "status",
        "Name" => "name",
        "Spec" => "port_type",
        "Type" | "ProductType" => "",
        _ => return None,
    })
}

/// Port types of a `Spec` filter value (`1G and below` or the plain spec).
fn port_types_of_spec(spec: &str) -> Vec<String> {
    let spec = if spec == "1G and below" { "1G" } else { spec };
    PortType::ALL
        .iter()
        .filter(|p| p.spec() == spec)
        .map(|p| p.as_str().to_string())
        .collect()
}

fn page_arg(p: &Params, name: &str, default: i64, max: i64) -> Result<i64, ApiError> {
    match p.int(name)? {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(v),
        Some(_) => Err(ApiError::invalid_parameter(name)),
    }
}

/// Reads `PageNumber` (≥1) and `PageSize` (1–50, default 10).
pub fn paging(p: &Params) -> Result<(i64, i64), ApiError> {
    Ok((
        page_arg(p, "PageNumber", 1, i64::from(i32::MAX))?,
        page_arg(p, "PageSize", 10, 50)?,
    ))
}

pub fn build_query(ctx: &CallCtx, p: &Params, region: &str) -> Result<CircuitQuery, ApiError> {
    let (page, size) = paging(p)?;
    p.bool("IncludeReservationData")?;
    let mut q = CircuitQuery {
        account_id: ctx.account_id.clone(),
        region_id: region.to_string(),
        resource_group_id: resource_group(p)?,
        offset: (page - 1).saturating_mul(size),
        limit: size,
        ..Default::default()
    };
    let filters = p.list("Filter")?;
    if filters.len() > 5 {
        return Err(ApiError::invalid_parameter("Filter"));
    }
    for (i, f) in filters {
        let key = f
            .get("Key")
            .and_then(|n| n.as_str())
            .ok_or_else(|| ApiError::missing_parameter(&format!("Filter.{i}.Key")))?;
        let column = filter_column(key).ok_or_else(|| {
            refuse(DomainError::FilterKeyNotSupported(format!(
                "Filter.{i}.key"
            )))
        })?;
        let mut values = Vec::new();
        if let Some(v) = f.get("Value") {
            for (_, n) in v
                .list()
                .map_err(|_| ApiError::invalid_parameter(&format!("Filter.{i}.Value")))?
            {
                if let Some(s) = n.as_str() {
                    values.push(s.to_string());
                }
            }
        }
        if values.len() > 5 {
            return Err(ApiError::invalid_parameter(&format!("Filter.{i}.Value")));
        }
        if values.is_empty() {
            continue;
        }
        if key == "PhysicalConnectionId" {
            // A RAM user does not see the lines its policy denies it
            // (docs/design/decisions.md#ram-listings).
            values.retain(|id| ctx.sees(region, ResourceType::PhysicalConnection, id));
            if values.is_empty() {
                q.match_nothing = true;
                continue;
            }
        }
        match key {
            "Type" => q.match_nothing |= !values.iter().any(|v| v == "VPC"),
            "ProductType" => q.match_nothing |= !values.iter().any(|v| v == "PhysicalConnection"),
            "Spec" => q.columns.push((
                column,
                values.iter().flat_map(|v| port_types_of_spec(v)).collect(),
            )),
            _ => q.columns.push((column, values)),
        }
    }
    let tags = p.key_values("Tags")?;
    if tags.len() > 20 {
        return Err(ApiError::invalid_parameter("Tags"));
    }
    for (i, k, v) in tags {
        let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("Tags.{i}.Key")))?;
        q.tags.push((k, v));
    }
    Ok(q)
}

/// The workflow of a listing.
fn listing(
    q: Arc<CircuitQuery>,
) -> impl for<'t> Fn(
    &'t mut dyn physconn_store::TxOps,
) -> physconn_store::BoxFut<'t, physconn_store::OpResult<(Vec<Circuit>, i64)>>
       + Send
       + Sync
       + 'static {
    move |tx| {
        let q = q.clone();
        Box::pin(async move { tx.list_circuits(&q).await })
    }
}

pub async fn describe(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let region = require_region(p, DomainError::RegionNotFound)?;
    let q = Arc::new(build_query(ctx, p, region)?);
    let page = q.offset / q.limit.max(1) + 1;
    let size = q.limit;
    // By id, one statement: no transaction of its own (BEGIN and COMMIT
    // would be two more round trips on PostgreSQL).
    let (rows, total) = if q.one_statement() {
        physconn_store::read_one(&*ctx.state.store, listing(q))
            .await
            .map_err(crate::errors::from_op)?
    } else {
        read(ctx, listing(q)).await?
    };
    if ctx.format == Format::Json {
        return Ok(describe_json(ctx, page, size, total, &rows));
    }
    let items: Vec<Value> = rows.iter().map(render::circuit).collect();
    Ok(Reply::standard(
        ctx,
        vec![
            ("PageNumber", json!(page)),
            ("PageSize", json!(size)),
            ("TotalCount", json!(total)),
            (
                "PhysicalConnectionSet",
                json!({ "PhysicalConnectionType": items }),
            ),
        ],
    ))
}

/// The JSON answer of [`describe`] written straight to bytes, field for
/// field what `Reply::standard` and `render::circuit` make of it (the
/// snapshot tests compare the two).
fn describe_json(ctx: &CallCtx, page: i64, size: i64, total: i64, rows: &[Circuit]) -> Reply {
    let mut out = Vec::with_capacity(256 + rows.len() * 1024);
    out.extend_from_slice(b"{\"RequestId\":");
    render::json_str(&mut out, &ctx.request_id);
    out.extend_from_slice(
        format!(",\"PageNumber\":{page},\"PageSize\":{size},\"TotalCount\":{total},").as_bytes(),
    );
    out.extend_from_slice(b"\"PhysicalConnectionSet\":{\"PhysicalConnectionType\":[");
    for (i, c) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        render::circuit_json(c, &mut out);
    }
    out.extend_from_slice(b"]}}");
    Reply::bytes(ctx, out)
}

#[derive(Serialize, Deserialize)]
struct Done {}

pub async fn confirm(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("PhysicalConnectionId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFoundConfirm)?.to_string();
    let token = client_token(p)?;
    let st = ctx.state.clone();
    let account = ctx.account_id.clone();
    let now = ctx.now;
    let locks = Some(physconn_store::RowLocks::circuit_then_account(
        &id, &account,
    ));
    let _: Done = idempotent_write_locked(ctx, token, locks, move |tx| {
        let (st, account, region, id) = (st.clone(), account.clone(), region.clone(), id.clone());
        Box::pin(async move {
            let mut c = scoped_circuit(
                tx,
                &account,
                &region,
                &id,
                DomainError::CircuitNotFoundConfirm,
            )
            .await?;
            let from = c.status;
            c.confirm()?;
            tx.update_circuit(&c).await?;
            simulator::record(
                tx,
                st.ids.as_ref(),
                &c.id,
                Some(from),
                c.status,
                "ConfirmPhysicalConnection",
                now,
            )
            .await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}
