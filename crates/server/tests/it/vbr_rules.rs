//! The rules a VBR's creation checks: the line and its state, the
//! addressing, and the VLAN, which a terminated VBR holds for seven days
//! (docs/design/vbr.md).

use super::vbr::{act, set_line_business, vbr, R};
use crate::common;
use common::*;
use physconn_domain::{BusinessStatus, Status};

#[tokio::test]
async fn create_refusals() {
    let s = TestServer::start_with(|c| c.max_vbrs_per_line = 2).await;
    let line = s.circuit_in(Status::Enabled).await;
    let confirmed = s.circuit_in(Status::Confirmed).await;
    let code = |r: Resp| (r.status, r.code());
    let want = |st: u16, c: &str| (st, c.to_string());
    assert_eq!(
        code(s.create_vbr(&confirmed, "1", &[]).await),
        want(400, "InvalidPhysicalConnectionId.NotEnabled")
    );
    let r = s.create_vbr("pc-bp1nothere000000000000", "1", &[]).await;
    assert_eq!(
        (r.status, r.json()["Message"].as_str()),
        (
            400,
            Some("The specified PhysicalConnectionId is not found.")
        )
    );
    for (vlan, c) in [
        ("3000", "InvalidVlanId.Malformed"),
        ("-1", "InvalidVlanId.Malformed"),
        ("x", "InvalidVlanId.Malformed"),
    ] {
        assert_eq!(
            code(s.create_vbr(&line, vlan, &[]).await),
            want(400, c),
            "{vlan}"
        );
    }
    assert_eq!(
        code(
            s.create_vbr(&line, "1", &[("PeeringSubnetMask", "255.255.0.0")])
                .await
        ),
        want(400, "InvalidPeeringSubnetMask.Malformed")
    );
    assert_eq!(
        code(
            s.create_vbr(&line, "1", &[("PeerGatewayIp", "10.0.1.2")])
                .await
        ),
        want(400, "InvalidIp.NotSameSubnet")
    );
    assert_eq!(
        code(
            s.create_vbr(&line, "1", &[("LocalGatewayIp", "10.0.0.999")])
                .await
        ),
        want(400, "InvalidLocalGatewayIp.Malformed")
    );
    assert_eq!(
        code(s.create_vbr(&line, "1", &[("Name", "1bad")]).await),
        want(400, "InvalidName.Malformed")
    );
    assert_eq!(
        code(s.create_vbr(&line, "1", &[("Bandwidth", "123")]).await),
        want(400, "InvalidParameter")
    );
    let r = s
        .call(
            "CreateVirtualBorderRouter",
            &[R, ("PhysicalConnectionId", &line), ("VlanId", "1")],
        )
        .await;
    assert_eq!(code(r), want(400, "MissingParameter"));
    assert_eq!(
        code(
            s.create_vbr(&line, "1", &[("VbrOwnerId", "1999999999999999")])
                .await
        ),
        want(404, "InvalidVbrOwnerId.NotFound")
    );

    s.new_vbr(&line, "0").await;
    assert_eq!(
        code(s.create_vbr(&line, "0", &[]).await),
        want(400, "InvalidVlanId.Used")
    );
    s.new_vbr(&line, "2999").await;
    assert_eq!(
        code(s.create_vbr(&line, "5", &[]).await),
        want(400, "QuotaExceeded.vbrPerpConn")
    );

    // A locked line: no new VBRs, and its VBRs show the lock.
    set_line_business(&s, &line, BusinessStatus::FinancialLocked).await;
    let other = s.circuit_in(Status::Enabled).await;
    let ok = s.new_vbr(&other, "7").await;
    set_line_business(&s, &other, BusinessStatus::FinancialLocked).await;
    assert_eq!(
        code(s.create_vbr(&other, "8", &[]).await),
        want(400, "InvalidPhysicalConnectionId.NotEnabled")
    );
    let v = vbr(&s, &ok).await;
    assert_eq!(v["PhysicalConnectionBusinessStatus"], "FinancialLocked");
    assert_eq!(v["Status"], "active");
    s.shutdown().await;
}

#[tokio::test]
async fn vlan_rules_and_the_seven_day_hold() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let a = s.new_vbr(&line, "100").await;
    let b = s.new_vbr(&line, "101").await;
    let modify_vlan = |id: String, vlan: &'static str| {
        let s = &s;
        async move {
            s.call(
                "ModifyVirtualBorderRouterAttribute",
                &[R, ("VbrId", &id), ("VlanId", vlan)],
            )
            .await
        }
    };
    assert_eq!(
        modify_vlan(b.clone(), "100").await.code(),
        "InvalidVlanId.Used"
    );
    assert_eq!(modify_vlan(b.clone(), "101").await.status, 200);

    assert_eq!(
        act(&s, "TerminateVirtualBorderRouter", &a).await.status,
        200
    );
    s.advance(1.0).await;
    // Terminated: the VLAN stays taken for 7 days.
    assert_eq!(
        s.create_vbr(&line, "100", &[]).await.code(),
        "InvalidVlanId.Used"
    );
    s.advance(7.0 * 86400.0).await;
    let c = s.new_vbr(&line, "100").await;
    let r = act(&s, "RecoverVirtualBorderRouter", &a).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "OperationFailed.VlanIdAlreadyInUse")
    );
    // Deleting frees it at once.
    assert_eq!(act(&s, "DeleteVirtualBorderRouter", &c).await.status, 200);
    s.advance(1.0).await;
    assert_eq!(act(&s, "RecoverVirtualBorderRouter", &a).await.status, 200);
    s.shutdown().await;
}
