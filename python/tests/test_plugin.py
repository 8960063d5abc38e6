"""The pytest plugin's fixtures as a user has them: only `physconn` and `physconn_vpc`."""
from __future__ import annotations

from alibabacloud_vpc20160428 import models as vpc

REGION = "cn-hangzhou"


def create_circuit(client) -> str:
    return client.create_physical_connection(vpc.CreatePhysicalConnectionRequest(
        region_id=REGION, access_point_id="ap-cn-hangzhou-yh-B", line_operator="CT",
        port_type="1000Base-LX", name="plugin-test")).body.physical_connection_id


def test_circuit_from_application_to_expiry(physconn, physconn_vpc):
    pc = create_circuit(physconn_vpc)
    physconn.set_status(pc, "Allocated")                 # the provider's steps, at once
    physconn_vpc.confirm_physical_connection(vpc.ConfirmPhysicalConnectionRequest(
        region_id=REGION, physical_connection_id=pc))
    order = physconn_vpc.create_physical_connection_occupancy_order(
        vpc.CreatePhysicalConnectionOccupancyOrderRequest(
            region_id=REGION, physical_connection_id=pc, instance_charge_type="PrePaid",
            period=1, pricing_cycle="Month", auto_pay=True))
    assert order.body.data.order_id
    assert physconn.balance() == "999000.00"              # one month of 1000Base-LX
    physconn.advance(1)                                   # enabled one provider delay after payment
    assert physconn.circuit(pc)["Status"] == "Enabled"
    assert physconn.circuit(pc)["BusinessStatus"] == "Normal"
    physconn.advance(32 * 86400)                          # past the month: the subscription expires
    assert physconn.circuit(pc)["BusinessStatus"] == "FinancialLocked"


def test_each_test_starts_from_the_same_state(physconn, physconn_vpc):
    # the previous test's circuit, order and spent money are gone; the clock is back at now
    listed = physconn_vpc.describe_physical_connections(
        vpc.DescribePhysicalConnectionsRequest(region_id=REGION)).body
    assert listed.total_count == 0
    assert physconn.balance() == "1000000.00"
    assert physconn.orders() == []


def test_the_automatic_provider_follows_the_manual_clock(physconn, physconn_vpc):
    pc = create_circuit(physconn_vpc)
    assert physconn.circuit(pc)["Status"] == "Initial"
    physconn.advance(3)                                   # Approved, Allocating, Allocated: 1 s each
    assert physconn.circuit(pc)["Status"] == "Allocated"


def test_accounts_of_their_own(physconn):
    acc = physconn.create_account(name="ci", balance="100.00")
    client = physconn.vpc_client(acc)
    pc = create_circuit(client)
    assert physconn.circuit(pc)["AccountId"] == acc["AccountId"]
    assert physconn.account(acc["AccountId"])["Balance"] == "100.00"
