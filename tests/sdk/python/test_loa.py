"""The letter-of-authorization sub-flow through the SDKs (docs/design/circuits.md#loa):
ApplyPhysicalConnectionLOA -> Applying -> (provider) Available -> CompletePhysicalConnectionLOA ->
Completing -> ConfirmPhysicalConnection -> Complete; DescribePhysicalConnectionLOA;
SecondApplyPhysicalConnectionLOA only for a Rejected LOA."""
from __future__ import annotations

import pytest

from checks import create_pc, describe_one, sdk_error
from flows import (ALL_STATES, LOA_NOT_COMPLETE_MSG, UNKNOWN_PC, complete_params, describe_loa, lc, loa_params,
                   manual_account, pc_in)
from harness import REGION

APPLY_OK = {"Initial", "Approved", "Allocating", "Allocated"}


def apply_loa(client, pc, **over):
    r = client.call("ApplyPhysicalConnectionLOA", loa_params(pc, **over))
    assert set(r.body) == {"RequestId"}, r.body
    return r


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_loa_full_flow(server, client_factory, kind):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        describe_loa(c, pc)
    assert not describe_one(c, pc).get("LoaStatus"), "no LoaStatus before any application"

    apply_loa(c, pc)
    loa = describe_loa(c, pc)
    assert loa["InstanceId"] == pc and loa["Status"] == "Applying", loa
    assert loa["CompanyName"] == "Example Networks Co., Ltd." and loa["SI"] == "Example Construction Co.", loa
    assert loa["LineType"] == "MSTP" and loa["ConstructionTime"] == "2030-01-15T02:00:00Z", loa
    assert "LoaUrl" in loa, loa
    pms = loa["PMInfo"]["PMInfo"]
    assert [(p["PMName"], p["PMGender"], p["PMCertificateType"], p["PMCertificateNo"], p["PMContactInfo"])
            for p in pms] == [("Zhang San", "Male", "IDCard", "330100199001011234", "13800000000"),
                              ("Jane Roe", "Female", "Passport", "E12345678", "jane@example.com")], pms
    assert describe_one(c, pc)["LoaStatus"] == "Applying"

    # not completable while under review
    with sdk_error(c, "OperationDenied.LOAStatusNotAllowComplete", 400, LOA_NOT_COMPLETE_MSG):
        c.call("CompletePhysicalConnectionLOA", complete_params(pc))

    # the provider approves one step later
    server.advance(1)
    loa = describe_loa(c, pc)
    assert loa["Status"] == "Available", loa
    assert describe_one(c, pc)["LoaStatus"] == "Available"

    r = c.call("CompletePhysicalConnectionLOA", complete_params(pc))
    assert set(r.body) == {"RequestId"}, r.body
    loa = describe_loa(c, pc)
    assert loa["Status"] == "Completing", loa
    assert (loa["LineCode"], loa["LineLabel"], loa["LineServiceProvider"], loa["LineSPContactInfo"]) == (
        "LC-0001", "label-A1", "中国电信", "Li Si 13900000000"), loa
    assert loa["CompanyName"] == "Example Networks Co., Ltd.", loa
    assert describe_one(c, pc)["LoaStatus"] == "Completing"

    server.wait_status(pc, "Allocated")
    lc(c, "ConfirmPhysicalConnection", pc)
    assert describe_loa(c, pc)["Status"] == "Complete"
    v = describe_one(c, pc)
    assert v["Status"] == "Confirmed" and v["LoaStatus"] == "Complete", v

    # Complete is allowed again on a Complete LOA (line O&M update)
    c.call("CompletePhysicalConnectionLOA", complete_params(pc, LineServiceProvider="中国联通", FinishWork=False))
    loa = describe_loa(c, pc)
    assert loa["Status"] == "Completing" and loa["LineServiceProvider"] == "中国联通", loa


@pytest.mark.parametrize("state", ALL_STATES)
def test_apply_allowed_states(server, client_factory, state):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    pc = pc_in(server, c, state)
    if state in APPLY_OK:
        apply_loa(c, pc)
        assert describe_loa(c, pc)["Status"] == "Applying"
        server.step(pc)      # manual mode: the LOA review is a pending provider step too
    else:
        with sdk_error(c, "IncorrectStatus.PhysicalConnection", 400):
            apply_loa(c, pc)
        with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
            describe_loa(c, pc)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
@pytest.mark.parametrize("over,code", [
    ({"LineType": "SDWAN"}, "IllegalParam.LineType"),
    ({"ConstructionTime": "2030-01-15 02:00:00"}, "InvalidConstructionTime.Malformed"),
    ({"ConstructionTime": "15/01/2030"}, "InvalidConstructionTime.Malformed"),
    ({"PMInfo": [{"PMName": "A B", "PMGender": "Male", "PMCertificateType": "DriverLicense",
                  "PMCertificateNo": "1", "PMContactInfo": "x"}]}, "IllegalParam.PmCertificateType"),
    ({"PMInfo": [{"PMName": "A B", "PMGender": "Robot", "PMCertificateType": "IDCard",
                  "PMCertificateNo": "1", "PMContactInfo": "x"}]}, "IllegalParam.PmGender"),
])
def test_apply_parameter_errors(server, client_factory, kind, over, code):
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    with sdk_error(c, code, 400):
        apply_loa(c, pc, **over)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        describe_loa(c, pc)


@pytest.mark.parametrize("bandwidth", [1, 10241])
def test_apply_bandwidth_range(server, client_factory, bandwidth):
    acc = server.create_account()
    c = client_factory("tea-v3", acc)
    pc = create_pc(c)
    with sdk_error(c, "IllegalParam.Bandwidth", 400, "The param of bandwidth is illegal."):
        apply_loa(c, pc, Bandwidth=bandwidth)
    for ok in (2, 10240):
        pc2 = create_pc(c)
        apply_loa(c, pc2, Bandwidth=ok)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_loa_unknown_instance(server, client_factory, account, kind):
    c = client_factory(kind, account)
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        apply_loa(c, UNKNOWN_PC)
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        c.call("SecondApplyPhysicalConnectionLOA", loa_params(UNKNOWN_PC))
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        describe_loa(c, UNKNOWN_PC)
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        c.call("CompletePhysicalConnectionLOA", complete_params(UNKNOWN_PC))
    # another account's circuit is unknown too
    pc = create_pc(client_factory("tea-v3", server.create_account()))
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        apply_loa(c, pc)


@pytest.mark.parametrize("kind", ["tea-v3", "legacy"])
def test_complete_without_loa_denied(server, client_factory, account, kind):
    c = client_factory(kind, account)
    pc = create_pc(c)
    with sdk_error(c, "OperationDenied.LOAStatusNotAllowComplete", 400, LOA_NOT_COMPLETE_MSG):
        c.call("CompletePhysicalConnectionLOA", complete_params(pc))
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        describe_loa(c, pc)


@pytest.mark.parametrize("kind", ["tea-v3", "tea-v2", "legacy"])
def test_second_apply_only_for_a_rejected_loa(server, client_factory, kind):
    """No LOA yet, Applying, Available, Completing: SecondApply is refused and changes nothing."""
    acc = server.create_account()
    c = client_factory(kind, acc)
    pc = create_pc(c)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        c.call("SecondApplyPhysicalConnectionLOA", loa_params(pc))
    apply_loa(c, pc)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        c.call("SecondApplyPhysicalConnectionLOA", loa_params(pc, CompanyName="Second Try Ltd"))
    server.advance(1)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        c.call("SecondApplyPhysicalConnectionLOA", loa_params(pc, CompanyName="Second Try Ltd"))
    c.call("CompletePhysicalConnectionLOA", complete_params(pc))
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        c.call("SecondApplyPhysicalConnectionLOA", loa_params(pc, CompanyName="Second Try Ltd"))
    loa = describe_loa(c, pc)
    assert loa["Status"] == "Completing" and loa["CompanyName"] == "Example Networks Co., Ltd.", loa


def test_loa_review_follows_the_manual_provisioning_mode(server, client_factory):
    acc = manual_account(server)
    c = client_factory("tea-v3", acc)
    pc = create_pc(c)
    apply_loa(c, pc, LineType="FIBRE", PMInfo=None)
    server.advance(30)
    loa = describe_loa(c, pc)
    assert loa["Status"] == "Applying" and loa["LineType"] == "FIBRE", loa
    # the admin API performs the pending steps one by one (the circuit's review and the LOA's)
    for _ in range(4):
        if describe_loa(c, pc)["Status"] == "Available":
            break
        server.step(pc)
    assert describe_loa(c, pc)["Status"] == "Available"


def test_loa_other_region_not_found(server, client_factory, account):
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    regions = [r["RegionId"] for r in c.call("DescribeRegions", {}).body["Regions"]["Region"]]
    other = next(r for r in regions if r != REGION)
    with sdk_error(c, "InvalidInstanceId.NotFound", 400):
        c.call("ApplyPhysicalConnectionLOA", loa_params(pc, RegionId=other))


@pytest.mark.parametrize("bad", ["2030-01-15T02:00Z", "2030-01-15T10:00:00+08:00", "2030-02-30T02:00:00Z",
                                 "2030-01-15T02:00:00.000Z"])
def test_construction_time_must_be_exactly_seconds_and_z(server, client_factory, account, bad):
    """ConstructionTime is YYYY-MM-DDThh:mm:ssZ (docs/design/circuits.md#loa); other ISO 8601 spellings are malformed."""
    c = client_factory("tea-v3", account)
    pc = create_pc(c)
    with sdk_error(c, "InvalidConstructionTime.Malformed", 400):
        apply_loa(c, pc, ConstructionTime=bad)
    with sdk_error(c, "IncorrectStatus.PhysicalConnectionLOA", 400):
        describe_loa(c, pc)
