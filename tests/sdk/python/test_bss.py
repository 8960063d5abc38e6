"""The BSS subset (BssOpenApi 2017-12-14, docs/design/billing.md#bss) through the official
`alibabacloud-bssopenapi20171214` SDK, on the same endpoint as VPC."""
from __future__ import annotations

import pytest
from alibabacloud_bssopenapi20171214 import models as bss
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from checks import confirmed_pc, money, occupancy, order_id_of


def bss_client(server, acc, v2=False):
    cfg = Config(access_key_id=acc["AccessKeyId"], access_key_secret=acc["AccessKeySecret"],
                 endpoint=server.endpoint, protocol="http", region_id="cn-hangzhou")
    if v2:
        cfg.signature_algorithm = "v2"
    return BssClient(cfg)


@pytest.fixture(params=["v3", "v2"])
def bssc(request, server, account):
    return bss_client(server, account, v2=request.param == "v2")


def test_query_account_balance(server, account, bssc):
    server.admin("PUT", "/admin/accounts/%s" % account["AccountId"], {"credit_limit": "100.00"})
    r = bssc.query_account_balance()
    assert r.status_code == 200
    b = r.body
    assert (b.code, b.message, b.success) == ("200", "success", True)
    d = b.data
    assert (d.available_cash_amount, d.credit_amount, d.available_amount, d.currency) == \
        ("10000.00", "100.00", "10100.00", "CNY")


def test_orders_pay_cancel_and_statement(server, account, bssc, client_factory):
    vpc = client_factory("tea-v3", account)
    pc = confirmed_pc(server, vpc)
    oid = order_id_of(vpc, occupancy(vpc, pc, AutoPay=False, Period=2))
    q = bssc.query_orders(bss.QueryOrdersRequest(page_num=1, page_size=20))
    assert q.body.code == "Success" and q.body.data.total_count == 1
    o = q.body.data.order_list.order[0]
    assert (o.order_id, o.payment_status, o.pretax_amount, o.product_code, o.subscription_type) == \
        (oid, "Unpaid", "2000.00", "pconn", "Subscription")
    d = bssc.get_order_detail(bss.GetOrderDetailRequest(order_id=oid)).body.data.order_list.order[0]
    assert d.instance_ids == '["%s"]' % pc and d.region == "cn-hangzhou"
    paid = bssc.pay_order(bss.PayOrderRequest(order_id=int(oid), pay_submit_uid=1, token="t")).body
    assert paid.order_id == int(oid)
    assert money(server.balance(account["AccountId"])) == 8000_00
    server.advance(1)
    assert server.circuit(pc)["Status"] == "Enabled"
    t = bssc.query_account_transactions(bss.QueryAccountTransactionsRequest()).body.data
    entries = t.account_transactions_list.account_transactions_list
    assert [(e.transaction_flow, e.amount, e.balance) for e in entries][:1] == [("Expense", "2000.00", "8000.00")]
    assert entries[0].record_id == oid
    inst = bssc.query_available_instances(bss.QueryAvailableInstancesRequest()).body.data
    assert [i.instance_id for i in inst.instance_list] == [pc]


def test_cancel_and_errors(server, account, bssc, client_factory):
    vpc = client_factory("tea-v3", account)
    pc = confirmed_pc(server, vpc)
    server.set_balance(account["AccountId"], "1.00")
    oid = order_id_of(vpc, occupancy(vpc, pc, AutoPay=True))
    with pytest.raises(TeaException) as e:
        bssc.pay_order(bss.PayOrderRequest(order_id=int(oid), pay_submit_uid=1, token="t"))
    assert (e.value.code, e.value.data.get("statusCode")) == ("InvalidOrderStatus.NotPayable", 400)
    r = bssc.cancel_order(bss.CancelOrderRequest(order_id=oid)).body
    assert (r.code, r.data.host_id) == ("Success", "cn")
    assert [o["Status"] for o in server.orders(account["AccountId"])] == ["Cancelled"]
    with pytest.raises(TeaException) as e:
        bssc.get_order_detail(bss.GetOrderDetailRequest(order_id="100000000000000"))
    assert (e.value.code, e.value.data.get("statusCode")) == ("InvalidOrderId.NotFound", 404)
    assert money(server.balance(account["AccountId"])) == 1_00
