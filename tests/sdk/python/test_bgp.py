"""BGP groups, peers and networks on a VBR through the SDKs (docs/design/bgp.md): the lifecycle
with the provider's steps, the JSON types the Terraform provider needs, teardown in dependency
order with each refusal, the field and state errors, tenancy, and the session state the admin
API sets."""
from __future__ import annotations

import uuid

import pytest

from checks import sdk_error
from flows import pc_in
from harness import REGION

KINDS = ["tea-v3", "tea-v2", "legacy"]
CANNOT = "invalid status cannot operate"


@pytest.fixture
def vbr(server, client_factory, kind, account):
    c = client_factory(kind, account)
    pc = pc_in(server, c, "Enabled")
    vid = c.call("CreateVirtualBorderRouter",
                 {"RegionId": REGION, "PhysicalConnectionId": pc, "VlanId": 20, "LocalGatewayIp": "10.0.0.1",
                  "PeerGatewayIp": "10.0.0.2", "PeeringSubnetMask": "255.255.255.252"}).body["VbrId"]
    return c, pc, vid


def one(c, action, key, value, set_name, item):
    body = c.call(action, {"RegionId": REGION, key: value}).body
    items = body[set_name][item]
    assert len(items) <= 1 and body["TotalCount"] == len(items), body
    return items[0] if items else None


def group(c, gid):
    return one(c, "DescribeBgpGroups", "BgpGroupId", gid, "BgpGroups", "BgpGroup")


def peer(c, pid):
    return one(c, "DescribeBgpPeers", "BgpPeerId", pid, "BgpPeers", "BgpPeer")


@pytest.mark.parametrize("kind", KINDS)
def test_lifecycle_types_and_teardown(server, vbr):
    c, pc, vid = vbr
    gid = c.call("CreateBgpGroup", {"RegionId": REGION, "RouterId": vid, "PeerAsn": 65001, "Name": "sdk-group",
                                    "IsFakeAsn": True}).body["BgpGroupId"]
    assert group(c, gid)["Status"] == "Pending"
    server.advance(5)
    g = group(c, gid)
    assert g["Status"] == "Available" and g["RouterId"] == vid and g["Name"] == "sdk-group"
    # Numbers and booleans, as the Terraform provider reads them.
    for field in ("PeerAsn", "LocalAsn", "Hold", "Keepalive", "RouteLimit"):
        assert type(g[field]) is int, (field, g)
    assert (g["PeerAsn"], g["LocalAsn"], g["IsFake"], g["IpVersion"]) == (65001, 45104, True, "IPv4")

    pid = c.call("CreateBgpPeer", {"RegionId": REGION, "BgpGroupId": gid, "PeerIpAddress": "10.0.0.2",
                                   "EnableBfd": True}).body["BgpPeerId"]
    server.advance(5)
    p = peer(c, pid)
    assert (p["Status"], p["BgpStatus"], p["EnableBfd"], p["BfdMultiHop"]) == ("Available", "", True, 255)
    assert p["PeerAsn"] == 65001 and type(p["ReceivedRouteCount"]) is int

    # The operator takes the session down; the API shows it.
    server.admin("POST", "/admin/bgp-peers/%s/session" % pid, {"BgpStatus": "Established"})
    assert peer(c, pid)["BgpStatus"] == "Established"
    server.admin("POST", "/admin/bgp-peers/%s/session" % pid, {"BgpStatus": "Idle"})
    assert peer(c, pid)["BgpStatus"] == "Idle"

    c.call("AddBgpNetwork", {"RegionId": REGION, "RouterId": vid, "DstCidrBlock": "172.16.0.0/16"})
    server.advance(5)
    nets = c.call("DescribeBgpNetworks", {"RegionId": REGION, "RouterId": vid}).body["BgpNetworks"]["BgpNetwork"]
    assert nets == [{"DstCidrBlock": "172.16.0.0/16", "RouterId": vid, "Status": "Available", "VpcId": ""}]

    with sdk_error(c, "DependencyViolation.BgpGroup", 400, "bgp group exists, cannot delete vbr."):
        c.call("DeleteVirtualBorderRouter", {"RegionId": REGION, "VbrId": vid})
    with sdk_error(c, "DependencyViolation.BgpPeer", 400, "bgp peer exists, cannot delete bgp group."):
        c.call("DeleteBgpGroup", {"RegionId": REGION, "BgpGroupId": gid})
    c.call("DeleteBgpPeer", {"RegionId": REGION, "BgpPeerId": pid})
    server.advance(5)
    assert peer(c, pid) is None
    c.call("DeleteBgpGroup", {"RegionId": REGION, "BgpGroupId": gid})
    server.advance(5)
    assert group(c, gid) is None
    c.call("DeleteVirtualBorderRouter", {"RegionId": REGION, "VbrId": vid})
    server.advance(5)
    c.call("TerminatePhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})


@pytest.mark.parametrize("kind", KINDS)
def test_documented_errors(server, vbr, client_factory):
    c, _, vid = vbr
    with sdk_error(c, "InvalidPeerAsn.Malformed", 400, "invalid peer asn cannot equals aliyun asn:45104"):
        c.call("CreateBgpGroup", {"RegionId": REGION, "RouterId": vid, "PeerAsn": 45104})
    with sdk_error(c, "InvalidVbrNetwork", 400, "vbr netowrk not exists"):
        c.call("CreateBgpGroup", {"RegionId": REGION, "RouterId": "vbr-unknown", "PeerAsn": 65001})
    with sdk_error(c, "InvalidBgpGroup", 400, "bgp group not exists"):
        c.call("CreateBgpPeer", {"RegionId": REGION, "BgpGroupId": "bgpg-unknown"})
    with sdk_error(c, "InvalidParams.NotFound", 400, "instance not found"):
        c.call("DeleteBgpPeer", {"RegionId": REGION, "BgpPeerId": "bgp-unknown"})
    with sdk_error(c, "InvalidIP.Malformed", 400, "Ip malformed."):
        c.call("AddBgpNetwork", {"RegionId": REGION, "RouterId": vid, "DstCidrBlock": "10.0.0.1/8"})
    gid = c.call("CreateBgpGroup", {"RegionId": REGION, "RouterId": vid, "PeerAsn": 65001}).body["BgpGroupId"]
    with sdk_error(c, "InvalidStatus.CannotOperate", 400, CANNOT):
        c.call("DeleteBgpGroup", {"RegionId": REGION, "BgpGroupId": gid})
    # Another account sees none of it.
    other = client_factory("tea-v3", server.create_account("bgp-other-" + uuid.uuid4().hex[:8], "10.00"))
    with sdk_error(other, "InvalidBgpGroup", 400, "bgp group not exists"):
        other.call("ModifyBgpGroupAttribute", {"RegionId": REGION, "BgpGroupId": gid, "Name": "mine"})
    body = other.call("DescribeBgpGroups", {"RegionId": REGION, "RouterId": vid}).body
    assert body["TotalCount"] == 0 and body["BgpGroups"]["BgpGroup"] == []
