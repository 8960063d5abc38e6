//! Virtual border routers through the whole pipeline: the lifecycle end to
//! end with the line, the exact object and its JSON types, the (status ×
//! action) matrix, VLAN and addressing rules, tenancy and ClientToken
//! (docs/design/vbr.md).

use crate::common;
use common::*;
use physconn_domain::vbr::{Vbr, VbrStatus};
use physconn_domain::{BusinessStatus, Status};
use serde_json::{json, Value};

pub(crate) const R: (&str, &str) = ("RegionId", "cn-hangzhou");

/// The VBR as DescribeVirtualBorderRouters shows it by id, or `Null`.
pub(crate) async fn vbr(s: &TestServer, id: &str) -> Value {
    let r = s
        .call(
            "DescribeVirtualBorderRouters",
            &[
                R,
                ("IncludeCrossAccountVbr", "true"),
                ("Filter.1.Key", "VbrId"),
                ("Filter.1.Value.1", id),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let list = v["VirtualBorderRouterSet"]["VirtualBorderRouterType"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(list.len() <= 1, "{v}");
    list.into_iter().next().unwrap_or(Value::Null)
}

pub(crate) async fn act(s: &TestServer, action: &str, id: &str) -> Resp {
    s.call(action, &[R, ("VbrId", id)]).await
}

/// Rewrites a stored VBR (the starting point of state tests).
pub(crate) async fn set_vbr(
    s: &TestServer,
    id: &str,
    f: impl Fn(&mut Vbr) + Send + Sync + 'static,
) {
    let state = s.r().state.clone();
    let id = id.to_string();
    let f = std::sync::Arc::new(f);
    physconn_store::write(&*state.store, move |tx| {
        let (id, f) = (id.clone(), f.clone());
        Box::pin(async move {
            let mut v = tx.vbrs().get_vbr(&id).await?.expect("vbr");
            f(&mut v);
            tx.vbrs().update_vbr(&v).await?;
            Ok(())
        })
    })
    .await
    .expect("update");
}

pub(crate) async fn set_line_business(s: &TestServer, id: &str, b: BusinessStatus) {
    let state = s.r().state.clone();
    let id = id.to_string();
    physconn_store::write(&*state.store, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            let mut c = tx.get_circuit(&id).await?.expect("line");
            c.business_status = b;
            tx.update_circuit(&c).await
        })
    })
    .await
    .expect("update");
}

#[tokio::test]
async fn lifecycle_with_the_line() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let r = s
        .create_vbr(
            &line,
            "10",
            &[
                ("Name", "vbr-one"),
                ("Tags.1.Key", "env"),
                ("Tags.1.Value", "ci"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "ignored"),
                ("Tag.2.Key", "team"),
                ("Tag.2.Value", "net"),
                ("ResourceGroupId", "rg-acfmtest"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json()["VbrId"].as_str().unwrap().to_string();
    assert!(id.starts_with("vbr-bp1") && id.len() == 25, "{id}");

    let v = vbr(&s, &id).await;
    assert_eq!(v["Status"], "active");
    assert_eq!(v["Type"], "pconnVBR");
    assert_eq!(v["PhysicalConnectionId"], line.as_str());
    assert_eq!(v["PhysicalConnectionStatus"], "Enabled");
    assert_eq!(v["PhysicalConnectionBusinessStatus"], "Normal");
    assert_eq!(v["VlanId"], json!(10));
    assert_eq!(v["Bandwidth"], json!(100));
    assert_eq!(v["EnableIpv6"], json!(false));
    assert_eq!(v["SitelinkEnable"], json!(false));
    assert_eq!(v["DetectMultiplier"], json!(3));
    assert_eq!(v["MinRxInterval"], json!(300));
    assert_eq!(v["MinTxInterval"], json!(300));
    assert_eq!(v["Mtu"], json!(1500));
    assert!(v["PhysicalConnectionOwnerUid"].is_string());
    assert!(v["RouteTableId"].as_str().unwrap().starts_with("vtb-"));
    assert!(v["VlanInterfaceId"].as_str().unwrap().starts_with("ri-"));
    assert_eq!(v["ResourceGroupId"], "rg-acfmtest");
    assert_eq!(v["CreationTime"], v["ActivationTime"]);
    assert_eq!(v["TerminationTime"], "");
    assert_eq!(
        v["Tags"],
        json!({"Tags": [{"Key": "env", "Value": "ci"}, {"Key": "team", "Value": "net"}]})
    );
    assert_eq!(
        v["AssociatedPhysicalConnections"],
        json!({"AssociatedPhysicalConnection": []})
    );

    // Modify, resending its own VLAN as the provider does.
    let r = s
        .call(
            "ModifyVirtualBorderRouterAttribute",
            &[
                R,
                ("VbrId", &id),
                ("VlanId", "10"),
                ("LocalGatewayIp", "192.168.7.1"),
                ("PeerGatewayIp", "192.168.7.200"),
                ("PeeringSubnetMask", "255.255.255.0"),
                ("Mtu", "1500"),
                ("MinRxInterval", "500"),
                ("SitelinkEnable", "true"),
                ("Description", "modified VBR"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = vbr(&s, &id).await;
    assert_eq!(v["PeerGatewayIp"], "192.168.7.200");
    assert_eq!(v["MinRxInterval"], json!(500));
    assert_eq!(v["SitelinkEnable"], json!(true));
    assert_eq!(v["Description"], "modified VBR");
    assert_eq!(v["Name"], "vbr-one");

    // The line cannot go while it has a VBR, in any status.
    let t = s
        .call(
            "TerminatePhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await;
    assert_eq!(
        (t.status, t.code().as_str()),
        (400, "Forbidden.VbrAttached")
    );

    assert_eq!(
        act(&s, "TerminateVirtualBorderRouter", &id).await.status,
        200
    );
    assert_eq!(vbr(&s, &id).await["Status"], "terminating");
    s.advance(1.0).await;
    let v = vbr(&s, &id).await;
    assert_eq!(v["Status"], "terminated");
    assert_ne!(v["TerminationTime"], "");
    let t = s
        .call(
            "TerminatePhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await;
    assert_eq!(t.code(), "Forbidden.VbrAttached");

    assert_eq!(act(&s, "RecoverVirtualBorderRouter", &id).await.status, 200);
    assert_eq!(vbr(&s, &id).await["Status"], "recovering");
    s.advance(1.0).await;
    let v = vbr(&s, &id).await;
    assert_eq!(v["Status"], "active");
    assert_ne!(v["RecoveryTime"], "");

    assert_eq!(act(&s, "DeleteVirtualBorderRouter", &id).await.status, 200);
    assert_eq!(vbr(&s, &id).await["Status"], "deleting");
    s.advance(1.0).await;
    assert_eq!(vbr(&s, &id).await, Value::Null);
    let again = act(&s, "DeleteVirtualBorderRouter", &id).await;
    assert_eq!(
        (
            again.status,
            again.code().as_str(),
            again.json()["Message"].as_str()
        ),
        (
            404,
            "InvalidVbrId.NotFound",
            Some("The specified VirutalBorderRouter does not exist in our records.")
        )
    );
    let t = s
        .call(
            "TerminatePhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    s.shutdown().await;
}

#[tokio::test]
async fn status_action_matrix() {
    let s = TestServer::start_with(|c| c.max_vbrs_per_line = 100).await;
    let line = s.circuit_in(Status::Enabled).await;
    let actions = [
        ("TerminateVirtualBorderRouter", VbrStatus::Terminating),
        ("RecoverVirtualBorderRouter", VbrStatus::Recovering),
        ("DeleteVirtualBorderRouter", VbrStatus::Deleting),
        ("ModifyVirtualBorderRouterAttribute", VbrStatus::Active),
    ];
    let mut vlan = 0;
    for from in VbrStatus::ALL {
        for (action, to) in actions {
            vlan += 1;
            let id = s.new_vbr(&line, &vlan.to_string()).await;
            let from = *from;
            set_vbr(&s, &id, move |v| v.status = from).await;
            let r = match action {
                "ModifyVirtualBorderRouterAttribute" => {
                    s.call(action, &[R, ("VbrId", &id), ("Name", "renamed")])
                        .await
                }
                _ => act(&s, action, &id).await,
            };
            use VbrStatus::*;
            let allowed = match action {
                "TerminateVirtualBorderRouter" => from == Active,
                "RecoverVirtualBorderRouter" => from == Terminated,
                _ => matches!(from, Unconfirmed | Active | Terminated),
            };
            if allowed {
                assert_eq!(r.status, 200, "{action} from {from}: {}", r.text);
                let want = if action == "ModifyVirtualBorderRouterAttribute" {
                    from
                } else {
                    to
                };
                assert_eq!(
                    vbr(&s, &id).await["Status"],
                    want.as_str(),
                    "{action} {from}"
                );
            } else {
                assert_eq!(
                    (r.status, r.code().as_str()),
                    (400, "InvalidOperation.OperationNotAllowedInState"),
                    "{action} from {from}"
                );
                assert_eq!(vbr(&s, &id).await["Status"], from.as_str());
            }
            // Leave no VBR half-way: park it terminated.
            set_vbr(&s, &id, |v| v.status = VbrStatus::Terminated).await;
            s.advance(1.0).await;
        }
    }
    s.shutdown().await;
}

#[tokio::test]
async fn tenancy_paging_filters_and_tokens() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    // The provider's tokens are cut to exactly 64 characters.
    let tok: String = "TF-CreateVirtualBorderRouter-1700000000-0123456789abcdef0123456789abcdef"
        .chars()
        .take(64)
        .collect();
    assert_eq!(tok.len(), 64);
    let token = [("ClientToken", tok.as_str())];
    let first = s.create_vbr(&line, "5", &token).await;
    let again = s.create_vbr(&line, "5", &token).await;
    assert_eq!(first.json()["VbrId"], again.json()["VbrId"]);
    let other = s.create_vbr(&line, "6", &token).await;
    assert_eq!(other.code(), "IdempotentParameterMismatch");
    let a = first.json()["VbrId"].as_str().unwrap().to_string();
    for vlan in 6..9 {
        s.advance(1.0).await;
        s.new_vbr(&line, &vlan.to_string()).await;
    }

    let page = s
        .call(
            "DescribeVirtualBorderRouters",
            &[R, ("PageSize", "2"), ("PageNumber", "2")],
        )
        .await
        .json();
    assert_eq!(page["TotalCount"], json!(4));
    assert_eq!(page["PageNumber"], json!(2));
    let items = page["VirtualBorderRouterSet"]["VirtualBorderRouterType"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["VbrId"], a.as_str(), "newest first");
    let by = |k: &'static str, v: &'static str| {
        let s = &s;
        async move {
            s.call(
                "DescribeVirtualBorderRouters",
                &[R, ("Filter.1.Key", k), ("Filter.1.Value.1", v)],
            )
            .await
        }
    };
    assert_eq!(by("status", "Active").await.json()["TotalCount"], json!(4));
    assert_eq!(
        by("Status", "terminated").await.json()["TotalCount"],
        json!(0)
    );
    assert_eq!(by("type", "pconnVBR").await.json()["TotalCount"], json!(4));
    let bad = by("Bandwidth", "1").await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (404, "InvalidFilterKey.ValueNotSupported")
    );

    let for_line = s
        .call(
            "DescribeVirtualBorderRoutersForPhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await
        .json();
    let set = &for_line["VirtualBorderRouterForPhysicalConnectionSet"]
        ["VirtualBorderRouterForPhysicalConnectionType"];
    assert_eq!(set.as_array().unwrap().len(), 4);
    assert_eq!(set[0]["Bandwidth"], json!("100"));
    assert!(set[0].get("VbrOwnerUid").is_none());

    // Another account sees none of it.
    let other = s.account_keys("other", "100.00").await;
    let creds = other.creds();
    let r = s
        .call_as(
            &creds,
            "ModifyVirtualBorderRouterAttribute",
            &[R, ("VbrId", &a), ("Name", "mine")],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidVbrId.NotFound")
    );
    let r = s
        .call_as(
            &creds,
            "DescribeVirtualBorderRoutersForPhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["Message"].as_str()),
        (
            404,
            Some("The specified PhysicalConnectionId does not belong to user.")
        )
    );
    let r = s
        .call_as(
            &creds,
            "DescribeVirtualBorderRouters",
            &[R, ("Filter.1.Key", "VbrId"), ("Filter.1.Value.1", &a)],
        )
        .await;
    assert_eq!(r.json()["TotalCount"], json!(0));
    s.shutdown().await;
}

#[tokio::test]
async fn manual_mode_parks_vbr_steps() {
    let s = TestServer::start_with(|c| c.provisioning = physconn_domain::ProvisioningMode::Manual)
        .await;
    let line = s.circuit_in(Status::Enabled).await;
    let id = s.new_vbr(&line, "9").await;
    assert_eq!(
        act(&s, "TerminateVirtualBorderRouter", &id).await.status,
        200
    );
    s.advance(86400.0).await;
    assert_eq!(vbr(&s, &id).await["Status"], "terminating");
    s.shutdown().await;
}

/// A VBR made for another account: each owner sets only its own parameters,
/// and the line's deletion waits for its VBRs.
#[tokio::test]
async fn cross_account_rules() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let acct = s.create_account("owner", "100.00").await;
    let owner_id = acct["AccountId"].as_str().unwrap().to_string();
    let key = acct["AccessKeyId"].as_str().unwrap().to_string();
    let secret = acct["AccessKeySecret"].as_str().unwrap().to_string();
    let owner = physconn_wire::ClientCredentials {
        access_key_id: &key,
        access_key_secret: &secret,
        security_token: None,
    };
    let r = s
        .create_vbr(&line, "1", &[("PeerGatewayIp", "10.0.0.1")])
        .await;
    assert_eq!(r.code(), "InvalidIp.Malformed");
    let r = s.create_vbr(&line, "1", &[("VbrOwnerId", &owner_id)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json()["VbrId"].as_str().unwrap().to_string();
    assert_eq!(vbr(&s, &id).await["Status"], "unconfirmed");
    let d = s
        .call(
            "DeletePhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await;
    assert_eq!(d.code(), "Forbidden.VBRExists");
    let m = |k: &'static str, v: &'static str| [R, ("VbrId", ""), (k, v)];
    let cases = [
        (false, "Name", "renamed", "Forbidden.NameNotAllowedByCaller"),
        (
            false,
            "Description",
            "described here",
            "Forbidden.DescriptionNotAllowedByCaller",
        ),
        (
            false,
            "LocalGatewayIp",
            "10.0.0.1",
            "Forbidden.LocalGatewayIpNotAllowedByCaller",
        ),
        (
            false,
            "PeerGatewayIp",
            "10.0.0.2",
            "Forbidden.PeerGatewayIpNotAllowedByCaller",
        ),
        (
            false,
            "PeeringSubnetMask",
            "255.255.255.252",
            "Forbidden.PeeringSubnetMaskNotAllowedByCaller",
        ),
        (true, "VlanId", "2", "Forbidden.VlanIdNotAllowedByCaller"),
        (
            true,
            "CircuitCode",
            "c-1",
            "Forbidden.CircuitCodeNotAllowedByCaller",
        ),
    ];
    for (as_owner, k, v, code) in cases {
        let mut p = m(k, v);
        p[1].1 = &id;
        let r = if as_owner {
            s.call_as(&owner, "ModifyVirtualBorderRouterAttribute", &p)
                .await
        } else {
            s.call("ModifyVirtualBorderRouterAttribute", &p).await
        };
        assert_eq!((r.status, r.code().as_str()), (403, code), "{k}");
    }
    let t = s
        .call_as(&owner, "TerminateVirtualBorderRouter", &[R, ("VbrId", &id)])
        .await;
    assert_eq!(
        (t.status, t.code().as_str()),
        (403, "Forbidden.OperationNotAllowedByUser")
    );
    s.shutdown().await;
}
