//! The virtual border router (VBR): the VLAN sub-interface a user puts on an
//! `Enabled` physical connection, with its pair of peering addresses
//! (docs/design/vbr.md). Statuses are lower-case on the wire, unlike the
//! line's. This module holds the object, its state machine and the rules of
//! its fields; the server runs the transitions and the store keeps it.

use crate::circuit::wire_enum;
use crate::Time;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

wire_enum!(
    /// `Status` of a VBR.
    VbrStatus {
        Unconfirmed => "unconfirmed",
        Active => "active",
        Terminating => "terminating",
        Terminated => "terminated",
        Recovering => "recovering",
        Deleting => "deleting",
    }
);

impl VbrStatus {
    /// Filter values are matched without regard to case: the documentation's
    /// own example filters on `Active`.
    pub fn parse_any_case(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// Where the simulated provider takes a transient status: `None` for a
    /// stable one. `Deleting` ends with the VBR removed ([`VbrStep::Remove`]).
    pub fn step(self) -> Option<VbrStep> {
        match self {
            VbrStatus::Terminating => Some(VbrStep::To(VbrStatus::Terminated)),
            VbrStatus::Recovering => Some(VbrStep::To(VbrStatus::Active)),
            VbrStatus::Deleting => Some(VbrStep::Remove),
            _ => None,
        }
    }

    /// Whether the provider still has a step to run on it.
    pub fn is_transient(self) -> bool {
        self.step().is_some()
    }
}

/// What finishing a transient status does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrStep {
    To(VbrStatus),
    Remove,
}

/// The API actions whose admissibility depends on the VBR's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrAction {
    Terminate,
    Recover,
    Delete,
    Modify,
    /// Tags and resource group changes.
    Tag,
    /// Creating BGP groups, peers and networks on it.
    AddBgp,
}

impl VbrAction {
    pub const ALL: &'static [VbrAction] = &[
        VbrAction::Terminate,
        VbrAction::Recover,
        VbrAction::Delete,
        VbrAction::Modify,
        VbrAction::Tag,
        VbrAction::AddBgp,
    ];

    /// The status × action table of docs/design/vbr.md.
    pub fn allowed_in(self, s: VbrStatus) -> bool {
        use VbrStatus::*;
        match self {
            VbrAction::Terminate => s == Active,
            VbrAction::Recover => s == Terminated,
            VbrAction::Delete | VbrAction::Modify => matches!(s, Unconfirmed | Active | Terminated),
            VbrAction::Tag => s != Deleting,
            VbrAction::AddBgp => s == Active,
        }
    }
}

/// How long a terminated VBR keeps its VLAN from other VBRs on the line.
pub const VLAN_HOLD: time::Duration = time::Duration::days(7);
/// The VLAN range of the current API (the older documentation started at 1).
pub const VLAN_RANGE: std::ops::RangeInclusive<i64> = 0..=2999;
/// Bandwidths (Mbit/s) a VBR on a dedicated line may be given.
pub const BANDWIDTHS: &[i64] = &[
    50, 100, 200, 300, 400, 500, 1000, 2048, 5120, 8192, 10240, 20480, 40960, 50120, 61440, 102400,
];
/// BFD and MTU defaults: the values every documented example shows, and
/// non-zero because the Terraform provider only reads them when they are.
pub const DEFAULT_DETECT_MULTIPLIER: i64 = 3;
pub const DEFAULT_INTERVAL_MS: i64 = 300;
pub const DEFAULT_MTU: i64 = 1500;

/// A VBR as stored. Optional strings are empty when unset, as the API shows
/// them; times are `None` until the event happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vbr {
    pub id: String,
    /// The VBR's owner (who sees it in DescribeVirtualBorderRouters).
    pub account_id: String,
    /// The line's owner; differs from `account_id` for a VBR made for
    /// another account.
    pub circuit_owner_id: String,
    pub region_id: String,
    pub circuit_id: String,
    pub access_point_id: String,
    pub status: VbrStatus,
    pub name: String,
    pub description: String,
    pub vlan_id: i64,
    pub circuit_code: String,
    pub local_gateway_ip: String,
    pub peer_gateway_ip: String,
    pub peering_subnet_mask: String,
    pub enable_ipv6: bool,
    pub local_ipv6_gateway_ip: String,
    pub peer_ipv6_gateway_ip: String,
    pub peering_ipv6_subnet_mask: String,
    pub bandwidth: i64,
    pub detect_multiplier: i64,
    pub min_rx_interval: i64,
    pub min_tx_interval: i64,
    pub mtu: i64,
    pub sitelink_enable: bool,
    pub route_table_id: String,
    pub vlan_interface_id: String,
    pub resource_group_id: String,
    pub created_at: Time,
    pub activated_at: Option<Time>,
    pub terminated_at: Option<Time>,
    pub recovered_at: Option<Time>,
    pub tags: Vec<(String, String)>,
}

impl Vbr {
    /// Whether this VBR keeps `vlan_id` from other VBRs of its line at `now`.
    pub fn holds_vlan(&self, now: Time) -> bool {
        match (self.status, self.terminated_at) {
            (VbrStatus::Terminated, Some(at)) => now < at + VLAN_HOLD,
            _ => true,
        }
    }

    /// Enters `to`, stamping the times the API shows.
    pub fn set_status(&mut self, to: VbrStatus, now: Time) {
        match to {
            VbrStatus::Active => {
                if self.activated_at.is_none() {
                    self.activated_at = Some(now);
                }
                if self.status == VbrStatus::Recovering {
                    self.recovered_at = Some(now);
                }
            }
            VbrStatus::Terminated => self.terminated_at = Some(now),
            _ => {}
        }
        self.status = to;
    }

    /// Whether `vlan` is free on the line for `me` (`None` when creating),
    /// given the line's other VBRs.
    pub fn vlan_free(vlan: i64, me: Option<&str>, line_vbrs: &[Vbr], now: Time) -> bool {
        !line_vbrs
            .iter()
            .any(|o| Some(o.id.as_str()) != me && o.vlan_id == vlan && o.holds_vlan(now))
    }
}

/// Why a VBR field is refused (the server maps each to its error row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    VlanMalformed,
    MaskMalformed,
    LocalIpMalformed,
    /// Any other address (Modify's generic wording, IPv6).
    IpMalformed,
    NotSameSubnet,
    Bandwidth,
    DetectMultiplier,
    MinRxInterval,
    MinTxInterval,
    Mtu,
}

pub fn check_vlan(v: i64) -> Result<(), FieldError> {
    if VLAN_RANGE.contains(&v) {
        Ok(())
    } else {
        Err(FieldError::VlanMalformed)
    }
}

/// The prefix length of a dotted mask between /24 and /30.
pub fn mask_prefix(mask: &str) -> Result<u32, FieldError> {
    let m: Ipv4Addr = mask.parse().map_err(|_| FieldError::MaskMalformed)?;
    let bits = u32::from(m);
    let len = bits.leading_ones();
    if bits.count_ones() != len || !(24..=30).contains(&len) {
        return Err(FieldError::MaskMalformed);
    }
    Ok(len)
}

/// The IPv4 peering: both addresses valid, in the one subnet the mask
/// makes, distinct, and neither the subnet's network nor broadcast address.
pub fn check_ipv4_peering(local: &str, peer: &str, mask: &str) -> Result<(), FieldError> {
    let l: Ipv4Addr = local.parse().map_err(|_| FieldError::LocalIpMalformed)?;
    let p: Ipv4Addr = peer.parse().map_err(|_| FieldError::IpMalformed)?;
    let len = mask_prefix(mask)?;
    let m = u32::MAX << (32 - len);
    let (l, p) = (u32::from(l), u32::from(p));
    if l & m != p & m {
        return Err(FieldError::NotSameSubnet);
    }
    let host = |a: u32| a & !m != 0 && a & !m != !m;
    if l == p || !host(l) || !host(p) {
        return Err(FieldError::IpMalformed);
    }
    Ok(())
}

/// The IPv6 peering, checked only when IPv6 is enabled: both addresses
/// valid and inside the peering prefix (`2408:4004:cc:400::/56`).
pub fn check_ipv6_peering(local: &str, peer: &str, prefix: &str) -> Result<(), FieldError> {
    let (net, len) = prefix.split_once('/').ok_or(FieldError::IpMalformed)?;
    let net: Ipv6Addr = net.parse().map_err(|_| FieldError::IpMalformed)?;
    let len: u32 = len.parse().map_err(|_| FieldError::IpMalformed)?;
    if !(1..=127).contains(&len) {
        return Err(FieldError::IpMalformed);
    }
    let m = u128::MAX << (128 - len);
    for a in [local, peer] {
        let a: Ipv6Addr = a.parse().map_err(|_| FieldError::IpMalformed)?;
        if u128::from(a) & m != u128::from(net) & m {
            return Err(FieldError::IpMalformed);
        }
    }
    if local == peer {
        return Err(FieldError::IpMalformed);
    }
    Ok(())
}

/// Bandwidth, BFD and MTU settings, each checked when given.
pub fn check_bandwidth(b: i64) -> Result<(), FieldError> {
    if BANDWIDTHS.contains(&b) {
        Ok(())
    } else {
        Err(FieldError::Bandwidth)
    }
}

pub fn check_detect_multiplier(v: i64) -> Result<(), FieldError> {
    if (3..=10).contains(&v) {
        Ok(())
    } else {
        Err(FieldError::DetectMultiplier)
    }
}

pub fn check_interval(v: i64, rx: bool) -> Result<(), FieldError> {
    match ((200..=1000).contains(&v), rx) {
        (true, _) => Ok(()),
        (false, true) => Err(FieldError::MinRxInterval),
        (false, false) => Err(FieldError::MinTxInterval),
    }
}

pub fn check_mtu(v: i64) -> Result<(), FieldError> {
    if matches!(v, 1500 | 8500) {
        Ok(())
    } else {
        Err(FieldError::Mtu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn wire_values_are_lower_case() {
        assert_eq!(VbrStatus::Active.as_str(), "active");
        assert_eq!(VbrStatus::parse("Active"), None);
        assert_eq!(VbrStatus::parse_any_case("Active"), Some(VbrStatus::Active));
        assert_eq!(VbrStatus::ALL.len(), 6);
    }

    #[test]
    fn transient_statuses_step() {
        use VbrStatus::*;
        assert_eq!(Terminating.step(), Some(VbrStep::To(Terminated)));
        assert_eq!(Recovering.step(), Some(VbrStep::To(Active)));
        assert_eq!(Deleting.step(), Some(VbrStep::Remove));
        for s in [Unconfirmed, Active, Terminated] {
            assert!(!s.is_transient());
        }
    }

    #[test]
    fn state_table() {
        use VbrStatus::*;
        let allowed = |a: VbrAction| -> Vec<VbrStatus> {
            VbrStatus::ALL
                .iter()
                .copied()
                .filter(|s| a.allowed_in(*s))
                .collect()
        };
        assert_eq!(allowed(VbrAction::Terminate), [Active]);
        assert_eq!(allowed(VbrAction::Recover), [Terminated]);
        assert_eq!(
            allowed(VbrAction::Delete),
            [Unconfirmed, Active, Terminated]
        );
        assert_eq!(
            allowed(VbrAction::Tag),
            [Unconfirmed, Active, Terminating, Terminated, Recovering]
        );
    }

    #[test]
    fn masks_between_24_and_30() {
        assert_eq!(mask_prefix("255.255.255.252"), Ok(30));
        assert_eq!(mask_prefix("255.255.255.0"), Ok(24));
        for bad in [
            "255.255.128.0",
            "255.0.0.0",
            "255.255.255.254",
            "255.255.0.255",
            "x",
        ] {
            assert_eq!(mask_prefix(bad), Err(FieldError::MaskMalformed), "{bad}");
        }
    }

    #[test]
    fn ipv4_peering() {
        let m = "255.255.255.252";
        assert_eq!(check_ipv4_peering("10.0.0.1", "10.0.0.2", m), Ok(()));
        assert_eq!(
            check_ipv4_peering("10.0.0.1", "10.0.0.6", m),
            Err(FieldError::NotSameSubnet)
        );
        assert_eq!(
            check_ipv4_peering("10.0.0.0", "10.0.0.2", m),
            Err(FieldError::IpMalformed)
        );
        assert_eq!(
            check_ipv4_peering("10.0.0.1", "10.0.0.1", m),
            Err(FieldError::IpMalformed)
        );
        assert_eq!(
            check_ipv4_peering("10.0.0.300", "10.0.0.1", m),
            Err(FieldError::LocalIpMalformed)
        );
        assert_eq!(
            check_ipv4_peering("192.168.0.1", "192.168.0.200", "255.255.255.0"),
            Ok(())
        );
    }

    #[test]
    fn ipv6_peering() {
        let p = "2408:4004:cc:400::/56";
        assert_eq!(
            check_ipv6_peering("2408:4004:cc:400::1", "2408:4004:cc:400::2", p),
            Ok(())
        );
        assert!(check_ipv6_peering("2408:4004:cc:500::1", "2408:4004:cc:400::2", p).is_err());
        assert!(check_ipv6_peering("::1", "::2", "nonsense").is_err());
    }

    fn vbr(id: &str, vlan: i64, status: VbrStatus, terminated_at: Option<Time>) -> Vbr {
        Vbr {
            id: id.into(),
            account_id: "1".into(),
            circuit_owner_id: "1".into(),
            region_id: "cn-hangzhou".into(),
            circuit_id: "pc-1".into(),
            access_point_id: "ap".into(),
            status,
            name: String::new(),
            description: String::new(),
            vlan_id: vlan,
            circuit_code: String::new(),
            local_gateway_ip: "10.0.0.1".into(),
            peer_gateway_ip: "10.0.0.2".into(),
            peering_subnet_mask: "255.255.255.252".into(),
            enable_ipv6: false,
            local_ipv6_gateway_ip: String::new(),
            peer_ipv6_gateway_ip: String::new(),
            peering_ipv6_subnet_mask: String::new(),
            bandwidth: 1000,
            detect_multiplier: DEFAULT_DETECT_MULTIPLIER,
            min_rx_interval: DEFAULT_INTERVAL_MS,
            min_tx_interval: DEFAULT_INTERVAL_MS,
            mtu: DEFAULT_MTU,
            sitelink_enable: false,
            route_table_id: String::new(),
            vlan_interface_id: String::new(),
            resource_group_id: String::new(),
            created_at: datetime!(2026-01-01 0:00 UTC),
            activated_at: None,
            terminated_at,
            recovered_at: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn terminated_vbrs_hold_their_vlan_for_seven_days() {
        let at = datetime!(2026-01-01 0:00 UTC);
        let line = vec![
            vbr("a", 10, VbrStatus::Terminated, Some(at)),
            vbr("b", 11, VbrStatus::Deleting, None),
        ];
        assert!(!Vbr::vlan_free(
            10,
            None,
            &line,
            at + time::Duration::days(6)
        ));
        assert!(Vbr::vlan_free(10, None, &line, at + VLAN_HOLD));
        assert!(!Vbr::vlan_free(
            11,
            None,
            &line,
            at + time::Duration::days(30)
        ));
        // Resending one's own VLAN is no clash.
        assert!(Vbr::vlan_free(10, Some("a"), &line, at));
        assert!(Vbr::vlan_free(12, None, &line, at));
    }

    #[test]
    fn times_are_stamped_once() {
        let t0 = datetime!(2026-01-01 0:00 UTC);
        let t1 = t0 + time::Duration::hours(1);
        let mut v = vbr("a", 1, VbrStatus::Unconfirmed, None);
        v.set_status(VbrStatus::Active, t0);
        v.set_status(VbrStatus::Terminating, t1);
        v.set_status(VbrStatus::Terminated, t1);
        v.set_status(VbrStatus::Recovering, t1);
        v.set_status(VbrStatus::Active, t1);
        assert_eq!(v.activated_at, Some(t0));
        assert_eq!(v.terminated_at, Some(t1));
        assert_eq!(v.recovered_at, Some(t1));
    }
}
