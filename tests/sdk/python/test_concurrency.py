"""Concurrent SDK calls: a duplicate can never produce a second order or circuit (docs/design/decisions.md#idempotency), one circuit
never gets two occupancy orders (docs/design/decisions.md#occupancy-precondition), and the free-circuit quota holds under a burst."""
from __future__ import annotations

import threading

from checks import ORDER_ID_RE, confirmed_pc, money, occupancy, order_id_of
from harness import ACCESS_POINT, REGION

N = 8


def run_parallel(fn, n=N):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = ("ok", fn(i))
        except Exception as e:  # noqa: BLE001
            results[i] = ("err", e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_same_token_one_order(server, client_factory):
    acc = server.create_account(balance="5000.00")
    pc = confirmed_pc(server, client_factory("tea-v3", acc))
    clients = [client_factory("tea-v3", acc) for _ in range(N)]
    results = run_parallel(lambda i: order_id_of(clients[i], occupancy(clients[i], pc, ClientToken="burst")))
    errors = [r for r in results if r[0] == "err"]
    assert not errors, errors
    ids = {r[1] for r in results}
    assert len(ids) == 1 and ORDER_ID_RE.match(ids.pop()), results
    assert len(server.orders(acc["AccountId"])) == 1
    assert money(server.balance(acc["AccountId"])) == 4000_00


def test_concurrent_orders_on_one_circuit_only_one_wins(server, client_factory):
    acc = server.create_account(balance="50000.00")
    pc = confirmed_pc(server, client_factory("tea-v3", acc))
    clients = [client_factory("tea-v3", acc) for _ in range(N)]
    results = run_parallel(lambda i: order_id_of(clients[i], occupancy(clients[i], pc, ClientToken="t%d" % i)))
    ok = [r for r in results if r[0] == "ok"]
    err = [r[1] for r in results if r[0] == "err"]
    assert len(ok) == 1, results
    assert all(getattr(e, "code", None) == "Forbidden.NotAllowedInState" for e in err), err
    assert len(server.orders(acc["AccountId"])) == 1
    assert money(server.balance(acc["AccountId"])) == 49000_00


def test_concurrent_creates_respect_quota(server, client_factory):
    acc = server.create_account()
    clients = [client_factory("tea-v3", acc) for _ in range(N)]
    p = {"RegionId": REGION, "AccessPointId": ACCESS_POINT, "LineOperator": "CT", "PortType": "1000Base-LX"}
    results = run_parallel(lambda i: clients[i].call("CreatePhysicalConnection", dict(p, Name="c%d" % i)))
    ok = [r for r in results if r[0] == "ok"]
    err = [r[1] for r in results if r[0] == "err"]
    assert len(ok) == 5, results
    assert all(getattr(e, "code", None) == "QuotaExceeded.freePconnPerAP" for e in err), err
    r = clients[0].call("DescribePhysicalConnections", {"RegionId": REGION, "PageSize": 50})
    assert r.body["TotalCount"] == 5


def test_concurrent_orders_share_one_balance(server, client_factory):
    """Two circuits, balance for one order only: exactly one is paid, the other is abnormal."""
    acc = server.create_account(balance="1500.00")
    c = client_factory("tea-v3", acc)
    pcs = [confirmed_pc(server, c) for _ in range(2)]
    clients = [client_factory("tea-v3", acc) for _ in range(2)]
    results = run_parallel(lambda i: order_id_of(clients[i], occupancy(clients[i], pcs[i])), n=2)
    assert all(r[0] == "ok" for r in results), results
    orders = server.orders(acc["AccountId"])
    assert sorted(o["Status"] for o in orders) == ["Paid", "Unpaid"], orders
    assert [o["Abnormal"] for o in orders if o["Status"] == "Unpaid"] == [True], orders
    assert money(server.balance(acc["AccountId"])) == 500_00
