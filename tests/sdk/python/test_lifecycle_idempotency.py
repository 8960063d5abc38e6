"""ClientToken idempotency of the lifecycle and LOA actions (docs/design/decisions.md#idempotency): same token and
same parameters -> the original result again and nothing else happens, even after the state
changed; same token, other parameters -> 400 IdempotentParameterMismatch. Tokens are scoped per
account and action."""
from __future__ import annotations

import uuid

import pytest

from checks import MISMATCH_MSG, NOT_ALLOWED_MSG, describe_one, sdk_error
from flows import complete_params, describe_loa, lc, loa_params, manual_account, pc_in, status_of
from harness import REGION

KINDS = ["tea-v3", "tea-v2", "legacy"]


def token():
    return "tok-" + uuid.uuid4().hex


@pytest.fixture
def mc(server, client_factory, kind):
    """(account, client) with the account in manual provisioning mode."""
    acc = manual_account(server)
    return acc, client_factory(kind, acc)


@pytest.mark.parametrize("kind", KINDS)
def test_modify_replay_changes_nothing_again(server, mc):
    acc, c = mc
    pc = pc_in(server, c, "Initial")
    t = token()
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="first_name", ClientToken=t)
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="second_name")             # no token: applies
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="first_name", ClientToken=t)  # replay: no effect
    assert describe_one(c, pc)["Name"] == "second_name"
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="third_name", ClientToken=t)
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "ModifyPhysicalConnectionAttribute", pc, Name="first_name", Description="extra", ClientToken=t)
    assert describe_one(c, pc)["Name"] == "second_name"


@pytest.mark.parametrize("kind", KINDS)
def test_modify_replay_of_a_rejected_circuit_does_not_resubmit_twice(server, mc):
    acc, c = mc
    pc = pc_in(server, c, "Rejected")
    t = token()
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Description="resubmitted once", ClientToken=t)
    assert status_of(server, pc) == "Initial"
    server.step(pc)
    assert status_of(server, pc) == "Approved"
    lc(c, "ModifyPhysicalConnectionAttribute", pc, Description="resubmitted once", ClientToken=t)
    assert status_of(server, pc) == "Approved"
    assert [e["To"] for e in server.circuit(pc)["Timeline"]].count("Initial") == 2


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_replay(server, mc):
    acc, c = mc
    pc, other = pc_in(server, c, "Confirmed"), pc_in(server, c, "Initial")
    t = token()
    lc(c, "CancelPhysicalConnection", pc, ClientToken=t)
    lc(c, "CancelPhysicalConnection", pc, ClientToken=t)       # replay, though Canceled now
    assert status_of(server, pc) == "Canceled"
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "CancelPhysicalConnection", pc)                   # without the token: the real answer
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "CancelPhysicalConnection", other, ClientToken=t)
    assert status_of(server, other) == "Initial"


@pytest.mark.parametrize("kind", KINDS)
def test_enable_replay(server, mc):
    acc, c = mc
    pc, other = pc_in(server, c, "Confirmed"), pc_in(server, c, "Confirmed")
    t = token()
    lc(c, "EnablePhysicalConnection", pc, ClientToken=t)
    lc(c, "EnablePhysicalConnection", pc, ClientToken=t)
    assert len(server.circuit(pc)["Timers"]) == 1, server.circuit(pc)["Timers"]
    server.step(pc)
    assert status_of(server, pc) == "Enabled"
    lc(c, "EnablePhysicalConnection", pc, ClientToken=t)
    assert [e["To"] for e in server.circuit(pc)["Timeline"]].count("Enabled") == 1
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "EnablePhysicalConnection", other, ClientToken=t)
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "EnablePhysicalConnection", pc, ClientToken=t, ByPassSp=True)
    assert status_of(server, other) == "Confirmed" and not server.circuit(other)["Timers"]


@pytest.mark.parametrize("kind", KINDS)
def test_terminate_replay(server, mc):
    acc, c = mc
    pc, other = pc_in(server, c, "Enabled"), pc_in(server, c, "Enabled")
    t = token()
    lc(c, "TerminatePhysicalConnection", pc, ClientToken=t)
    server.step(pc)
    assert status_of(server, pc) == "Terminated"
    lc(c, "TerminatePhysicalConnection", pc, ClientToken=t)
    assert status_of(server, pc) == "Terminated"
    assert [e["To"] for e in server.circuit(pc)["Timeline"]].count("Terminating") == 1
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "TerminatePhysicalConnection", other, ClientToken=t)
    assert status_of(server, other) == "Enabled"


@pytest.mark.parametrize("kind", KINDS)
def test_delete_replay(server, mc):
    acc, c = mc
    pc, other = pc_in(server, c, "Canceled"), pc_in(server, c, "Allocated")
    t = token()
    lc(c, "DeletePhysicalConnection", pc, ClientToken=t)
    lc(c, "DeletePhysicalConnection", pc, ClientToken=t)       # replay: success, not NotFound
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "DeletePhysicalConnection", other, ClientToken=t)
    assert status_of(server, other) == "Allocated"
    b = c.call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert [x["PhysicalConnectionId"] for x in b["PhysicalConnectionSet"]["PhysicalConnectionType"]] == [other], b


@pytest.mark.parametrize("kind", KINDS)
def test_confirm_replay(server, mc):
    acc, c = mc
    pc, other = pc_in(server, c, "Allocated"), pc_in(server, c, "Allocated")
    t = token()
    lc(c, "ConfirmPhysicalConnection", pc, ClientToken=t)
    lc(c, "ConfirmPhysicalConnection", pc, ClientToken=t)
    assert status_of(server, pc) == "Confirmed"
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        lc(c, "ConfirmPhysicalConnection", other, ClientToken=t)
    assert status_of(server, other) == "Allocated"


@pytest.mark.parametrize("kind", KINDS)
def test_apply_loa_replay(server, mc):
    acc, c = mc
    pc = pc_in(server, c, "Allocated")
    t = token()
    c.call("ApplyPhysicalConnectionLOA", loa_params(pc, ClientToken=t))
    server.step(pc)
    assert describe_loa(c, pc)["Status"] == "Available"
    c.call("ApplyPhysicalConnectionLOA", loa_params(pc, ClientToken=t))   # replay: not back to Applying
    assert describe_loa(c, pc)["Status"] == "Available"
    assert not server.circuit(pc)["Timers"], "the replay scheduled a new review"
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        c.call("ApplyPhysicalConnectionLOA", loa_params(pc, ClientToken=t, CompanyName="Other Company"))
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        c.call("ApplyPhysicalConnectionLOA", loa_params(pc, ClientToken=t, PMInfo=[
            {"PMName": "Someone Else", "PMGender": "Male", "PMCertificateType": "IDCard",
             "PMCertificateNo": "1", "PMContactInfo": "x"}]))


@pytest.mark.parametrize("kind", KINDS)
def test_complete_loa_replay(server, mc):
    acc, c = mc
    pc = pc_in(server, c, "Allocated")
    c.call("ApplyPhysicalConnectionLOA", loa_params(pc))
    server.step(pc)
    t = token()
    c.call("CompletePhysicalConnectionLOA", complete_params(pc, ClientToken=t))
    lc(c, "ConfirmPhysicalConnection", pc)
    assert describe_loa(c, pc)["Status"] == "Complete"
    c.call("CompletePhysicalConnectionLOA", complete_params(pc, ClientToken=t))   # replay: stays Complete
    assert describe_loa(c, pc)["Status"] == "Complete"
    with sdk_error(c, "IdempotentParameterMismatch", 400, MISMATCH_MSG):
        c.call("CompletePhysicalConnectionLOA", complete_params(pc, ClientToken=t, LineCode="LC-0002"))
    assert describe_loa(c, pc)["LineCode"] == "LC-0001"


def test_token_scoped_per_action_and_account(server, client_factory):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    pc = pc_in(server, c, "Confirmed")
    # the same token on two actions: both run
    lc(c, "CancelPhysicalConnection", pc, ClientToken="shared-token")
    lc(c, "DeletePhysicalConnection", pc, ClientToken="shared-token")
    b = c.call("DescribePhysicalConnections", {"RegionId": REGION}).body
    assert b["TotalCount"] == 0, b
    # the same token in another account: independent
    acc2 = manual_account(server)
    c2 = client_factory("tea-v3", acc2)
    pc2 = pc_in(server, c2, "Confirmed")
    lc(c2, "CancelPhysicalConnection", pc2, ClientToken="shared-token")
    assert status_of(server, pc2) == "Canceled"


def test_replay_across_sdks_with_different_boolean_spelling(server, client_factory):
    """Legacy sends ByPassSp=True, Tea V3 sends true: one canonical fingerprint."""
    acc = manual_account(server)
    legacy, v3 = client_factory("legacy", acc), client_factory("tea-v3", acc)
    pc = pc_in(server, v3, "Confirmed")
    lc(legacy, "EnablePhysicalConnection", pc, ByPassSp=True, ClientToken="bool-token")
    lc(v3, "EnablePhysicalConnection", pc, ByPassSp=True, ClientToken="bool-token")
    assert len(server.circuit(pc)["Timers"]) == 1


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_too_long_token_rejected_for_lifecycle_actions(server, client_factory, kind):
    acc = manual_account(server)
    c = client_factory(kind, acc)
    pc = pc_in(server, c, "Confirmed")
    for action, extra in [("ModifyPhysicalConnectionAttribute", {"Name": "x_name"}), ("EnablePhysicalConnection", {}),
                          ("CancelPhysicalConnection", {}), ("DeletePhysicalConnection", {})]:
        with sdk_error(c, "IllegalParam.ClientToken", 400,
                       "Token verify failed because client token length too long."):
            lc(c, action, pc, ClientToken="a" * 65, **extra)
    assert status_of(server, pc) == "Confirmed" and describe_one(c, pc)["Name"] == "sdk-test"


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_failed_call_is_not_remembered(server, client_factory, kind):
    """Only successes are stored (docs/design/decisions.md#idempotency): a token whose first use failed works once the state allows it."""
    acc = manual_account(server)
    c = client_factory(kind, acc)
    pc = pc_in(server, c, "Allocating")
    t = token()
    with sdk_error(c, "Forbidden.NotAllowedInState", 400, NOT_ALLOWED_MSG):
        lc(c, "CancelPhysicalConnection", pc, ClientToken=t)
    server.step(pc)
    assert status_of(server, pc) == "Allocated"
    lc(c, "CancelPhysicalConnection", pc, ClientToken=t)
    assert status_of(server, pc) == "Canceled"
    # and a failed first use does not pin the parameters either
    pc2 = pc_in(server, c, "Initial")
    t2 = token()
    with sdk_error(c, "InvalidName.Malformed", 400):
        lc(c, "ModifyPhysicalConnectionAttribute", pc2, Name="9bad", ClientToken=t2)
    lc(c, "ModifyPhysicalConnectionAttribute", pc2, Name="good_name", ClientToken=t2)
    assert describe_one(c, pc2)["Name"] == "good_name"
