"""Further rules of the spec, still driven through the SDKs: parameter defaults, AutoRenew,
token validation, unknown actions, time window, response headers, XML errors read by Tea V3,
and the billing clock (expiry, auto-renewal, pay-as-you-go metering) on dedicated servers."""
from __future__ import annotations

import datetime as dt

import pytest

from checks import (NOT_FOUND_MSG, REQUEST_ID_RE, check_error, confirmed_pc, describe_one, money, occupancy,
                    order_id_of, sdk_error)
from harness import REGION, parse_time, utc_now


# ---------------------------------------------------------------- parameter defaults
@pytest.mark.parametrize("over,amount", [
    ({"Period": None, "PricingCycle": None}, 1000_00),     # Period default 1, PricingCycle default Month
    ({"Period": 9, "PricingCycle": None}, 9000_00),
    ({"Period": None, "PricingCycle": "Year"}, 10000_00),
])
def test_period_and_cycle_defaults(server, client_factory, over, amount):
    acc = server.create_account(balance="20000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    oid = order_id_of(c, occupancy(c, pc, **over))
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["OrderId"] == oid and money(o[0]["Amount"]) == amount, o


def test_period_10_without_cycle_is_month_out_of_range(server, client_factory):
    c = client_factory("tea-v3", server.create_account())
    pc = confirmed_pc(server, c)
    with sdk_error(c, "InvalidPhysicalConnectionPeriod.Malformed", 400):
        occupancy(c, pc, Period=10, PricingCycle=None)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2"])
def test_auto_renew_parameters_accepted(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    oid = order_id_of(c, occupancy(c, pc, AutoRenew=True, AutoRenewDuration=2))
    assert server.orders(acc["AccountId"])[0]["OrderId"] == oid
    server.wait_status(pc, "Enabled", max_steps=1)


@pytest.mark.parametrize("token", ["tok-é", "tab\there", "new\nline"])
def test_non_printable_ascii_token_rejected(server, client_factory, token):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    with sdk_error(c, "IllegalParam.ClientToken", 400):
        occupancy(c, pc, ClientToken=token, AutoPay=False)
    assert server.orders(acc["AccountId"]) == []


# ---------------------------------------------------------------- protocol
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_action_not_served_is_invalid_action(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method."):
        c.call("DescribeVpcs", {"RegionId": REGION})


def test_success_headers(server, client_factory, account):
    c = client_factory("tea-v3", account)
    r = c.call("DescribeRegions", {})
    headers = {k.lower(): v for k, v in r.headers.items()}
    assert headers.get("x-acs-request-id") == r.body["RequestId"], headers
    assert headers.get("content-type", "").replace(" ", "").lower().startswith("application/json"), headers


def test_tea_v3_reads_xml_error_body(server, client_factory, account):
    """Tea V3 parses an XML error only when Content-Type is exactly text/xml;charset=utf-8 (docs/design/protocol.md#xml)."""
    from alibabacloud_tea_openapi.exceptions import ClientException
    from alibabacloud_vpc20160428 import models
    from darabonba.runtime import ExtendsParameters, RuntimeOptions
    c = client_factory("tea-v3", account)
    rt = RuntimeOptions()
    rt.extends_parameters = ExtendsParameters(queries={"Format": "XML"})
    req = models.CreatePhysicalConnectionOccupancyOrderRequest(region_id=REGION,
                                                               physical_connection_id="pc-bp1doesnotexist000000")
    with pytest.raises(ClientException) as ei:
        c.sdk.create_physical_connection_occupancy_order_with_options(req, rt)
    e = ei.value
    assert e.code == "InvalidPhysicalConnectionId.NotFound" and e.status_code == 404, (e.code, e.message)
    assert e.data["Message"] == NOT_FOUND_MSG and REQUEST_ID_RE.match(e.data["RequestId"]), e.data


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_manual_clock_moves_do_not_expire_signatures(make_server, client_factory, kind):
    """The timestamp window follows the machine's time, which the SDKs sign with, not the manual
    clock (docs/design/protocol.md#replay-protection); expired timestamps themselves are tested
    with hand-signed requests in crates/server/tests/it/replay.rs and pipeline.rs."""
    s = make_server()
    acc = s.create_account()
    c = client_factory(kind, acc, srv=s)
    c.call("DescribeRegions", {})
    s.advance(16 * 60)      # the business clock 16 min ahead of the SDK's timestamps
    assert c.call("DescribeRegions", {}).body["Regions"]["Region"]
    s.set_clock(utc_now() - dt.timedelta(minutes=16))   # and 16 min behind them
    assert c.call("DescribeRegions", {}).body["Regions"]["Region"]


# ---------------------------------------------------------------- billing clock (admin-only checks after big advances)
def _enabled_prepaid(s, client_factory, balance, **over):
    acc = s.create_account(balance=balance)
    c = client_factory("tea-v3", acc, srv=s)
    pc = confirmed_pc(s, c)
    occupancy(c, pc, **over)
    s.wait_status(pc, "Enabled", max_steps=1)
    v = describe_one(c, pc)
    return acc, pc, v


def test_prepaid_expiry_locks_circuit(make_server, client_factory):
    s = make_server()
    acc, pc, v = _enabled_prepaid(s, client_factory, "5000.00")
    end = parse_time(v["EndTime"])
    s.advance((end - s.now()).total_seconds() - 60)
    assert s.circuit(pc)["BusinessStatus"] == "Normal"
    s.advance(120)
    circ = s.circuit(pc)
    assert circ["BusinessStatus"] == "FinancialLocked", circ
    assert money(s.balance(acc["AccountId"])) == 4000_00


def test_prepaid_auto_renew_at_expiry(make_server, client_factory):
    s = make_server()
    acc, pc, v = _enabled_prepaid(s, client_factory, "5000.00", AutoRenew=True, AutoRenewDuration=1)
    end = parse_time(v["EndTime"])
    s.advance((end - s.now()).total_seconds() + 60)
    circ = s.circuit(pc)
    assert circ["BusinessStatus"] == "Normal", circ
    assert parse_time(circ["EndTime"]) >= end + dt.timedelta(days=27), (v["EndTime"], circ["EndTime"])
    assert money(s.balance(acc["AccountId"])) == 3000_00


def test_postpaid_metering_hourly(make_server, client_factory):
    s = make_server()
    acc, pc, v = _enabled_prepaid(s, client_factory, "100.00", InstanceChargeType="PostPaid")
    assert v["ChargeType"] == "PostPaid"
    assert money(s.balance(acc["AccountId"])) == 100_00
    s.advance(3 * 3600 + 1)
    spent = 100_00 - money(s.balance(acc["AccountId"]))
    assert spent in (3 * 2_00, 4 * 2_00), "1G pay-as-you-go is 2.00/hour; after 3 h charged %d fen" % spent
    entries = s.ledger(acc["AccountId"])["Entries"]
    assert sum(money(e["Amount"]) for e in entries) == money(s.balance(acc["AccountId"])), entries


def test_postpaid_overdue_locks_then_top_up_unlocks(make_server, client_factory):
    s = make_server()
    acc, pc, v = _enabled_prepaid(s, client_factory, "1.00", InstanceChargeType="PostPaid")
    s.advance(2 * 3600 + 1)
    assert money(s.balance(acc["AccountId"])) < 0
    assert s.circuit(pc)["BusinessStatus"] == "Normal"     # within the 24 h grace period
    for _ in range(30):
        if s.circuit(pc)["BusinessStatus"] == "FinancialLocked":
            break
        s.advance(3600)
    assert s.circuit(pc)["BusinessStatus"] == "FinancialLocked", s.circuit(pc)
    s.set_balance(acc["AccountId"], "500.00")
    for _ in range(7):
        if s.circuit(pc)["BusinessStatus"] == "Normal":
            break
        s.advance(600)
    assert s.circuit(pc)["BusinessStatus"] == "Normal", s.circuit(pc)
