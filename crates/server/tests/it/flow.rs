//! The seed end to end through the real HTTP pipeline: create → Allocated →
//! Confirmed → occupancy order → Enabled, with the money and every refusal.

use crate::common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn happy_path_prepaid() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let r = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &id),
                ("InstanceChargeType", "PrePaid"),
                ("Period", "2"),
                ("PricingCycle", "Month"),
                ("AutoPay", "True"),
                ("ClientToken", "tok-1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let order_id = v["Data"]["OrderId"].as_str().unwrap().to_string();
    assert_eq!(order_id.len(), 15);
    assert_eq!(v["data"]["orderId"].as_i64().unwrap().to_string(), order_id);
    assert_eq!(v["RequestId"], v["requestId"]);
    assert_eq!(r.header("x-acs-request-id"), v["RequestId"].as_str());
    // Paid at once, enabled one provisioning delay later.
    assert_eq!(s.describe(&id).await["Status"], "Confirmed");
    s.advance(1.0).await;
    let c = s.describe(&id).await;
    assert_eq!(c["Status"], "Enabled");
    assert_eq!(c["ChargeType"], "Prepaid");
    assert_eq!(c["EnabledTime"], "2026-11-29T00:00:04Z");
    // 2026-11-29 08:00 UTC+8 + 2 months + 1 day, at 00:00 UTC+8.
    assert_eq!(c["EndTime"], "2027-01-29T16:00:00Z");
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "998000.00");
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"][0]["Status"], "Paid");
    assert_eq!(orders["Orders"][0]["Amount"], "2000.00");
    // A retry with the same token returns the same order and charges nothing.
    let again = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &id),
                ("InstanceChargeType", "PrePaid"),
                ("Period", "2"),
                ("PricingCycle", "Month"),
                ("AutoPay", "true"),
                ("ClientToken", "tok-1"),
            ],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["Data"]["OrderId"], order_id.as_str());
    assert_ne!(again.json()["RequestId"], v["RequestId"]);
    let mismatch = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &id),
                ("InstanceChargeType", "PrePaid"),
                ("Period", "3"),
                ("ClientToken", "tok-1"),
            ],
        )
        .await;
    assert_eq!(
        (mismatch.status, mismatch.code().as_str()),
        (400, "IdempotentParameterMismatch")
    );
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "998000.00");
    let (_, ledger) = s.admin("GET", "/admin/accounts/default/ledger", None).await;
    assert_eq!(
        ledger["Entries"].as_array().unwrap().len(),
        2,
        "opening + one payment"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn postpaid_default_in_seed_profile() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let r = s
        .call(
            "CreatePhysicalConnectionOccupancyOrder",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.advance(1.0).await;
    let c = s.describe(&id).await;
    assert_eq!(
        (c["Status"].as_str(), c["ChargeType"].as_str()),
        (Some("Enabled"), Some("PostPaid"))
    );
    assert!(c.get("EndTime").is_none());
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"][0]["Amount"], "0.00");
    assert_eq!(orders["Orders"][0]["Status"], "Paid");
    s.shutdown().await;
}

#[tokio::test]
async fn abnormal_order_when_money_is_short_and_unpaid_without_autopay() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    s.admin(
        "PUT",
        "/admin/accounts/default/balance",
        Some(json!({"balance": "10.00"})),
    )
    .await;
    let order = |auto: &'static str| {
        let id = id.clone();
        let s = &s;
        async move {
            s.call(
                "CreatePhysicalConnectionOccupancyOrder",
                &[
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", &id),
                    ("InstanceChargeType", "PrePaid"),
                    ("AutoPay", auto),
                ],
            )
            .await
        }
    };
    let r = order("true").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    assert_eq!(orders["Orders"][0]["Status"], "Unpaid");
    assert_eq!(orders["Orders"][0]["Abnormal"], true);
    assert_eq!(orders["Orders"][0]["AbnormalReason"], "InsufficientBalance");
    s.advance(5.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Confirmed");
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "10.00");
    // The unpaid abnormal order blocks another one
    // (docs/design/decisions.md#occupancy-precondition).
    let again = order("false").await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (400, "Forbidden.NotAllowedInState")
    );
    assert_eq!(
        again.json()["Message"],
        "The request does not allow in this state."
    );
    s.shutdown().await;
}

#[tokio::test]
async fn seed_errors() {
    let s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    s.advance(3.0).await;
    let occ = |extra: Vec<(&'static str, String)>| {
        let s = &s;
        async move {
            let p: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.call("CreatePhysicalConnectionOccupancyOrder", &p).await
        }
    };
    let base = |pc: &str| {
        vec![
            ("RegionId", "cn-hangzhou".to_string()),
            ("PhysicalConnectionId", pc.to_string()),
        ]
    };
    let r = occ(base("pc-doesnotexist")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidPhysicalConnectionId.NotFound")
    );
    assert_eq!(
        r.json()["Message"],
        "The PhysicalConnectionId provided does not exist in our records."
    );
    let r = occ(base(&id)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "Forbidden.NotAllowedInState"),
        "Allocated is not payable"
    );
    let r = occ(vec![("RegionId", "cn-hangzhou".into())]).await;
    assert_eq!((r.status, r.code().as_str()), (400, "MissingParameter"));
    let r = occ(vec![
        ("RegionId", "xx-nowhere".into()),
        ("PhysicalConnectionId", id.clone()),
    ])
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidRegionId.NotFound")
    );
    let mut p = base(&id);
    p.push(("InstanceChargeType", "Monthly".into()));
    assert_eq!(
        occ(p).await.code(),
        "InvalidPhysicalConnectionChargeType.Malformed"
    );
    let mut p = base(&id);
    p.extend([
        ("InstanceChargeType", "PrePaid".into()),
        ("Period", "10".into()),
    ]);
    assert_eq!(
        occ(p).await.code(),
        "InvalidPhysicalConnectionPeriod.Malformed"
    );
    let mut p = base(&id);
    p.extend([
        ("InstanceChargeType", "PrePaid".into()),
        ("PricingCycle", "Week".into()),
    ]);
    assert_eq!(
        occ(p).await.code(),
        "InvalidPhysicalConnectionPricingCycle.Malformed"
    );
    let mut p = base(&id);
    p.push(("ClientToken", "x".repeat(65)));
    assert_eq!(occ(p).await.code(), "IllegalParam.ClientToken");
    s.shutdown().await;
}

#[tokio::test]
async fn other_accounts_circuits_do_not_exist() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let other = s.account_keys("other", "100000.00").await;
    let creds = other.creds();
    let r = s
        .call_as(
            &creds,
            "CreatePhysicalConnectionOccupancyOrder",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidPhysicalConnectionId.NotFound")
    );
    let r = s
        .call_as(
            &creds,
            "DescribePhysicalConnections",
            &[("RegionId", "cn-hangzhou")],
        )
        .await;
    assert_eq!(r.json()["TotalCount"], 0);
    // …and in another region the caller's own circuit does not exist either.
    let r = s
        .call(
            "ConfirmPhysicalConnection",
            &[("RegionId", "cn-beijing"), ("PhysicalConnectionId", &id)],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidPhysicalConnectionId.NotFound")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn state_and_timers_survive_restart() {
    let mut s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Approved");
    s.restart().await;
    assert_eq!(s.describe(&id).await["Status"], "Approved");
    s.advance(2.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Allocated");
    s.shutdown().await;
}

#[tokio::test]
async fn terraform_style_v1_form_body() {
    let s = TestServer::start().await;
    let r = s
        .call_v1_form(
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("ClientToken", "TF-CreatePhysicalConnection-1-abc"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CU"),
                ("PortType", "1000Base-LX"),
                ("bandwidth", "100"),
                ("Name", "tf-testAcc-pc"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json()["PhysicalConnectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let again = s
        .call_v1_form(
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("ClientToken", "TF-CreatePhysicalConnection-1-abc"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CU"),
                ("PortType", "1000Base-LX"),
                ("bandwidth", "100"),
                ("Name", "tf-testAcc-pc"),
            ],
        )
        .await;
    assert_eq!(again.json()["PhysicalConnectionId"], id.as_str());
    let c = s.describe(&id).await;
    assert_eq!(c["Bandwidth"], 100);
    assert_eq!(c["LineOperator"], "CU");
    s.shutdown().await;
}

/// With `provisioning_delay = 0` every provider step happens before the
/// answer. Circuits created together have their due steps fired side by
/// side (`simulator::run_due`), each circuit's own still in order.
#[tokio::test]
async fn zero_delay_steps_of_concurrent_creates_all_happen_in_order() {
    let s = TestServer::start_with(|c| {
        c.clock = physconn_server::config::ClockMode::System;
        c.clock_start = None;
        c.provisioning_delay = 0.0;
        c.max_pending_circuits = 100;
    })
    .await;
    let creates = (0..12).map(|_| s.create_circuit(&[]));
    let ids: Vec<String> = futures_join_all(creates).await;
    for id in &ids {
        assert_eq!(s.describe(id).await["Status"], "Allocated", "{id}");
        let c = s.admin_circuit(id).await;
        let steps: Vec<&str> = c["Timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| e["To"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            steps,
            ["Initial", "Approved", "Allocating", "Allocated"],
            "{id}"
        );
    }
}

/// Polls every future to completion concurrently, in one task.
async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = fs.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// ClientTokens live `idempotency_retention_hours` (24 by default) by the
/// injected clock: once older, the token is forgotten and a reuse with other
/// parameters is a new request; a younger one still refuses them.
#[tokio::test]
async fn client_tokens_are_forgotten_after_the_retention() {
    let s = TestServer::start().await;
    let create = |token: &'static str, name: &'static str| {
        let s = &s;
        async move {
            s.call(
                "CreatePhysicalConnection",
                &[
                    ("RegionId", "cn-hangzhou"),
                    ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                    ("LineOperator", "CT"),
                    ("PortType", "10GBase-LR"),
                    ("Name", name),
                    ("ClientToken", token),
                ],
            )
            .await
        }
    };
    let old = create("tok-old", "first").await;
    assert_eq!(old.status, 200, "{}", old.text);
    s.advance(20.0 * 3600.0).await;
    let young = create("tok-young", "first").await;
    assert_eq!(young.status, 200, "{}", young.text);
    // tok-old is 25 hours old, tok-young 5.
    s.advance(5.0 * 3600.0).await;
    let again = create("tok-old", "second").await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_ne!(
        again.json()["PhysicalConnectionId"],
        old.json()["PhysicalConnectionId"],
        "a new circuit, not the first answer"
    );
    let mismatch = create("tok-young", "second").await;
    assert_eq!(
        (mismatch.status, mismatch.code().as_str()),
        (400, "IdempotentParameterMismatch"),
        "{}",
        mismatch.text
    );
}
