"""Credentials: STS tokens from the admin API, wrong secrets, unknown keys (docs/design/protocol.md#gateway-errors)."""
from __future__ import annotations

import pytest

from checks import SIG_PREFIX, confirmed_pc, describe_one, money, occupancy, order_id_of, sdk_error
from harness import REGION, random_key_id, random_secret


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_sts_credentials_work(server, kind, client_factory):
    acc = server.create_account(balance="5000.00")
    creds = server.sts(acc["AccountId"], seconds=3600)
    assert creds["AccessKeyId"] and creds["AccessKeySecret"] and creds["SecurityToken"], creds
    assert creds["AccessKeyId"] != acc["AccessKeyId"]
    c = client_factory(kind, ak=creds["AccessKeyId"], sk=creds["AccessKeySecret"],
                       security_token=creds["SecurityToken"])
    pc = confirmed_pc(server, c)
    assert server.circuit(pc)["AccountId"] == acc["AccountId"]
    oid = order_id_of(c, occupancy(c, pc))
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["Status"] == "Paid", orders
    if oid:
        assert orders[0]["OrderId"] == oid
    assert money(server.balance(acc["AccountId"])) == 4000_00
    # the account's permanent key sees the same circuit
    assert describe_one(client_factory("tea-v3", acc), pc)["Status"] == "Confirmed"


def test_sts_token_expires(server, client_factory):
    acc = server.create_account()
    creds = server.sts(acc["AccountId"], seconds=60)
    c = client_factory("tea-v3", ak=creds["AccessKeyId"], sk=creds["AccessKeySecret"],
                       security_token=creds["SecurityToken"])
    c.call("DescribeRegions", {})
    server.advance(61)
    with sdk_error(c, "InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired."):
        c.call("DescribeRegions", {})


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "old"])
def test_wrong_secret_tea(server, kind, client_factory, account):
    c = client_factory(kind, ak=account["AccessKeyId"], sk=random_secret())
    with sdk_error(c, "SignatureDoesNotMatch", 400, message_prefix=SIG_PREFIX):
        c.call("DescribePhysicalConnections", {"RegionId": REGION})


def test_wrong_secret_legacy_reports_invalid_access_key_secret(server, client_factory, account):
    """The legacy core compares the server's string-to-sign (after "…is:") with its own and, when
    they are equal, rewrites the error to InvalidAccessKeySecret (docs/design/protocol.md#signature-error-message)."""
    c = client_factory("legacy", ak=account["AccessKeyId"], sk=random_secret())
    with sdk_error(c, "InvalidAccessKeySecret", 400,
                   "The AccessKeySecret is incorrect. Please check your AccessKeyId and AccessKeySecret."):
        c.call("DescribePhysicalConnections", {"RegionId": REGION})
    with sdk_error(c, "InvalidAccessKeySecret", 400):
        c.call("CreatePhysicalConnectionOccupancyOrder",
               {"RegionId": REGION, "PhysicalConnectionId": "pc-x", "AutoPay": True, "Period": 1})


def test_wrong_secret_with_special_characters_legacy(server, client_factory, account):
    """The echoed string-to-sign must be the exact V1 one, including encoded special characters."""
    c = client_factory("legacy", ak=account["AccessKeyId"], sk=random_secret())
    with sdk_error(c, "InvalidAccessKeySecret", 400):
        c.call("CreatePhysicalConnection", {"RegionId": REGION, "AccessPointId": "ap-cn-hangzhou-yh-B",
                                            "LineOperator": "CT", "Name": "a b*c~d",
                                            "Description": "x+y/z=w&v 中文",
                                            "Tag": [{"Key": "k 1", "Value": "v*~"}]})


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_unknown_access_key(server, kind, client_factory):
    c = client_factory(kind, ak=random_key_id(), sk=random_secret())
    with sdk_error(c, "InvalidAccessKeyId.NotFound", 404, "Specified access key is not found."):
        c.call("DescribeRegions", {})


def test_default_account_key_from_environment(server, client_factory):
    """The key given in PHYSCONN_ACCESS_KEY_ID / _SECRET belongs to the default account."""
    c = client_factory("tea-v3")    # server.key_id / server.key_secret
    r = c.call("DescribeAccessPoints", {"RegionId": REGION})
    assert r.body["AccessPointSet"]["AccessPointType"], r.body
    assert server.account("default")["AccountId"]
