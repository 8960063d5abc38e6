"""Time travel with real clients (docs/design/protocol.md#replay-protection): the manual clock moves
40 days ahead, the SDKs keep signing with the machine's time and keep working unchanged, and what
the business does (CreationTime, provider steps) follows the manual clock."""
from __future__ import annotations

import datetime as dt

import pytest

from checks import describe_one
from harness import ACCESS_POINT, REGION, parse_time

FORTY_DAYS = 40 * 86400


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_sdks_work_after_the_manual_clock_moves_40_days(server, client_factory, kind):
    acc = server.create_account(balance="10000.00")
    c = client_factory(kind, acc)
    server.advance(FORTY_DAYS)
    later = server.now()
    # PeerLocation: the first-generation Tea SDK's model requires it.
    r = c.call("CreatePhysicalConnection", {"RegionId": REGION, "AccessPointId": ACCESS_POINT,
                                            "LineOperator": "CT", "PortType": "1000Base-LX",
                                            "PeerLocation": "Hangzhou, Room 1"})
    pc = r.body["PhysicalConnectionId"]
    v = describe_one(c, pc)
    created = parse_time(v["CreationTime"])
    assert abs(created - later) < dt.timedelta(minutes=1), (v["CreationTime"], later)
    server.wait_status(pc, "Allocated")
    assert describe_one(c, pc)["Status"] == "Allocated"
