//! CreateVirtualBorderRouter and ModifyVirtualBorderRouterAttribute, and
//! what every VBR action shares: finding the caller's VBR and reading the
//! VBR fields of a request (docs/design/vbr.md).

use super::params::Params;
use super::{client_token, idempotent_write, require_region, CallCtx, Reply};
use crate::errors::from_domain;
use crate::{faults, simulator};
use physconn_domain::vbr::{self as rules, FieldError, Vbr, VbrAction, VbrStatus};
use physconn_domain::vbr_error::{OwnerParam, VbrError};
use physconn_domain::{validate, Circuit, DomainError, FaultOutcome, Status};
use physconn_store::{OpResult, TxOps, VbrScope};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub(super) fn refuse(e: impl Into<DomainError>) -> ApiError {
    from_domain(&e.into())
}

/// A VBR the caller may act on: one it owns, or one on a line it owns, in
/// the request's region. Anything else does not exist for it.
pub(super) async fn visible_vbr(
    tx: &mut dyn TxOps,
    account: &str,
    region: &str,
    id: &str,
    not_found: VbrError,
) -> OpResult<Vbr> {
    match tx.vbrs().get_vbr(id).await? {
        Some(v)
            if v.region_id == region
                && (v.account_id == account || v.circuit_owner_id == account) =>
        {
            Ok(v)
        }
        _ => Err(DomainError::Vbr(not_found).into()),
    }
}

/// The line a VBR sits on, however it is now.
pub(super) async fn line_of(tx: &mut dyn TxOps, v: &Vbr) -> OpResult<Option<Circuit>> {
    tx.get_circuit(&v.circuit_id).await
}

/// Schedules the provider's finishing of a VBR's transient status: after
/// the line's provisioning delay, or parked in manual mode, as for lines.
pub(super) async fn schedule_step(
    tx: &mut dyn TxOps,
    st: &crate::state::AppState,
    v: &Vbr,
    now: physconn_domain::Time,
) -> OpResult<()> {
    tx.delete_timers_for(&v.id).await?;
    let Some(line) = line_of(tx, v).await? else {
        return Ok(());
    };
    let (mode, delay) = simulator::mode_for(tx, st, &line).await?;
    let due_at = match mode {
        physconn_domain::ProvisioningMode::Auto => physconn_domain::clock::later(now, delay),
        physconn_domain::ProvisioningMode::Manual => simulator::PARKED,
    };
    let timer = physconn_store::Timer {
        id: st.ids.internal_id(),
        circuit_id: v.id.clone(),
        kind: physconn_domain::TimerKind::Vbr,
        expect_status: None,
        due_at,
        created_at: now,
    };
    simulator::insert_step(tx, st, &timer).await
}

/// `VlanId`: a number in the VBR range, else `InvalidVlanId.Malformed`.
fn vlan(p: &Params) -> Result<Option<i64>, ApiError> {
    let Some(s) = p.non_empty("VlanId") else {
        return Ok(None);
    };
    let v = s
        .trim()
        .parse::<i64>()
        .map_err(|_| refuse(FieldError::VlanMalformed))?;
    rules::check_vlan(v).map_err(refuse)?;
    Ok(Some(v))
}

/// An integer setting checked by `check` when given.
fn setting(
    p: &Params,
    name: &str,
    check: fn(i64) -> Result<(), FieldError>,
) -> Result<Option<i64>, ApiError> {
    let v = p.int(name)?;
    if let Some(v) = v {
        check(v).map_err(refuse)?;
    }
    Ok(v)
}

/// `Tags.N.*` (the SDKs) and `Tag.N.*` (the Terraform provider) together;
/// a key given in both takes its `Tags` value.
pub(super) fn request_tags(p: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for name in ["Tags", "Tag"] {
        for (i, k, v) in p.key_values(name)? {
            let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("{name}.{i}.Key")))?;
            if !out.iter().any(|(have, _)| *have == k) {
                out.push((k, v.unwrap_or_default()));
            }
        }
    }
    validate::tags(&out, "Tags").map_err(refuse)?;
    Ok(out)
}

/// The fields of a request that change a VBR, each `None` when absent.
#[derive(Clone, Default)]
struct Changes {
    vlan_id: Option<i64>,
    circuit_code: Option<String>,
    local_gateway_ip: Option<String>,
    peer_gateway_ip: Option<String>,
    peering_subnet_mask: Option<String>,
    name: Option<String>,
    description: Option<String>,
    bandwidth: Option<i64>,
    enable_ipv6: Option<bool>,
    local_ipv6_gateway_ip: Option<String>,
    peer_ipv6_gateway_ip: Option<String>,
    peering_ipv6_subnet_mask: Option<String>,
    detect_multiplier: Option<i64>,
    min_rx_interval: Option<i64>,
    min_tx_interval: Option<i64>,
    mtu: Option<i64>,
    sitelink_enable: Option<bool>,
}

impl Changes {
    /// Reads and checks every field that needs no stored state. An empty
    /// `Name` or `Description` clears it.
    fn read(p: &Params) -> Result<Changes, ApiError> {
        let text = |n: &str| p.str(n).map(str::to_string);
        let c = Changes {
            vlan_id: vlan(p)?,
            circuit_code: text("CircuitCode"),
            local_gateway_ip: text("LocalGatewayIp").filter(|s| !s.is_empty()),
            peer_gateway_ip: text("PeerGatewayIp").filter(|s| !s.is_empty()),
            peering_subnet_mask: text("PeeringSubnetMask").filter(|s| !s.is_empty()),
            name: text("Name"),
            description: text("Description"),
            bandwidth: setting(p, "Bandwidth", rules::check_bandwidth)?,
            enable_ipv6: p.bool("EnableIpv6")?,
            local_ipv6_gateway_ip: text("LocalIpv6GatewayIp"),
            peer_ipv6_gateway_ip: text("PeerIpv6GatewayIp"),
            peering_ipv6_subnet_mask: text("PeeringIpv6SubnetMask"),
            detect_multiplier: setting(p, "DetectMultiplier", rules::check_detect_multiplier)?,
            min_rx_interval: setting(p, "MinRxInterval", |v| rules::check_interval(v, true))?,
            min_tx_interval: setting(p, "MinTxInterval", |v| rules::check_interval(v, false))?,
            mtu: setting(p, "Mtu", rules::check_mtu)?,
            sitelink_enable: p.bool("SitelinkEnable")?,
        };
        if let Some(code) = c.circuit_code.as_deref() {
            validate::circuit_code(code).map_err(refuse)?;
        }
        if let Some(n) = c.name.as_deref().filter(|n| !n.is_empty()) {
            validate::name(n).map_err(refuse)?;
        }
        if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
            validate::description(d).map_err(refuse)?;
        }
        Ok(c)
    }

    /// Refuses the parameters this caller may not set: the VLAN and the
    /// carrier code are the line owner's, the addressing and the labels the
    /// VBR owner's.
    fn check_caller(&self, line_owner: bool, vbr_owner: bool) -> Result<(), VbrError> {
        let given = [
            (self.vlan_id.is_some(), OwnerParam::VlanId, line_owner),
            (
                self.circuit_code.is_some(),
                OwnerParam::CircuitCode,
                line_owner,
            ),
            (
                self.local_gateway_ip.is_some(),
                OwnerParam::LocalGatewayIp,
                vbr_owner,
            ),
            (
                self.peer_gateway_ip.is_some(),
                OwnerParam::PeerGatewayIp,
                vbr_owner,
            ),
            (
                self.peering_subnet_mask.is_some(),
                OwnerParam::PeeringSubnetMask,
                vbr_owner,
            ),
            (self.name.is_some(), OwnerParam::Name, vbr_owner),
            (
                self.description.is_some(),
                OwnerParam::Description,
                vbr_owner,
            ),
        ];
        match given.iter().find(|(set, _, may)| *set && !*may) {
            Some((_, param, _)) => Err(VbrError::NotAllowedByCaller(*param)),
            None => Ok(()),
        }
    }

    /// Applies the changes and checks the addressing they leave.
    fn apply(self, v: &mut Vbr) -> Result<(), FieldError> {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut v.vlan_id, self.vlan_id);
        set(&mut v.circuit_code, self.circuit_code);
        set(&mut v.local_gateway_ip, self.local_gateway_ip);
        set(&mut v.peer_gateway_ip, self.peer_gateway_ip);
        set(&mut v.peering_subnet_mask, self.peering_subnet_mask);
        set(&mut v.name, self.name);
        set(&mut v.description, self.description);
        set(&mut v.bandwidth, self.bandwidth);
        set(&mut v.enable_ipv6, self.enable_ipv6);
        set(&mut v.local_ipv6_gateway_ip, self.local_ipv6_gateway_ip);
        set(&mut v.peer_ipv6_gateway_ip, self.peer_ipv6_gateway_ip);
        set(
            &mut v.peering_ipv6_subnet_mask,
            self.peering_ipv6_subnet_mask,
        );
        set(&mut v.detect_multiplier, self.detect_multiplier);
        set(&mut v.min_rx_interval, self.min_rx_interval);
        set(&mut v.min_tx_interval, self.min_tx_interval);
        set(&mut v.mtu, self.mtu);
        set(&mut v.sitelink_enable, self.sitelink_enable);
        check_addressing(v)
    }
}

/// The IPv4 peering, when set (a VBR made for another account may have
/// none yet), and the IPv6 peering when IPv6 is on.
fn check_addressing(v: &Vbr) -> Result<(), FieldError> {
    let ipv4 = [
        &v.local_gateway_ip,
        &v.peer_gateway_ip,
        &v.peering_subnet_mask,
    ];
    if ipv4.iter().any(|s| !s.is_empty()) {
        rules::check_ipv4_peering(
            &v.local_gateway_ip,
            &v.peer_gateway_ip,
            &v.peering_subnet_mask,
        )?;
    }
    if v.enable_ipv6 {
        rules::check_ipv6_peering(
            &v.local_ipv6_gateway_ip,
            &v.peer_ipv6_gateway_ip,
            &v.peering_ipv6_subnet_mask,
        )?;
    }
    Ok(())
}

/// The line's VLAN is free for `v` (`me`: the VBR itself when it keeps its own).
async fn check_vlan_free(
    tx: &mut dyn TxOps,
    v: &Vbr,
    me: Option<&str>,
    now: physconn_domain::Time,
    taken: VbrError,
) -> OpResult<Vec<Vbr>> {
    let line = tx.vbrs().list_vbrs(VbrScope::Line(&v.circuit_id)).await?;
    if !Vbr::vlan_free(v.vlan_id, me, &line, now) {
        return Err(DomainError::Vbr(taken).into());
    }
    Ok(line)
}

#[derive(Serialize, Deserialize)]
struct Created {
    #[serde(rename = "VbrId")]
    id: String,
}

pub async fn create(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let line_id = p.required("PhysicalConnectionId")?.to_string();
    p.required("VlanId")?;
    let owner = match p.non_empty("VbrOwnerId") {
        None => ctx.account_id.clone(),
        Some(o) => o.trim().to_string(),
    };
    let own = owner == ctx.account_id;
    if own {
        for name in ["LocalGatewayIp", "PeerGatewayIp", "PeeringSubnetMask"] {
            p.required(name)?;
        }
    }
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let changes = Changes::read(p)?;
    let tags = request_tags(p)?;
    let resource_group = super::circuits::resource_group(p)?;
    let call = faults::Call {
        outcome: FaultOutcome::TaskConflict,
        account: ctx.account_id.clone(),
        object: line_id.clone(),
    };
    faults::strike_conflict(&ctx.state, call).await?;
    let st = ctx.state.clone();
    let caller = ctx.account_id.clone();
    let now = ctx.now;
    let changes = Arc::new(changes);
    let created: Created = idempotent_write(ctx, token, move |tx| {
        let (st, caller, owner, region, line_id, tags, resource_group) = (
            st.clone(),
            caller.clone(),
            owner.clone(),
            region.clone(),
            line_id.clone(),
            tags.clone(),
            resource_group.clone(),
        );
        let changes = (*changes).clone();
        Box::pin(async move {
            let line = super::scoped_circuit(
                tx,
                &caller,
                &region,
                &line_id,
                VbrError::CircuitNotFound.into(),
            )
            .await?;
            if line.status != Status::Enabled
                || line.business_status != physconn_domain::BusinessStatus::Normal
            {
                return Err(DomainError::Vbr(VbrError::CircuitNotEnabled).into());
            }
            if owner != caller && tx.get_account(&owner).await?.is_none() {
                return Err(DomainError::Vbr(VbrError::OwnerNotFound).into());
            }
            let mut v = new_vbr(&st, &line, &owner, now);
            changes.apply(&mut v).map_err(DomainError::from)?;
            v.tags = tags;
            if let Some(rg) = resource_group {
                v.resource_group_id = rg;
            }
            if owner != caller {
                v.status = VbrStatus::Unconfirmed;
                v.activated_at = None;
            }
            let on_line = check_vlan_free(tx, &v, None, now, VbrError::VlanUsed).await?;
            if i64::try_from(on_line.len()).unwrap_or(i64::MAX) >= st.config.max_vbrs_per_line {
                return Err(DomainError::Vbr(VbrError::QuotaPerLine).into());
            }
            tx.vbrs().insert_vbr(&v).await?;
            Ok(Created { id: v.id })
        })
    })
    .await?;
    Ok(Reply::standard(
        ctx,
        vec![("VbrId", serde_json::Value::String(created.id))],
    ))
}

/// A new active VBR on `line` with the defaults of docs/design/vbr.md.
fn new_vbr(
    st: &crate::state::AppState,
    line: &Circuit,
    owner: &str,
    now: physconn_domain::Time,
) -> Vbr {
    let ids = st.ids.as_ref();
    let bandwidth = if line.bandwidth > 0 {
        line.bandwidth
    } else {
        line.port_type.capacity_mbps()
    };
    Vbr {
        id: ids.regional_id("vbr", &line.region_id),
        account_id: owner.to_string(),
        circuit_owner_id: line.account_id.clone(),
        region_id: line.region_id.clone(),
        circuit_id: line.id.clone(),
        access_point_id: line.access_point_id.clone(),
        status: VbrStatus::Active,
        name: String::new(),
        description: String::new(),
        vlan_id: 0,
        circuit_code: String::new(),
        local_gateway_ip: String::new(),
        peer_gateway_ip: String::new(),
        peering_subnet_mask: String::new(),
        enable_ipv6: false,
        local_ipv6_gateway_ip: String::new(),
        peer_ipv6_gateway_ip: String::new(),
        peering_ipv6_subnet_mask: String::new(),
        bandwidth,
        detect_multiplier: rules::DEFAULT_DETECT_MULTIPLIER,
        min_rx_interval: rules::DEFAULT_INTERVAL_MS,
        min_tx_interval: rules::DEFAULT_INTERVAL_MS,
        mtu: rules::DEFAULT_MTU,
        sitelink_enable: false,
        route_table_id: ids.regional_id("vtb", &line.region_id),
        vlan_interface_id: ids.regional_id("ri", &line.region_id),
        resource_group_id: super::circuits::default_resource_group(owner),
        created_at: now,
        activated_at: Some(now),
        terminated_at: None,
        recovered_at: None,
        tags: Vec::new(),
    }
}

#[derive(Serialize, Deserialize)]
struct Done {}

pub async fn modify(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("VbrId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let changes = Arc::new(Changes::read(p)?);
    let caller = ctx.account_id.clone();
    let now = ctx.now;
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (caller, region, id) = (caller.clone(), region.clone(), id.clone());
        let changes = (*changes).clone();
        Box::pin(async move {
            let mut v = visible_vbr(tx, &caller, &region, &id, VbrError::NotFound).await?;
            changes
                .check_caller(v.circuit_owner_id == caller, v.account_id == caller)
                .map_err(DomainError::from)?;
            if !VbrAction::Modify.allowed_in(v.status) {
                return Err(DomainError::Vbr(VbrError::InvalidState).into());
            }
            changes.apply(&mut v).map_err(DomainError::from)?;
            check_vlan_free(tx, &v, Some(&v.id), now, VbrError::VlanUsed).await?;
            tx.vbrs().update_vbr(&v).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}
