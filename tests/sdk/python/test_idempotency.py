"""ClientToken idempotency of the occupancy order (docs/design/decisions.md#idempotency)."""
from __future__ import annotations

import uuid

import pytest

from checks import MISMATCH_MSG, confirmed_pc, money, occupancy, order_id_of, sdk_error


def test_same_token_same_params_same_order(server, client, account):
    pc = confirmed_pc(server, client)
    token = str(uuid.uuid4()).upper()
    r1 = occupancy(client, pc, ClientToken=token)
    r2 = occupancy(client, pc, ClientToken=token)
    o1, o2 = order_id_of(client, r1), order_id_of(client, r2)
    assert o1 == o2
    orders = server.orders(account["AccountId"])
    assert len(orders) == 1, orders
    if o1:
        assert orders[0]["OrderId"] == o1
    assert money(server.balance(account["AccountId"])) == 10000_00 - 1000_00   # debited once
    # the replay works even after the state changed (circuit now Enabled)
    server.wait_status(pc, "Enabled")
    r3 = occupancy(client, pc, ClientToken=token)
    assert order_id_of(client, r3) == o1
    assert len(server.orders(account["AccountId"])) == 1
    assert money(server.balance(account["AccountId"])) == 10000_00 - 1000_00


@pytest.mark.parametrize("change", [{"Period": 2}, {"PricingCycle": "Year"}, {"AutoPay": True},
                                    {"InstanceChargeType": "PostPaid"}])
def test_same_token_other_params_mismatch(server, client, account, change):
    pc = confirmed_pc(server, client)
    token = "tok-" + uuid.uuid4().hex
    occupancy(client, pc, ClientToken=token, AutoPay=False)
    over = dict({"AutoPay": False}, **change)
    with sdk_error(client, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        occupancy(client, pc, ClientToken=token, **over)
    assert len(server.orders(account["AccountId"])) == 1


def test_same_token_other_circuit_mismatch(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc1, pc2 = confirmed_pc(server, c), confirmed_pc(server, c)
    occupancy(c, pc1, ClientToken="shared-token", AutoPay=False)
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        occupancy(c, pc2, ClientToken="shared-token", AutoPay=False)
    assert server.circuit(pc2)["Status"] == "Confirmed"
    assert len(server.orders(acc["AccountId"])) == 1


def test_token_is_scoped_per_account(server, client_factory):
    a1, a2 = server.create_account(), server.create_account()
    c1, c2 = client_factory("tea-v3", a1), client_factory("tea-v3", a2)
    pc1, pc2 = confirmed_pc(server, c1), confirmed_pc(server, c2)
    o1 = order_id_of(c1, occupancy(c1, pc1, ClientToken="same-token"))
    o2 = order_id_of(c2, occupancy(c2, pc2, ClientToken="same-token"))
    assert o1 != o2
    assert len(server.orders(a1["AccountId"])) == 1 and len(server.orders(a2["AccountId"])) == 1


def test_token_is_case_sensitive(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc1, pc2 = confirmed_pc(server, c), confirmed_pc(server, c)
    o1 = order_id_of(c, occupancy(c, pc1, ClientToken="Token-A", AutoPay=False))
    o2 = order_id_of(c, occupancy(c, pc2, ClientToken="token-a", AutoPay=False))
    assert o1 != o2


def test_replay_across_sdks_with_different_boolean_spelling(server, client_factory):
    """Legacy/V2 send AutoPay=True, Tea V3 sends true: the fingerprint is canonical, so the
    same token with the same business parameters replays the same order."""
    acc = server.create_account(balance="5000.00")
    legacy, v3 = client_factory("legacy", acc), client_factory("tea-v3", acc)
    pc = confirmed_pc(server, v3)
    o1 = order_id_of(legacy, occupancy(legacy, pc, ClientToken="x-sdk", AutoPay=True))
    o2 = order_id_of(v3, occupancy(v3, pc, ClientToken="x-sdk", AutoPay=True))
    assert o1 == o2
    assert len(server.orders(acc["AccountId"])) == 1
    assert money(server.balance(acc["AccountId"])) == 4000_00


def test_too_long_token_rejected(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    with sdk_error(c, "IllegalParam.ClientToken", 400,
                   "Token verify failed because client token length too long."):
        occupancy(c, pc, ClientToken="a" * 65)
    order_id_of(c, occupancy(c, pc, ClientToken="b" * 64, AutoPay=False))   # 64 is fine
    assert len(server.orders(acc["AccountId"])) == 1


def test_create_physical_connection_token_replay(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    p = {"RegionId": "cn-hangzhou", "AccessPointId": "ap-cn-hangzhou-yh-B", "LineOperator": "CU",
         "PortType": "1000Base-LX", "Name": "idem", "ClientToken": "create-1"}
    a = c.call("CreatePhysicalConnection", p).body["PhysicalConnectionId"]
    b = c.call("CreatePhysicalConnection", p).body["PhysicalConnectionId"]
    assert a == b
    r = c.call("DescribePhysicalConnections", {"RegionId": "cn-hangzhou"})
    assert r.body["TotalCount"] == 1, r.body
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        c.call("CreatePhysicalConnection", dict(p, Name="idem2"))
