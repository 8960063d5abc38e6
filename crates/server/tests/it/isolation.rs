//! Tenancy (docs/design/decisions.md#tenancy): no sequence of calls by one
//! account can read or change
//! another's circuits or orders. Two accounts; the intruder replays random
//! calls against the victim's ids; the victim's state must not move and the
//! intruder must never see the victim's ids.

use crate::common;
use common::*;
use physconn_wire::ClientCredentials;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};

const ACTIONS: &[&str] = &[
    "DescribePhysicalConnections",
    "ConfirmPhysicalConnection",
    "CreatePhysicalConnectionOccupancyOrder",
    "ModifyPhysicalConnectionAttribute",
    "EnablePhysicalConnection",
    "CancelPhysicalConnection",
    "TerminatePhysicalConnection",
    "DeletePhysicalConnection",
    "ApplyPhysicalConnectionLOA",
    "DescribePhysicalConnectionLOA",
    "CompletePhysicalConnectionLOA",
    "RecoverPhysicalConnection",
    "CreateVirtualBorderRouter",
    "DescribeVirtualBorderRouters",
    "DescribeVirtualBorderRoutersForPhysicalConnection",
    "ModifyVirtualBorderRouterAttribute",
    "TerminateVirtualBorderRouter",
    "RecoverVirtualBorderRouter",
    "DeleteVirtualBorderRouter",
];
const BSS: &[&str] = &[
    "GetOrderDetail",
    "CancelOrder",
    "PayOrder",
    "QueryOrders",
    "QueryAvailableInstances",
];

#[test]
fn an_account_cannot_touch_another_accounts_resources() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(TestServer::start_with(|c| {
        c.throttle_per_key_rps = 1_000_000;
        c.throttle_burst = 1_000_000;
    }));
    // The victim (the default account): circuits in several states and an unpaid order.
    let (victim_ids, victim_order) = rt.block_on(async {
        let confirmed = s.confirmed_circuit().await;
        let r = s
            .call(
                "CreatePhysicalConnectionOccupancyOrder",
                &[
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", &confirmed),
                    ("AutoPay", "false"),
                ],
            )
            .await;
        let order = r.json()["Data"]["OrderId"].as_str().unwrap().to_string();
        let initial = s.create_circuit(&[]).await;
        let enabled = s.circuit_in(physconn_domain::Status::Enabled).await;
        let vbr = s
            .call(
                "CreateVirtualBorderRouter",
                &[
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", &enabled),
                    ("VlanId", "7"),
                    ("LocalGatewayIp", "10.0.0.1"),
                    ("PeerGatewayIp", "10.0.0.2"),
                    ("PeeringSubnetMask", "255.255.255.252"),
                ],
            )
            .await;
        let vbr = vbr.json()["VbrId"].as_str().expect("VbrId").to_string();
        (vec![confirmed, initial, enabled, vbr], order)
    });
    async fn snapshot(s: &TestServer, ids: &[String]) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for id in ids {
            if id.starts_with("vbr-") {
                let (_, v) = s.admin("GET", &format!("/admin/vbrs/{id}"), None).await;
                out.push(v);
                continue;
            }
            let mut c = s.admin_circuit(id).await;
            c.as_object_mut().unwrap().remove("Timers");
            out.push(c);
        }
        out.push(
            s.admin("GET", "/admin/orders?account=default", None)
                .await
                .1,
        );
        out.push(s.admin("GET", "/admin/accounts/default", None).await.1);
        out
    }
    let before = rt.block_on(snapshot(&s, &victim_ids));
    let intruder = rt.block_on(s.create_account("intruder", "100000"));
    let key = intruder["AccessKeyId"].as_str().unwrap().to_string();
    let secret = intruder["AccessKeySecret"].as_str().unwrap().to_string();
    let creds = ClientCredentials {
        access_key_id: &key,
        access_key_secret: &secret,
        security_token: None,
    };
    let target = prop_oneof![
        prop::sample::select(victim_ids.clone()),
        Just(victim_order.clone()),
    ];
    let strategy = (
        prop::sample::select(ACTIONS),
        prop::sample::select(BSS),
        target,
        any::<bool>(),
    );
    let mut runner = TestRunner::new(PtConfig {
        // PROPTEST_CASES makes a long run (README, "Run every test").
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120),
        ..PtConfig::default()
    });
    // Sends the intruder's call naming `id`.
    let send = |action: &str, bss: &str, id: &str, use_bss: bool| {
        let (s, creds) = (&s, &creds);
        let (action, bss, id) = (action.to_string(), bss.to_string(), id.to_string());
        async move {
            if use_bss {
                let req = physconn_wire::sign_v3(
                    creds,
                    &s.host(),
                    &bss,
                    "2017-12-14",
                    &pairs(&[
                        ("OrderId", &id),
                        ("PageSize", "100"),
                        ("CreateTimeStart", "2020-01-01T00:00:00Z"),
                    ]),
                    false,
                    &s.now_str(),
                    &physconn_domain::IdGen::token(&physconn_domain::RandomIds, 32),
                );
                s.send(req).await
            } else {
                let p = [
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", id.as_str()),
                    ("InstanceId", id.as_str()),
                    ("VbrId", id.as_str()),
                    ("VlanId", "8"),
                    ("LocalGatewayIp", "10.0.0.5"),
                    ("PeerGatewayIp", "10.0.0.6"),
                    ("PeeringSubnetMask", "255.255.255.252"),
                    ("Name", "stolen"),
                    ("InstanceChargeType", "PrePaid"),
                    ("CompanyName", "x"),
                    ("LineType", "FIBRE"),
                    ("Si", "x"),
                    ("ConstructionTime", "2026-12-01T00:00:00Z"),
                ];
                s.call_as(creds, &action, &p).await
            }
        }
    };
    runner
        .run(&strategy, |(action, bss, id, use_bss)| {
            rt.block_on(async {
                let r = send(action, bss, &id, use_bss).await;
                // The same call naming an id that exists nowhere: the answer
                // must be the same, so it says nothing about the victim.
                let fake = if id.starts_with("pc-") {
                    "pc-bp1doesnotexist00000000".to_string()
                } else if id.starts_with("vbr-") {
                    "vbr-bp1doesnotexist0000000".to_string()
                } else {
                    "999999999999999".to_string()
                };
                let control = send(action, bss, &fake, use_bss).await;
                let code = |r: &Resp| {
                    if r.status == 200 {
                        String::new()
                    } else {
                        r.code()
                    }
                };
                prop_assert_eq!(
                    (r.status, code(&r)),
                    (control.status, code(&control)),
                    "{}/{}: {}",
                    action,
                    bss,
                    r.text
                );
                if r.status == 200 {
                    for vid in victim_ids.iter().chain(std::iter::once(&victim_order)) {
                        prop_assert!(
                            !r.text.contains(vid.as_str()),
                            "{action}/{bss} leaked {vid}: {}",
                            r.text
                        );
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    let after = rt.block_on(snapshot(&s, &victim_ids));
    assert_eq!(
        before, after,
        "the victim's circuits, orders and money did not move"
    );
    rt.block_on(s.shutdown());
}
