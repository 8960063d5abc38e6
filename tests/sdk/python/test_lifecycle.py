"""ModifyPhysicalConnectionAttribute, EnablePhysicalConnection, CancelPhysicalConnection,
TerminatePhysicalConnection, DeletePhysicalConnection and RecoverPhysicalConnection through the SDKs
(docs/design/circuits.md#state-action-table).

The state x action matrix uses accounts in manual provisioning mode: circuits move only when the
admin API steps them (POST /admin/physical-connections/{id}/advance) or a fault makes a step fail."""
from __future__ import annotations

import pytest

from checks import (NOT_ALLOWED_MSG, NOT_FOUND_MSG, confirmed_pc, create_pc, describe_one, money,
                    occupancy, sdk_error)
from flows import (ALL_STATES, NO_SP_MSG, RECOVER_STATUS_MSG, RESOURCE_NOT_FOUND_MSG, UNKNOWN_PC, lc,
                   manual_account, pc_in, status_of)
from harness import REGION

MODIFY_OK = {"Initial", "Approved", "Allocated", "Confirmed", "Enabled", "Rejected"}
MODIFY_SPEC_OK = {"Initial", "Enabled", "Rejected"}
ENABLE_OK = {"Confirmed"}
CANCEL_OK = {"Initial", "Approved", "Allocated", "Confirmed"}
TERMINATE_OK = {"Enabled"}
DELETE_OK = {"Rejected", "Canceled", "Allocation Failed", "Terminated", "Allocated", "Confirmed"}

ACTIONS = ["Modify", "ModifyPortType", "ModifyRedundant", "Enable", "Cancel", "Terminate", "Delete", "Recover"]


def listed(client, pc):
    """Whether DescribePhysicalConnections still shows `pc` (by filter and in the full list)."""
    by_id = client.call("DescribePhysicalConnections",
                        {"RegionId": REGION, "Filter": [{"Key": "PhysicalConnectionId", "Value": [pc]}]}).body
    full = client.call("DescribePhysicalConnections", {"RegionId": REGION, "PageSize": 50}).body
    in_full = pc in [x["PhysicalConnectionId"] for x in full["PhysicalConnectionSet"]["PhysicalConnectionType"]]
    in_filter = by_id["TotalCount"] > 0 or bool(by_id["PhysicalConnectionSet"]["PhysicalConnectionType"])
    assert in_full == in_filter, (by_id, full)
    return in_full


# ---------------------------------------------------------------- state x action matrix
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_state_action_matrix(server, client_factory, kind, state, action):
    acc = manual_account(server)
    c = client_factory(kind, acc)
    pc = pc_in(server, c, state)
    before = describe_one(c, pc)
    orders_before = server.orders(acc["AccountId"])
    balance_before = server.balance(acc["AccountId"])

    if action == "Recover":
        for dry in (None, True, False):
            with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400, RECOVER_STATUS_MSG % pc):
                c.call("RecoverPhysicalConnection", {k: v for k, v in
                                                     {"RegionId": REGION, "InstanceId": pc, "DryRun": dry}.items()
                                                     if v is not None})
        assert status_of(server, pc) == state
        return

    allowed = {"Modify": MODIFY_OK, "ModifyPortType": MODIFY_SPEC_OK, "ModifyRedundant": MODIFY_SPEC_OK,
               "Enable": ENABLE_OK, "Cancel": CANCEL_OK, "Terminate": TERMINATE_OK, "Delete": DELETE_OK}[action]
    redundant = None
    if action == "ModifyRedundant":
        redundant = pc_in(server, c, "Allocated")   # a valid standby target: Allocated/Confirmed/Enabled

    def call():
        if action == "Modify":
            return lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="renamed_1", Description="changed desc",
                      CircuitCode="circuit-002", PeerLocation="Shanghai, Room 9", LineOperator="CU", bandwidth=500)
        if action == "ModifyPortType":
            return lc(c, "ModifyPhysicalConnectionAttribute", pc, PortType="10GBase-LR")
        if action == "ModifyRedundant":
            return lc(c, "ModifyPhysicalConnectionAttribute", pc, RedundantPhysicalConnectionId=redundant)
        return lc(c, action + "PhysicalConnection", pc)

    if state not in allowed:
        with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
            call()
        after = describe_one(c, pc)
        assert after == before, "a refused %s changed the circuit:\n%r\n%r" % (action, before, after)
        assert server.orders(acc["AccountId"]) == orders_before
        return

    call()
    if action == "Delete":
        assert not listed(c, pc), "deleted circuit still listed"
        with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
            lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="after_delete")
        return
    v = describe_one(c, pc)
    if action.startswith("Modify"):
        # a Rejected circuit returns to Initial and is reviewed again; others keep their Status
        assert v["Status"] == ("Initial" if state == "Rejected" else state), v
        if action == "Modify":
            assert (v["Name"], v["Description"], v["CircuitCode"], v["PeerLocation"], v["LineOperator"],
                    v["Bandwidth"]) == ("renamed_1", "changed desc", "circuit-002", "Shanghai, Room 9", "CU", 500), v
            assert v["PortType"] == before["PortType"]
        elif action == "ModifyPortType":
            assert v["PortType"] == "10GBase-LR" and v["Spec"] == "10G", v
            assert v["Name"] == before["Name"]
        else:
            assert v["RedundantPhysicalConnectionId"] == redundant, v
        if state == "Rejected":
            server.step(pc, 3)
            assert status_of(server, pc) == "Allocated"
    elif action == "Enable":
        assert v["Status"] == "Confirmed", "Enable is asynchronous: %r" % v
        server.step(pc)
        v = describe_one(c, pc)
        assert v["Status"] == "Enabled" and v["BusinessStatus"] == "Normal", v
        assert not v.get("ChargeType") and not v.get("EndTime"), "direct enabling has no billing: %r" % v
        assert v.get("EnabledTime"), v
    elif action == "Cancel":
        assert v["Status"] == "Canceled", "Cancel is synchronous: %r" % v
    elif action == "Terminate":
        assert v["Status"] == "Terminating", v
        server.step(pc)
        assert describe_one(c, pc)["Status"] == "Terminated"
    assert server.orders(acc["AccountId"]) == orders_before
    assert server.balance(acc["AccountId"]) == balance_before


# ---------------------------------------------------------------- ModifyPhysicalConnectionAttribute
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_modify_every_field(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c, Name="before", LineOperator="CT", PortType="1000Base-LX")
    r = lc(c, "ModifyPhysicalConnectionAttribute", pc, LineOperator="CM", bandwidth=800,
           PeerLocation="Beijing, Building 2 中文", PortType="10GBase-LR", Name="after_名字.v2",
           Description="new description *~+/=&%", CircuitCode="code-42")
    assert set(r.body) == {"RequestId"}, r.body
    v = describe_one(c, pc)
    assert v["Status"] == "Initial"
    assert v["LineOperator"] == "CM" and v["Bandwidth"] == 800 and v["PortType"] == "10GBase-LR", v
    assert v["Spec"] == "10G" and v["PeerLocation"] == "Beijing, Building 2 中文", v
    assert v["Name"] == "after_名字.v2" and v["Description"] == "new description *~+/=&%", v
    assert v["CircuitCode"] == "code-42", v
    # fields not sent stay as they are
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="only_name")
    w = describe_one(c, pc)
    assert w["Name"] == "only_name"
    for f in ("LineOperator", "Bandwidth", "PortType", "PeerLocation", "Description", "CircuitCode"):
        assert w[f] == v[f], (f, v, w)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_modify_errors(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c, Name="keep_me", LineOperator="CT")
    with sdk_error(c, "InvalidLineOperator.Malformd", 400, "The LineOperator provided was invalid."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, LineOperator="XX")
    with sdk_error(c, "InvalidName.Malformed", 400, "The specified ?Name? is not valid."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="1starts-with-digit")
    with sdk_error(c, "InvalidName.Malformed", 400, "The specified ?Name? is not valid."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="http://bad")
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        lc(c, "ModifyPhysicalConnectionAttribute", UNKNOWN_PC, Name="whatever")
    with sdk_error(c, "InvalidRegionId.NotFound", 404, "The RegionId provided does not exist in our records."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, RegionId="cn-atlantis-1", Name="whatever")
    v = describe_one(c, pc)
    assert v["Name"] == "keep_me" and v["LineOperator"] == "CT", v
    # another account's circuit is not found, and is not changed
    other = client_factory(kind, server.create_account())
    with sdk_error(other, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        lc(other, "ModifyPhysicalConnectionAttribute", pc, Name="stolen")
    assert describe_one(c, pc)["Name"] == "keep_me"


def test_modify_redundant_target_must_be_allocated_confirmed_or_enabled(server, client_factory):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    pc = create_pc(c)
    fresh = create_pc(c, Name="standby_initial")
    with sdk_error(c, "InvalidRedundantPhysicalConnectionStatus", 400,
                   "invalid redundant physical connection status."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, RedundantPhysicalConnectionId=fresh)
    with sdk_error(c, "InvalidRedundantPhysicalConnectionId.NotFound", 400,
                   "The RedundantPhysicalConnectionId does not found."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, RedundantPhysicalConnectionId=UNKNOWN_PC)
    assert describe_one(c, pc)["RedundantPhysicalConnectionId"] == ""
    standby = pc_in(server, c, "Allocated", Name="standby_ok")
    lc(c, "ModifyPhysicalConnectionAttribute", pc, RedundantPhysicalConnectionId=standby)
    assert describe_one(c, pc)["RedundantPhysicalConnectionId"] == standby


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_rejected_circuit_modified_is_reviewed_again(server, client_factory, kind):
    """A fault (admin) rejects the review; the SDK sees Rejected; a Modify through the SDK sends it
    back to Initial and the provider (auto mode, manual clock) takes it to Allocated."""
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    fault = server.add_fault("circuit", "Rejected", target=pc)
    assert fault["FaultId"] in [f["FaultId"] for f in server.faults()]
    server.advance(1)
    assert describe_one(c, pc)["Status"] == "Rejected"
    server.advance(5)
    assert describe_one(c, pc)["Status"] == "Rejected", "a Rejected circuit must wait for the user"
    assert fault["FaultId"] not in [f["FaultId"] for f in server.faults()], "the fault was not consumed"
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="resubmitted", Description="fixed the application")
    v = describe_one(c, pc)
    assert v["Status"] == "Initial" and v["Name"] == "resubmitted", v
    seen = []
    for _ in range(3):
        server.advance(1)
        seen.append(describe_one(c, pc)["Status"])
    assert seen == ["Approved", "Allocating", "Allocated"], seen
    timeline = [e["To"] for e in server.circuit(pc)["Timeline"]]
    assert timeline == ["Initial", "Rejected", "Initial", "Approved", "Allocating", "Allocated"], timeline
    lc(c, "ConfirmPhysicalConnection", pc)
    assert describe_one(c, pc)["Status"] == "Confirmed"


# ---------------------------------------------------------------- EnablePhysicalConnection (seed profile)
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_enable_seed_profile_is_free_and_asynchronous(server, client_factory, kind):
    acc = server.create_account(balance="123.45")
    c = client_factory(kind, acc)
    v3 = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    ledger_before = server.ledger(acc["AccountId"])["Entries"]
    lc(c, "EnablePhysicalConnection", pc)
    assert describe_one(v3, pc)["Status"] == "Confirmed"
    server.advance(1)
    v = describe_one(v3, pc)
    assert v["Status"] == "Enabled" and v["BusinessStatus"] == "Normal", v
    assert v.get("EnabledTime"), v
    assert not v.get("ChargeType") and not v.get("EndTime"), v
    assert server.orders(acc["AccountId"]) == []
    assert money(server.balance(acc["AccountId"])) == 123_45
    assert server.ledger(acc["AccountId"])["Entries"] == ledger_before
    # an Enabled circuit cannot be enabled again
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "EnablePhysicalConnection", pc)


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_enable_with_bypass_sp_in_seed_profile(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    lc(c, "EnablePhysicalConnection", pc, ByPassSp=True)
    server.wait_status(pc, "Enabled", max_steps=1)
    assert server.orders(acc["AccountId"]) == []


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_enable_unknown_circuit(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        lc(c, "EnablePhysicalConnection", UNKNOWN_PC)


# ---------------------------------------------------------------- CancelPhysicalConnection
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_cancel_voids_the_unpaid_occupancy_order(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, AutoPay=False)
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["Status"] == "Unpaid", orders
    lc(c, "CancelPhysicalConnection", pc)
    assert describe_one(c, pc)["Status"] == "Canceled"
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["Status"] == "Cancelled", orders
    assert money(server.balance(acc["AccountId"])) == 5000_00
    ledger = server.ledger(acc["AccountId"])["Entries"]
    assert not [e for e in ledger if e.get("OrderId") == orders[0]["OrderId"]], ledger
    # canceled is final for the provider too
    server.advance(5)
    assert describe_one(c, pc)["Status"] == "Canceled"
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        occupancy(c, pc)


def test_cancel_stops_the_provider(server, client_factory, account):
    """Canceled while the review is under way: the pending provider step must not move it on."""
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    server.advance(1)
    assert describe_one(c, pc)["Status"] == "Approved"
    server.advance(0.5)       # the next provider step is due at +1 s; cancel before it
    lc(c, "CancelPhysicalConnection", pc)
    server.advance(10)
    assert describe_one(c, pc)["Status"] == "Canceled"
    assert [e["To"] for e in server.circuit(pc)["Timeline"]] == ["Initial", "Approved", "Canceled"]


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_cancel_unknown_circuit(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        lc(c, "CancelPhysicalConnection", UNKNOWN_PC)


# ---------------------------------------------------------------- Terminate / Delete (auto mode, manual clock)
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy", "old"])
def test_terminate_then_delete(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    v3 = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True)
    server.advance(1)
    assert describe_one(v3, pc)["Status"] == "Enabled"
    lc(c, "TerminatePhysicalConnection", pc)
    assert describe_one(v3, pc)["Status"] == "Terminating"
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "DeletePhysicalConnection", pc)
    server.advance(1)
    assert describe_one(v3, pc)["Status"] == "Terminated"
    lc(c, "DeletePhysicalConnection", pc)
    assert not listed(v3, pc)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_deleted_circuit_is_gone_for_every_action(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    keep = create_pc(c, Name="keeper")
    pc = confirmed_pc(server, c)
    lc(c, "DeletePhysicalConnection", pc)
    assert not listed(c, pc)
    b = c.call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert [x["PhysicalConnectionId"] for x in b["PhysicalConnectionSet"]["PhysicalConnectionType"]] == [keep], b
    assert b["TotalCount"] == 1, b
    f = c.call("DescribePhysicalConnections",
               {"RegionId": REGION, "Filter": [{"Key": "Status", "Value": ["Confirmed"]}]}).body
    assert f["TotalCount"] == 0, f
    for action, extra in [("ModifyPhysicalConnectionAttribute", {"Name": "zombie"}),
                          ("EnablePhysicalConnection", {}), ("CancelPhysicalConnection", {}),
                          ("TerminatePhysicalConnection", {}), ("DeletePhysicalConnection", {})]:
        with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
            lc(c, action, pc, **extra)
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        occupancy(c, pc)
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 400):
        lc(c, "ConfirmPhysicalConnection", pc)
    with sdk_error(c, "ResourceNotFound", 400, RESOURCE_NOT_FOUND_MSG % pc):
        c.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": pc})


def test_delete_voids_the_unpaid_occupancy_order(server, client_factory):
    acc = server.create_account(balance="5000.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, AutoPay=False)
    lc(c, "DeletePhysicalConnection", pc)
    orders = server.orders(acc["AccountId"])
    assert len(orders) == 1 and orders[0]["Status"] != "Paid", orders
    assert money(server.balance(acc["AccountId"])) == 5000_00


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_delete_other_accounts_circuit_not_found(server, client_factory, kind):
    owner = client_factory("tea-v3", server.create_account())
    pc = pc_in(server, owner, "Canceled")
    c = client_factory(kind, server.create_account())
    with sdk_error(c, "InvalidPhysicalConnectionId.NotFound", 404, NOT_FOUND_MSG):
        lc(c, "DeletePhysicalConnection", pc)
    assert listed(owner, pc)


# ---------------------------------------------------------------- RecoverPhysicalConnection
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_recover(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400, RECOVER_STATUS_MSG % pc):
        c.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": pc, "Token": "rec-1"})
    with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400, RECOVER_STATUS_MSG % pc):
        c.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": pc, "DryRun": True})
    with sdk_error(c, "ResourceNotFound", 400, RESOURCE_NOT_FOUND_MSG % UNKNOWN_PC):
        c.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": UNKNOWN_PC})
    with sdk_error(c, "ResourceNotFound", 400, RESOURCE_NOT_FOUND_MSG % UNKNOWN_PC):
        c.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": UNKNOWN_PC, "DryRun": True})
    # another account's circuit is unknown to this caller
    other = client_factory(kind, server.create_account())
    with sdk_error(other, "ResourceNotFound", 400, RESOURCE_NOT_FOUND_MSG % pc):
        other.call("RecoverPhysicalConnection", {"RegionId": REGION, "InstanceId": pc})
    assert describe_one(c, pc)["Status"] == "Initial"


# ---------------------------------------------------------------- Terraform-style end to end
@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_scenario_full_life(server, client_factory, kind):
    acc = server.create_account(balance="5000.00")
    c = client_factory(kind, acc)
    pc = create_pc(c, LineOperator="CU")
    server.wait_status(pc, "Allocated")
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="tf_name", Description="tf description", LineOperator="CU")
    lc(c, "ConfirmPhysicalConnection", pc)
    assert describe_one(c, pc)["Status"] == "Confirmed"
    occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True, Period=1, PricingCycle="Month")
    server.wait_status(pc, "Enabled", max_steps=2)
    v = describe_one(c, pc)
    assert v["Name"] == "tf_name" and v["ChargeType"] == "Prepaid", v
    lc(c, "TerminatePhysicalConnection", pc)
    server.wait_status(pc, "Terminated", max_steps=2)
    lc(c, "DeletePhysicalConnection", pc)
    assert not listed(c, pc)
    # scenario 2: create -> Allocated -> Confirm -> Cancel -> Delete
    pc2 = create_pc(c)
    server.wait_status(pc2, "Allocated")
    lc(c, "ConfirmPhysicalConnection", pc2)
    lc(c, "CancelPhysicalConnection", pc2)
    assert describe_one(c, pc2)["Status"] == "Canceled"
    lc(c, "DeletePhysicalConnection", pc2)
    assert not listed(c, pc2)
    assert money(server.balance(acc["AccountId"])) == 4000_00


# ---------------------------------------------------------------- --api-profile current
@pytest.fixture(scope="module")
def current_server(tmp_path_factory):
    from harness import Server
    d = tmp_path_factory.mktemp("physconn-current")
    s = Server(str(d / "data"), extra_args=["--api-profile", "current"], log_path=str(d / "server.log"))
    s.start()
    yield s
    s.stop()


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_current_profile_enable_needs_bypass_sp(current_server, client_factory, kind):
    s = current_server
    s.sync_clock()
    acc = s.create_account()
    c = client_factory(kind, acc, srv=s)
    pc = confirmed_pc(s, c)
    with sdk_error(c, "ALIUID.NOT.ALLOW.WITHOUT.SP", 400, NO_SP_MSG):
        lc(c, "EnablePhysicalConnection", pc)
    # ByPassSp=true alone does not help: the account must be marked
    with sdk_error(c, "ALIUID.NOT.ALLOW.WITHOUT.SP", 400, NO_SP_MSG):
        lc(c, "EnablePhysicalConnection", pc, ByPassSp=True)
    s.advance(3)
    assert describe_one(c, pc)["Status"] == "Confirmed"
    # wrong state is still Forbidden.NotAllowedInState
    fresh = create_pc(c)
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "EnablePhysicalConnection", fresh)

    a = s.set_account(acc["AccountId"], bypass_sp=True)
    assert a.get("BypassSp") is True, a
    assert s.account(acc["AccountId"])["BypassSp"] is True
    lc(c, "EnablePhysicalConnection", pc)
    assert describe_one(c, pc)["Status"] == "Confirmed"
    s.advance(1)
    v = describe_one(c, pc)
    assert v["Status"] == "Enabled" and not v.get("ChargeType"), v
    assert s.orders(acc["AccountId"]) == []
    # unmarking the account closes the door again
    s.set_account(acc["AccountId"], bypass_sp=False)
    pc2 = confirmed_pc(s, c)
    with sdk_error(c, "ALIUID.NOT.ALLOW.WITHOUT.SP", 400, NO_SP_MSG):
        lc(c, "EnablePhysicalConnection", pc2, ByPassSp=True)


# ---------------------------------------------------------------- more rules
@pytest.mark.parametrize("bad", [1, 0])
@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_modify_bandwidth_range(server, client_factory, kind, bad):
    """`bandwidth` on ModifyPhysicalConnectionAttribute is 2-10240 Mbit/s (docs/design/circuits.md#modify)."""
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c, PortType="10GBase-LR")
    lc(c, "ModifyPhysicalConnectionAttribute", pc, bandwidth=2)
    assert describe_one(c, pc)["Bandwidth"] == 2
    with sdk_error(c, "InvalidBandwidth", 400, "invalid physical connection banwidth."):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, bandwidth=bad)
    assert describe_one(c, pc)["Bandwidth"] == 2


def test_cancel_voids_an_abnormal_order(server, client_factory):
    acc = server.create_account(balance="10.00")
    c = client_factory("tea-v3", acc)
    pc = confirmed_pc(server, c)
    occupancy(c, pc, InstanceChargeType="PrePaid", AutoPay=True)
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["Abnormal"] is True and o[0]["Status"] == "Unpaid", o
    lc(c, "CancelPhysicalConnection", pc)
    o = server.orders(acc["AccountId"])
    assert len(o) == 1 and o[0]["Status"] == "Cancelled", o
    assert money(server.balance(acc["AccountId"])) == 10_00


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_tags_follow_the_circuit_through_its_life(server, client_factory, kind):
    acc = manual_account(server)
    c = client_factory(kind, acc)
    a = create_pc(c, Name="alpha", Tag=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "net"}])
    b = create_pc(c, Name="beta", Tag=[{"Key": "env", "Value": "prod"}])
    lc(c, "ModifyPhysicalConnectionAttribute", a, Name="alpha_renamed", Description="still tagged")
    lc(c, "CancelPhysicalConnection", b)
    v = describe_one(c, a)
    assert sorted((t["Key"], t["Value"]) for t in v["Tags"]["tags"]) == [("env", "prod"), ("team", "net")], v
    r = c.call("DescribePhysicalConnections", {"RegionId": REGION, "Tags": [{"Key": "env", "Value": "prod"}],
                                               "Filter": [{"Key": "Status", "Value": ["Canceled"]}]}).body
    assert [x["PhysicalConnectionId"] for x in r["PhysicalConnectionSet"]["PhysicalConnectionType"]] == [b], r
    lc(c, "DeletePhysicalConnection", b)
    r = c.call("DescribePhysicalConnections", {"RegionId": REGION, "Tags": [{"Key": "env", "Value": "prod"}]}).body
    assert [x["PhysicalConnectionId"] for x in r["PhysicalConnectionSet"]["PhysicalConnectionType"]] == [a], r
    assert r["TotalCount"] == 1, r


def test_admin_timeline_keeps_same_instant_order(server, client_factory, account):
    c = client_factory("tea-v3", account)
    wrong = []
    for i in range(5):
        pc = create_pc(c, Name="t%d" % i)
        lc(c, "CancelPhysicalConnection", pc)       # same manual-clock instant as the creation
        tl = [e["To"] for e in server.circuit(pc)["Timeline"]]
        if tl != ["Initial", "Canceled"]:
            wrong.append((pc, tl))
    assert not wrong, wrong
