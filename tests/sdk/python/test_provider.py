"""The provider simulator (docs/design/decisions.md#provider-simulator) driven through the admin API and observed through the SDKs:
provisioning modes (global, per account, per circuit), single steps, faults, reset, OpenAPI."""
from __future__ import annotations

import json
import urllib.request

import pytest

from checks import NOT_ALLOWED_MSG, create_pc, describe_one, sdk_error
from flows import lc, manual_account, pc_in
from harness import REGION


def sdk_status(client, pc):
    return describe_one(client, pc)["Status"]


def statuses(client):
    b = client.call("DescribePhysicalConnections", {"RegionId": REGION, "PageSize": 50}).body
    return {x["PhysicalConnectionId"]: x["Status"] for x in b["PhysicalConnectionSet"]["PhysicalConnectionType"]}


# ---------------------------------------------------------------- modes
def test_global_manual_mode_and_delay(physconn, client_factory):
    s = physconn    # the plugin's server, reset for this test
    assert s.provisioning()["mode"] == "auto"
    p = s.set_provisioning(mode="manual")
    assert p["mode"] == "manual", p
    assert s.provisioning()["mode"] == "manual"
    acc = s.create_account()
    c = client_factory("tea-v3", acc, srv=s)
    pc = create_pc(c)
    s.advance(120)
    assert sdk_status(c, pc) == "Initial", "manual mode: the clock alone must not move circuits"
    assert s.circuit(pc)["Timers"], "the step exists, parked"
    s.step(pc)
    assert sdk_status(c, pc) == "Approved"
    s.advance(120)
    assert sdk_status(c, pc) == "Approved"
    # back to auto with a 5 s delay: the parked step is re-dated
    p = s.set_provisioning(mode="auto", delay=5)
    assert p["mode"] == "auto" and float(p["delay"]) == 5.0, p
    s.advance(4)
    assert sdk_status(c, pc) == "Approved"
    s.advance(1)
    assert sdk_status(c, pc) == "Allocating"
    s.advance(4.5)
    assert sdk_status(c, pc) == "Allocating"
    s.advance(0.5)
    assert sdk_status(c, pc) == "Allocated"
    # a new circuit follows the new delay from its creation
    pc2 = create_pc(c, Name="second")
    s.advance(4)
    assert sdk_status(c, pc2) == "Initial"
    s.advance(1)
    assert sdk_status(c, pc2) == "Approved"


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_account_manual_mode_and_single_steps(server, client_factory, kind):
    acc = server.create_account()
    server.set_account(acc["AccountId"], provisioning_mode="manual")
    c = client_factory(kind, acc)
    pc = create_pc(c)
    other = client_factory("tea-v3", server.create_account())     # another account stays in auto mode
    pc_auto = create_pc(other)
    server.advance(3)
    assert sdk_status(c, pc) == "Initial"
    assert sdk_status(other, pc_auto) == "Allocated"
    seen = []
    for _ in range(3):
        r = server.step(pc)
        seen.append((r.get("Status"), sdk_status(c, pc)))
    assert seen == [("Approved", "Approved"), ("Allocating", "Allocating"), ("Allocated", "Allocated")], seen
    # nothing pending on an Allocated circuit: 409
    status, body = server.http("POST", "/admin/physical-connections/%s/advance" % pc)
    assert status == 409, (status, body)
    assert sdk_status(c, pc) == "Allocated"
    # the user's part is unchanged by the mode: Confirm is synchronous
    lc(c, "ConfirmPhysicalConnection", pc)
    assert sdk_status(c, pc) == "Confirmed"


def test_circuit_mode_overrides_account_mode(server, client_factory):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    parked, moving = create_pc(c, Name="parked"), create_pc(c, Name="moving")
    r = server.set_circuit_mode(moving, "auto")
    assert r.get("ProvisioningMode") == "auto", r
    server.advance(3)
    st = statuses(c)
    assert st[parked] == "Initial" and st[moving] == "Allocated", st
    # and the other way round: a circuit of an auto account, parked
    acc2 = server.create_account()
    c2 = client_factory("tea-v3", acc2)
    pc = create_pc(c2)
    server.set_circuit_mode(pc, "manual")
    server.advance(3)
    assert sdk_status(c2, pc) == "Initial"
    server.set_circuit_mode(pc, None)           # follow the account (auto) again
    server.advance(3)
    assert sdk_status(c2, pc) == "Allocated"


def test_advance_errors(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = pc_in(server, c, "Canceled")
    status, _ = server.http("POST", "/admin/physical-connections/%s/advance" % pc)
    assert status == 409
    status, _ = server.http("POST", "/admin/physical-connections/pc-bp1doesnotexist000000/advance")
    assert status == 404


# ---------------------------------------------------------------- faults
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_fault_allocation_failed(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    f = server.add_fault("circuit", "Allocation Failed", target=pc)
    assert f["Outcome"] == "Allocation Failed" and f["Scope"] == "circuit" and f["Target"] == pc, f
    seen = []
    for _ in range(4):
        server.advance(1)
        seen.append(sdk_status(c, pc))
    assert seen == ["Approved", "Allocating", "Allocation Failed", "Allocation Failed"], seen
    b = c.call("DescribePhysicalConnections",
               {"RegionId": REGION, "Filter": [{"Key": "Status", "Value": ["Allocation Failed"]}]}).body
    assert [x["PhysicalConnectionId"] for x in b["PhysicalConnectionSet"]["PhysicalConnectionType"]] == [pc], b
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="retry")
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "CancelPhysicalConnection", pc)
    lc(c, "DeletePhysicalConnection", pc)
    assert pc not in statuses(c)


def test_fault_account_scope_with_count(server, client_factory):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    f = server.add_fault("account", "Rejected", target=acc["AccountId"], count=2)
    assert f["Remaining"] == 2, f
    pcs = []
    for i in range(3):
        pcs.append(create_pc(c, Name="n%d" % i))
        server.advance(0.25)      # distinct creation instants, one review each
    server.advance(1)
    got = sorted(statuses(c)[p] for p in pcs)
    assert got == ["Approved", "Rejected", "Rejected"], got
    assert f["FaultId"] not in [x["FaultId"] for x in server.faults()], "count 2 used up"
    # faults of one account do not touch another
    other = client_factory("tea-v3", server.create_account())
    pc = create_pc(other)
    server.advance(1)
    assert sdk_status(other, pc) == "Approved"


def test_fault_circuit_scope_with_count(server, client_factory, account):
    """count 2 on one circuit: its review is rejected twice (after the first resubmission too)."""
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    f = server.add_fault("circuit", "Rejected", target=pc, count=2)
    server.advance(1)
    assert sdk_status(c, pc) == "Rejected"
    assert [x["Remaining"] for x in server.faults() if x["FaultId"] == f["FaultId"]] == [1]
    server.advance(0.5)
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Description="second attempt")
    server.advance(1)
    assert sdk_status(c, pc) == "Rejected"
    assert f["FaultId"] not in [x["FaultId"] for x in server.faults()]
    server.advance(0.5)
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Description="third attempt")
    server.advance(3)
    assert sdk_status(c, pc) == "Allocated"


def test_account_mode_back_to_auto_redates_parked_steps(server, client_factory):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    pc = create_pc(c)
    server.advance(10)
    assert sdk_status(c, pc) == "Initial"
    server.set_account(acc["AccountId"], provisioning_mode="auto")
    server.advance(1)
    assert sdk_status(c, pc) == "Approved"
    server.set_account(acc["AccountId"], provisioning_mode=None)     # follow the global mode (auto)
    server.advance(2)
    assert sdk_status(c, pc) == "Allocated"


def test_fault_removed_before_it_fires(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    f = server.add_fault("circuit", "Rejected", target=pc)
    assert [x for x in server.faults() if x["FaultId"] == f["FaultId"]], server.faults()
    server.delete_fault(f["FaultId"])
    assert f["FaultId"] not in [x["FaultId"] for x in server.faults()]
    status, _ = server.http("DELETE", "/admin/faults/%s" % f["FaultId"])
    assert status == 404
    server.advance(3)
    assert sdk_status(c, pc) == "Allocated"


def test_fault_bad_requests(server, client_factory, account):
    pc = create_pc(client_factory("tea-v3", account))
    for body in ({"scope": "circuit", "target": pc, "outcome": "Enabled"},
                 {"scope": "planet", "target": pc, "outcome": "Rejected"},
                 {"scope": "global", "outcome": "Rejected", "share": 1.5}):
        status, b = server.http("POST", "/admin/faults", body)
        assert status == 400, (body, status, b)
    status, b = server.http("POST", "/admin/faults", {"scope": "circuit", "target": "pc-bp1doesnotexist000000",
                                                      "outcome": "Rejected"})
    assert status == 404, (status, b)


def test_fault_global_share(physconn, client_factory):
    s = physconn    # the plugin's server, reset for this test
    f = s.add_fault("global", "Rejected", share=0.5)
    assert f["Scope"] == "global" and abs(float(f["Share"]) - 0.5) < 1e-9, f
    assert [x["FaultId"] for x in s.faults()] == [f["FaultId"]]
    clients = [client_factory("tea-v3", s.create_account(), srv=s) for _ in range(5)]
    made = {cl: [create_pc(cl, Name="g%d" % i) for i in range(5)] for cl in clients}
    s.advance(1)
    outcome = [statuses(cl)[p] for cl, pcs in made.items() for p in pcs]
    assert set(outcome) == {"Rejected", "Approved"}, outcome
    assert 3 <= outcome.count("Rejected") <= 22, outcome
    # a share fault stays until removed
    assert [x["FaultId"] for x in s.faults()] == [f["FaultId"]]
    s.delete_fault(f["FaultId"])
    assert s.faults() == []
    c = client_factory("tea-v3", s.create_account(), srv=s)
    fresh = [create_pc(c, Name="after%d" % i) for i in range(5)]
    s.advance(3)
    assert [statuses(c)[p] for p in fresh] == ["Allocated"] * 5


# ---------------------------------------------------------------- reset, OpenAPI
def test_reset_keeps_only_the_default_account(physconn, client_factory):
    s = physconn    # the plugin's server, reset for this test
    acc = s.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc, srv=s)
    pc = create_pc(c)
    s.add_fault("global", "Rejected", share=0.1)
    s.set_provisioning(mode="manual", delay=7)
    default = client_factory("tea-v3", None, srv=s)          # the configured key of the default account
    own = create_pc(default, Name="default_circuit")

    r = s.reset()
    assert r.get("reset") is True, r
    with sdk_error(c, "InvalidAccessKeyId.NotFound", 404, "Specified access key is not found."):
        c.call("DescribeRegions", {})
    b = default.call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert b["TotalCount"] == 0, b
    assert s.faults() == []
    assert s.orders("default") == []
    assert s.provisioning()["mode"] == "auto"
    status, _ = s.http("GET", "/admin/physical-connections/%s" % pc)
    assert status == 404
    status, _ = s.http("GET", "/admin/physical-connections/%s" % own)
    assert status == 404
    # the server works normally afterwards, in auto mode with the configured 1 s delay
    pc2 = create_pc(default, Name="after_reset")
    s.advance(3)
    assert sdk_status(default, pc2) == "Allocated"
    legacy = client_factory("legacy", s.create_account(), srv=s)
    assert sdk_status(legacy, create_pc(legacy)) == "Initial"


def test_openapi_document(server):
    with urllib.request.urlopen(server.admin_url + "/admin/openapi.json", timeout=10) as r:   # no token
        assert r.status == 200
        doc = json.loads(r.read())
    paths = doc["paths"]
    for p, methods in {"/admin/provisioning": ("get", "put"), "/admin/accounts/{id}": ("get", "put"),
                       "/admin/physical-connections/{id}/provisioning": ("put",),
                       "/admin/physical-connections/{id}/advance": ("post",),
                       "/admin/faults": ("get", "post"), "/admin/faults/{id}": ("delete",),
                       "/admin/reset": ("post",), "/admin/orders": ("get",)}.items():
        assert p in paths, "%s missing from the OpenAPI document" % p
        for m in methods:
            assert m in paths[p], "%s %s missing" % (m.upper(), p)
    status, _ = server.http("GET", "/admin/faults", auth=False)
    assert status == 401
