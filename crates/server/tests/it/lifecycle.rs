//! The whole physical-connection lifecycle: the (state × action) matrix of
//! docs/design/circuits.md#state-action-table, the LOA sub-flow, the setup
//! order, and the provider simulator's modes and faults.

use crate::common;
use common::*;
use physconn_domain::Status;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// What a cell of the matrix expects: the new status, or an error code.
#[derive(Debug, Clone, Copy)]
enum Want {
    To(Status),
    /// Accepted; the status moves later (timers).
    Accepted,
    Gone,
    Err(&'static str),
}

async fn act(s: &TestServer, action: &str, id: &str) -> Resp {
    let base = [("RegionId", "cn-hangzhou")];
    let mut p: Vec<(&str, &str)> = base.to_vec();
    match action {
        "Recover" | "ApplyLOA" => p.push(("InstanceId", id)),
        _ => p.push(("PhysicalConnectionId", id)),
    }
    let name = match action {
        "Confirm" => "ConfirmPhysicalConnection",
        "Occupancy" => {
            p.extend([("InstanceChargeType", "PrePaid"), ("AutoPay", "true")]);
            "CreatePhysicalConnectionOccupancyOrder"
        }
        "Enable" => "EnablePhysicalConnection",
        "Cancel" => "CancelPhysicalConnection",
        "Terminate" => "TerminatePhysicalConnection",
        "Delete" => "DeletePhysicalConnection",
        "ModifyName" => {
            p.push(("Name", "renamed"));
            "ModifyPhysicalConnectionAttribute"
        }
        "ModifyPort" => {
            p.push(("PortType", "10GBase-LR"));
            "ModifyPhysicalConnectionAttribute"
        }
        "Recover" => "RecoverPhysicalConnection",
        "ApplyLOA" => {
            p.extend([
                ("CompanyName", "ACME"),
                ("LineType", "FIBRE"),
                ("Si", "si-1"),
                ("ConstructionTime", "2026-12-01T00:00:00Z"),
            ]);
            "ApplyPhysicalConnectionLOA"
        }
        other => panic!("{other}"),
    };
    s.call(name, &p).await
}

fn expected(action: &str, st: Status) -> Want {
    use Status::*;
    use Want::*;
    let not_allowed = Err("Forbidden.NotAllowedInState");
    match action {
        "Confirm" => {
            if st == Allocated {
                To(Confirmed)
            } else {
                Err("IncorrectStatus.PhysicalConnection")
            }
        }
        "Occupancy" | "Enable" => {
            if st == Confirmed {
                Accepted
            } else {
                not_allowed
            }
        }
        "Cancel" => {
            if matches!(st, Initial | Approved | Allocated | Confirmed) {
                To(Canceled)
            } else {
                not_allowed
            }
        }
        "Terminate" => {
            if st == Enabled {
                To(Terminating)
            } else {
                not_allowed
            }
        }
        "Delete" => {
            if matches!(
                st,
                Rejected | Canceled | AllocationFailed | Terminated | Allocated | Confirmed
            ) {
                Gone
            } else {
                not_allowed
            }
        }
        "ModifyName" => match st {
            Rejected => To(Initial),
            Initial | Approved | Allocated | Confirmed | Enabled => To(st),
            _ => not_allowed,
        },
        "ModifyPort" => match st {
            Rejected => To(Initial),
            Initial | Enabled => To(st),
            _ => not_allowed,
        },
        "Recover" => Err("IncorrectStatus.PhysicalConnection"),
        "ApplyLOA" => {
            if matches!(st, Initial | Approved | Allocating | Allocated) {
                To(st)
            } else {
                Err("IncorrectStatus.PhysicalConnection")
            }
        }
        other => panic!("{other}"),
    }
}

/// Everything observable about a circuit except its history.
fn observable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("Timeline");
    }
    v
}

#[tokio::test]
async fn state_action_matrix() {
    let s = TestServer::start_with(|c| c.max_pending_circuits = 10_000).await;
    let actions = [
        "Confirm",
        "Occupancy",
        "Enable",
        "Cancel",
        "Terminate",
        "Delete",
        "ModifyName",
        "ModifyPort",
        "Recover",
        "ApplyLOA",
    ];
    let mut failures = Vec::new();
    for &st in Status::ALL {
        for action in actions {
            let id = s.circuit_in(st).await;
            let before = observable(&s.admin_circuit(&id).await);
            let (_, orders_before) = s.admin("GET", "/admin/orders", None).await;
            let r = act(&s, action, &id).await;
            let after = s.admin_circuit(&id).await;
            let want = expected(action, st);
            let ok = match want {
                Want::To(to) => r.status == 200 && after["Status"] == to.as_str(),
                Want::Accepted => r.status == 200 && after["Status"] == st.as_str(),
                Want::Gone => {
                    r.status == 200
                        && after["Deleted"] == true
                        && s.describe_all()
                            .await
                            .iter()
                            .all(|c| c["PhysicalConnectionId"] != id.as_str())
                }
                Want::Err(code) => {
                    let (_, orders_after) = s.admin("GET", "/admin/orders", None).await;
                    r.status == 400
                        && r.code() == code
                        && observable(&after) == before
                        && orders_after == orders_before
                }
            };
            if !ok {
                failures.push(format!(
                    "{st} × {action}: want {want:?}, got {} {} → {}",
                    r.status, r.text, after["Status"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn enable_terminate_delete_and_recover() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
    ];
    let r = s.call("EnablePhysicalConnection", &p).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A second Enable while the first is under way is refused.
    assert_eq!(
        s.call("EnablePhysicalConnection", &p).await.code(),
        "Forbidden.NotAllowedInState"
    );
    s.advance(1.0).await;
    let c = s.describe(&id).await;
    assert_eq!(c["Status"], "Enabled");
    assert!(
        c.get("ChargeType").is_none(),
        "a direct enable is not billed"
    );
    assert_eq!(s.call("TerminatePhysicalConnection", &p).await.status, 200);
    assert_eq!(s.describe(&id).await["Status"], "Terminating");
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Terminated");
    let r = s
        .call(
            "RecoverPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("InstanceId", &id)],
        )
        .await;
    assert_eq!(r.code(), "IncorrectStatus.PhysicalConnection");
    assert_eq!(
        r.json()["Message"],
        format!("The status of {id} is incorrect.")
    );
    let r = s
        .call(
            "RecoverPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("InstanceId", "pc-none")],
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ResourceNotFound"));
    assert_eq!(s.call("DeletePhysicalConnection", &p).await.status, 200);
    assert!(s.describe_all().await.is_empty());
    let r = s.call("DeletePhysicalConnection", &p).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidPhysicalConnectionId.NotFound")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn current_profile_enable_needs_bypass() {
    let s = TestServer::start_with(|c| c.api_profile = physconn_domain::ApiProfile::Current).await;
    let id = s.confirmed_circuit().await;
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("ByPassSp", "true"),
    ];
    let r = s.call("EnablePhysicalConnection", &p).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "ALIUID.NOT.ALLOW.WITHOUT.SP")
    );
    assert_eq!(
        r.json()["Message"],
        "AliUid not allow direct enable physical connection"
    );
    let (st, _) = s
        .admin(
            "PUT",
            "/admin/accounts/default",
            Some(json!({"bypass_sp": true})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(s.call("EnablePhysicalConnection", &p).await.status, 200);
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Enabled");
    // The current profile refuses PostPaid and defaults AutoPay to false.
    let id2 = s.confirmed_circuit().await;
    let r = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &id2),
                ("InstanceChargeType", "PostPaid"),
            ],
        )
        .await;
    assert_eq!(r.code(), "InvalidPhysicalConnectionChargeType.Malformed");
    let r = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id2)],
        )
        .await;
    assert_eq!(r.status, 200);
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"][0]["Status"], "Unpaid");
    s.shutdown().await;
}

#[tokio::test]
async fn cancel_voids_the_unpaid_order_and_frees_the_money_path() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
    ];
    let mut occ = p.to_vec();
    occ.push(("AutoPay", "false"));
    assert_eq!(
        s.call("CreatePhysicalConnectionOccupancyOrder", &occ)
            .await
            .status,
        200
    );
    assert_eq!(s.call("CancelPhysicalConnection", &p).await.status, 200);
    assert_eq!(s.describe(&id).await["Status"], "Canceled");
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"][0]["Status"], "Cancelled");
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "1000000.00");
    s.shutdown().await;
}

#[tokio::test]
async fn rejected_then_modified_is_reviewed_again() {
    let s = TestServer::start().await;
    let (st, f) = s
        .admin(
            "POST",
            "/admin/faults",
            Some(
                json!({"scope": "account", "target": "default", "outcome": "Rejected", "count": 1}),
            ),
        )
        .await;
    assert_eq!(st, 201, "{f}");
    let id = s.create_circuit(&[]).await;
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Rejected");
    // The fault was for one circuit only.
    let other = s.create_circuit(&[]).await;
    s.advance(3.0).await;
    assert_eq!(s.describe(&other).await["Status"], "Allocated");
    let r = s
        .call(
            "ModifyPhysicalConnectionAttribute",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &id),
                ("LineOperator", "CU"),
                ("bandwidth", "200"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = s.describe(&id).await;
    assert_eq!(
        (
            c["Status"].as_str(),
            c["LineOperator"].as_str(),
            c["Bandwidth"].as_i64()
        ),
        (Some("Initial"), Some("CU"), Some(200))
    );
    s.advance(3.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Allocated");
    s.shutdown().await;
}

#[tokio::test]
async fn faults_per_circuit_and_for_a_share_of_all() {
    let s = TestServer::start_with(|c| c.max_pending_circuits = 100).await;
    let id = s.create_circuit(&[]).await;
    let (st, _) = s
        .admin(
            "POST",
            "/admin/faults",
            Some(json!({"scope": "circuit", "target": id, "outcome": "Allocation Failed"})),
        )
        .await;
    assert_eq!(st, 201);
    s.advance(3.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Allocation Failed");
    let (st, f) = s
        .admin(
            "POST",
            "/admin/faults",
            Some(json!({"scope": "global", "outcome": "Rejected", "share": 0.5})),
        )
        .await;
    assert_eq!(st, 201);
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(s.create_circuit(&[]).await);
    }
    s.advance(3.0).await;
    let mut rejected = 0;
    for id in &ids {
        match s.describe(id).await["Status"].as_str() {
            Some("Rejected") => rejected += 1,
            Some("Allocated") => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(
        (8..=32).contains(&rejected),
        "about half rejected, got {rejected}"
    );
    let fid = f["FaultId"].as_str().unwrap();
    assert_eq!(
        s.admin("DELETE", &format!("/admin/faults/{fid}"), None)
            .await
            .0,
        204
    );
    s.shutdown().await;
}

#[tokio::test]
async fn manual_mode_parks_steps_until_the_admin_moves_them() {
    let s = TestServer::start().await;
    let (st, v) = s
        .admin(
            "PUT",
            "/admin/provisioning",
            Some(json!({"mode": "manual"})),
        )
        .await;
    assert_eq!((st, v["mode"].as_str()), (200, Some("manual")));
    let id = s.create_circuit(&[]).await;
    s.advance(3600.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Initial");
    for want in ["Approved", "Allocating", "Allocated"] {
        let (st, c) = s
            .admin(
                "POST",
                &format!("/admin/physical-connections/{id}/advance"),
                None,
            )
            .await;
        assert_eq!((st, c["Status"].as_str()), (200, Some(want)));
    }
    let (st, _) = s
        .admin(
            "POST",
            &format!("/admin/physical-connections/{id}/advance"),
            None,
        )
        .await;
    assert_eq!(st, 409, "nothing left to do");
    // A circuit can be switched back to auto on its own; its pending step is re-dated.
    let id2 = s.create_circuit(&[]).await;
    let (st, _) = s
        .admin(
            "PUT",
            &format!("/admin/physical-connections/{id2}/provisioning"),
            Some(json!({"mode": "auto"})),
        )
        .await;
    assert_eq!(st, 200);
    s.advance(3.0).await;
    assert_eq!(s.describe(&id2).await["Status"], "Allocated");
    // Per account: another account in auto mode while the global mode is manual.
    let (_, acct) = s
        .admin(
            "PUT",
            "/admin/accounts/default",
            Some(json!({"provisioning_mode": "auto"})),
        )
        .await;
    assert!(acct["AccountId"].is_string());
    let id3 = s.create_circuit(&[]).await;
    s.advance(3.0).await;
    assert_eq!(s.describe(&id3).await["Status"], "Allocated");
    s.shutdown().await;
}

#[tokio::test]
async fn forced_transitions_follow_the_provider_only() {
    let s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    let force = |to: &'static str| {
        let id = id.clone();
        let s = &s;
        async move {
            s.admin(
                "POST",
                &format!("/admin/physical-connections/{id}/status"),
                Some(json!({"status": to})),
            )
            .await
        }
    };
    let (st, c) = force("Allocated").await;
    assert_eq!((st, c["Status"].as_str()), (200, Some("Allocated")));
    let (st, e) = force("Initial").await;
    assert_eq!(st, 409, "{e}");
    assert!(e["Message"]
        .as_str()
        .unwrap()
        .contains("Allocated to Initial"));
    let (st, _) = force("Enabled").await;
    assert_eq!(st, 409);
    let timeline = s.admin_circuit(&id).await["Timeline"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(timeline, 4, "Initial, Approved, Allocating, Allocated");
    s.shutdown().await;
}

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
async fn setup_order_creates_a_circuit_and_charges_the_installation() {
    let s = TestServer::start().await;
    let r = s
        .call(
            "CreatePhysicalConnectionSetupOrder",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
                ("PortType", "10GBase-LR"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let id = v["PhysicalConnectionId"].as_str().unwrap();
    assert_eq!(v["OrderId"].as_str().unwrap().len(), 15);
    assert_eq!(s.describe(id).await["Status"], "Initial");
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "995000.00", "10G installation: 5,000.00");
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(
        (
            orders["Orders"][0]["Kind"].as_str(),
            orders["Orders"][0]["Status"].as_str()
        ),
        (Some("Setup"), Some("Paid"))
    );
    s.shutdown().await;
}

#[tokio::test]
async fn reset_keeps_only_the_default_account() {
    let s = TestServer::start().await;
    s.create_circuit(&[]).await;
    let other = s.create_account("x", "1.00").await;
    s.admin(
        "PUT",
        "/admin/accounts/default/balance",
        Some(json!({"balance": "5.00"})),
    )
    .await;
    let id_before = s.default_account_id().await;
    let (st, _) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 200);
    assert!(s.describe_all().await.is_empty());
    assert_eq!(s.default_account_id().await, id_before);
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "1000000.00");
    let (st, _) = s
        .admin(
            "GET",
            &format!("/admin/accounts/{}", other["AccountId"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(st, 404);
    // The configured key still works.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

/// The document and the router agree, path by path and method by method:
/// the router's paths are the list it is built from, and the methods of each
/// are what the router itself answers in `Allow` to a method it does not
/// serve. The routed table is snapshotted so a change to it shows in review.
#[tokio::test]
async fn openapi_matches_the_admin_router() {
    let s = TestServer::start().await;
    let (st, doc) = s.admin("GET", "/admin/openapi.json", None).await;
    assert_eq!(st, 200);
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| matches!(k.as_str(), "get" | "put" | "post" | "delete" | "patch"))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let mut routed = BTreeSet::new();
    for path in physconn_server::admin::route_paths() {
        let probe = path.replace("{id}", "x").replace("{file}", "app.js");
        let (status, allow) = s.admin_allow(&probe).await;
        assert_eq!(status, 405, "{path}");
        for method in allow.split(',').map(str::trim).filter(|m| *m != "HEAD") {
            routed.insert(format!("{method} {path}"));
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routed but not in openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in openapi.json but not routed: {extra:?}"
    );
    insta::assert_snapshot!(
        "admin-routes",
        routed.into_iter().collect::<Vec<_>>().join("\n")
    );
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
