"""CreatePhysicalConnection, DescribePhysicalConnections (Filter, Tags, paging),
ConfirmPhysicalConnection, DescribeRegions, DescribeAccessPoints (docs/design/circuits.md#action-errors)."""
from __future__ import annotations

import pytest

from checks import (PC_ID_RE, REGION_MSG, REQUEST_ID_RE, allocated_pc, create_pc, describe_one, sdk_error)
from harness import ACCESS_POINT, REGION

ALWAYS_FIELDS = ["PhysicalConnectionId", "AccessPointId", "Type", "ProductType", "Status", "BusinessStatus", "Name",
                 "Description", "LineOperator", "PortType", "Spec", "Bandwidth", "PeerLocation", "CircuitCode",
                 "RedundantPhysicalConnectionId", "CreationTime", "ResourceGroupId", "HasReservationData"]


def page(client, **params):
    r = client.call("DescribePhysicalConnections", dict({"RegionId": REGION}, **params))
    b = r.body
    assert REQUEST_ID_RE.match(b["RequestId"]), b
    return b


def ids(body):
    return [x["PhysicalConnectionId"] for x in body["PhysicalConnectionSet"]["PhysicalConnectionType"]]


# ---------------------------------------------------------------- Create + Describe
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_create_with_tags_and_describe_fields(server, kind, client_factory):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c, LineOperator="CU", PortType="10GBase-LR", bandwidth=10000, Name="pc_test-1.a",
                   Description="desc with spaces *~+/=&% 中文", CircuitCode="longtel001",
                   PeerLocation="Hangzhou, Room 1", ClientToken="tok-create",
                   Tag=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "net ops*~"},
                        {"Key": "k2", "Value": ""}])
    v = describe_one(c, pc)
    for f in ALWAYS_FIELDS:
        assert f in v, "field %s missing from %r" % (f, v)
    assert v["PhysicalConnectionId"] == pc and v["AccessPointId"] == ACCESS_POINT
    assert v["Status"] == "Initial" and v["BusinessStatus"] == "Normal"
    assert v["Type"] == "VPC" and v["ProductType"] == "PhysicalConnection"
    assert v["LineOperator"] == "CU" and v["PortType"] == "10GBase-LR" and v["Spec"] == "10G"
    assert v["Bandwidth"] == 10000 and isinstance(v["Bandwidth"], int), v
    assert v["Name"] == "pc_test-1.a"
    assert v["Description"] == "desc with spaces *~+/=&% 中文"
    assert v["CircuitCode"] == "longtel001" and v["PeerLocation"] == "Hangzhou, Room 1"
    assert v["HasReservationData"] == "false"
    assert v["CreationTime"].endswith("Z")
    tags = v["Tags"]["tags"]
    assert sorted((t["Key"], t.get("Value", "")) for t in tags) == [("env", "prod"), ("k2", ""),
                                                                     ("team", "net ops*~")], v["Tags"]
    assert not v.get("ChargeType") and not v.get("EndTime") and not v.get("EnabledTime"), v


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_describe_filter_tags_and_paging(server, kind, client_factory):
    acc = server.create_account()
    v3 = client_factory("tea-v3", acc)
    c = client_factory(kind, acc)
    a = create_pc(v3, Name="alpha", LineOperator="CT", Tag=[{"Key": "env", "Value": "prod"},
                                                             {"Key": "team", "Value": "net ops*~"}])
    b = create_pc(v3, Name="beta", LineOperator="CU", Tag=[{"Key": "env", "Value": "prod"}])
    d = create_pc(v3, Name="delta", LineOperator="CM", PortType="10GBase-LR", Tag=[{"Key": "env", "Value": "dev"}])
    server.force_status(d, "Allocated")

    everything = page(c, PageSize=50)
    assert everything["TotalCount"] == 3 and sorted(ids(everything)) == sorted([a, b, d]), everything

    # Filter: OR between values of one key, AND between keys
    f = page(c, Filter=[{"Key": "PhysicalConnectionId", "Value": [a, d, "pc-other"]}])
    assert sorted(ids(f)) == sorted([a, d]) and f["TotalCount"] == 2, f
    f = page(c, Filter=[{"Key": "PhysicalConnectionId", "Value": [a, d]}, {"Key": "Status", "Value": ["Allocated"]}])
    assert ids(f) == [d] and f["TotalCount"] == 1, f
    f = page(c, Filter=[{"Key": "Name", "Value": ["beta"]}])
    assert ids(f) == [b], f
    f = page(c, Filter=[{"Key": "LineOperator", "Value": ["CT", "CM"]}])
    assert sorted(ids(f)) == sorted([a, d]), f
    f = page(c, Filter=[{"Key": "Spec", "Value": ["10G"]}])
    assert ids(f) == [d], f
    f = page(c, Filter=[{"Key": "Status", "Value": ["Enabled"]}])
    assert ids(f) == [] and f["TotalCount"] == 0, f

    if c.supports_tags:
        t = page(c, Tags=[{"Key": "env", "Value": "prod"}])
        assert sorted(ids(t)) == sorted([a, b]) and t["TotalCount"] == 2, t
        t = page(c, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "net ops*~"}])
        assert ids(t) == [a], t
        t = page(c, Tags=[{"Key": "env", "Value": "prod"}],
                 Filter=[{"Key": "Name", "Value": ["alpha", "delta"]}])
        assert ids(t) == [a], t

    # paging: TotalCount counts all matches, pages are disjoint, past the end is empty
    p1 = page(c, PageNumber=1, PageSize=2)
    p2 = page(c, PageNumber=2, PageSize=2)
    p3 = page(c, PageNumber=3, PageSize=2)
    assert (p1["PageNumber"], p1["PageSize"], p1["TotalCount"]) == (1, 2, 3), p1
    assert (p2["PageNumber"], p2["PageSize"], p2["TotalCount"]) == (2, 2, 3), p2
    assert len(ids(p1)) == 2 and len(ids(p2)) == 1 and ids(p3) == [], (p1, p2, p3)
    assert sorted(ids(p1) + ids(p2)) == sorted([a, b, d])
    # newest first
    assert ids(everything) == ids(p1) + ids(p2)


def test_describe_default_paging_and_order(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    made = []
    for i in range(3):
        made.append(create_pc(c, Name="n%d" % i))
        server.advance(1)
    b = page(c)
    assert b["PageNumber"] == 1 and b["PageSize"] == 10 and b["TotalCount"] == 3, b
    assert ids(b) == list(reversed(made)), "CreationTime descending expected: %s vs created %s" % (ids(b), made)


def test_describe_unknown_filter_key(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidFilterKey.ValueNotSupported", 404,
                   message_prefix="Specified filter key is not supported"):
        page(c, Filter=[{"Key": "Foo", "Value": ["x"]}])


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_describe_unknown_region(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidRegionId.NotFound", 404, REGION_MSG):
        page(c, RegionId="cn-atlantis-1")


def test_describe_other_accounts_circuits_invisible(server, client_factory):
    a1, a2 = server.create_account(), server.create_account()
    pc = create_pc(client_factory("tea-v3", a1))
    b = page(client_factory("tea-v3", a2), PageSize=50)
    assert pc not in ids(b) and b["TotalCount"] == 0, b


def test_describe_page_size_over_50_rejected_or_capped(server, client_factory, account):
    """PageSize is 1-50 (docs/design/circuits.md#describe); 51 must not return more than 50 items."""
    c = client_factory("tea-v3", account)
    try:
        b = page(c, PageSize=51)
    except Exception as e:  # noqa: BLE001
        assert getattr(e, "status_code", None) == 400, e
    else:
        assert b["PageSize"] <= 50, b


# ---------------------------------------------------------------- Create errors
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_create_errors(server, kind, client_factory):
    acc = server.create_account()
    c = client_factory(kind, acc)
    with sdk_error(c, "InvalidLineOperator.Malformd", 400, "The LineOperator provided was invalid."):
        create_pc(c, LineOperator="XX")
    with sdk_error(c, "ResourceNotFound.AccessPointId", 400,
                   "The specified resource of access point id is not found."):
        create_pc(c, AccessPointId="ap-cn-hangzhou-nowhere-Z")
    with sdk_error(c, "InvalidRegionId.NotFound", 404, REGION_MSG):
        create_pc(c, RegionId="cn-atlantis-1")
    with sdk_error(c, "InvalidName.Malformed", 400, "The specified ?Name? is not valid."):
        create_pc(c, Name="1starts-with-digit")
    assert page(client_factory("tea-v3", acc))["TotalCount"] == 0


@pytest.mark.parametrize("name", ["a", "http://abc", "has space", "x" * 129, "bad!char"])
def test_create_bad_names(server, client_factory, account, name):
    c = client_factory("tea-v3", account)
    with sdk_error(c, "InvalidName.Malformed", 400, "The specified ?Name? is not valid."):
        create_pc(c, Name=name)


@pytest.mark.parametrize("over,code,message", [
    ({"PortType": "1000Base-XX"}, "InvalidPortType.Malformd", "The PortType provided was invalid."),
    ({"Description": "x"}, "InvalidDescription.Malformed", "The specifid ?Description? is not valid."),
    ({"Description": "https://example.com/x"}, "InvalidDescription.Malformed",
     "The specifid ?Description? is not valid."),
    ({"Type": "Internet"}, "InvalidType.Malformd", "The Type provided was invalid."),
    ({"ClientToken": "t" * 65}, "IllegalParam.ClientToken", "Token verify failed because client token length too long."),
])
def test_create_bad_parameters(server, client_factory, account, over, code, message):
    c = client_factory("tea-v3", account)
    with sdk_error(c, code, 400, message):
        create_pc(c, **over)
    assert page(c)["TotalCount"] == 0


def test_describe_is_region_scoped(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    regions = [r["RegionId"] for r in c.call("DescribeRegions", {}).body["Regions"]["Region"]]
    other = next(r for r in regions if r != REGION)
    b = c.call("DescribePhysicalConnections", {"RegionId": other}).body
    assert pc not in ids(b) and b["TotalCount"] == 0, b
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 400):
        c.call("ConfirmPhysicalConnection", {"RegionId": other, "PhysicalConnectionId": pc})


def test_create_missing_access_point(server, client_factory, account):
    c = client_factory("tea-v3", account)
    with sdk_error(c, "MissingParameter", 400,
                   'The input parameter "AccessPointId" that is mandatory for processing this request is not '
                   'supplied.'):
        c.call("CreatePhysicalConnection", {"RegionId": REGION, "LineOperator": "CT"})


def test_free_circuit_quota(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    made = [create_pc(c, Name="q%d" % i) for i in range(5)]
    with sdk_error(c, "QuotaExceeded.freePconnPerAP", 400, "free physical connections count excceeded."):
        create_pc(c, Name="q5")
    assert page(c)["TotalCount"] == 5
    # an Enabled circuit no longer counts
    server.force_status(made[0], "Allocated")
    c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": made[0]})
    c.call("CreatePhysicalConnectionOccupancyOrder", {"RegionId": REGION, "PhysicalConnectionId": made[0],
                                                      "InstanceChargeType": "PrePaid", "AutoPay": True})
    server.wait_status(made[0], "Enabled")
    assert PC_ID_RE.match(create_pc(c, Name="q6"))


# ---------------------------------------------------------------- Confirm
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_confirm(server, kind, client_factory):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400,
                   "The specified PhysicalConnectionId is not in Allocated state."):
        c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 400,
                   "The specified physicalConnection is not found"):
        c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": "pc-bp1nothere00000000000"})
    server.wait_status(pc, "Allocated")
    r = c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})
    assert REQUEST_ID_RE.match(r.body["RequestId"])
    assert describe_one(c, pc)["Status"] == "Confirmed"
    with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400):
        c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})


def test_provider_steps_follow_the_clock(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    seen = [describe_one(c, pc)["Status"]]
    for _ in range(3):
        server.advance(1)
        seen.append(describe_one(c, pc)["Status"])
    assert seen == ["Initial", "Approved", "Allocating", "Allocated"], seen
    timeline = [e["To"] for e in server.circuit(pc)["Timeline"]]
    assert timeline == ["Initial", "Approved", "Allocating", "Allocated"], timeline


def test_admin_force_status(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    server.force_status(pc, "Allocated")
    assert describe_one(c, pc)["Status"] == "Allocated"
    status, _ = server.http("POST", "/admin/physical-connections/%s/status" % pc, {"status": "Initial"})
    assert status == 409


# ---------------------------------------------------------------- catalog
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_describe_regions(server, kind, client_factory, account):
    c = client_factory(kind, account)
    b = c.call("DescribeRegions", {}).body
    assert REQUEST_ID_RE.match(b["RequestId"])
    regions = b["Regions"]["Region"]
    hz = [r for r in regions if r["RegionId"] == REGION]
    assert len(hz) == 1, regions
    assert hz[0]["LocalName"] and hz[0]["RegionEndpoint"], hz


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_describe_access_points(server, kind, client_factory, account):
    c = client_factory(kind, account)
    b = c.call("DescribeAccessPoints", {"RegionId": REGION, "PageSize": 50}).body
    assert REQUEST_ID_RE.match(b["RequestId"])
    aps = b["AccessPointSet"]["AccessPointType"]
    assert b["TotalCount"] >= len(aps) >= 1, b
    assert b["PageNumber"] == 1 and b["PageSize"] == 50, b
    ap = [x for x in aps if x["AccessPointId"] == ACCESS_POINT]
    assert len(ap) == 1, [x["AccessPointId"] for x in aps]
    assert ap[0]["AttachedRegionNo"] == REGION, ap
    assert ap[0]["Status"] in ("recommended", "hot", "full", "disabled"), ap
    assert ap[0]["Type"] == "VPC", ap
    assert all(x["AttachedRegionNo"] == REGION for x in aps), aps


def test_describe_access_points_unknown_region(server, client_factory, account):
    c = client_factory("tea-v3", account)
    with pytest.raises(Exception) as ei:
        c.call("DescribeAccessPoints", {"RegionId": "cn-atlantis-1"})
    assert ei.value.status_code == 404 and ei.value.code in ("InvalidRegionId.NotFound",
                                                            "InvalidRegionId.NotSupport"), ei.value
