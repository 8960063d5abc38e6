//! Faults for VBRs and BGP groups through the admin API
//! (docs/admin-api.md#conflicts, docs/design/vbr.md#conflicts): which
//! outcome takes which scope, the calls a conflict strikes and those it
//! leaves alone, its count, the answer's exact shape, and its storage
//! (a restart keeps it, a reset clears it).

use crate::common;
use common::*;
use serde_json::{json, Value};

const R: (&str, &str) = ("RegionId", "cn-hangzhou");

async fn add(s: &TestServer, body: Value) -> (u16, Value) {
    s.admin("POST", "/admin/faults", Some(body)).await
}

async fn faults(s: &TestServer) -> Vec<Value> {
    let (st, v) = s.admin("GET", "/admin/faults", None).await;
    assert_eq!(st, 200);
    v["Faults"].as_array().cloned().unwrap_or_default()
}

fn assert_conflict(r: &Resp, code: &str, message: &str) {
    assert_eq!((r.status, r.code()), (400, code.to_string()), "{}", r.text);
    assert_eq!(r.json()["Message"], message, "{}", r.text);
}

async fn create_group(s: &TestServer, vbr: &str) -> Resp {
    s.call(
        "CreateBgpGroup",
        &[R, ("RouterId", vbr), ("PeerAsn", "65001")],
    )
    .await
}

#[tokio::test]
async fn the_admin_api_refuses_faults_that_cannot_strike() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let vbr = s.new_vbr(&line, "10").await;
    for (body, want) in [
        // A line's step failure is not aimed at a VBR; a VBR create conflict
        // is aimed at the line, a BGP group's at the VBR.
        (
            json!({"scope": "vbr", "target": vbr, "outcome": "Rejected"}),
            400,
        ),
        (
            json!({"scope": "vbr", "target": vbr, "outcome": "TaskConflict"}),
            400,
        ),
        (
            json!({"scope": "circuit", "target": line, "outcome": "OperationConflict"}),
            400,
        ),
        // Conflicts strike calls, not a share of objects.
        (
            json!({"scope": "global", "outcome": "TaskConflict", "share": 0.5}),
            400,
        ),
        (json!({"scope": "global", "outcome": "Terminated"}), 400),
        (
            json!({"scope": "account", "target": "default", "outcome": "OperationConflict", "count": 0}),
            400,
        ),
        (
            json!({"scope": "vbr", "target": "vbr-nope", "outcome": "OperationConflict"}),
            404,
        ),
        (
            json!({"scope": "circuit", "target": "pc-nope", "outcome": "TaskConflict"}),
            404,
        ),
        (
            json!({"scope": "account", "target": "nobody", "outcome": "TaskConflict"}),
            404,
        ),
    ] {
        let (st, v) = add(&s, body.clone()).await;
        assert_eq!(st, want, "{body}: {v}");
    }
    assert!(faults(&s).await.is_empty());
    let (st, f) = add(
        &s,
        json!({"scope": "vbr", "target": vbr, "outcome": "OperationConflict", "count": 3}),
    )
    .await;
    assert_eq!(st, 201, "{f}");
    assert_eq!(
        (&f["Scope"], &f["Target"], &f["Outcome"], &f["Remaining"]),
        (
            &json!("vbr"),
            &json!(vbr),
            &json!("OperationConflict"),
            &json!(3)
        )
    );
    s.shutdown().await;
}

/// `TaskConflict` on CreateVirtualBorderRouter: the next N calls of the
/// account are refused with the exact body; a call with bad parameters is
/// refused for them instead and does not use the fault; the refused call
/// leaves no VBR and no token record, so the retry with its token creates.
#[tokio::test]
async fn task_conflict_strikes_the_next_vbr_creates() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let (st, _) = add(
        &s,
        json!({"scope": "account", "target": "default", "outcome": "TaskConflict", "count": 2}),
    )
    .await;
    assert_eq!(st, 201);
    let bad = s.create_vbr(&line, "3000", &[]).await;
    assert_eq!(bad.code(), "InvalidVlanId.Malformed", "{}", bad.text);
    let message = "The operation conflicts with a task in progress on the resource; retry later.";
    let token = [("ClientToken", "conflict-1")];
    assert_conflict(
        &s.create_vbr(&line, "11", &token).await,
        "TaskConflict",
        message,
    );
    assert_eq!(faults(&s).await[0]["Remaining"], 1);
    assert_conflict(
        &s.create_vbr(&line, "11", &token).await,
        "TaskConflict",
        message,
    );
    assert!(faults(&s).await.is_empty(), "used up");
    let ok = s.create_vbr(&line, "11", &token).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let listed = s.call("DescribeVirtualBorderRouters", &[R]).await.json();
    assert_eq!(listed["TotalCount"], 1, "the refused calls made nothing");
    // The XML style carries the same code.
    add(
        &s,
        json!({"scope": "circuit", "target": line, "outcome": "TaskConflict"}),
    )
    .await;
    let xml = s.create_vbr(&line, "12", &[("Format", "XML")]).await;
    assert_eq!(xml.status, 400);
    assert!(
        xml.text.contains("<Code>TaskConflict</Code>"),
        "{}",
        xml.text
    );
    s.shutdown().await;
}

/// `OperationConflict` on CreateBgpGroup, aimed at one VBR: another VBR's
/// groups are not struck; a global fault lasts until removed; faults
/// survive a restart and a reset clears them.
#[tokio::test]
async fn operation_conflict_strikes_bgp_group_creates() {
    let mut s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let (a, b) = (s.new_vbr(&line, "20").await, s.new_vbr(&line, "21").await);
    let (st, _) = add(
        &s,
        json!({"scope": "vbr", "target": a, "outcome": "OperationConflict"}),
    )
    .await;
    assert_eq!(st, 201);
    s.restart().await;
    assert_eq!(create_group(&s, &b).await.status, 200, "another VBR");
    let message =
        "The operation conflicts with another operation in progress on the resource; retry later.";
    assert_conflict(&create_group(&s, &a).await, "OperationConflict", message);
    assert_eq!(create_group(&s, &a).await.status, 200, "one call only");
    // Other calls on the VBR are not struck.
    let (st, _) = add(
        &s,
        json!({"scope": "global", "outcome": "OperationConflict"}),
    )
    .await;
    assert_eq!(st, 201);
    for _ in 0..3 {
        assert_conflict(&create_group(&s, &b).await, "OperationConflict", message);
    }
    assert_eq!(s.create_vbr(&line, "22", &[]).await.status, 200);
    assert_eq!(faults(&s).await[0]["Remaining"], -1);
    assert_eq!(s.admin("POST", "/admin/reset", None).await.0, 200);
    assert!(faults(&s).await.is_empty(), "a reset clears faults");
    s.shutdown().await;
}
