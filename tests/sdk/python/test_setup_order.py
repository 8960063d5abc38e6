"""CreatePhysicalConnectionSetupOrder (docs/design/decisions.md#setup-order, docs/design/billing.md): a new circuit in
Initial plus its one-time installation-fee order, paid per AutoPay, with a flat response."""
from __future__ import annotations

import json

import pytest

from checks import (MISMATCH_MSG, ORDER_ID_RE, PC_ID_RE, REGION_MSG, REQUEST_ID_RE, describe_one, money, occupancy,
                    sdk_error)
from flows import SETUP_PRICES, UNKNOWN_PC, lc, manual_account, pc_in
from harness import ACCESS_POINT, REGION


def setup_order(client, **over):
    p = {"RegionId": REGION, "AccessPointId": ACCESS_POINT, "LineOperator": "CT", "PortType": "1000Base-LX"}
    p.update(over)
    p = {k: v for k, v in p.items() if v is not None}
    return client.call("CreatePhysicalConnectionSetupOrder", p)


def placed(result):
    b = result.body
    assert REQUEST_ID_RE.match(b.get("RequestId") or ""), b
    oid, pc = b.get("OrderId"), b.get("PhysicalConnectionId")
    assert isinstance(oid, str) and ORDER_ID_RE.match(oid), "OrderId %r is not a 15-digit string: %r" % (oid, b)
    assert isinstance(pc, str) and PC_ID_RE.match(pc), "PhysicalConnectionId %r: %r" % (pc, b)
    return oid, pc


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_setup_order_creates_circuit_and_paid_installation_order(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    r = setup_order(c, LineOperator="CU")        # AutoPay absent: true in the seed profile
    oid, pc = placed(r)
    if r.raw is not None:                         # legacy: the raw body is flat
        body = json.loads(r.raw)
        assert set(body) == {"RequestId", "OrderId", "PhysicalConnectionId"}, body
        assert isinstance(body["OrderId"], str), body
    v = describe_one(c, pc)
    assert v["Status"] == "Initial" and v["AccessPointId"] == ACCESS_POINT, v
    assert v["LineOperator"] == "CU" and v["PortType"] == "1000Base-LX" and v["Spec"] == "1G", v
    assert v["ProductType"] == "PhysicalConnection" and v["BusinessStatus"] == "Normal", v
    assert not v.get("ChargeType") and not v.get("EnabledTime"), v
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1, orders
    o = orders[0]
    assert o["OrderId"] == oid and o["PhysicalConnectionId"] == pc, o
    assert o["Kind"] == "Setup" and o["Status"] == "Paid" and o["Abnormal"] is False, o
    assert money(o["Amount"]) == 2000_00, o
    assert money(server.balance(acc["AccountId"])) == 3000_00
    entries = [e for e in server.ledger(acc["AccountId"])["Entries"] if e.get("OrderId") == oid]
    assert len(entries) == 1 and money(entries[0]["Amount"]) == -2000_00, entries
    # the circuit then lives like any other: provider steps, Confirm, occupancy order, Enabled
    server.wait_status(pc, "Allocated")
    lc(c, "ConfirmPhysicalConnection", pc)
    occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True)
    server.wait_status(pc, "Enabled", max_steps=1)
    assert money(server.balance(acc["AccountId"])) == 2000_00
    kinds = sorted(o["Kind"] for o in server.orders(acc["AccountId"]))
    assert len(kinds) == 2 and "Setup" in kinds, kinds


@pytest.mark.parametrize("port,amount", sorted(SETUP_PRICES.items()))
def test_setup_order_prices(server, client_factory, port, amount):
    acc = server.create_account(balance="50000.00")
    c = client_factory("tea-v3", acc)
    oid, pc = placed(setup_order(c, PortType=port, AutoPay=True))
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["OrderId"] == oid, o
    assert o[0]["Kind"] == "Setup" and o[0]["Status"] == "Paid" and money(o[0]["Amount"]) == amount, o
    assert o[0].get("Currency", "CNY") == "CNY", o
    assert money(server.balance(acc["AccountId"])) == 50000_00 - amount
    assert describe_one(c, pc)["PortType"] == port


def test_setup_order_default_port_type(server, client_factory):
    """PortType absent: 1000Base-T (docs/design/circuits.md#create), priced as a 1G port."""
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    oid, pc = placed(setup_order(c, PortType=None))
    assert describe_one(c, pc)["PortType"] == "1000Base-T"
    assert money(server.orders(acc["AccountId"])[0]["Amount"]) == 2000_00


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_setup_order_autopay_false_is_unpaid(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    oid, pc = placed(setup_order(c, AutoPay=False))
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["OrderId"] == oid, o
    assert o[0]["Kind"] == "Setup" and o[0]["Status"] == "Unpaid" and o[0]["Abnormal"] is False, o
    assert money(server.balance(acc["AccountId"])) == 5000_00
    assert describe_one(c, pc)["Status"] == "Initial"


def test_setup_order_insufficient_balance_is_abnormal(server, client_factory):
    acc = server.create_account(balance="1999.99")
    c = client_factory("tea-v3", acc)
    oid, pc = placed(setup_order(c, AutoPay=True))
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["OrderId"] == oid, o
    assert o[0]["Status"] == "Unpaid" and o[0]["Abnormal"] is True, o
    assert o[0]["AbnormalReason"] == "InsufficientBalance", o
    assert money(server.balance(acc["AccountId"])) == 1999_99
    assert describe_one(c, pc)["Status"] == "Initial"


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_setup_order_redundant_circuit(server, client_factory, kind):
    acc = manual_account(server, balance="10000.00")
    c = client_factory(kind, acc)
    standby = pc_in(server, c, "Allocated")
    _, pc = placed(setup_order(c, RedundantPhysicalConnectionId=standby))
    assert describe_one(c, pc)["RedundantPhysicalConnectionId"] == standby
    fresh = pc_in(server, c, "Initial")
    n = len(server.orders(acc["AccountId"]))
    with sdk_error(c, "InvalidRedundantPhysicalConnectionStatus", 400,
                   "invalid redundant physical connection status."):
        setup_order(c, RedundantPhysicalConnectionId=fresh)
    with sdk_error(c, "InvalidRedundantPhysicalConnectionId.NotFound", 400,
                   "The RedundantPhysicalConnectionId does not found."):
        setup_order(c, RedundantPhysicalConnectionId=UNKNOWN_PC)
    assert len(server.orders(acc["AccountId"])) == n


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_setup_order_errors_create_nothing(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    with sdk_error(c, "InvalidLineOperator.Malformd", 400, "The LineOperator provided was invalid."):
        setup_order(c, LineOperator="XX")
    with sdk_error(c, "InvalidPortType.Malformd", 400, "The PortType provided was invalid."):
        setup_order(c, PortType="1000Base-XX")
    with sdk_error(c, "ResourceNotFound.AccessPointId", 400, "The specified resource of access point id is not found."):
        setup_order(c, AccessPointId="ap-cn-hangzhou-nowhere-Z")
    with sdk_error(c, "InvalidRegionId.NotFound", 404, REGION_MSG):
        setup_order(c, RegionId="cn-atlantis-1")
    with sdk_error(c, "MissingParameter", 400,
                   'The input parameter "AccessPointId" that is mandatory for processing this request is not '
                   'supplied.'):
        setup_order(c, AccessPointId=None)
    assert server.orders(acc["AccountId"]) == []
    b = client_factory("tea-v3", acc).call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert b["TotalCount"] == 0, b


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_setup_order_idempotency(server, client_factory, kind):
    acc = server.create_account(balance="10000.00")
    c = client_factory(kind, acc)
    r1 = placed(setup_order(c, ClientToken="setup-1", AutoPay=True))
    r2 = placed(setup_order(c, ClientToken="setup-1", AutoPay=True))
    assert r1 == r2
    assert len(server.orders(acc["AccountId"])) == 1
    assert money(server.balance(acc["AccountId"])) == 8000_00
    b = c.call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert b["TotalCount"] == 1, b
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        setup_order(c, ClientToken="setup-1", AutoPay=True, PortType="10GBase-LR")
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        setup_order(c, ClientToken="setup-1", AutoPay=False)
    assert len(server.orders(acc["AccountId"])) == 1
    # the replay still answers after the circuit moved on
    server.wait_status(r1[1], "Allocated")
    assert placed(setup_order(c, ClientToken="setup-1", AutoPay=True)) == r1
    assert money(server.balance(acc["AccountId"])) == 8000_00


def test_setup_order_current_profile_autopay_default_false(make_server, client_factory):
    s = make_server("--api-profile", "current")
    acc = s.create_account(balance="5000.00")
    for kind in ("tea-v3", "legacy"):
        c = client_factory(kind, acc, srv=s)
        oid, pc = placed(setup_order(c))
        o = [x for x in s.orders(acc["AccountId"]) if x["OrderId"] == oid]
        assert len(o) == 1 and o[0]["Kind"] == "Setup" and o[0]["Status"] == "Unpaid", o
        assert o[0]["PhysicalConnectionId"] == pc
    assert money(s.balance(acc["AccountId"])) == 5000_00
    c = client_factory("tea-v3", acc, srv=s)
    placed(setup_order(c, AutoPay=True))
    assert money(s.balance(acc["AccountId"])) == 3000_00
