"""Hostile-input findings of issue #14 reached through the official SDKs (docs/security.md):
a RAM Deny bypassed by a second id (item 1), a fee charged for a deleted line (item 5), control
characters and unbounded resource group ids (item 9)."""
from __future__ import annotations

import pytest
from alibabacloud_bssopenapi20171214 import models as bss
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.utils import Utils
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException

from checks import money, sdk_error
from flows import lc, loa_params, pc_in
from harness import ACCESS_POINT, REGION


def ram_user(server, acc, denied_pc):
    """A RAM user of `acc` allowed everything but any action on `denied_pc`."""
    policy = {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "vpc:*", "Resource": "acs:vpc:*:*:physicalconnection/%s" % denied_pc}]}
    u = server.admin("POST", "/admin/accounts/%s/users" % acc["AccountId"], {"name": "probe", "policy": policy})
    return {"AccessKeyId": u["AccessKeyId"], "AccessKeySecret": u["AccessKeySecret"]}


def tea_call_with_extra(client, action, params, extra):
    """The Tea SDK's own request for `action`, with parameters its model does not have added, sent
    through the SDK's generic `call_api` (what a caller of the SDK can do)."""
    query = dict(params)
    query.update(extra)
    req = open_api_util_models.OpenApiRequest(query=Utils.query(query))
    p = open_api_util_models.Params(action=action, version="2016-04-28", protocol="HTTPS", pathname="/",
                                    method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                    body_type="json")
    return client.sdk.call_api(p, req, RuntimeOptions())


def loa_status(server, pc):
    return server.circuit(pc).get("LoaStatus")


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_a_second_id_does_not_bypass_a_ram_deny(server, client_factory, kind):
    acc = server.create_account()
    owner = client_factory("tea-v3", acc)
    prod = pc_in(server, owner, "Allocated")
    other = pc_in(server, owner, "Allocated")
    user = client_factory(kind, ram_user(server, acc, prod))
    before = server.circuit(prod)
    params = loa_params(prod)
    if kind == "legacy":
        req = user.request("ApplyPhysicalConnectionLOA", params)
        req.add_query_param("PhysicalConnectionId", other)
        call = lambda: user.sdk.do_action_with_exception(req)  # noqa: E731
    else:
        call = lambda: tea_call_with_extra(user, "ApplyPhysicalConnectionLOA",  # noqa: E731
                                           {k: v for k, v in params.items() if k != "PMInfo"},
                                           {"PhysicalConnectionId": other})
    with sdk_error(user, "Forbidden.RAM", 403):
        call()
    assert server.circuit(prod) == before, "the denied line changed"
    assert loa_status(server, prod) in (None, "")
    # The other line is the user's to act on, by the parameter the action takes.
    r = user.call("ApplyPhysicalConnectionLOA", loa_params(other)) if kind != "legacy" else None
    if r is not None:
        assert r.body.get("RequestId"), r.body
    # The audit log names the line the call named by InstanceId.
    audit = server.admin("GET", "/admin/audit?account=%s&channel=api" % acc["AccountId"])["Entries"]
    refused = [e for e in audit if e["Outcome"] == "Forbidden.RAM"]
    assert refused and refused[0]["Detail"] == prod, audit


def test_a_denied_line_is_hidden_and_refused_as_redundant(server, client_factory):
    acc = server.create_account()
    owner = client_factory("tea-v3", acc)
    prod = pc_in(server, owner, "Allocated")
    user = client_factory("tea-v3", ram_user(server, acc, prod))
    r = user.call("DescribePhysicalConnections", {"RegionId": REGION, "Filter": [
        {"Key": "PhysicalConnectionId", "Value": [prod]}]})
    assert r.body["TotalCount"] == 0 and prod not in str(r.body), r.body
    with sdk_error(user, "Forbidden.RAM", 403):
        user.call("CreatePhysicalConnection", {"RegionId": REGION, "AccessPointId": ACCESS_POINT,
                                               "LineOperator": "CT", "RedundantPhysicalConnectionId": prod})


def bss_client(server, acc):
    return BssClient(Config(access_key_id=acc["AccessKeyId"], access_key_secret=acc["AccessKeySecret"],
                            endpoint=server.endpoint, protocol="http", region_id=REGION))


@pytest.mark.parametrize("end", ["delete", "cancel"])
def test_no_fee_for_a_line_that_is_gone(server, client_factory, end):
    acc = server.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc)
    r = c.call("CreatePhysicalConnectionSetupOrder", {"RegionId": REGION, "AccessPointId": ACCESS_POINT,
                                                      "LineOperator": "CT", "PortType": "1000Base-LX",
                                                      "AutoPay": False})
    oid, pc = r.body["OrderId"], r.body["PhysicalConnectionId"]
    lc(c, "CancelPhysicalConnection", pc)
    if end == "delete":
        lc(c, "DeletePhysicalConnection", pc)
    orders = server.orders(acc["AccountId"])
    assert [(o["OrderId"], o["Status"]) for o in orders] == [(oid, "Cancelled")], orders
    with pytest.raises(TeaException) as e:
        bss_client(server, acc).pay_order(bss.PayOrderRequest(order_id=int(oid), pay_submit_uid=1, token="t"))
    assert (e.value.code, e.value.data.get("statusCode")) == ("InvalidOrderStatus.NotPayable", 400)
    assert money(server.balance(acc["AccountId"])) == 5000_00


@pytest.mark.parametrize("field,value,code", [
    ("Description", "ok\x00then", "InvalidDescription.Malformed"),
    ("Description", "line\nbreak", "InvalidDescription.Malformed"),
    ("ResourceGroupId", "rg-" + "a" * 2000, "InvalidResourceGroupId"),
    ("ResourceGroupId", "rg-x y", "InvalidResourceGroupId"),
])
def test_control_characters_and_resource_groups(server, client_factory, field, value, code):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    with sdk_error(c, code, 400):
        c.call("CreatePhysicalConnection", {"RegionId": REGION, "AccessPointId": ACCESS_POINT,
                                            "LineOperator": "CT", field: value})


def test_tag_values_refuse_control_characters(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc = pc_in(server, c, "Initial")
    with sdk_error(c, "InvalidParameter", 400):
        c.call("TagResourcesForExpressConnect", {"RegionId": REGION, "ResourceType": "PHYSICALCONNECTION",
                                                 "ResourceId": [pc], "Tag": [{"Key": "k", "Value": "v\x00"}]})
