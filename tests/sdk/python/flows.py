"""Shared flows for the lifecycle tests (docs/design/circuits.md): bring a circuit to any Status
through the SDK (the user's actions) and the admin API (the provider's steps), and call the
lifecycle/LOA actions with their wire parameter names."""
from __future__ import annotations

from checks import REQUEST_ID_RE, create_pc, occupancy
from harness import REGION

ALL_STATES = ["Initial", "Approved", "Allocating", "Allocated", "Confirmed", "Enabled", "Rejected", "Canceled",
              "Allocation Failed", "Terminating", "Terminated"]

UNKNOWN_PC = "pc-bp1doesnotexist000000"

RECOVER_STATUS_MSG = "The status of %s is incorrect."
RESOURCE_NOT_FOUND_MSG = "The specified resource %s is not found."
NO_SP_MSG = "AliUid not allow direct enable physical connection"
LOA_NOT_COMPLETE_MSG = "The operation is not allowed because of LOAStatusNotAllowComplete."

SETUP_PRICES = {"1000Base-LX": 2000_00, "1000Base-T": 2000_00, "10GBase-LR": 5000_00, "40GBase-LR": 10000_00,
                "100GBase-LR": 20000_00}


def manual_account(server, balance="10000.00"):
    """A fresh account whose circuits move only when the admin API steps them."""
    acc = server.create_account(balance=balance)
    server.set_account(acc["AccountId"], provisioning_mode="manual")
    return acc


def status_of(server, pc):
    return server.circuit(pc)["Status"]


def lc(client, action, pc, **extra):
    """One lifecycle call on circuit `pc` (RegionId + PhysicalConnectionId + extra wire params)."""
    p = {"RegionId": REGION, "PhysicalConnectionId": pc}
    p.update({k: v for k, v in extra.items() if v is not None})
    r = client.call(action, p)
    assert REQUEST_ID_RE.match((r.body or {}).get("RequestId") or ""), r.body
    return r


def _step_to(server, pc, status, max_steps=3):
    for _ in range(max_steps):
        if status_of(server, pc) == status:
            return
        server.step(pc)
    assert status_of(server, pc) == status, server.circuit(pc)


def pc_in(server, client, status, **over):
    """A circuit of `client`'s account in `status`. User actions go through `client` (the SDK under
    test), provider steps through POST /admin/physical-connections/{id}/advance, failures through
    POST /admin/faults (scope circuit)."""
    if status in ("Initial", "Approved", "Allocating", "Allocated", "Rejected", "Allocation Failed", "Canceled"):
        pc = create_pc(client, **over)
        assert status_of(server, pc) == "Initial"
        if status == "Rejected":
            server.add_fault("circuit", "Rejected", target=pc)
            server.step(pc)
        elif status == "Allocation Failed":
            _step_to(server, pc, "Allocating")
            server.add_fault("circuit", "Allocation Failed", target=pc)
            server.step(pc)
        elif status == "Canceled":
            lc(client, "CancelPhysicalConnection", pc)
        elif status != "Initial":
            _step_to(server, pc, status)
    elif status == "Confirmed":
        pc = create_pc(client, **over)
        _step_to(server, pc, "Allocated")
        lc(client, "ConfirmPhysicalConnection", pc)
    elif status in ("Enabled", "Terminating", "Terminated"):
        pc = create_pc(client, **over)
        _step_to(server, pc, "Allocated")
        lc(client, "ConfirmPhysicalConnection", pc)
        occupancy(client, pc, InstanceChargeType="PrePaid", AutoPay=True)
        server.step(pc)        # the provider activates the paid circuit
        if status != "Enabled":
            lc(client, "TerminatePhysicalConnection", pc)
            if status == "Terminated":
                server.step(pc)
    else:
        raise ValueError(status)
    got = status_of(server, pc)
    assert got == status, "could not bring %s to %s (it is %s): %s" % (pc, status, got, server.circuit(pc))
    return pc


# ------------------------------------------------------------------ LOA
def loa_params(pc, **over):
    p = {"RegionId": REGION, "InstanceId": pc, "CompanyName": "Example Networks Co., Ltd.", "LineType": "MSTP",
         "Si": "Example Construction Co.", "ConstructionTime": "2030-01-15T02:00:00Z", "Bandwidth": 1000,
         "PeerLocation": "Hangzhou, Room 1",
         "PMInfo": [{"PMName": "Zhang San", "PMGender": "Male", "PMCertificateType": "IDCard",
                     "PMCertificateNo": "330100199001011234", "PMContactInfo": "13800000000"},
                    {"PMName": "Jane Roe", "PMGender": "Female", "PMCertificateType": "Passport",
                     "PMCertificateNo": "E12345678", "PMContactInfo": "jane@example.com"}]}
    p.update(over)
    return {k: v for k, v in p.items() if v is not None}


def describe_loa(client, pc):
    r = client.call("DescribePhysicalConnectionLOA", {"RegionId": REGION, "InstanceId": pc})
    assert REQUEST_ID_RE.match(r.body.get("RequestId") or ""), r.body
    loa = r.body.get("PhysicalConnectionLOAType")
    assert isinstance(loa, dict), "no PhysicalConnectionLOAType in %r" % r.body
    return loa


def complete_params(pc, **over):
    p = {"RegionId": REGION, "InstanceId": pc, "LineCode": "LC-0001", "LineLabel": "label-A1",
         "LineServiceProvider": "中国电信", "LineSPContactInfo": "Li Si 13900000000", "FinishWork": True}
    p.update(over)
    return {k: v for k, v in p.items() if v is not None}
