//! DescribeVirtualBorderRouters and
//! DescribeVirtualBorderRoutersForPhysicalConnection: filters, tags,
//! resource group, paging, and the two object shapes with exactly the JSON
//! types the SDK models and the Terraform provider need (docs/design/vbr.md).

use super::circuits::paging;
use super::params::Params;
use super::vbr::refuse;
use super::{read, require_region, scoped_circuit, CallCtx, Reply};
use physconn_domain::ram::ResourceType;
use physconn_domain::vbr::{Vbr, VbrStatus};
use physconn_domain::vbr_error::VbrError;
use physconn_domain::{Circuit, DomainError};
use physconn_store::{OpResult, TxOps, VbrScope};
use physconn_wire::timefmt::format_timestamp;
use physconn_wire::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The filter keys of both actions, matched without regard to case (the
/// documentation spells two of them `eccId` and `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    PhysicalConnectionId,
    VbrId,
    Status,
    Name,
    AccessPointId,
    EccId,
    Type,
}

impl Key {
    fn parse(s: &str) -> Option<Key> {
        use Key::*;
        [
            ("PhysicalConnectionId", PhysicalConnectionId),
            ("VbrId", VbrId),
            ("Status", Status),
            ("Name", Name),
            ("AccessPointId", AccessPointId),
            ("eccId", EccId),
            ("type", Type),
        ]
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|(_, k)| *k)
    }

    fn matches(self, v: &Vbr, values: &[String]) -> bool {
        let any = |field: &str| values.iter().any(|x| x == field);
        match self {
            Key::PhysicalConnectionId => any(&v.circuit_id),
            Key::VbrId => any(&v.id),
            Key::Status => values
                .iter()
                .any(|x| VbrStatus::parse_any_case(x) == Some(v.status)),
            Key::Name => any(&v.name),
            Key::AccessPointId => any(&v.access_point_id),
            // No VBR of physconn is attached to an Express Connect circuit.
            Key::EccId => false,
            Key::Type => values.iter().any(|x| x.eq_ignore_ascii_case(VBR_TYPE)),
        }
    }
}

const VBR_TYPE: &str = "pconnVBR";

/// What a listing keeps: every filter ANDed, values ORed; tags all present.
#[derive(Debug, Default)]
struct Query {
    filters: Vec<(Key, Vec<String>)>,
    tags: Vec<(String, Option<String>)>,
    resource_group: Option<String>,
    page: i64,
    size: i64,
}

impl Query {
    fn read(p: &Params, with_tags: bool) -> Result<Query, ApiError> {
        let (page, size) = paging(p)?;
        let mut q = Query {
            page,
            size,
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
            let key = Key::parse(key).ok_or_else(|| {
                refuse(DomainError::FilterKeyNotSupported(format!(
                    "Filter.{i}.key"
                )))
            })?;
            let mut values = Vec::new();
            if let Some(v) = f.get("Value") {
                let list = v
                    .list()
                    .map_err(|_| ApiError::invalid_parameter(&format!("Filter.{i}.Value")))?;
                values.extend(
                    list.iter()
                        .filter_map(|(_, n)| n.as_str())
                        .map(str::to_string),
                );
            }
            if values.len() > 5 {
                return Err(ApiError::invalid_parameter(&format!("Filter.{i}.Value")));
            }
            if !values.is_empty() {
                q.filters.push((key, values));
            }
        }
        if with_tags {
            q.resource_group = super::circuits::resource_group(p)?;
            let tags = p.key_values("Tags")?;
            if tags.len() > 20 {
                return Err(ApiError::invalid_parameter("Tags"));
            }
            for (i, k, v) in tags {
                let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("Tags.{i}.Key")))?;
                q.tags.push((k, v));
            }
        }
        Ok(q)
    }

    fn keeps(&self, v: &Vbr) -> bool {
        self.filters.iter().all(|(k, values)| k.matches(v, values))
            && self
                .resource_group
                .as_ref()
                .is_none_or(|rg| *rg == v.resource_group_id)
            && self.tags.iter().all(|(k, want)| {
                v.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && want.as_ref().is_none_or(|w| w == tv))
            })
    }

    /// Leaves out of the id filters the VBRs and lines a RAM user may not
    /// see; a filter left with no value matches nothing
    /// (docs/design/decisions.md#ram-listings).
    fn hide(&mut self, ctx: &CallCtx, region: &str) {
        for (k, values) in &mut self.filters {
            let ty = match k {
                Key::VbrId => ResourceType::VirtualBorderRouter,
                Key::PhysicalConnectionId => ResourceType::PhysicalConnection,
                _ => continue,
            };
            values.retain(|id| ctx.sees(region, ty, id));
        }
    }

    /// The VBR ids a `VbrId` filter names, when it is the way in: one
    /// lookup per id instead of a listing.
    fn ids(&self) -> Option<&[String]> {
        self.filters
            .iter()
            .find(|(k, _)| *k == Key::VbrId)
            .map(|(_, v)| v.as_slice())
    }
}

/// A page of matching VBRs (newest first), their total, and the lines
/// they sit on.
type Page = (Vec<Vbr>, i64, HashMap<String, Circuit>);

async fn page_of(tx: &mut dyn TxOps, mut all: Vec<Vbr>, q: &Query) -> OpResult<Page> {
    all.retain(|v| q.keeps(v));
    all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from((q.page - 1).saturating_mul(q.size)).unwrap_or(usize::MAX);
    let take = usize::try_from(q.size).unwrap_or(0);
    let rows: Vec<Vbr> = all.into_iter().skip(skip).take(take).collect();
    let mut lines = HashMap::new();
    for v in &rows {
        if !lines.contains_key(&v.circuit_id) {
            if let Some(c) = tx.get_circuit(&v.circuit_id).await? {
                lines.insert(v.circuit_id.clone(), c);
            }
        }
    }
    Ok((rows, total, lines))
}

pub async fn describe(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let cross = p.bool("IncludeCrossAccountVbr")?.unwrap_or(false);
    let mut q = Query::read(p, true)?;
    q.hide(ctx, &region);
    let q = Arc::new(q);
    let caller = ctx.account_id.clone();
    let query = q.clone();
    let (rows, total, lines) = read(ctx, move |tx| {
        let (q, caller, region) = (query.clone(), caller.clone(), region.clone());
        Box::pin(async move {
            let visible = |v: &Vbr| {
                v.region_id == region
                    && (v.account_id == caller || (cross && v.circuit_owner_id == caller))
            };
            let mut all = Vec::new();
            match q.ids() {
                Some(ids) => {
                    for id in ids {
                        if let Some(v) = tx.vbrs().get_vbr(id).await? {
                            all.push(v);
                        }
                    }
                }
                None => {
                    all = tx.vbrs().list_vbrs(VbrScope::Owner(&caller)).await?;
                    if cross {
                        for v in tx.vbrs().list_vbrs(VbrScope::LineOwner(&caller)).await? {
                            if v.account_id != caller {
                                all.push(v);
                            }
                        }
                    }
                }
            }
            all.retain(visible);
            page_of(tx, all, &q).await
        })
    })
    .await?;
    let items = rows.iter().map(|v| render(v, lines.get(&v.circuit_id)));
    Ok(page_reply(ctx, &q, total, "VirtualBorderRouter", items))
}

pub async fn describe_for_line(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let line_id = p.required("PhysicalConnectionId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let mut q = Query::read(p, false)?;
    q.hide(ctx, &region);
    let q = Arc::new(q);
    let caller = ctx.account_id.clone();
    let query = q.clone();
    let (rows, total, lines) = read(ctx, move |tx| {
        let (q, caller, region, line_id) = (
            query.clone(),
            caller.clone(),
            region.clone(),
            line_id.clone(),
        );
        Box::pin(async move {
            scoped_circuit(
                tx,
                &caller,
                &region,
                &line_id,
                VbrError::CircuitNotOwned.into(),
            )
            .await?;
            let all = tx.vbrs().list_vbrs(VbrScope::Line(&line_id)).await?;
            page_of(tx, all, &q).await
        })
    })
    .await?;
    let items = rows
        .iter()
        .map(|v| render_for_line(v, lines.get(&v.circuit_id)));
    Ok(page_reply(
        ctx,
        &q,
        total,
        "VirtualBorderRouterForPhysicalConnection",
        items,
    ))
}

/// One page of VBRs in both describes' shape: `{name}Set.{name}Type[]`.
fn page_reply(
    ctx: &CallCtx,
    q: &Query,
    total: i64,
    name: &str,
    items: impl Iterator<Item = Value>,
) -> Reply {
    let items: Vec<Value> = items.collect();
    let set = format!("{name}Set");
    Reply::standard(
        ctx,
        vec![
            ("PageNumber", json!(q.page)),
            ("PageSize", json!(q.size)),
            ("TotalCount", json!(total)),
            (set.as_str(), json!({ format!("{name}Type"): items })),
        ],
    )
}

fn time_or_empty(t: Option<physconn_domain::Time>) -> String {
    t.map(format_timestamp).unwrap_or_default()
}

fn tag_list(tags: &[(String, String)]) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect()
}

/// One `VirtualBorderRouterType`: the line's status and business status
/// live (a locked line shows on its VBRs), booleans as booleans, numbers as
/// numbers, every field the Terraform provider reads present.
pub fn render(v: &Vbr, line: Option<&Circuit>) -> Value {
    let (line_status, line_business) = line
        .map(|c| (c.status.as_str(), c.business_status.as_str()))
        .unwrap_or(("", ""));
    json!({
        "VbrId": v.id,
        "Status": v.status.as_str(),
        "Type": VBR_TYPE,
        "Name": v.name,
        "Description": v.description,
        "PhysicalConnectionId": v.circuit_id,
        "AccessPointId": v.access_point_id,
        "PhysicalConnectionStatus": line_status,
        "PhysicalConnectionBusinessStatus": line_business,
        "PhysicalConnectionOwnerUid": v.circuit_owner_id,
        "VlanId": v.vlan_id,
        "CircuitCode": v.circuit_code,
        "LocalGatewayIp": v.local_gateway_ip,
        "PeerGatewayIp": v.peer_gateway_ip,
        "PeeringSubnetMask": v.peering_subnet_mask,
        "EnableIpv6": v.enable_ipv6,
        "LocalIpv6GatewayIp": v.local_ipv6_gateway_ip,
        "PeerIpv6GatewayIp": v.peer_ipv6_gateway_ip,
        "PeeringIpv6SubnetMask": v.peering_ipv6_subnet_mask,
        "Bandwidth": v.bandwidth,
        "DetectMultiplier": v.detect_multiplier,
        "MinRxInterval": v.min_rx_interval,
        "MinTxInterval": v.min_tx_interval,
        "Mtu": v.mtu,
        "SitelinkEnable": v.sitelink_enable,
        "RouteTableId": v.route_table_id,
        "VlanInterfaceId": v.vlan_interface_id,
        "ResourceGroupId": v.resource_group_id,
        "CreationTime": format_timestamp(v.created_at),
        "ActivationTime": time_or_empty(v.activated_at),
        "TerminationTime": time_or_empty(v.terminated_at),
        "RecoveryTime": time_or_empty(v.recovered_at),
        "Tags": {"Tags": tag_list(&v.tags)},
        "AssociatedPhysicalConnections": {"AssociatedPhysicalConnection": []},
        "AssociatedCens": {"AssociatedCen": []},
    })
}

/// One `VirtualBorderRouterForPhysicalConnectionType`, the line owner's
/// view: `Bandwidth` is a string here, and `VbrOwnerUid` (a number) is
/// present only for another account's VBR.
pub fn render_for_line(v: &Vbr, line: Option<&Circuit>) -> Value {
    let business = line.map(|c| c.business_status.as_str()).unwrap_or("");
    let mut item = json!({
        "VbrId": v.id,
        "VbrName": v.name,
        "Status": v.status.as_str(),
        "Type": VBR_TYPE,
        "VlanId": v.vlan_id,
        "Bandwidth": v.bandwidth.to_string(),
        "BandwidthStatus": if v.status == VbrStatus::Active { "Active" } else { "Inactive" },
        "CircuitCode": v.circuit_code,
        "CreationTime": format_timestamp(v.created_at),
        "ActivationTime": time_or_empty(v.activated_at),
        "TerminationTime": time_or_empty(v.terminated_at),
        "RecoveryTime": time_or_empty(v.recovered_at),
        "EccId": "",
        "EnableIpv6": v.enable_ipv6,
        "LocalGatewayIp": v.local_gateway_ip,
        "PeerGatewayIp": v.peer_gateway_ip,
        "PeeringSubnetMask": v.peering_subnet_mask,
        "LocalIpv6GatewayIp": v.local_ipv6_gateway_ip,
        "PeerIpv6GatewayIp": v.peer_ipv6_gateway_ip,
        "PeeringIpv6SubnetMask": v.peering_ipv6_subnet_mask,
        "PConnVbrBussinessStatus": business,
    });
    if v.account_id != v.circuit_owner_id {
        if let (Some(m), Ok(uid)) = (item.as_object_mut(), v.account_id.parse::<i64>()) {
            m.insert("VbrOwnerUid".into(), json!(uid));
        }
    }
    item
}
