//! The Terraform provider's physical-connection resource
//! (docs/design/circuits.md#terraform-provider), replayed with its wire form
//! (V1, every parameter in a form body), its parameters, its polling rhythm
//! (first poll after 1 s, then every 3 s; 5 s delay before status waits),
//! its `ClientToken` reuse on retries, and its acceptance tests' steps.
//! `basic0` runs in real time against a server with default settings
//! (system clock, 1 s provider steps); the other flows keep the same rhythm
//! on a manual clock, each pause an advance, so they cost no wall-clock time.

use crate::common;
use crate::provider;
use common::*;
use physconn_server::ClockMode;
use provider::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CREATE_WAIT: Duration = Duration::from_secs(120);
const UPDATE_WAIT: Duration = Duration::from_secs(1200);

/// Create: the parameters the configuration sets, then the wait for
/// `Allocated` (first poll after 1 s).
async fn create(s: &TestServer, params: &[(&str, &str)]) -> String {
    let mut p = vec![REGION];
    p.extend_from_slice(params);
    let v = call_with_retry(s, "CreatePhysicalConnection", &p).await;
    let id = v["PhysicalConnectionId"].as_str().unwrap().to_string();
    wait_line(s, &id, "Allocated", Duration::from_secs(1), CREATE_WAIT).await;
    id
}

/// `ModifyExpressConnectPhysicalConnectionStatus` for one target, as the
/// update calls it: the action, then the wait for the status (delay 5 s).
/// `Enabled` orders with `InstanceChargeType=PrePaid`, `AutoPay=true` and
/// the configured `period`/`pricing_cycle`, and needs `$.Data.OrderId`.
async fn move_to(s: &TestServer, id: &str, target: &str, order: &[(&str, &str)]) {
    let mut p = vec![REGION, ("PhysicalConnectionId", id)];
    let action = match target {
        "Confirmed" => "ConfirmPhysicalConnection",
        "Canceled" => "CancelPhysicalConnection",
        "Terminated" => "TerminatePhysicalConnection",
        "Enabled" => {
            p.extend([("InstanceChargeType", "PrePaid"), ("AutoPay", "true")]);
            p.extend_from_slice(order);
            "CreatePhysicalConnectionOccupancyOrder"
        }
        other => panic!("the provider has no move to {other}"),
    };
    let v = call_with_retry(s, action, &p).await;
    if target == "Enabled" {
        assert!(v["Data"].is_object(), "Terraform requires $.Data: {v}");
        assert_eq!(v["Data"]["OrderId"].as_str().unwrap().len(), 15);
    }
    wait_line(s, id, target, Duration::from_secs(5), UPDATE_WAIT).await;
}

/// The update's `status` block: nothing when the line already has it;
/// `Enabled` from anything but `Confirmed` confirms first.
async fn set_status(s: &TestServer, id: &str, target: &str, order: &[(&str, &str)]) {
    let now = read_line(s, id)
        .await
        .expect("read before the status change");
    if now["Status"] == target {
        return;
    }
    if target == "Enabled" && now["Status"] != "Confirmed" {
        move_to(s, id, "Confirmed", &[]).await;
    }
    move_to(s, id, target, order).await;
}

/// One attribute step of an existing line: `LineOperator` always, plus the
/// changed attribute.
async fn modify(s: &TestServer, id: &str, line_operator: &str, changed: (&str, &str)) {
    let mut p = vec![REGION, ("PhysicalConnectionId", id)];
    // The request is a map: a changed line operator is the one sent.
    if changed.0 != "LineOperator" {
        p.push(("LineOperator", line_operator));
    }
    p.push(changed);
    call_with_retry(s, "ModifyPhysicalConnectionAttribute", &p).await;
}

/// The resource's Read: the attribute map Terraform stores (what import
/// reads back and `ImportStateVerify` compares).
fn attributes(c: &Value) -> BTreeMap<&'static str, String> {
    let s = |k: &str| {
        c[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {c}"))
            .to_string()
    };
    BTreeMap::from([
        ("access_point_id", s("AccessPointId")),
        ("line_operator", s("LineOperator")),
        ("type", s("Type")),
        ("port_type", s("PortType")),
        (
            "bandwidth",
            c["Bandwidth"].as_i64().expect("Bandwidth").to_string(),
        ),
        ("circuit_code", s("CircuitCode")),
        ("peer_location", s("PeerLocation")),
        (
            "redundant_physical_connection_id",
            s("RedundantPhysicalConnectionId"),
        ),
        ("physical_connection_name", s("Name")),
        ("description", s("Description")),
        ("status", s("Status")),
    ])
}

/// `testAccCheck`: every expected attribute equals the state's, `CHECKSET`
/// (`None`) meaning non-empty.
fn check(id: &str, state: &BTreeMap<&str, String>, expected: &[(&str, Option<&str>)]) {
    for (k, want) in expected {
        let got = state.get(k).unwrap_or_else(|| panic!("{k} not in state"));
        match want {
            Some(w) => assert_eq!(got, w, "{id}: {k}"),
            None => assert!(!got.is_empty(), "{id}: {k} must be set"),
        }
    }
}

/// Import (`ImportStatePassthrough`): a Read by id alone gives the state the
/// last apply left, except the ignored `period`, `pricing_cycle`, `order_id`,
/// which the state map does not hold.
async fn import_verify(s: &TestServer, id: &str, state: &BTreeMap<&str, String>) {
    let imported = attributes(&read_line(s, id).await.expect("import reads the line"));
    assert_eq!(&imported, state, "ImportStateVerify");
}

/// Destroy: `DeletePhysicalConnection` (a not-found answer is done), then
/// `CheckDestroy`: gone from Describe.
async fn destroy(s: &TestServer, id: &str) {
    let p = [REGION, ("PhysicalConnectionId", id)];
    call_with_retry(s, "DeletePhysicalConnection", &p).await;
    assert!(read_line(s, id).await.is_none(), "CheckDestroy");
    let again = s.call_v1_form("DeletePhysicalConnection", &p).await;
    assert_eq!(
        again.status, 404,
        "not-found answers carry HTTP 404 (Terraform treats them as done)"
    );
}

async fn system_clock_server() -> TestServer {
    TestServer::start_with(|c| {
        c.clock = ClockMode::System;
        c.clock_start = None;
    })
    .await
}

#[tokio::test]
async fn basic0() {
    let started = Instant::now();
    let s = system_clock_server().await;
    let name = "tf-testAccExpressConnectPhysicalConnection-basic0";
    let id = create(
        &s,
        &[
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CU"),
            ("PortType", "1000Base-LX"),
            ("bandwidth", "100"),
            ("Name", name),
            ("Description", name),
            ("PeerLocation", "Hangzhou"),
        ],
    )
    .await;
    // Update: LineOperator always, plus the changed attributes.
    let p = [
        REGION,
        ("PhysicalConnectionId", id.as_str()),
        ("LineOperator", "CT"),
        ("bandwidth", "200"),
        ("CircuitCode", "longtel001"),
        ("PeerLocation", "Hangzhou Room 2"),
        ("Name", "tf-testAcc-basic0-renamed"),
        ("Description", "tf-testAcc-basic0-described"),
    ];
    call_with_retry(&s, "ModifyPhysicalConnectionAttribute", &p).await;
    let c = read_line(&s, &id).await.unwrap();
    assert_eq!(
        (
            c["LineOperator"].as_str(),
            c["Bandwidth"].to_string(),
            c["CircuitCode"].as_str()
        ),
        (Some("CT"), "200".to_string(), Some("longtel001"))
    );
    move_to(&s, &id, "Confirmed", &[]).await;
    // basic0 sets `period = 1` and no `pricing_cycle`.
    move_to(&s, &id, "Enabled", &[("Period", "1")]).await;
    move_to(&s, &id, "Terminated", &[]).await;
    destroy(&s, &id).await;
    let wall = started.elapsed();
    assert!(wall < Duration::from_secs(30), "basic0 took {wall:?}");
    s.shutdown().await;
}

/// `basic0_twin` (`line_operator = "CU"`) and `basic0_intl_twin`
/// (`"Other"`): one configuration with every attribute, `type`,
/// `circuit_code` and a redundant line found through
/// `data.alicloud_express_connect_physical_connections` (`name_regex =
/// "^preserved-NODELETING"`), created straight into `Enabled` (create,
/// `Allocated`, confirm, order with `period = 1` and `pricing_cycle =
/// "Month"`); then `status = "Terminated"`, import, destroy.
async fn twin(line_operator: &str) {
    let (s, _fixtures) = preserved_server().await;
    let redundant = preserved_line(&s).await;
    let name = format!("tf-testacccn-hangzhouexpressconnectphysicalconnection{line_operator}");
    let id = create(
        &s,
        &[
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", line_operator),
            ("Type", "VPC"),
            ("PortType", "1000Base-LX"),
            ("bandwidth", "10"),
            ("CircuitCode", "longtel001"),
            ("PeerLocation", &name),
            ("RedundantPhysicalConnectionId", &redundant),
            ("Name", &name),
            ("Description", &name),
        ],
    )
    .await;
    // The create's tail: the update of a new resource sends no Modify.
    let order = [("Period", "1"), ("PricingCycle", "Month")];
    set_status(&s, &id, "Enabled", &order).await;
    let c = read_line(&s, &id).await.expect("read");
    let state = attributes(&c);
    check(
        &id,
        &state,
        &[
            ("access_point_id", None),
            ("line_operator", Some(line_operator)),
            ("type", Some("VPC")),
            ("port_type", Some("1000Base-LX")),
            ("bandwidth", Some("10")),
            ("circuit_code", Some("longtel001")),
            ("peer_location", Some(&name)),
            ("redundant_physical_connection_id", Some(&redundant)),
            ("physical_connection_name", Some(&name)),
            ("description", Some(&name)),
            ("status", Some("Enabled")),
        ],
    );
    // What the prepaid order leaves on the line.
    assert_eq!(
        (c["ChargeType"].as_str(), c["BusinessStatus"].as_str()),
        (Some("Prepaid"), Some("Normal"))
    );
    assert!(c["EndTime"].is_string());

    set_status(&s, &id, "Terminated", &[]).await;
    let state = attributes(&read_line(&s, &id).await.expect("read"));
    check(&id, &state, &[("status", Some("Terminated"))]);
    import_verify(&s, &id, &state).await;
    destroy(&s, &id).await;
    // The preserved line is untouched.
    let kept = read_line(&s, &redundant).await.expect("preserved line");
    assert_eq!(kept["Status"], "Enabled");
    s.shutdown().await;
}

#[tokio::test]
async fn basic0_twin() {
    twin("CU").await;
}

#[tokio::test]
async fn basic0_intl_twin() {
    twin("Other").await;
}

/// `basic0_intl`: created with `line_operator = "Other"`, then one apply per
/// changed attribute (`Equinix`, bandwidth, circuit code, peer location,
/// name, description), `Confirmed`, `Canceled`, import, destroy (a canceled
/// line is deleted straight away). The first step's check lists
/// `peer_location` as set although the configuration sends none: physconn
/// fills in the access point's (docs/design/circuits.md#peer-location).
#[tokio::test]
async fn basic0_intl() {
    let s = TestServer::start().await;
    let name = "tf-testacccn-hangzhouexpressconnectphysicalconnection-intl";
    let id = create(
        &s,
        &[
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "Other"),
            ("PortType", "1000Base-LX"),
        ],
    )
    .await;
    let state = attributes(&read_line(&s, &id).await.expect("read"));
    check(
        &id,
        &state,
        &[
            ("access_point_id", None),
            ("line_operator", Some("Other")),
            ("port_type", Some("1000Base-LX")),
            ("type", None),
            ("bandwidth", None),
            ("peer_location", Some("杭州-余杭-B")),
            ("status", Some("Allocated")),
        ],
    );
    let steps = [
        ("line_operator", ("LineOperator", "Equinix")),
        ("bandwidth", ("bandwidth", "10")),
        ("circuit_code", ("CircuitCode", "longtel001")),
        ("peer_location", ("PeerLocation", name)),
        ("physical_connection_name", ("Name", name)),
        ("description", ("Description", name)),
    ];
    for (attr, changed) in steps {
        modify(&s, &id, "Equinix", changed).await;
        let state = attributes(&read_line(&s, &id).await.expect("read"));
        check(&id, &state, &[(attr, Some(changed.1))]);
    }
    set_status(&s, &id, "Confirmed", &[]).await;
    set_status(&s, &id, "Canceled", &[]).await;
    let state = attributes(&read_line(&s, &id).await.expect("read"));
    check(
        &id,
        &state,
        &[
            ("status", Some("Canceled")),
            ("line_operator", Some("Equinix")),
            ("bandwidth", Some("10")),
            ("physical_connection_name", Some(name)),
        ],
    );
    import_verify(&s, &id, &state).await;
    destroy(&s, &id).await;
    s.shutdown().await;
}
