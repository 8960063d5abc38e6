"""Assertions on what each SDK surfaces (docs/design/protocol.md#sdk-error-handling), and shared flows."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from harness import ACCESS_POINT, REGION
from sdkclients import RemoteTeaException

REQUEST_ID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
ORDER_ID_RE = re.compile(r"^[0-9]{15}$")
PC_ID_RE = re.compile(r"^pc-[0-9a-z]{21}$")

NOT_FOUND_MSG = "The PhysicalConnectionId provided does not exist in our records."
NOT_ALLOWED_MSG = "The request does not allow in this state."
PERIOD_MSG = "Specified Physical Connection Period is not valid."
CYCLE_MSG = "Specified Physical Connection PricingCycle is not valid."
CHARGE_MSG = "Specified Physical Connection ChargeType is not valid."
REGION_MSG = "The RegionId provided does not exist in our records."
MISMATCH_MSG = "Request uses a client token in a previous request but is not identical to that request."
SIG_PREFIX = "Specified signature does not match our calculation. server string to sign is:"


class SdkError:
    """What the test saw, normalised for assertions; `exc` is the SDK's own exception."""

    def __init__(self, exc):
        self.exc = exc


@contextmanager
def sdk_error(client, code, status, message=None, message_prefix=None):
    """Expects the SDK call inside the block to fail the way `client`'s SDK reports a server error
    with (code, HTTP status, Message), and checks that SDK's own exception fields."""
    box = SdkError(None)
    try:
        yield box
    except Exception as e:  # noqa: BLE001 - we classify below
        box.exc = e
    else:
        pytest.fail("expected %s %s from the server, but the %s call succeeded" % (status, code, client.kind))
    check_error(client.kind, box.exc, code, status, message, message_prefix)


def check_error(kind, e, code, status, message=None, message_prefix=None):
    def msg_ok(m):
        if message is not None:
            assert m == message, "Message: expected %r, got %r" % (message, m)
        if message_prefix is not None:
            assert m is not None and m.startswith(message_prefix), "Message %r does not start with %r" % (
                m, message_prefix)

    if kind in ("tea-v3", "tea-v2"):
        from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
        expected_cls = ClientException if status < 500 else ServerException
        assert type(e) is expected_cls, "expected %s, got %s: %s" % (expected_cls.__name__, type(e).__name__, e)
        assert e.code == code, "code: expected %r, got %r (%s)" % (code, e.code, e.message)
        assert e.status_code == status, "status_code: expected %r, got %r" % (status, e.status_code)
        data = e.data
        assert isinstance(data, dict), "data: %r" % (data,)
        assert data.get("Code") == code
        assert data.get("statusCode") == status, data
        rid = data.get("RequestId")
        assert rid and REQUEST_ID_RE.match(rid), "RequestId %r is not an upper-case UUID" % rid
        assert e.request_id == rid
        assert data.get("HostId"), "error body without HostId: %r" % data
        assert "Recommend" in data, "error body without Recommend: %r" % data
        msg_ok(data.get("Message"))
        assert e.message == "code: %d, %s request id: %s" % (status, data.get("Message"), rid), e.message
    elif kind == "legacy":
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        assert isinstance(e, ServerException), "expected ServerException, got %s: %r" % (type(e).__name__, e)
        assert e.get_error_code() == code, "get_error_code(): expected %r, got %r (%s)" % (
            code, e.get_error_code(), e.get_error_msg())
        assert e.get_http_status() == status, "get_http_status(): expected %r, got %r" % (status, e.get_http_status())
        rid = e.get_request_id()
        assert rid and REQUEST_ID_RE.match(rid), "get_request_id() %r is not an upper-case UUID" % rid
        msg_ok(e.get_error_msg())
    elif kind == "old":
        assert isinstance(e, RemoteTeaException), "expected the SDK's TeaException, got %s: %r" % (
            type(e).__name__, e)
        assert e.cls == "Tea.exceptions.TeaException", e.fields
        assert e.code == code, "code: expected %r, got %r (%s)" % (code, e.code, e.message)
        data = e.data
        assert isinstance(data, dict) and data.get("Code") == code, data
        rid = data.get("RequestId")
        assert rid and REQUEST_ID_RE.match(rid), "RequestId %r" % rid
        msg_ok(data.get("Message"))
        assert e.message == "code: %d, %s request id: %s" % (status, data.get("Message"), rid), e.message
    else:
        raise ValueError(kind)


# ------------------------------------------------------------------ flows
def create_pc(client, **over):
    p = {"RegionId": REGION, "AccessPointId": ACCESS_POINT, "LineOperator": "CT", "PortType": "1000Base-LX",
         "Name": "sdk-test", "PeerLocation": "Hangzhou, Room 1"}
    p.update(over)
    p = {k: v for k, v in p.items() if v is not None}
    r = client.call("CreatePhysicalConnection", p)
    pc = r.body.get("PhysicalConnectionId")
    assert pc and PC_ID_RE.match(pc), "PhysicalConnectionId %r" % pc
    assert REQUEST_ID_RE.match(r.body.get("RequestId") or ""), r.body
    return pc


def allocated_pc(server, client, **over):
    """A circuit of the client's account, moved by the provider simulator to Allocated."""
    pc = create_pc(client, **over)
    server.wait_status(pc, "Allocated")
    return pc


def confirmed_pc(server, client, **over):
    pc = allocated_pc(server, client, **over)
    r = client.call("ConfirmPhysicalConnection", {"RegionId": REGION, "PhysicalConnectionId": pc})
    assert REQUEST_ID_RE.match(r.body.get("RequestId") or ""), r.body
    assert server.circuit(pc)["Status"] == "Confirmed"
    return pc


def occupancy(client, pc, **over):
    p = {"RegionId": REGION, "PhysicalConnectionId": pc, "InstanceChargeType": "PrePaid", "Period": 1,
         "PricingCycle": "Month", "AutoPay": True}
    p.update(over)
    p = {k: v for k, v in p.items() if v is not None}
    return client.call("CreatePhysicalConnectionOccupancyOrder", p)


def order_id_of(client, result):
    """OrderId from the SDK's response model (None for SDK generations whose model lacks it)."""
    body = result.body
    assert REQUEST_ID_RE.match(body.get("RequestId") or ""), body
    if not client.reads_order_id:
        return None
    data = body.get("Data")
    assert isinstance(data, dict), "response has no Data object: %r" % body
    oid = data.get("OrderId")
    assert isinstance(oid, str) and ORDER_ID_RE.match(oid), "Data.OrderId %r is not a 15-digit string" % (oid,)
    return oid


def describe_one(client, pc):
    r = client.call("DescribePhysicalConnections",
                    {"RegionId": REGION, "Filter": [{"Key": "PhysicalConnectionId", "Value": [pc]}]})
    items = r.body["PhysicalConnectionSet"]["PhysicalConnectionType"]
    assert len(items) == 1, r.body
    assert r.body["TotalCount"] == 1
    return items[0]


def money(s: str) -> int:
    """'1234.50' -> 123450 fen (exact)."""
    assert re.match(r"^-?\d+\.\d{2}$", s), "not a money string: %r" % s
    neg = s.startswith("-")
    whole, frac = s.lstrip("-").split(".")
    v = int(whole) * 100 + int(frac)
    return -v if neg else v
