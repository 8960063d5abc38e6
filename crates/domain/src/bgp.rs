//! BGP on a virtual border router (docs/design/bgp.md): groups (one VBR,
//! one peer AS), peers (one group, one session) and advertised networks
//! (one VBR, one CIDR). Each object goes `Pending → Available`, a change
//! passes through `Modifying`, a delete through `Deleting` and then the
//! object is gone: the provider's steps, run by the server's timers. The
//! session state a peer shows (`BgpStatus`) is not a lifecycle status: only
//! the admin API sets it.

use crate::circuit::wire_enum;
use crate::Time;
use physconn_wire::ErrorCode;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

wire_enum!(
    /// `Status` of a group, peer or network (capitalised, unlike the VBR's).
    BgpObjectStatus {
        Pending => "Pending",
        Available => "Available",
        Modifying => "Modifying",
        Deleting => "Deleting",
    }
);

impl BgpObjectStatus {
    /// Where the provider takes a transient status: `Some(None)` removes
    /// the object, `None` means it is stable.
    pub fn step(self) -> Option<Option<BgpObjectStatus>> {
        match self {
            BgpObjectStatus::Pending | BgpObjectStatus::Modifying => {
                Some(Some(BgpObjectStatus::Available))
            }
            BgpObjectStatus::Deleting => Some(None),
            BgpObjectStatus::Available => None,
        }
    }
}

wire_enum!(
    /// A peer's BGP session state (`BgpStatus`), the RFC 4271 finite-state
    /// machine's names. A new peer shows none (`""`) until an operator sets
    /// one.
    SessionState {
        Idle => "Idle",
        Connect => "Connect",
        Active => "Active",
        OpenSent => "OpenSent",
        OpenConfirm => "OpenConfirm",
        Established => "Established",
    }
);

/// The Alibaba side's AS number, the default `LocalAsn`.
pub const ALIYUN_ASN: i64 = 45104;
/// Group `Hold` and `Keepalive` (seconds), the documented example values.
pub const HOLD: i64 = 30;
pub const KEEPALIVE: i64 = 10;
/// Dynamic routes a peer may learn; the default and the most `RouteQuota` takes.
pub const ROUTE_LIMIT: i64 = 110;
/// Peers one VBR may carry (documented).
pub const MAX_PEERS_PER_VBR: usize = 8;
/// `BfdMultiHop` when BFD is on and none is given.
pub const DEFAULT_BFD_MULTI_HOP: i64 = 255;

/// A BGP group: the peer AS and the session settings its peers share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpGroup {
    pub id: String,
    /// The VBR owner's account (BGP objects are the VBR owner's).
    pub account_id: String,
    pub region_id: String,
    /// The VBR (`RouterId` on the wire).
    pub vbr_id: String,
    pub name: String,
    pub description: String,
    pub auth_key: String,
    pub peer_asn: i64,
    pub local_asn: i64,
    pub is_fake: bool,
    pub hold: i64,
    pub keepalive: i64,
    pub route_limit: i64,
    /// As the caller sent it (`IPv4` and `IPV4` both occur).
    pub ip_version: String,
    pub status: BgpObjectStatus,
    pub created_at: Time,
}

/// A BGP peer: one session of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpPeer {
    pub id: String,
    pub account_id: String,
    pub region_id: String,
    pub vbr_id: String,
    pub group_id: String,
    pub peer_ip_address: String,
    pub enable_bfd: bool,
    pub bfd_multi_hop: i64,
    pub ip_version: String,
    pub session: Option<SessionState>,
    pub advertised_route_count: i64,
    pub received_route_count: i64,
    pub status: BgpObjectStatus,
    pub created_at: Time,
    pub modified_at: Time,
}

/// A network the VBR advertises; its id is `<vbr>:<cidr>`, the Terraform
/// provider's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpNetwork {
    pub id: String,
    pub account_id: String,
    pub region_id: String,
    pub vbr_id: String,
    pub dst_cidr_block: String,
    pub vpc_id: String,
    pub status: BgpObjectStatus,
    pub created_at: Time,
}

impl BgpNetwork {
    pub fn id_for(vbr_id: &str, cidr: &str) -> String {
        format!("{vbr_id}:{cidr}")
    }
}

/// Any BGP object, as the store keeps them (one table, a kind column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum BgpObject {
    Group(BgpGroup),
    Peer(BgpPeer),
    Network(BgpNetwork),
}

wire_enum!(
    /// Which kind a [`BgpObject`] is (the store's `kind` column).
    BgpKind {
        Group => "group",
        Peer => "peer",
        Network => "network",
    }
);

impl BgpObject {
    pub fn kind(&self) -> BgpKind {
        match self {
            BgpObject::Group(_) => BgpKind::Group,
            BgpObject::Peer(_) => BgpKind::Peer,
            BgpObject::Network(_) => BgpKind::Network,
        }
    }
    pub fn id(&self) -> &str {
        match self {
            BgpObject::Group(g) => &g.id,
            BgpObject::Peer(p) => &p.id,
            BgpObject::Network(n) => &n.id,
        }
    }
    pub fn account_id(&self) -> &str {
        match self {
            BgpObject::Group(g) => &g.account_id,
            BgpObject::Peer(p) => &p.account_id,
            BgpObject::Network(n) => &n.account_id,
        }
    }
    pub fn vbr_id(&self) -> &str {
        match self {
            BgpObject::Group(g) => &g.vbr_id,
            BgpObject::Peer(p) => &p.vbr_id,
            BgpObject::Network(n) => &n.vbr_id,
        }
    }
    /// The group of a peer; empty for the others.
    pub fn group_id(&self) -> &str {
        match self {
            BgpObject::Peer(p) => &p.group_id,
            _ => "",
        }
    }
    pub fn status(&self) -> BgpObjectStatus {
        match self {
            BgpObject::Group(g) => g.status,
            BgpObject::Peer(p) => p.status,
            BgpObject::Network(n) => n.status,
        }
    }
    pub fn created_at(&self) -> Time {
        match self {
            BgpObject::Group(g) => g.created_at,
            BgpObject::Peer(p) => p.created_at,
            BgpObject::Network(n) => n.created_at,
        }
    }
    /// Enters `to`; a peer stamps its modification time.
    pub fn set_status(&mut self, to: BgpObjectStatus, now: Time) {
        match self {
            BgpObject::Group(g) => g.status = to,
            BgpObject::Peer(p) => {
                p.status = to;
                p.modified_at = now;
            }
            BgpObject::Network(n) => n.status = to,
        }
    }
}

/// Why a BGP request is refused; each variant names its error row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BgpError {
    #[error("unknown VBR (RouterId)")]
    VbrNotFound,
    #[error("unknown BGP group")]
    GroupNotFound,
    /// An unknown peer, or an unknown network on delete.
    #[error("unknown BGP peer or network")]
    InstanceNotFound,
    #[error("the VBR, group or peer is not in a state that allows this")]
    CannotOperate,
    #[error("too many peers on the VBR")]
    PeerQuota,
    #[error("too many groups on the VBR")]
    GroupQuota,
    #[error("too many networks on the VBR")]
    NetworkQuota,
    #[error("bad group name")]
    NameMalformed,
    #[error("bad group description")]
    DescriptionMalformed,
    #[error("bad AuthKey")]
    AuthKeyMalformed,
    #[error("bad address or CIDR block")]
    IpMalformed,
    #[error("bad PeerAsn")]
    PeerAsnMalformed,
    #[error("network already advertised")]
    NetworkExists,
    #[error("the group still has peers")]
    GroupHasPeers,
    #[error("the VBR still has BGP groups")]
    VbrHasGroups,
}

impl BgpError {
    pub fn code(&self) -> ErrorCode {
        match self {
            BgpError::VbrNotFound => ErrorCode::InvalidVbrNetwork,
            BgpError::GroupNotFound => ErrorCode::InvalidBgpGroup,
            BgpError::InstanceNotFound => ErrorCode::InvalidParamsNotFound,
            BgpError::CannotOperate => ErrorCode::InvalidStatusCannotOperate,
            BgpError::PeerQuota => ErrorCode::QuotaExceededBgp,
            BgpError::GroupQuota => ErrorCode::QuotaExceededBgpOnCreateBgpGroup,
            BgpError::NetworkQuota => ErrorCode::QuotaExceededBgpNetwork,
            BgpError::NameMalformed => ErrorCode::InvalidBgpNameMalformed,
            BgpError::DescriptionMalformed => ErrorCode::InvalidBgpDescriptionMalformed,
            BgpError::AuthKeyMalformed => ErrorCode::InvalidBgpAuthkeyMalformed,
            BgpError::IpMalformed => ErrorCode::InvalidIPMalformed,
            BgpError::PeerAsnMalformed => ErrorCode::InvalidPeerAsnMalformed,
            BgpError::NetworkExists => ErrorCode::InvalidParamsAlreadyExists,
            BgpError::GroupHasPeers => ErrorCode::DependencyViolationBgpPeer,
            BgpError::VbrHasGroups => ErrorCode::DependencyViolationBgpGroup,
        }
    }
}

/// `PeerAsn`: a 2- or 4-byte AS number other than Alibaba's own.
pub fn check_peer_asn(asn: i64) -> Result<(), BgpError> {
    if (1..=4_294_967_295).contains(&asn) && asn != ALIYUN_ASN {
        Ok(())
    } else {
        Err(BgpError::PeerAsnMalformed)
    }
}

/// `LocalAsn`: Alibaba's, or a private AS number (65025 is reserved).
pub fn local_asn_ok(asn: i64) -> bool {
    asn == ALIYUN_ASN
        || ((64512..=65534).contains(&asn) && asn != 65025)
        || (4_200_000_000..=4_294_967_294).contains(&asn)
}

/// `Name` and `Description` of a group: `min`–`max` characters without
/// control characters, starting with a letter or Chinese character, not a URL.
pub fn label_ok(s: &str, min: usize, max: usize) -> bool {
    let n = s.chars().count();
    let first = s
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && (c.is_ascii() || c > '\u{2e7f}'));
    (min..=max).contains(&n)
        && first
        && !s.starts_with("http://")
        && !s.starts_with("https://")
        && !s.chars().any(char::is_control)
}

/// `AuthKey`: up to 64 printable ASCII characters without spaces (the MD5
/// key of RFC 2385 is an ASCII string).
pub fn auth_key_ok(s: &str) -> bool {
    s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `IpVersion`: `IPv4` or `IPv6` in any case; `true` for IPv6.
pub fn ipv6_version(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("IPv4") {
        Some(false)
    } else if s.eq_ignore_ascii_case("IPv6") {
        Some(true)
    } else {
        None
    }
}

/// `DstCidrBlock`: an IPv4 or IPv6 prefix in canonical form (no host bits).
pub fn check_cidr(s: &str) -> Result<(), BgpError> {
    let (addr, len) = s.split_once('/').ok_or(BgpError::IpMalformed)?;
    let addr: IpAddr = addr.parse().map_err(|_| BgpError::IpMalformed)?;
    let len: u32 = len.parse().map_err(|_| BgpError::IpMalformed)?;
    let host_bits_clear = match addr {
        IpAddr::V4(a) if len <= 32 => u32::from(a).checked_shl(len).unwrap_or(0) == 0,
        IpAddr::V6(a) if len <= 128 => u128::from(a).checked_shl(len).unwrap_or(0) == 0,
        _ => false,
    };
    if host_bits_clear {
        Ok(())
    } else {
        Err(BgpError::IpMalformed)
    }
}

/// A peer address of the group's IP version.
pub fn check_peer_ip(s: &str, ipv6: bool) -> Result<(), BgpError> {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) if !ipv6 => Ok(()),
        Ok(IpAddr::V6(_)) if ipv6 => Ok(()),
        _ => Err(BgpError::IpMalformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asn_rules() {
        assert_eq!(check_peer_asn(65000), Ok(()));
        assert_eq!(check_peer_asn(4_200_000_001), Ok(()));
        for bad in [0, ALIYUN_ASN, 4_294_967_296, -1] {
            assert_eq!(
                check_peer_asn(bad),
                Err(BgpError::PeerAsnMalformed),
                "{bad}"
            );
        }
        for ok in [ALIYUN_ASN, 64512, 65534, 4_200_000_000, 4_294_967_294] {
            assert!(local_asn_ok(ok), "{ok}");
        }
        for bad in [65025, 64511, 65535, 1, 4_294_967_295] {
            assert!(!local_asn_ok(bad), "{bad}");
        }
    }

    #[test]
    fn cidr_blocks_are_canonical() {
        assert_eq!(check_cidr("10.0.0.0/24"), Ok(()));
        assert_eq!(check_cidr("0.0.0.0/0"), Ok(()));
        assert_eq!(check_cidr("2408:4004::/32"), Ok(()));
        for bad in [
            "10.0.0.1/24",
            "10.0.0.0/33",
            "10.0.0.0",
            "x/8",
            "10.0.0.0/-1",
        ] {
            assert_eq!(check_cidr(bad), Err(BgpError::IpMalformed), "{bad}");
        }
    }

    #[test]
    fn steps() {
        use BgpObjectStatus::*;
        assert_eq!(Pending.step(), Some(Some(Available)));
        assert_eq!(Modifying.step(), Some(Some(Available)));
        assert_eq!(Deleting.step(), Some(None));
        assert_eq!(Available.step(), None);
    }

    #[test]
    fn labels_and_keys() {
        assert!(label_ok("Group1", 2, 128));
        assert!(!label_ok("1group", 2, 128));
        assert!(!label_ok("g", 2, 128));
        assert!(!label_ok("http://x", 2, 128));
        assert!(auth_key_ok("s3cr3t!"));
        assert!(!auth_key_ok("with space"));
        assert_eq!(ipv6_version("IPV4"), Some(false));
        assert_eq!(ipv6_version("ipv6"), Some(true));
        assert_eq!(ipv6_version("v4"), None);
        assert_eq!(check_peer_ip("10.0.0.2", false), Ok(()));
        assert!(check_peer_ip("10.0.0.2", true).is_err());
    }
}
