//! The whole physical-connection lifecycle: the (state × action) matrix of
//! docs/design/circuits.md#state-action-table, the LOA sub-flow, the setup
//! order, and the provider simulator's modes and faults.

use crate::common;
use common::*;
use physconn_domain::Status;
use serde_json::{json, Value};

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
