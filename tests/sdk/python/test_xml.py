"""Format=XML: only the legacy SDK can read it, through get_response() / do_action(), which return
the raw bytes (docs/design/protocol.md#xml, docs/design/decisions.md#response-styles)."""
from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

from checks import NOT_FOUND_MSG, ORDER_ID_RE, REQUEST_ID_RE, confirmed_pc
from harness import REGION

SEED_CHILDREN = ["code", "data", "httpStatusCode", "message", "requestId", "success"]


def occupancy_params(pc, **over):
    p = {"PhysicalConnectionId": pc, "InstanceChargeType": "PrePaid", "Period": 1, "PricingCycle": "Month",
         "AutoPay": True}
    p.update(over)
    return p


def check_seed_children(root, also=()):
    tags = [ch.tag for ch in root]
    seed_tags = [t for t in tags if t in SEED_CHILDREN]
    assert seed_tags == SEED_CHILDREN, "seed children out of order or missing: %s" % tags
    assert set(tags) == set(SEED_CHILDREN) | set(also), tags
    assert root.findtext("code") == "200"
    assert root.findtext("httpStatusCode") == "200"
    assert root.findtext("message") == "successful"
    assert root.findtext("success") == "true"
    assert REQUEST_ID_RE.match(root.findtext("requestId") or ""), ET.tostring(root)
    assert ORDER_ID_RE.match(root.findtext("data/orderId") or ""), ET.tostring(root)


def test_occupancy_order_xml_union(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("legacy", acc)
    pc = confirmed_pc(server, c)
    status, headers, body = c.get_response("CreatePhysicalConnectionOccupancyOrder", occupancy_params(pc),
                                           fmt="XML")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "CreatePhysicalConnectionOccupancyOrder", body
    check_seed_children(root, also=("RequestId", "Data"))
    assert root.findtext("RequestId") == root.findtext("requestId")
    assert root.findtext("Data/OrderId") == root.findtext("data/orderId")
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["OrderId"] == root.findtext("Data/OrderId"), orders
    assert orders[0]["Status"] == "Paid"


def test_occupancy_order_xml_through_deprecated_do_action(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("legacy", acc)
    pc = confirmed_pc(server, c)
    req = c.request("CreatePhysicalConnectionOccupancyOrder", occupancy_params(pc, AutoPay=False))
    req.set_accept_format("XML")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        body = c.sdk.do_action(req)
    root = ET.fromstring(body)
    assert root.tag == "CreatePhysicalConnectionOccupancyOrder", body
    check_seed_children(root, also=("RequestId", "Data"))


def test_other_actions_xml_root_is_action_response(server, client_factory, account):
    c = client_factory("legacy", account)
    status, _, body = c.get_response("DescribeRegions", {}, fmt="XML")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "DescribeRegionsResponse", body
    assert REQUEST_ID_RE.match(root.findtext("RequestId") or "")
    regions = root.findall("Regions/Region")
    assert "cn-hangzhou" in [r.findtext("RegionId") for r in regions], body

    pc = confirmed_pc(server, c)
    status, _, body = c.get_response("DescribePhysicalConnections", {
        "Filter": [{"Key": "PhysicalConnectionId", "Value": [pc]}]}, fmt="XML")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "DescribePhysicalConnectionsResponse", body
    items = root.findall("PhysicalConnectionSet/PhysicalConnectionType")
    assert [i.findtext("PhysicalConnectionId") for i in items] == [pc], body
    assert items[0].findtext("Status") == "Confirmed"
    assert root.findtext("TotalCount") == "1"


def test_error_xml(server, client_factory, account):
    c = client_factory("legacy", account)
    status, _, body = c.get_response("CreatePhysicalConnectionOccupancyOrder",
                                     occupancy_params("pc-bp1doesnotexist000000"), fmt="XML")
    assert status == 404, body
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    assert root.findtext("Code") == "InvalidPhysicalConnectionId.NotFound"
    assert root.findtext("Message") == NOT_FOUND_MSG
    assert REQUEST_ID_RE.match(root.findtext("RequestId") or ""), body
    assert root.find("HostId") is not None and root.find("Recommend") is not None, body


def test_do_action_with_exception_forces_json(server, client_factory, account):
    """The legacy SDK's do_action_with_exception overrides Format to JSON; the server must follow."""
    c = client_factory("legacy", account)
    req = c.request("DescribeRegions", {})
    req.set_accept_format("XML")
    import json
    body = json.loads(c.sdk.do_action_with_exception(req))
    assert any(r["RegionId"] == REGION for r in body["Regions"]["Region"])
