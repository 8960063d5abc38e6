"""CreatePhysicalConnectionOccupancyOrder (the seed) end to end, through every SDK generation.

Create -> provider steps (manual clock) -> Allocated -> Confirm -> occupancy order -> Enabled,
with the money checked through the admin API (docs/design/billing.md).
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from checks import (ORDER_ID_RE, REQUEST_ID_RE, confirmed_pc, create_pc, describe_one, money, occupancy,
                    order_id_of)
from harness import REGION, parse_time

CST = dt.timezone(dt.timedelta(hours=8))


def expected_end_time(activation: dt.datetime, months: int) -> dt.datetime:
    """docs/design/billing.md#subscription-end: activation date in UTC+8, + N months, + 1 day, at 00:00 UTC+8, in UTC."""
    local = activation.astimezone(CST)
    y, m = divmod(local.month - 1 + months, 12)
    year, month = local.year + y, m + 1
    import calendar
    day = min(local.day, calendar.monthrange(year, month)[1])
    end_local = dt.datetime(year, month, day, tzinfo=CST) + dt.timedelta(days=1)
    return end_local.astimezone(dt.timezone.utc)


def full_view(client_factory, kind, acc, client, pc):
    """DescribePhysicalConnections entry with all fields: the 1.0.1 model lacks ChargeType/EndTime/
    Bandwidth, so for that generation read them through the current SDK of the same account."""
    return describe_one(client_factory("tea-v3", acc) if kind == "old" else client, pc)


def single_order(server, acc, pc):
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1, orders
    o = orders[0]
    assert o["PhysicalConnectionId"] == pc, o
    assert ORDER_ID_RE.match(o["OrderId"]), o
    return o


def test_happy_path_prepaid_autopay(server, kind, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    pc = create_pc(c)
    assert describe_one(c, pc)["Status"] == "Initial"
    server.wait_status(pc, "Allocated")
    assert describe_one(c, pc)["Status"] == "Allocated"
    c.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})
    assert describe_one(c, pc)["Status"] == "Confirmed"

    paid_at = server.now()
    r = occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True, Period=1, PricingCycle="Month")
    oid = order_id_of(c, r)

    o = single_order(server, acc, pc)
    if oid is not None:
        assert o["OrderId"] == oid
    assert o["Status"] == "Paid", o
    assert o["Abnormal"] is False, o
    assert money(o["Amount"]) == 1000_00, o
    assert money(server.balance(acc["AccountId"])) == 4000_00
    a = server.account(acc["AccountId"])
    assert money(a["AvailableAmount"]) == 4000_00, a

    # the provider enables the circuit one provisioning delay (1 s of manual clock) later
    server.advance(1)
    view = describe_one(c, pc)
    assert view["Status"] == "Enabled", view
    assert view["BusinessStatus"] == "Normal", view
    full = full_view(client_factory, kind, acc, c, pc)
    assert full["Status"] == "Enabled"
    assert full["ChargeType"] == "Prepaid", full
    enabled = parse_time(full["EnabledTime"])
    end = parse_time(full["EndTime"])
    assert paid_at <= enabled <= server.now(), (paid_at, full["EnabledTime"])
    assert end > enabled + dt.timedelta(days=27), full
    assert isinstance(full["Bandwidth"], int), full
    # still exactly one order, no second debit
    assert money(server.balance(acc["AccountId"])) == 4000_00
    assert len(server.orders(acc["AccountId"])) == 1


def test_end_time_follows_billing_cycle_rule(server, client_factory):
    """EndTime = activation date (UTC+8) + Period months + 1 day, 00:00 UTC+8 (docs/design/billing.md#subscription-end)."""
    acc = server.create_account(balance="20000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, Period=3, PricingCycle="Month")
    server.wait_status(pc, "Enabled")
    v = describe_one(c, pc)
    enabled = parse_time(v["EnabledTime"])
    assert parse_time(v["EndTime"]) == expected_end_time(enabled, 3), v
    assert v["EndTime"].endswith("T16:00:00Z"), v   # midnight in UTC+8
    assert money(server.balance(acc["AccountId"])) == 20000_00 - 3 * 1000_00


@pytest.mark.parametrize("port,period,cycle,amount", [
    ("1000Base-LX", 1, "Year", 10000_00),
    ("1000Base-LX", 9, "Month", 9000_00),
    ("1000Base-T", 2, "Month", 2000_00),
    ("10GBase-LR", 1, "Month", 4000_00),
    ("10GBase-LR", 2, "Year", 80000_00),
])
def test_prepaid_prices(server, client_factory, port, period, cycle, amount):
    acc = server.create_account(balance="100000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c, PortType=port)
    r = occupancy(c, pc, Period=period, PricingCycle=cycle)
    oid = order_id_of(c, r)
    o = single_order(server, acc, pc)
    assert o["OrderId"] == oid
    assert o["Status"] == "Paid" and money(o["Amount"]) == amount, o
    assert money(server.balance(acc["AccountId"])) == 100000_00 - amount
    server.wait_status(pc, "Enabled", max_steps=1)
    v = describe_one(c, pc)
    assert v["ChargeType"] == "Prepaid"
    months = period * 12 if cycle == "Year" else period
    assert parse_time(v["EndTime"]) == expected_end_time(parse_time(v["EnabledTime"]), months), v


def test_union_response_body_as_sent(server, client_factory):
    """Default --response-style union: the legacy SDK hands back the raw body, so every key is visible."""
    acc = server.create_account(balance="5000.00")
    c = client_factory("legacy", acc)
    pc = confirmed_pc(server, c)
    r = occupancy(c, pc)
    body = json.loads(r.raw)
    assert set(body) == {"RequestId", "Data", "message", "httpStatusCode", "requestId", "data", "code",
                         "success"}, body
    assert REQUEST_ID_RE.match(body["RequestId"]) and body["requestId"] == body["RequestId"]
    assert isinstance(body["Data"]["OrderId"], str) and ORDER_ID_RE.match(body["Data"]["OrderId"])
    assert type(body["data"]["orderId"]) is int and str(body["data"]["orderId"]) == body["Data"]["OrderId"]
    assert body["message"] == "successful" and body["httpStatusCode"] == 200
    assert body["code"] == "200" and body["success"] is True
    assert single_order(server, acc, pc)["OrderId"] == body["Data"]["OrderId"]


@pytest.mark.parametrize("kind", ["tea-v3", "legacy", "old"])
def test_postpaid_order_is_free_and_enables(server, kind, client_factory):
    acc = server.create_account(balance="50.00")
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    r = occupancy(c, pc, InstanceChargeType="PostPaid", Period=None, PricingCycle=None, AutoPay=True)
    oid = order_id_of(c, r)
    o = single_order(server, acc, pc)
    if oid:
        assert o["OrderId"] == oid
    assert o["Status"] == "Paid" and money(o["Amount"]) == 0 and o["Abnormal"] is False, o
    assert money(server.balance(acc["AccountId"])) == 50_00
    server.advance(1)
    v = full_view(client_factory, kind, acc, c, pc)
    assert v["Status"] == "Enabled", v
    assert v["ChargeType"] == "PostPaid", v
    assert v["EnabledTime"], v


def test_seed_profile_defaults_postpaid_autopay(server, client_factory):
    """Seed profile (default): absent InstanceChargeType = PostPaid, absent AutoPay = true (docs/design/decisions.md#api-profiles)."""
    acc = server.create_account(balance="10.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    r = c.call("CreatePhysicalConnectionOccupancyOrder", {"RegionId": REGION, "PhysicalConnectionId": pc})
    oid = order_id_of(c, r)
    o = single_order(server, acc, pc)
    assert o["OrderId"] == oid
    assert o["Status"] == "Paid" and money(o["Amount"]) == 0, o
    server.advance(1)
    v = describe_one(c, pc)
    assert v["Status"] == "Enabled" and v["ChargeType"] == "PostPaid", v


def test_seed_profile_absent_autopay_means_true(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, AutoPay=None)
    o = single_order(server, acc, pc)
    assert o["Status"] == "Paid" and money(o["Amount"]) == 1000_00, o
    assert money(server.balance(acc["AccountId"])) == 4000_00


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_autopay_false_leaves_unpaid_order(server, kind, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    r = occupancy(c, pc, AutoPay=False)
    oid = order_id_of(c, r)
    o = single_order(server, acc, pc)
    if oid:
        assert o["OrderId"] == oid
    assert o["Status"] == "Unpaid" and o["Abnormal"] is False, o
    assert money(o["Amount"]) == 1000_00, o
    server.advance(5)
    assert describe_one(c, pc)["Status"] == "Confirmed"
    assert money(server.balance(acc["AccountId"])) == 5000_00


@pytest.mark.parametrize("kind", ["tea-v3", "legacy", "old"])
def test_insufficient_balance_gives_abnormal_order(server, kind, client_factory):
    acc = server.create_account(balance="999.99")
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    r = occupancy(c, pc, AutoPay=True)
    oid = order_id_of(c, r)       # still 200 with an OrderId
    o = single_order(server, acc, pc)
    if oid:
        assert o["OrderId"] == oid
    assert o["Status"] == "Unpaid", o
    assert o["Abnormal"] is True, o
    assert o["AbnormalReason"] == "InsufficientBalance", o
    server.advance(5)
    assert describe_one(c, pc)["Status"] == "Confirmed"
    a = server.account(acc["AccountId"])
    assert money(a["Balance"]) == 999_99 and money(a["AvailableAmount"]) == 999_99, a
    entries = server.ledger(acc["AccountId"])
    assert oid is None or oid not in json.dumps(entries), entries


def test_credit_line_counts_as_available_money(server, client_factory):
    """docs/design/decisions.md#payment: enough available money = balance plus credit line."""
    acc = server.create_account(balance="200.00", credit_limit="1000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc)
    o = single_order(server, acc, pc)
    assert o["Status"] == "Paid" and o["Abnormal"] is False, o
    assert money(server.balance(acc["AccountId"])) == 200_00 - 1000_00
    server.wait_status(pc, "Enabled", max_steps=1)


def test_one_ledger_entry_per_paid_order(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    oid = order_id_of(c, occupancy(c, pc))
    entries = server.ledger(acc["AccountId"])["Entries"]
    mine = [e for e in entries if e.get("OrderId") == oid]
    assert len(mine) == 1, entries
    assert abs(money(mine[0]["Amount"])) == 1000_00, mine
    # money is conserved: the balance is the sum of the ledger
    assert sum(money(e["Amount"]) for e in entries) == money(server.balance(acc["AccountId"])), entries
