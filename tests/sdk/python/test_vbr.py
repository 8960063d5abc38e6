"""Virtual border routers and Express Connect tags through the SDKs (docs/design/vbr.md): the
lifecycle on an Enabled line, the object's exact JSON types, each documented error, tenancy,
and the tag / resource-group actions on both the line and the VBR."""
from __future__ import annotations

import pytest

from checks import sdk_error
from flows import pc_in
from harness import REGION

KINDS = ["tea-v3", "tea-v2", "legacy"]
NOT_FOUND = "The specified VirutalBorderRouter is not found."
NOT_FOUND_DELETE = "The specified VirutalBorderRouter does not exist in our records."
BAD_STATE = "The specified VirutalBorderRouter is in invalid state."


def vbr_params(pc, vlan, **over):
    p = {"RegionId": REGION, "PhysicalConnectionId": pc, "VlanId": vlan, "LocalGatewayIp": "10.0.0.1",
         "PeerGatewayIp": "10.0.0.2", "PeeringSubnetMask": "255.255.255.252"}
    p.update(over)
    return p


def create_vbr(c, pc, vlan, **over):
    return c.call("CreateVirtualBorderRouter", vbr_params(pc, vlan, **over)).body["VbrId"]


def describe_vbr(c, vbr_id):
    body = c.call("DescribeVirtualBorderRouters",
                  {"RegionId": REGION, "Filter": [{"Key": "VbrId", "Value": [vbr_id]}]}).body
    items = body["VirtualBorderRouterSet"]["VirtualBorderRouterType"]
    assert len(items) <= 1 and body["TotalCount"] == len(items), body
    return items[0] if items else None


def act(c, action, vbr_id):
    return c.call(action, {"RegionId": REGION, "VbrId": vbr_id})


@pytest.fixture
def line(server, client_factory, kind, account):
    c = client_factory(kind, account)
    return c, pc_in(server, c, "Enabled")


@pytest.mark.parametrize("kind", KINDS)
def test_lifecycle_and_types(server, line):
    c, pc = line
    vid = create_vbr(c, pc, 10, Name="vbr-sdk", Description="made by the SDK")
    v = describe_vbr(c, vid)
    assert v["Status"] == "active" and v["PhysicalConnectionId"] == pc
    # JSON types the Terraform provider depends on.
    for field in ("VlanId", "Bandwidth", "DetectMultiplier", "MinRxInterval", "MinTxInterval", "Mtu"):
        assert type(v[field]) is int, (field, v)
        assert v[field] != 0 or field == "VlanId", (field, v)
    assert v["EnableIpv6"] is False and v["SitelinkEnable"] is False
    assert isinstance(v["PhysicalConnectionOwnerUid"], str)
    assert v["Tags"] == {"Tags": []}
    assert v["RouteTableId"].startswith("vtb-") and v["ResourceGroupId"].startswith("rg-")

    c.call("ModifyVirtualBorderRouterAttribute",
           {"RegionId": REGION, "VbrId": vid, "VlanId": 10, "LocalGatewayIp": "10.0.0.5",
            "PeerGatewayIp": "10.0.0.6", "PeeringSubnetMask": "255.255.255.252", "DetectMultiplier": 5})
    v = describe_vbr(c, vid)
    assert (v["LocalGatewayIp"], v["DetectMultiplier"]) == ("10.0.0.5", 5)

    act(c, "TerminateVirtualBorderRouter", vid)
    assert describe_vbr(c, vid)["Status"] == "terminating"
    server.advance(5)
    assert describe_vbr(c, vid)["Status"] == "terminated"
    with sdk_error(c, "Forbidden.VbrAttached", 400):
        c.call("TerminatePhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})
    act(c, "RecoverVirtualBorderRouter", vid)
    server.advance(5)
    assert describe_vbr(c, vid)["Status"] == "active"
    with sdk_error(c, "InvalidOperation.OperationNotAllowedInState", 400, BAD_STATE):
        act(c, "RecoverVirtualBorderRouter", vid)

    listed = c.call("DescribeVirtualBorderRoutersForPhysicalConnection",
                    {"RegionId": REGION, "PhysicalConnectionId": pc}).body
    items = listed["VirtualBorderRouterForPhysicalConnectionSet"]["VirtualBorderRouterForPhysicalConnectionType"]
    assert [i["VbrId"] for i in items] == [vid] and items[0]["Bandwidth"] == str(v["Bandwidth"])

    act(c, "DeleteVirtualBorderRouter", vid)
    server.advance(5)
    assert describe_vbr(c, vid) is None
    with sdk_error(c, "InvalidVbrId.NotFound", 404, NOT_FOUND_DELETE):
        act(c, "DeleteVirtualBorderRouter", vid)
    with sdk_error(c, "InvalidVbrId.NotFound", 404, NOT_FOUND):
        act(c, "TerminateVirtualBorderRouter", vid)
    c.call("TerminatePhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})


@pytest.mark.parametrize("kind", KINDS)
def test_documented_errors(server, client_factory, line):
    c, pc = line
    create_vbr(c, pc, 20)
    cases = [
        (dict(VlanId=3000), "InvalidVlanId.Malformed", "The specified VlanId is not valid."),
        (dict(VlanId=20), "InvalidVlanId.Used", "The specified VlanId has been used."),
        (dict(PeeringSubnetMask="255.255.0.0"), "InvalidPeeringSubnetMask.Malformed",
         "The specified PeeringSubnetMask is not valid."),
        (dict(PeerGatewayIp="10.0.9.9"), "InvalidIp.NotSameSubnet",
         "Local gateway ip and peer gateway ip are not in the same subnet."),
        (dict(LocalGatewayIp="10.0.0"), "InvalidLocalGatewayIp.Malformed",
         "The specified LocalGatewayIp is not valid."),
        (dict(Name="-bad"), "InvalidName.Malformed", None),
    ]
    for over, code, msg in cases:
        p = vbr_params(pc, 21)
        p.update(over)
        with sdk_error(c, code, 400, msg):
            c.call("CreateVirtualBorderRouter", p)
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 400,
                   "The specified PhysicalConnectionId is not found."):
        c.call("CreateVirtualBorderRouter", vbr_params("pc-bp1doesnotexist000000", 22))
    confirmed = pc_in(server, c, "Confirmed")
    with sdk_error(c, "InvalidPhysicalConnectionId.NotEnabled", 400,
                   "The specified PhysicalConnectionId is not in Enabled state."):
        c.call("CreateVirtualBorderRouter", vbr_params(confirmed, 22))
    with sdk_error(c, "InvalidFilterKey.ValueNotSupported", 404):
        c.call("DescribeVirtualBorderRouters",
               {"RegionId": REGION, "Filter": [{"Key": "Bandwidth", "Value": ["1"]}]})
    # Another account: the VBR and the line do not exist for it.
    other = client_factory(c.kind, server.create_account())
    vid = create_vbr(c, pc, 23)
    with sdk_error(other, "InvalidVbrId.NotFound", 404, NOT_FOUND):
        act(other, "TerminateVirtualBorderRouter", vid)
    with sdk_error(other, "InvalidPhysicalConnectionId.NotFound", 404,
                   "The specified PhysicalConnectionId does not belong to user."):
        other.call("DescribeVirtualBorderRoutersForPhysicalConnection",
                   {"RegionId": REGION, "PhysicalConnectionId": pc})
    assert describe_vbr(other, vid) is None


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_tags_and_resource_groups(server, line):
    c, pc = line
    vid = create_vbr(c, pc, 30, Tags=[{"Key": "env", "Value": "ci"}])
    assert describe_vbr(c, vid)["Tags"] == {"Tags": [{"Key": "env", "Value": "ci"}]}
    for rtype, rid in (("VIRTUALBORDERROUTER", vid), ("PHYSICALCONNECTION", pc)):
        c.call("TagResourcesForExpressConnect",
               {"RegionId": REGION, "ResourceType": rtype, "ResourceId": [rid],
                "Tag": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "net"}]})
        c.call("UntagResourcesForExpressConnect",
               {"RegionId": REGION, "ResourceType": rtype, "ResourceId": [rid], "TagKey": ["team"]})
        rows = c.call("ListTagResourcesForExpressConnect",
                      {"RegionId": REGION, "ResourceType": rtype,
                       "Tag": [{"Key": "env", "Value": "prod"}]}).body
        assert [(r["ResourceId"], r["TagKey"], r["TagValue"]) for r in rows["TagResources"]["TagResource"]] == [
            (rid, "env", "prod")], rows
        assert rows["NextToken"] == ""
    assert describe_vbr(c, vid)["Tags"] == {"Tags": [{"Key": "env", "Value": "prod"}]}
    lines = c.call("DescribePhysicalConnections",
                   {"RegionId": REGION, "Tags": [{"Key": "env", "Value": "prod"}]}).body
    found = lines["PhysicalConnectionSet"]["PhysicalConnectionType"]
    assert [x["PhysicalConnectionId"] for x in found] == [pc]
    assert found[0]["Tags"] == {"tags": [{"Key": "env", "Value": "prod"}]}
    tagged = c.call("DescribeVirtualBorderRouters",
                    {"RegionId": REGION, "Tags": [{"Key": "env", "Value": "prod"}]}).body
    assert [x["VbrId"] for x in tagged["VirtualBorderRouterSet"]["VirtualBorderRouterType"]] == [vid]

    c.call("ChangeResourceGroup", {"RegionId": REGION, "ResourceId": vid, "ResourceType": "VIRTUALBORDERROUTER",
                                   "NewResourceGroupId": "rg-acfmnew0000001"})
    assert describe_vbr(c, vid)["ResourceGroupId"] == "rg-acfmnew0000001"
    with sdk_error(c, "InvalidVbrId.NotFound", 404):
        c.call("ChangeResourceGroup", {"RegionId": REGION, "ResourceId": "vbr-bp1nothere0000000000",
                                       "ResourceType": "VIRTUALBORDERROUTER",
                                       "NewResourceGroupId": "rg-acfmnew0000001"})
