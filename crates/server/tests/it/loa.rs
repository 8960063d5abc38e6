//! The LOA sub-flow of a physical connection (docs/design/circuits.md):
//! apply, review, reject and apply again, and the states that allow it.

use crate::common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn loa_sub_flow() {
    let s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    let apply = [
        ("RegionId", "cn-hangzhou"),
        ("InstanceId", id.as_str()),
        ("CompanyName", "ACME"),
        ("LineType", "MSTP"),
        ("Si", "si-42"),
        ("ConstructionTime", "2026-12-01T00:00:00Z"),
        ("Bandwidth", "100"),
        ("PMInfo.1.PMName", "Zhang San"),
        ("PMInfo.1.PMCertificateType", "IDCard"),
        ("PMInfo.1.PMCertificateNo", "110101199001011234"),
        ("PMInfo.1.PMContactInfo", "13800000000"),
        ("PMInfo.1.PMGender", "Male"),
    ];
    let loa = [("RegionId", "cn-hangzhou"), ("InstanceId", id.as_str())];
    let r = s.call("DescribePhysicalConnectionLOA", &loa).await;
    assert_eq!(r.code(), "IncorrectStatus.PhysicalConnectionLOA");
    let mut bad = apply.to_vec();
    bad[3] = ("LineType", "Pigeon");
    assert_eq!(
        s.call("ApplyPhysicalConnectionLOA", &bad).await.code(),
        "IllegalParam.LineType"
    );
    bad[3] = ("LineType", "MSTP");
    bad[5] = ("ConstructionTime", "tomorrow");
    assert_eq!(
        s.call("ApplyPhysicalConnectionLOA", &bad).await.code(),
        "InvalidConstructionTime.Malformed"
    );
    // Each refused field answers its own code and names itself in the message.
    let long = "x".repeat(129);
    for (field, value, code) in [
        ("CompanyName", long.as_str(), "IllegalParam.CompanyName"),
        ("Si", long.as_str(), "IllegalParam.Si"),
        ("PeerLocation", "a\u{1}b", "IllegalParam.PeerLocation"),
    ] {
        let mut bad: Vec<_> = apply.iter().filter(|(k, _)| *k != field).copied().collect();
        bad.push((field, value));
        let e = s.call("ApplyPhysicalConnectionLOA", &bad).await.json();
        assert_eq!(
            (e["Code"].as_str(), e["Message"].as_str()),
            (
                Some(code),
                Some(format!("The param of {field} is illegal.").as_str())
            ),
        );
    }
    for (field, code) in [
        ("LineLabel", "IllegalParam.LineLabel"),
        ("LineSPContactInfo", "IllegalParam.LineSPContactInfo"),
    ] {
        let e = s
            .call(
                "CompletePhysicalConnectionLOA",
                &[loa[0], loa[1], (field, &long)],
            )
            .await
            .json();
        assert_eq!(
            (e["Code"].as_str(), e["Message"].as_str()),
            (Some(code), Some(format!("{field} is illegal.").as_str())),
        );
    }
    assert_eq!(
        s.call("ApplyPhysicalConnectionLOA", &apply).await.status,
        200
    );
    assert_eq!(s.describe(&id).await["LoaStatus"], "Applying");
    assert_eq!(
        s.call("CompletePhysicalConnectionLOA", &loa).await.code(),
        "OperationDenied.LOAStatusNotAllowComplete"
    );
    s.advance(3.0).await;
    let c = s.describe(&id).await;
    assert_eq!(
        (c["Status"].as_str(), c["LoaStatus"].as_str()),
        (Some("Allocated"), Some("Available"))
    );
    let d = s.call("DescribePhysicalConnectionLOA", &loa).await.json();
    let l = &d["PhysicalConnectionLOAType"];
    assert_eq!(
        (l["Status"].as_str(), l["SI"].as_str()),
        (Some("Available"), Some("si-42"))
    );
    assert_eq!(l["PMInfo"]["PMInfo"][0]["PMName"], "Zhang San");
    let mut complete = loa.to_vec();
    complete.extend([
        ("LineCode", "lc-1"),
        ("LineServiceProvider", "中国电信"),
        ("FinishWork", "true"),
    ]);
    assert_eq!(
        s.call("CompletePhysicalConnectionLOA", &complete)
            .await
            .status,
        200
    );
    assert_eq!(s.describe(&id).await["LoaStatus"], "Completing");
    let r = s
        .call(
            "ConfirmPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
        )
        .await;
    assert_eq!(r.status, 200);
    let c = s.describe(&id).await;
    assert_eq!(
        (c["Status"].as_str(), c["LoaStatus"].as_str()),
        (Some("Confirmed"), Some("Complete"))
    );
    let r = s
        .call(
            "DescribePhysicalConnectionLOA",
            &[("RegionId", "cn-hangzhou"), ("InstanceId", "pc-zz")],
        )
        .await;
    assert_eq!(r.code(), "InvalidInstanceId.NotFound");
    s.shutdown().await;
}

#[tokio::test]
async fn a_rejected_loa_is_applied_for_again() {
    let s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    let apply = [
        ("RegionId", "cn-hangzhou"),
        ("InstanceId", id.as_str()),
        ("CompanyName", "ACME"),
        ("LineType", "FIBRE"),
        ("Si", "si-1"),
        ("ConstructionTime", "2026-12-01T00:00:00Z"),
    ];
    assert_eq!(
        s.call("ApplyPhysicalConnectionLOA", &apply).await.status,
        200
    );
    assert_eq!(
        s.call("SecondApplyPhysicalConnectionLOA", &apply)
            .await
            .code(),
        "IncorrectStatus.PhysicalConnectionLOA"
    );
    let (st, _) = s
        .admin(
            "POST",
            &format!("/admin/physical-connections/{id}/loa"),
            Some(json!({"status": "Rejected"})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(s.describe(&id).await["LoaStatus"], "Rejected");
    s.advance(5.0).await;
    assert_eq!(
        s.describe(&id).await["LoaStatus"],
        "Rejected",
        "the review timer was withdrawn"
    );
    assert_eq!(
        s.call("SecondApplyPhysicalConnectionLOA", &apply)
            .await
            .status,
        200
    );
    assert_eq!(s.describe(&id).await["LoaStatus"], "Applying");
    let (st, _) = s
        .admin(
            "POST",
            &format!("/admin/physical-connections/{id}/loa"),
            Some(json!({"status": "Available"})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(s.describe(&id).await["LoaStatus"], "Available");
    s.shutdown().await;
}
