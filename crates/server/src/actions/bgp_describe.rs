//! DescribeBgpGroups, DescribeBgpPeers and DescribeBgpNetworks: the three
//! listings with their filters and paging, and the objects with the JSON
//! types the Terraform provider needs: AS numbers and counters as numbers,
//! `IsFake` and `EnableBfd` as booleans (docs/design/bgp.md#json-types).

use super::circuits::paging;
use super::params::Params;
use super::{read, require_region, CallCtx, Reply};
use physconn_domain::bgp::{BgpGroup, BgpNetwork, BgpObject, BgpPeer};
use physconn_domain::DomainError;
use physconn_store::{BgpScope, OpResult, TxOps};
use physconn_wire::timefmt::format_timestamp;
use physconn_wire::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub fn render_group(g: &BgpGroup) -> Value {
    json!({
        "BgpGroupId": g.id,
        "RouterId": g.vbr_id,
        "RegionId": g.region_id,
        "Name": g.name,
        "Description": g.description,
        "AuthKey": g.auth_key,
        "PeerAsn": g.peer_asn,
        "LocalAsn": g.local_asn,
        "IsFake": g.is_fake,
        "Hold": g.hold,
        "Keepalive": g.keepalive,
        "RouteLimit": g.route_limit,
        "IpVersion": g.ip_version,
        "Status": g.status.as_str(),
    })
}

/// A peer repeats its group's session settings.
pub fn render_peer(p: &BgpPeer, g: Option<&BgpGroup>) -> Value {
    let from_group = |f: fn(&BgpGroup) -> Value, none: Value| g.map(f).unwrap_or(none);
    // Minute precision, as the SDK documents `GmtModified`.
    let modified = format_timestamp(p.modified_at);
    let modified = format!("{}Z", modified.get(..16).unwrap_or(&modified));
    json!({
        "BgpPeerId": p.id,
        "BgpGroupId": p.group_id,
        "RouterId": p.vbr_id,
        "RegionId": p.region_id,
        "Name": "",
        "Description": "",
        "PeerIpAddress": p.peer_ip_address,
        "PeerAsn": from_group(|g| json!(g.peer_asn), json!(0)),
        "LocalAsn": from_group(|g| json!(g.local_asn), json!(0)),
        "AuthKey": from_group(|g| json!(g.auth_key), json!("")),
        "Hold": from_group(|g| json!(g.hold), json!(0)),
        "Keepalive": from_group(|g| json!(g.keepalive), json!(0)),
        "RouteLimit": from_group(|g| json!(g.route_limit), json!(0)),
        "IsFake": from_group(|g| json!(g.is_fake), json!(false)),
        "BgpStatus": p.session.map(|s| s.as_str()).unwrap_or(""),
        "EnableBfd": p.enable_bfd,
        "BfdMultiHop": p.bfd_multi_hop,
        "IpVersion": p.ip_version,
        "AdvertisedRouteCount": p.advertised_route_count,
        "ReceivedRouteCount": p.received_route_count,
        "GmtModified": modified,
        "Status": p.status.as_str(),
    })
}

pub fn render_network(n: &BgpNetwork) -> Value {
    json!({
        "DstCidrBlock": n.dst_cidr_block,
        "RouterId": n.vbr_id,
        "Status": n.status.as_str(),
        "VpcId": n.vpc_id,
    })
}

/// The filters of the three listings (absent ones keep everything).
struct Query {
    group: Option<String>,
    peer: Option<String>,
    router: Option<String>,
    /// No default groups exist, so `IsDefault=true` keeps nothing.
    default_only: bool,
    page: i64,
    size: i64,
}

impl Query {
    fn read(p: &Params) -> Result<Query, ApiError> {
        let (page, size) = paging(p)?;
        let text = |n: &str| p.non_empty(n).map(str::to_string);
        Ok(Query {
            group: text("BgpGroupId"),
            peer: text("BgpPeerId"),
            router: text("RouterId"),
            default_only: p.bool("IsDefault")?.unwrap_or(false),
            page,
            size,
        })
    }

    fn keeps(&self, region: &str, o: &BgpObject) -> bool {
        let (obj_region, group, peer) = match o {
            BgpObject::Group(g) => (&g.region_id, Some(&g.id), None),
            BgpObject::Peer(p) => (&p.region_id, Some(&p.group_id), Some(&p.id)),
            BgpObject::Network(n) => (&n.region_id, None, None),
        };
        obj_region == region
            && !self.default_only
            && self.router.as_ref().is_none_or(|r| r == o.vbr_id())
            && self.group.as_ref().is_none_or(|g| group == Some(g))
            && self.peer.as_ref().is_none_or(|p| peer == Some(p))
    }

    fn page<T>(&self, all: Vec<T>) -> (Vec<T>, i64) {
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let skip = usize::try_from((self.page - 1).saturating_mul(self.size)).unwrap_or(usize::MAX);
        let take = usize::try_from(self.size).unwrap_or(0);
        (all.into_iter().skip(skip).take(take).collect(), total)
    }
}

/// The caller's objects that the query keeps (by VBR when it names one).
async fn matching(
    tx: &mut dyn TxOps,
    caller: &str,
    region: &str,
    q: &Query,
) -> OpResult<Vec<BgpObject>> {
    let mut all = match &q.router {
        Some(r) => tx.bgp().list_bgp(BgpScope::Vbr(r)).await?,
        None => tx.bgp().list_bgp(BgpScope::Owner(caller)).await?,
    };
    all.retain(|o| o.account_id() == caller && q.keeps(region, o));
    Ok(all)
}

/// Runs a listing: `(rows, total, the groups of peers)`.
async fn listing(
    ctx: &CallCtx,
    p: &Params,
    pick: fn(BgpObject) -> Option<BgpObject>,
) -> Result<(Arc<Query>, Vec<BgpObject>, i64, HashMap<String, BgpGroup>), ApiError> {
    p.required("RegionId")?;
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let q = Arc::new(Query::read(p)?);
    let caller = ctx.account_id.clone();
    let query = q.clone();
    let (rows, total, groups) = read(ctx, move |tx| {
        let (q, caller, region) = (query.clone(), caller.clone(), region.clone());
        Box::pin(async move {
            let all: Vec<BgpObject> = matching(tx, &caller, &region, &q)
                .await?
                .into_iter()
                .filter_map(pick)
                .collect();
            let (rows, total) = q.page(all);
            let mut groups = HashMap::new();
            for o in &rows {
                if let BgpObject::Peer(p) = o {
                    if let Some(BgpObject::Group(g)) = tx.bgp().get_bgp(&p.group_id).await? {
                        groups.insert(g.id.clone(), g);
                    }
                }
            }
            Ok((rows, total, groups))
        })
    })
    .await?;
    Ok((q, rows, total, groups))
}

fn reply(ctx: &CallCtx, q: &Query, total: i64, set: &str, item: &str, items: Vec<Value>) -> Reply {
    Reply::standard(
        ctx,
        vec![
            ("PageNumber", json!(q.page)),
            ("PageSize", json!(q.size)),
            ("TotalCount", json!(total)),
            (set, json!({ item: items })),
        ],
    )
}

pub async fn groups(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (q, rows, total, _) =
        listing(ctx, p, |o| matches!(o, BgpObject::Group(_)).then_some(o)).await?;
    let items = rows
        .iter()
        .filter_map(|o| match o {
            BgpObject::Group(g) => Some(render_group(g)),
            _ => None,
        })
        .collect();
    Ok(reply(ctx, &q, total, "BgpGroups", "BgpGroup", items))
}

pub async fn peers(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (q, rows, total, groups) =
        listing(ctx, p, |o| matches!(o, BgpObject::Peer(_)).then_some(o)).await?;
    let items = rows
        .iter()
        .filter_map(|o| match o {
            BgpObject::Peer(p) => Some(render_peer(p, groups.get(&p.group_id))),
            _ => None,
        })
        .collect();
    Ok(reply(ctx, &q, total, "BgpPeers", "BgpPeer", items))
}

pub async fn networks(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (q, rows, total, _) =
        listing(ctx, p, |o| matches!(o, BgpObject::Network(_)).then_some(o)).await?;
    let items = rows
        .iter()
        .filter_map(|o| match o {
            BgpObject::Network(n) => Some(render_network(n)),
            _ => None,
        })
        .collect();
    Ok(reply(ctx, &q, total, "BgpNetworks", "BgpNetwork", items))
}
