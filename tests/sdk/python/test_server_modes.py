"""Tests that need their own server process: restart on the same data dir, --api-profile current
and --response-style sdk|seed
(docs/design/decisions.md#api-profiles, #response-styles)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from checks import (CHARGE_MSG, ORDER_ID_RE, REQUEST_ID_RE, confirmed_pc, create_pc, describe_one, money,
                    occupancy, order_id_of, sdk_error)
from harness import REGION


# ---------------------------------------------------------------- restart
def test_restart_keeps_circuits_orders_keys_and_tokens(make_server, client_factory):
    s = make_server()
    acc = s.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc, srv=s)
    pc = confirmed_pc(s, c)
    oid = order_id_of(c, occupancy(c, pc, ClientToken="restart-token"))
    s.wait_status(pc, "Enabled")
    other = create_pc(c, Name="second")
    before = describe_one(c, pc)

    s.restart()
    s.sync_clock()
    c = client_factory("tea-v3", acc, srv=s)          # same key, new port
    after = describe_one(c, pc)
    for f in ("Status", "ChargeType", "EnabledTime", "EndTime", "CreationTime", "Name", "PortType"):
        assert after[f] == before[f], (f, before, after)
    assert describe_one(c, other)["Name"] == "second"
    orders = s.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["OrderId"] == oid and orders[0]["Status"] == "Paid", orders
    assert money(s.balance(acc["AccountId"])) == 4000_00
    # idempotency records survive too
    assert order_id_of(c, occupancy(c, pc, ClientToken="restart-token")) == oid
    assert len(s.orders(acc["AccountId"])) == 1
    # the legacy SDK with the same key works against the restarted server
    legacy = client_factory("legacy", acc, srv=s)
    assert describe_one(legacy, pc)["Status"] == "Enabled"


def test_pending_transitions_survive_restart(make_server, client_factory):
    """docs/design/decisions.md#provider-simulator: async transitions are rows with a due time, not sleeping tasks."""
    s = make_server()
    acc = s.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc, srv=s)
    pc_new = create_pc(c, Name="fresh")                 # Initial, provider step pending
    pc_paid = confirmed_pc(s, c)
    occupancy(c, pc_paid)                               # Confirmed, Enabled pending
    assert s.circuit(pc_paid)["Status"] == "Confirmed"
    s.restart()
    s.sync_clock()
    c = client_factory("tea-v3", acc, srv=s)
    s.wait_status(pc_paid, "Enabled", max_steps=3)
    s.wait_status(pc_new, "Allocated", max_steps=6)
    assert describe_one(c, pc_paid)["ChargeType"] == "Prepaid"


# ---------------------------------------------------------------- --api-profile current
def test_current_profile_defaults_and_postpaid(make_server, client_factory):
    s = make_server("--api-profile", "current")
    acc = s.create_account(balance="5000.00")
    for kind in ("tea-v3", "legacy"):
        c = client_factory(kind, acc, srv=s)
        pc = confirmed_pc(s, c)
        # PostPaid is rejected under the current profile
        with sdk_error(c, "InvalidPhysicalConnectionChargeType.Malformed", 400, CHARGE_MSG):
            occupancy(c, pc, InstanceChargeType="PostPaid")
        # absent InstanceChargeType = PrePaid, absent AutoPay = false: an unpaid 1,000.00 order
        r = c.call("CreatePhysicalConnectionOccupancyOrder", {"RegionId": REGION, "PhysicalConnectionId": pc})
        oid = order_id_of(c, r)
        o = [x for x in s.orders(acc["AccountId"]) if x["PhysicalConnectionId"] == pc]
        assert len(o) == 1 and o[0]["OrderId"] == oid, o
        assert o[0]["Status"] == "Unpaid" and o[0]["Abnormal"] is False and money(o[0]["Amount"]) == 1000_00, o
        s.advance(3)
        assert describe_one(c, pc)["Status"] == "Confirmed"
    assert money(s.balance(acc["AccountId"])) == 5000_00
    # explicit PrePaid + AutoPay=true still pays and enables
    c = client_factory("tea-v3", acc, srv=s)
    pc = confirmed_pc(s, c)
    occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True)
    s.wait_status(pc, "Enabled", max_steps=1)
    assert money(s.balance(acc["AccountId"])) == 4000_00


# ---------------------------------------------------------------- --response-style
def test_response_style_sdk(make_server, client_factory):
    s = make_server("--response-style", "sdk")
    acc = s.create_account(balance="5000.00")
    legacy = client_factory("legacy", acc, srv=s)
    pc = confirmed_pc(s, legacy)
    body = json.loads(occupancy(legacy, pc, AutoPay=False).raw)
    assert set(body) == {"RequestId", "Data"}, body
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert set(body["Data"]) == {"OrderId"} and isinstance(body["Data"]["OrderId"], str), body
    assert ORDER_ID_RE.match(body["Data"]["OrderId"])
    # Tea reads Data.OrderId
    v3 = client_factory("tea-v3", acc, srv=s)
    pc2 = confirmed_pc(s, v3)
    oid = order_id_of(v3, occupancy(v3, pc2, AutoPay=False))
    assert oid in [o["OrderId"] for o in s.orders(acc["AccountId"])]
    # XML root under sdk style is <ActionName>Response
    pc3 = confirmed_pc(s, legacy)
    status, _, xml = legacy.get_response("CreatePhysicalConnectionOccupancyOrder",
                                         {"PhysicalConnectionId": pc3, "InstanceChargeType": "PrePaid",
                                          "AutoPay": False}, fmt="XML")
    assert status == 200, xml
    root = ET.fromstring(xml)
    assert root.tag == "CreatePhysicalConnectionOccupancyOrderResponse", xml
    assert [ch.tag for ch in root] == ["RequestId", "Data"], xml
    assert ORDER_ID_RE.match(root.findtext("Data/OrderId") or ""), xml


def test_response_style_seed(make_server, client_factory):
    s = make_server("--response-style", "seed")
    acc = s.create_account(balance="5000.00")
    legacy = client_factory("legacy", acc, srv=s)
    pc = confirmed_pc(s, legacy)
    body = json.loads(occupancy(legacy, pc, AutoPay=False).raw)
    assert list(body) == ["message", "httpStatusCode", "requestId", "data", "code", "success"], body
    assert body["message"] == "successful" and body["httpStatusCode"] == 200
    assert body["code"] == "200" and body["success"] is True
    assert REQUEST_ID_RE.match(body["requestId"])
    assert type(body["data"]["orderId"]) is int and ORDER_ID_RE.match(str(body["data"]["orderId"])), body
    orders = s.orders(acc["AccountId"])
    assert [o["OrderId"] for o in orders] == [str(body["data"]["orderId"])], orders
    # XML: exactly the seed's document
    pc2 = confirmed_pc(s, legacy)
    status, _, xml = legacy.get_response("CreatePhysicalConnectionOccupancyOrder",
                                         {"PhysicalConnectionId": pc2, "InstanceChargeType": "PrePaid",
                                          "AutoPay": False}, fmt="XML")
    assert status == 200, xml
    root = ET.fromstring(xml)
    assert root.tag == "CreatePhysicalConnectionOccupancyOrder", xml
    assert [ch.tag for ch in root] == ["code", "data", "httpStatusCode", "message", "requestId", "success"], xml
    assert [ch.tag for ch in root.find("data")] == ["orderId"], xml
    # errors keep the normal error shape under every style
    with sdk_error(legacy, "InvalidPhysicalConnectionId.NotFound", 404):
        occupancy(legacy, "pc-bp1doesnotexist000000")
    # other actions are unaffected
    v3 = client_factory("tea-v3", acc, srv=s)
    assert describe_one(v3, pc)["Status"] == "Confirmed"
