//! Bad input never hurts: random parameters for every action, correctly
//! signed, always get a documented 4xx (or a 200), never a 500 or a panic,
//! and a refused request writes nothing.

use crate::common;
use common::*;
use physconn_server::actions::Action;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};

const NAMES: &[&str] = &[
    "RegionId",
    "PhysicalConnectionId",
    "AccessPointId",
    "LineOperator",
    "PortType",
    "Type",
    "bandwidth",
    "Name",
    "Description",
    "PeerLocation",
    "CircuitCode",
    "RedundantPhysicalConnectionId",
    "ClientToken",
    "Tag.1.Key",
    "Tag.1.Value",
    "Tag.0.Key",
    "Tag.x.Key",
    "Tags.1.Key",
    "Filter.1.Key",
    "Filter.1.Value.1",
    "Filter.2.Value",
    "PageNumber",
    "PageSize",
    "InstanceChargeType",
    "Period",
    "PricingCycle",
    "AutoPay",
    "AutoRenew",
    "AutoRenewDuration",
    "AcceptLanguage",
    "IncludeReservationData",
    "ResourceGroupId",
    "Format",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cn-hangzhou".to_string()),
        Just("ap-cn-hangzhou-yh-B".to_string()),
        Just("PrePaid".to_string()),
        Just("Year".to_string()),
        Just("True".to_string()),
        Just("".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("-1".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-zA-Z0-9 .:_/+*~=&%-]{0,40}",
        "\\PC{0,20}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(NAMES), value()), 0..10).prop_map(|v| {
        let mut seen = std::collections::HashSet::new();
        v.into_iter()
            .filter(|(k, _)| seen.insert(*k))
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    })
}

#[test]
fn random_parameters_never_hurt() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(TestServer::start_with(|c| {
        c.max_pending_circuits = 1_000_000;
        c.throttle_per_key_rps = 1_000_000;
        c.throttle_burst = 1_000_000;
    }));
    let mut runner = TestRunner::new(PtConfig {
        cases: 300,
        ..PtConfig::default()
    });
    let strategy = (prop::sample::select(Action::ALL), params());
    runner
        .run(&strategy, |(action, params)| {
            let p: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            rt.block_on(async {
                let before = s.admin("GET", "/admin/orders", None).await.1["Orders"]
                    .as_array()
                    .map(Vec::len);
                let r = s.call(action.name(), &p).await;
                prop_assert!(
                    matches!(r.status, 200 | 400 | 403 | 404),
                    "{} {:?} -> {} {}",
                    action.name(),
                    params,
                    r.status,
                    r.text
                );
                prop_assert!(r.header("x-acs-request-id").is_some());
                if r.status != 200 {
                    let is_xml = r.text.starts_with('<');
                    prop_assert!(is_xml || !r.code().is_empty(), "{}", r.text);
                    let after = s.admin("GET", "/admin/orders", None).await.1["Orders"]
                        .as_array()
                        .map(Vec::len);
                    prop_assert_eq!(before, after, "a refused request wrote an order");
                }
                Ok(())
            })
        })
        .unwrap();
    rt.block_on(s.shutdown());
}
