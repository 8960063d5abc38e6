"""Every documented error of CreatePhysicalConnectionOccupancyOrder, as each SDK surfaces it
(docs/design/protocol.md#sdk-error-handling: Tea ClientException code/status_code/message/data, legacy ServerException
get_error_code()/get_http_status()/get_request_id(), old tea-rpc TeaException code/message/data).
Check order: docs/design/circuits.md#occupancy-check-order."""
from __future__ import annotations

import pytest

from checks import (CHARGE_MSG, CYCLE_MSG, NOT_ALLOWED_MSG, NOT_FOUND_MSG, PERIOD_MSG, REGION_MSG, allocated_pc,
                    confirmed_pc, create_pc, describe_one, money, occupancy, order_id_of, sdk_error)
from harness import REGION

UNKNOWN_PC = "pc-bp1doesnotexist000000"


def test_unknown_circuit_404(client):
    with sdk_error(client, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        occupancy(client, UNKNOWN_PC)


def test_other_accounts_circuit_is_not_found(server, client, client_factory):
    owner = client_factory("tea-v3", server.create_account())
    pc = confirmed_pc(server, owner)
    with sdk_error(client, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        occupancy(client, pc)
    assert server.orders(server.circuit(pc)["AccountId"]) == []
    assert server.circuit(pc)["Status"] == "Confirmed"


def test_circuit_of_other_region_is_not_found(server, client, client_factory, account):
    regions = [r["RegionId"] for r in client_factory("tea-v3", account).call("DescribeRegions", {}).body[
        "Regions"]["Region"]]
    other = next(r for r in regions if r != REGION)
    pc = confirmed_pc(server, client_factory("tea-v3", account))
    with sdk_error(client, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        occupancy(client, pc, RegionId=other)
    assert server.orders(account["AccountId"]) == []


def test_allocated_circuit_not_allowed(server, client):
    pc = allocated_pc(server, client)
    with sdk_error(client, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(client, pc)
    assert server.circuit(pc)["Status"] == "Allocated"


def test_initial_circuit_not_allowed(server, client):
    pc = create_pc(client)
    with sdk_error(client, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(client, pc)


def test_second_order_while_one_is_unpaid(server, client, account):
    pc = confirmed_pc(server, client)
    occupancy(client, pc, AutoPay=False)
    with sdk_error(client, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(client, pc, AutoPay=False)
    with sdk_error(client, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(client, pc, AutoPay=True)
    orders = server.orders(account["AccountId"])
    assert len(orders) == 1 and orders[0]["Status"] == "Unpaid", orders
    assert money(server.balance(account["AccountId"])) == 10000_00


def test_second_order_while_abnormal_order_is_unpaid(server, client_factory):
    acc = server.create_account(balance="10.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, AutoPay=True)
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(c, pc, AutoPay=True)
    assert len(server.orders(acc["AccountId"])) == 1


def test_enabled_circuit_not_allowed(server, client):
    pc = confirmed_pc(server, client)
    occupancy(client, pc)
    server.wait_status(pc, "Enabled")
    with sdk_error(client, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(client, pc)


@pytest.mark.parametrize("period,cycle", [(0, "Month"), (10, "Month"), (6, "Year"), (0, "Year"), (-1, "Month")])
def test_period_out_of_range(server, client, period, cycle):
    pc = confirmed_pc(server, client)
    with sdk_error(client, "InvalidPhysicalConnectionPeriod.Malformed", 400, PERIOD_MSG):
        occupancy(client, pc, Period=period, PricingCycle=cycle)
    assert server.circuit(pc)["Status"] == "Confirmed"


@pytest.mark.parametrize("period,cycle", [(9, "Month"), (5, "Year"), (1, "Year")])
def test_period_range_edges_accepted(server, client_factory, period, cycle):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    order_id_of(c, occupancy(c, pc, Period=period, PricingCycle=cycle, AutoPay=False))


@pytest.mark.parametrize("cycle", ["Week", "month", "Day", "Years"])
def test_bad_pricing_cycle(server, client, cycle):
    pc = confirmed_pc(server, client)
    with sdk_error(client, "InvalidPhysicalConnectionPricingCycle.Malformed", 400, CYCLE_MSG):
        occupancy(client, pc, PricingCycle=cycle)


@pytest.mark.parametrize("charge", ["Prepaid1", "Subscription", "prepaid?"])
def test_bad_charge_type(server, client, charge):
    pc = confirmed_pc(server, client)
    with sdk_error(client, "InvalidPhysicalConnectionChargeType.Malformed", 400, CHARGE_MSG):
        occupancy(client, pc, InstanceChargeType=charge)


def test_missing_physical_connection_id(client):
    client.generic = True     # old tea-rpc: skip its model's client-side "required" check
    with sdk_error(client, "MissingParameter", 400) as err:
        client.call("CreatePhysicalConnectionOccupancyOrder", {"RegionId": REGION, "InstanceChargeType": "PrePaid"})
    msg = _message(client, err.exc)
    assert msg == 'The input parameter "PhysicalConnectionId" that is mandatory for processing this request ' \
                  'is not supplied.', msg


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "old"])   # legacy core always adds RegionId
def test_missing_region_id(server, client_factory, kind, account):
    c = client_factory(kind, account)
    c.generic = True          # old tea-rpc: skip its model's client-side "required" check
    pc = confirmed_pc(server, client_factory("tea-v3", account))
    with sdk_error(c, "MissingParameter", 400) as err:
        c.call("CreatePhysicalConnectionOccupancyOrder", {"PhysicalConnectionId": pc})
    assert _message(c, err.exc) == 'The input parameter "RegionId" that is mandatory for processing this ' \
                                   'request is not supplied.'


def test_unknown_region(client):
    with sdk_error(client, "InvalidRegionId.NotFound", 404, REGION_MSG):
        occupancy(client, UNKNOWN_PC, RegionId="cn-atlantis-1")


# ---- check order (docs/design/circuits.md#occupancy-check-order): missing -> region -> idempotency -> lookup -> enums -> state
def test_not_found_is_checked_before_enumerations(client):
    with sdk_error(client, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        occupancy(client, UNKNOWN_PC, Period=99, PricingCycle="Week", InstanceChargeType="Bogus")


def test_enumerations_are_checked_before_state(server, client):
    pc = allocated_pc(server, client)
    with sdk_error(client, "InvalidPhysicalConnectionPeriod.Malformed", 400, PERIOD_MSG):
        occupancy(client, pc, Period=10)


def test_failed_calls_change_nothing(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    for over in ({"Period": 10}, {"PricingCycle": "Week"}, {"InstanceChargeType": "X"}):
        with pytest.raises(Exception):
            occupancy(c, pc, **over)
    assert server.orders(acc["AccountId"]) == []
    assert money(server.balance(acc["AccountId"])) == 5000_00
    server.advance(3)
    assert describe_one(c, pc)["Status"] == "Confirmed"


def _message(client, exc):
    if client.kind == "legacy":
        return exc.get_error_msg()
    return exc.data["Message"]
