//! BGP peers: CreateBgpPeer, ModifyBgpPeerAttribute, DeleteBgpPeer
//! (docs/design/bgp.md). A peer is one session of a group; it starts
//! `Pending` on an `Available` group, at most eight to a VBR.

use super::bgp::{ip_version, own_group, own_object, own_vbr, refused, run, vbr_takes_bgp, Done};
use super::params::Params;
use super::{CallCtx, Reply};
use physconn_domain::bgp::{
    self as rules, BgpError, BgpGroup, BgpObject, BgpObjectStatus, BgpPeer,
};
use physconn_domain::vbr::Vbr;
use physconn_store::{BgpScope, OpResult, TxOps};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `BfdMultiHop`: 1–255 when given.
fn multi_hop(p: &Params) -> Result<Option<i64>, ApiError> {
    let v = p.int("BfdMultiHop")?;
    if v.is_some_and(|h| !(1..=255).contains(&h)) {
        return Err(ApiError::invalid_parameter("BfdMultiHop"));
    }
    Ok(v)
}

/// The session address: the one given, else the VBR's peer gateway of the
/// group's IP version (docs/design/bgp.md#rules).
fn peer_address(given: Option<&str>, v: &Vbr, ipv6: bool) -> OpResult<String> {
    let ip = match given {
        Some(ip) => ip.to_string(),
        None if ipv6 => v.peer_ipv6_gateway_ip.clone(),
        None => v.peer_gateway_ip.clone(),
    };
    rules::check_peer_ip(&ip, ipv6).map_err(refused)?;
    Ok(ip)
}

fn is_ipv6(version: &str) -> bool {
    rules::ipv6_version(version).unwrap_or(false)
}

#[derive(Serialize, Deserialize)]
struct Created {
    id: String,
}

struct CreatePeer {
    group_id: String,
    peer_ip: Option<String>,
    enable_bfd: bool,
    multi_hop: Option<i64>,
    ip_version: Option<(String, bool)>,
}

pub async fn create(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let req = CreatePeer {
        group_id: p.required("BgpGroupId")?.to_string(),
        peer_ip: p.non_empty("PeerIpAddress").map(str::to_string),
        enable_bfd: p.bool("EnableBfd")?.unwrap_or(false),
        multi_hop: multi_hop(p)?,
        ip_version: ip_version(p)?,
    };
    let created: Created = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let g = own_group(tx, job, &r.group_id).await?;
            if g.status != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            let v = own_vbr(tx, &job.caller, &job.region, &g.vbr_id).await?;
            vbr_takes_bgp(&v)?;
            let on_vbr = tx.bgp().list_bgp(BgpScope::Vbr(&v.id)).await?;
            let peers = on_vbr
                .iter()
                .filter(|o| matches!(o, BgpObject::Peer(_)))
                .count();
            if peers >= rules::MAX_PEERS_PER_VBR {
                return Err(refused(BgpError::PeerQuota));
            }
            let version = match &r.ip_version {
                Some((sent, _)) => sent.clone(),
                None => g.ip_version.clone(),
            };
            let six = is_ipv6(&version);
            if six != is_ipv6(&g.ip_version) {
                return Err(
                    physconn_domain::DomainError::InvalidParameter("IpVersion".into()).into(),
                );
            }
            let peer = BgpPeer {
                id: job.st.ids.regional_id("bgp", &v.region_id),
                account_id: g.account_id.clone(),
                region_id: g.region_id.clone(),
                vbr_id: g.vbr_id.clone(),
                group_id: g.id.clone(),
                peer_ip_address: peer_address(r.peer_ip.as_deref(), &v, six)?,
                enable_bfd: r.enable_bfd,
                bfd_multi_hop: match (r.multi_hop, r.enable_bfd) {
                    (Some(h), _) => h,
                    (None, true) => rules::DEFAULT_BFD_MULTI_HOP,
                    (None, false) => 0,
                },
                ip_version: version,
                session: None,
                advertised_route_count: 0,
                received_route_count: 0,
                status: BgpObjectStatus::Pending,
                created_at: job.now,
                modified_at: job.now,
            };
            let id = peer.id.clone();
            let o = BgpObject::Peer(peer);
            super::bgp::begin(tx, &job.st, o, BgpObjectStatus::Pending, job.now, true).await?;
            Ok(Created { id })
        })
    })
    .await?;
    Ok(Reply::standard(
        ctx,
        vec![("BgpPeerId", Value::String(created.id))],
    ))
}

/// The caller's peer, or `InvalidParams.NotFound`.
async fn own_peer(tx: &mut dyn TxOps, caller: &str, region: &str, id: &str) -> OpResult<BgpPeer> {
    match own_object(tx, caller, region, id, BgpError::InstanceNotFound).await? {
        BgpObject::Peer(p) => Ok(p),
        _ => Err(refused(BgpError::InstanceNotFound)),
    }
}

struct ModifyPeer {
    id: String,
    group_id: Option<String>,
    peer_ip: Option<String>,
    enable_bfd: Option<bool>,
    multi_hop: Option<i64>,
}

/// `Available → Modifying → Available`. Resending the peer's own group (the
/// Terraform provider always does) changes nothing; another group of the
/// same VBR moves the peer there.
pub async fn modify(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let req = ModifyPeer {
        id: p.required("BgpPeerId")?.to_string(),
        group_id: p.non_empty("BgpGroupId").map(str::to_string),
        peer_ip: p.non_empty("PeerIpAddress").map(str::to_string),
        enable_bfd: p.bool("EnableBfd")?,
        multi_hop: multi_hop(p)?,
    };
    let _: Done = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let mut peer = own_peer(tx, &job.caller, &job.region, &r.id).await?;
            if peer.status != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            if let Some(gid) = r.group_id.as_deref().filter(|g| *g != peer.group_id) {
                let g: BgpGroup = own_group(tx, job, gid).await?;
                if g.vbr_id != peer.vbr_id || is_ipv6(&g.ip_version) != is_ipv6(&peer.ip_version) {
                    return Err(refused(BgpError::GroupNotFound));
                }
                peer.group_id = g.id;
            }
            if let Some(ip) = r.peer_ip.as_deref() {
                rules::check_peer_ip(ip, is_ipv6(&peer.ip_version)).map_err(refused)?;
                peer.peer_ip_address = ip.to_string();
            }
            if let Some(on) = r.enable_bfd {
                peer.enable_bfd = on;
            }
            if let Some(h) = r.multi_hop {
                peer.bfd_multi_hop = h;
            } else if peer.enable_bfd && peer.bfd_multi_hop == 0 {
                peer.bfd_multi_hop = rules::DEFAULT_BFD_MULTI_HOP;
            }
            let o = BgpObject::Peer(peer);
            super::bgp::begin(tx, &job.st, o, BgpObjectStatus::Modifying, job.now, false).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}

/// `Available → Deleting → gone`.
pub async fn delete(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("BgpPeerId")?.to_string();
    let _: Done = run(ctx, p, id, |tx, job| {
        Box::pin(async move {
            let peer = own_peer(tx, &job.caller, &job.region, &job.req).await?;
            if peer.status != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            let o = BgpObject::Peer(peer);
            super::bgp::begin(tx, &job.st, o, BgpObjectStatus::Deleting, job.now, false).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}
