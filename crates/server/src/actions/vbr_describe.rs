//! DescribeVirtualBorderRouters and
//! DescribeVirtualBorderRoutersForPhysicalConnection: filters, tags,
//! resource group, paging, and the two object shapes with exactly the JSON
//! types the SDK models and the Terraform provider need (docs/design/vbr.md).

use super::circuits::paging;
use super::params::Params;
use super::render::{json_str, object_json, object_value, Field, Sink};
use super::vbr::refuse;
use super::{read, require_region, scoped_circuit, CallCtx, Reply};
use physconn_domain::ram::ResourceType;
use physconn_domain::vbr::{Vbr, VbrStatus};
use physconn_domain::vbr_error::VbrError;
use physconn_domain::DomainError;
use physconn_store::{LineState, OpResult, TxOps, VbrScope};
use physconn_wire::timefmt::format_timestamp;
use physconn_wire::{ApiError, Format};
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

/// A page of matching VBRs (newest first), their total, and the state of
/// the lines they sit on.
type Page = (Vec<Vbr>, i64, HashMap<String, LineState>);

/// The page of `all` that `q` selects, and the total it pages through.
fn select(mut all: Vec<Vbr>, q: &Query) -> (Vec<Vbr>, i64) {
    all.retain(|v| q.keeps(v));
    all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from((q.page - 1).saturating_mul(q.size)).unwrap_or(usize::MAX);
    let take = usize::try_from(q.size).unwrap_or(0);
    (all.into_iter().skip(skip).take(take).collect(), total)
}

async fn page_of(tx: &mut dyn TxOps, all: Vec<Vbr>, q: &Query) -> OpResult<Page> {
    let (rows, total) = select(all, q);
    let mut lines = HashMap::new();
    for v in &rows {
        if !lines.contains_key(&v.circuit_id) {
            // Two columns by key, not the whole line and its tags.
            if let Some(state) = tx.circuit_status(&v.circuit_id).await? {
                lines.insert(v.circuit_id.clone(), state);
            }
        }
    }
    Ok((rows, total, lines))
}

/// Who sees a VBR in a describe: the caller's own in the region, and with
/// `IncludeCrossAccountVbr` those on the caller's lines.
#[derive(Clone)]
struct Viewer {
    region: String,
    caller: String,
    cross: bool,
}

impl Viewer {
    fn sees(&self, v: &Vbr) -> bool {
        v.region_id == self.region
            && (v.account_id == self.caller || (self.cross && v.circuit_owner_id == self.caller))
    }
}

/// A describe naming one VBR (the provider's read): the VBR and its line's
/// state in one statement, without a transaction, like a line's describe by
/// id.
async fn by_one_id(
    ctx: &CallCtx,
    q: Arc<Query>,
    id: String,
    who: Viewer,
) -> Result<Page, ApiError> {
    physconn_store::read_one(&*ctx.state.store, move |tx| {
        let (q, id, who) = (q.clone(), id.clone(), who.clone());
        Box::pin(async move {
            let mut lines = HashMap::new();
            let mut all = Vec::new();
            if let Some((v, line)) = tx.vbrs().get_vbr_shown(&id).await? {
                if who.sees(&v) {
                    if let Some(state) = line {
                        lines.insert(v.circuit_id.clone(), state);
                    }
                    all.push(v);
                }
            }
            let (rows, total) = select(all, &q);
            Ok((rows, total, lines))
        })
    })
    .await
    .map_err(crate::errors::from_op)
}

pub async fn describe(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let cross = p.bool("IncludeCrossAccountVbr")?.unwrap_or(false);
    let mut q = Query::read(p, true)?;
    q.hide(ctx, &region);
    let q = Arc::new(q);
    let who = Viewer {
        region,
        caller: ctx.account_id.clone(),
        cross,
    };
    let (rows, total, lines) = match q.ids() {
        Some([id]) => by_one_id(ctx, q.clone(), id.clone(), who).await?,
        _ => {
            let query = q.clone();
            read(ctx, move |tx| {
                let (q, who) = (query.clone(), who.clone());
                Box::pin(async move {
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
                            all = tx.vbrs().list_vbrs(VbrScope::Owner(&who.caller)).await?;
                            if who.cross {
                                for v in tx
                                    .vbrs()
                                    .list_vbrs(VbrScope::LineOwner(&who.caller))
                                    .await?
                                {
                                    if v.account_id != who.caller {
                                        all.push(v);
                                    }
                                }
                            }
                        }
                    }
                    all.retain(|v| who.sees(v));
                    page_of(tx, all, &q).await
                })
            })
            .await?
        }
    };
    if ctx.format == Format::Json {
        return Ok(describe_json(ctx, &q, total, &rows, &lines));
    }
    let items = rows
        .iter()
        .map(|v| render(v, lines.get(&v.circuit_id).copied()));
    Ok(page_reply(ctx, &q, total, "VirtualBorderRouter", items))
}

/// The JSON answer of [`describe`] written straight to bytes, field for
/// field what [`page_reply`] and [`render`] make of it (the snapshot tests
/// compare the two), as the line's describe does.
fn describe_json(
    ctx: &CallCtx,
    q: &Query,
    total: i64,
    rows: &[Vbr],
    lines: &HashMap<String, LineState>,
) -> Reply {
    let mut out = Vec::with_capacity(256 + rows.len() * 1280);
    out.extend_from_slice(b"{\"RequestId\":");
    json_str(&mut out, &ctx.request_id);
    out.extend_from_slice(
        format!(
            ",\"PageNumber\":{},\"PageSize\":{},\"TotalCount\":{total},",
            q.page, q.size
        )
        .as_bytes(),
    );
    out.extend_from_slice(b"\"VirtualBorderRouterSet\":{\"VirtualBorderRouterType\":[");
    for (i, v) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        render_json(v, lines.get(&v.circuit_id).copied(), &mut out);
    }
    out.extend_from_slice(b"]}}");
    Reply::bytes(ctx, out)
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
        .map(|v| render_for_line(v, lines.get(&v.circuit_id).copied()));
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

/// The fields of one `VirtualBorderRouterType`, in answer order: the
/// line's status and business status live (a locked line shows on its
/// VBRs), booleans as booleans, numbers as numbers, every field the
/// Terraform provider reads present.
fn vbr_fields<'a>(v: &'a Vbr, line: Option<LineState>, out: Sink<'_, 'a>) {
    let (line_status, line_business) = line
        .map(|(s, b)| (s.as_str(), b.as_str()))
        .unwrap_or(("", ""));
    let s = |x: &'a str| Field::Str(x.into());
    let time = |t: Option<physconn_domain::Time>| Field::Str(time_or_empty(t).into());
    out("VbrId", s(&v.id));
    out("Status", s(v.status.as_str()));
    out("Type", s(VBR_TYPE));
    out("Name", s(&v.name));
    out("Description", s(&v.description));
    out("PhysicalConnectionId", s(&v.circuit_id));
    out("AccessPointId", s(&v.access_point_id));
    out("PhysicalConnectionStatus", s(line_status));
    out("PhysicalConnectionBusinessStatus", s(line_business));
    out("PhysicalConnectionOwnerUid", s(&v.circuit_owner_id));
    out("VlanId", Field::Int(v.vlan_id));
    out("CircuitCode", s(&v.circuit_code));
    out("LocalGatewayIp", s(&v.local_gateway_ip));
    out("PeerGatewayIp", s(&v.peer_gateway_ip));
    out("PeeringSubnetMask", s(&v.peering_subnet_mask));
    out("EnableIpv6", Field::Bool(v.enable_ipv6));
    out("LocalIpv6GatewayIp", s(&v.local_ipv6_gateway_ip));
    out("PeerIpv6GatewayIp", s(&v.peer_ipv6_gateway_ip));
    out("PeeringIpv6SubnetMask", s(&v.peering_ipv6_subnet_mask));
    out("Bandwidth", Field::Int(v.bandwidth));
    out("DetectMultiplier", Field::Int(v.detect_multiplier));
    out("MinRxInterval", Field::Int(v.min_rx_interval));
    out("MinTxInterval", Field::Int(v.min_tx_interval));
    out("Mtu", Field::Int(v.mtu));
    out("SitelinkEnable", Field::Bool(v.sitelink_enable));
    out("RouteTableId", s(&v.route_table_id));
    out("VlanInterfaceId", s(&v.vlan_interface_id));
    out("ResourceGroupId", s(&v.resource_group_id));
    out("CreationTime", time(Some(v.created_at)));
    out("ActivationTime", time(v.activated_at));
    out("TerminationTime", time(v.terminated_at));
    out("RecoveryTime", time(v.recovered_at));
    out("Tags", Field::Tags("Tags", &v.tags));
    out(
        "AssociatedPhysicalConnections",
        Field::Empty("AssociatedPhysicalConnection"),
    );
    out("AssociatedCens", Field::Empty("AssociatedCen"));
}

/// One `VirtualBorderRouterType` (XML and the admin API).
pub fn render(v: &Vbr, line: Option<LineState>) -> Value {
    object_value(40, |out| vbr_fields(v, line, out))
}

/// [`render`] appended as compact JSON, without building the `Value`.
fn render_json(v: &Vbr, line: Option<LineState>, out: &mut Vec<u8>) {
    object_json(out, |sink| vbr_fields(v, line, sink));
}

/// One `VirtualBorderRouterForPhysicalConnectionType`, the line owner's
/// view: `Bandwidth` is a string here, and `VbrOwnerUid` (a number) is
/// present only for another account's VBR.
pub fn render_for_line(v: &Vbr, line: Option<LineState>) -> Value {
    let business = line.map(|(_, b)| b.as_str()).unwrap_or("");
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

#[cfg(test)]
mod tests {
    use super::*;
    use physconn_domain::{BusinessStatus, Status};

    fn sample(full: bool) -> Vbr {
        let t = time::macros::datetime!(2026-11-29 10:00:00.123456 UTC);
        Vbr {
            id: "vbr-bp1\"x\\y".into(),
            account_id: "1".into(),
            circuit_owner_id: "2".into(),
            region_id: "cn-hangzhou".into(),
            circuit_id: "pc-1".into(),
            access_point_id: "ap-cn-hangzhou-yh-B".into(),
            status: VbrStatus::Terminated,
            name: "n </x> & 中文 \u{1}".into(),
            description: "a\n\t".into(),
            vlan_id: 2999,
            circuit_code: "c".into(),
            local_gateway_ip: "10.0.0.1".into(),
            peer_gateway_ip: "10.0.0.2".into(),
            peering_subnet_mask: "255.255.255.252".into(),
            enable_ipv6: full,
            local_ipv6_gateway_ip: String::new(),
            peer_ipv6_gateway_ip: String::new(),
            peering_ipv6_subnet_mask: String::new(),
            bandwidth: 1000,
            detect_multiplier: 3,
            min_rx_interval: 300,
            min_tx_interval: 300,
            mtu: 1500,
            sitelink_enable: !full,
            route_table_id: "vtb-1".into(),
            vlan_interface_id: "ri-1".into(),
            resource_group_id: "rg-1".into(),
            created_at: t,
            activated_at: full.then_some(t),
            terminated_at: full.then_some(t),
            recovered_at: None,
            tags: if full {
                vec![("env".into(), "prod\"".into()), ("team".into(), "".into())]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn direct_json_is_the_values_json() {
        for full in [true, false] {
            let v = sample(full);
            for l in [
                None,
                Some((Status::Enabled, BusinessStatus::FinancialLocked)),
            ] {
                let mut direct = Vec::new();
                render_json(&v, l, &mut direct);
                assert_eq!(
                    String::from_utf8(direct).unwrap(),
                    String::from_utf8(physconn_wire::render_json(&render(&v, l))).unwrap()
                );
            }
        }
    }
}
