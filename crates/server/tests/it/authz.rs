//! RAM authorization covers every resource a handler touches (issue #14,
//! item 1; docs/design/decisions.md#ram-resources): a Deny on a line, a VBR or an
//! order's line refuses every call that names it through a parameter the
//! action takes, and a parameter the action does not take steers nothing.

use crate::common;
use common::*;
use physconn_domain::RandomIds;
use physconn_domain::{IdGen, Status};
use physconn_server::actions::resources::{Arity, IdKind, Role, ID_NAMES};
use physconn_server::actions::{Action, Product};
use physconn_wire::{sign_v3, ClientCredentials};
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

const REGION: &str = "cn-hangzhou";

/// The resources of the world: a denied and an allowed one of each kind.
struct World {
    /// Lines in `Allocated`: D is denied.
    d: String,
    a: String,
    /// An enabled line carrying the VBRs.
    e: String,
    vd: String,
    va: String,
    /// Unpaid setup orders of D and of A.
    od: String,
    oa: String,
    key: String,
    secret: String,
}

impl World {
    fn creds(&self) -> ClientCredentials<'_> {
        ClientCredentials {
            access_key_id: &self.key,
            access_key_secret: &self.secret,
            security_token: None,
        }
    }

    fn denied(&self, id: &str) -> bool {
        [&self.d, &self.vd, &self.od].iter().any(|x| *x == id)
    }
}

async fn call(s: &TestServer, w: &World, action: Action, params: &[(String, String)]) -> Resp {
    let version = match action.product() {
        Product::Vpc => "2016-04-28",
        Product::Bss => "2017-12-14",
    };
    let req = sign_v3(
        &w.creds(),
        &s.host(),
        action.name(),
        version,
        params,
        false,
        &s.now_str(),
        &RandomIds.token(32),
    );
    s.send(req).await
}

async fn setup_order(s: &TestServer) -> (String, String) {
    let r = s
        .call(
            "CreatePhysicalConnectionSetupOrder",
            &[
                ("RegionId", REGION),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
                ("PortType", "1000Base-LX"),
                ("AutoPay", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    (
        v["PhysicalConnectionId"].as_str().unwrap().to_string(),
        v["OrderId"].as_str().unwrap().to_string(),
    )
}

async fn world(s: &TestServer) -> World {
    let (d, od) = setup_order(s).await;
    let (a, oa) = setup_order(s).await;
    s.advance(3.0).await;
    assert_eq!(s.describe(&d).await["Status"], "Allocated");
    let e = s.circuit_in(Status::Enabled).await;
    let vd = s.new_vbr(&e, "10").await;
    let va = s.new_vbr(&e, "11").await;
    let policy = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": [
            format!("acs:vpc:*:*:physicalconnection/{d}"),
            format!("acs:vpc:*:*:virtualborderrouter/{vd}"),
        ]},
    ]});
    let (st, u) = s
        .admin(
            "POST",
            "/admin/accounts/default/users",
            Some(json!({"name": "probe", "policy": policy})),
        )
        .await;
    assert_eq!(st, 201, "{u}");
    World {
        d,
        a,
        e,
        vd,
        va,
        od,
        oa,
        key: u["AccessKeyId"].as_str().unwrap().to_string(),
        secret: u["AccessKeySecret"].as_str().unwrap().to_string(),
    }
}

/// Everything stored about the denied resources.
async fn denied_state(s: &TestServer, w: &World) -> String {
    let (d, vd, od) = (w.d.clone(), w.vd.clone(), w.od.clone());
    let got = physconn_store::read(&*s.r().state.store, move |tx| {
        let (d, vd, od) = (d.clone(), vd.clone(), od.clone());
        Box::pin(async move {
            Ok(format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                tx.get_circuit(&d).await?,
                tx.list_timers(&d).await?,
                tx.vbrs().get_vbr(&vd).await?,
                tx.list_timers(&vd).await?,
                tx.get_order(&od).await?,
            ))
        })
    })
    .await
    .expect("read");
    got
}

/// Parameters that let each action get past its own validation, so that
/// only authorization stands between the call and the resource.
fn base_params(action: Action) -> Vec<(String, String)> {
    use Action::*;
    let mut p: Vec<(&str, &str)> = vec![("RegionId", REGION)];
    match action {
        CreatePhysicalConnection | CreatePhysicalConnectionSetupOrder => p.extend([
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("AutoPay", "false"),
        ]),
        ModifyPhysicalConnectionAttribute => p.push(("Name", "renamed")),
        CreatePhysicalConnectionOccupancyOrder => p.extend([
            ("InstanceChargeType", "PrePaid"),
            ("Period", "1"),
            ("PricingCycle", "Month"),
            ("AutoPay", "false"),
        ]),
        ApplyPhysicalConnectionLOA | SecondApplyPhysicalConnectionLOA => p.extend([
            ("CompanyName", "Example"),
            ("LineType", "MSTP"),
            ("Si", "Example SI"),
            ("ConstructionTime", "2030-01-15T02:00:00Z"),
        ]),
        CompletePhysicalConnectionLOA => p.push(("LineCode", "LC-1")),
        CreateVirtualBorderRouter => p.extend([
            ("VlanId", "20"),
            ("LocalGatewayIp", "10.0.1.1"),
            ("PeerGatewayIp", "10.0.1.2"),
            ("PeeringSubnetMask", "255.255.255.252"),
        ]),
        ModifyVirtualBorderRouterAttribute => p.push(("Name", "renamed")),
        TagResourcesForExpressConnect => p.extend([("Tag.1.Key", "k"), ("Tag.1.Value", "v")]),
        UntagResourcesForExpressConnect => p.push(("All", "true")),
        ChangeResourceGroup => p.push(("NewResourceGroupId", "rg-acfmother")),
        _ => {}
    }
    p.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The value one id-bearing parameter carries in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    Absent,
    Allowed,
    Denied,
}

/// The request for `action` with `picks[name]` for each id-bearing
/// parameter (of the kind the action reads it as, when it takes it), and
/// which ids of declared (`Acts`) parameters it names.
fn request(
    w: &World,
    action: Action,
    picks: &HashMap<&str, (Pick, u8)>,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut params = base_params(action);
    let mut acted_on = Vec::new();
    for name in ID_NAMES {
        let Some(&(pick, flavour)) = picks.get(name) else {
            continue;
        };
        if pick == Pick::Absent {
            continue;
        }
        let declared = action.id_params().iter().find(|d| d.name == *name);
        let kind = declared.map(|d| d.kind).unwrap_or(match flavour % 3 {
            0 => IdKind::Line,
            1 => IdKind::Vbr,
            _ => IdKind::Order,
        });
        let denied = pick == Pick::Denied;
        let (id, tagged_type) = match kind {
            IdKind::Line => (if denied { &w.d } else { &w.a }, "PHYSICALCONNECTION"),
            IdKind::Vbr => (if denied { &w.vd } else { &w.va }, "VIRTUALBORDERROUTER"),
            IdKind::Order => (if denied { &w.od } else { &w.oa }, ""),
            IdKind::Tagged if flavour % 2 == 0 => {
                (if denied { &w.d } else { &w.a }, "PHYSICALCONNECTION")
            }
            IdKind::Tagged => (if denied { &w.vd } else { &w.va }, "VIRTUALBORDERROUTER"),
        };
        let list = declared
            .map(|d| d.arity == Arity::List)
            .unwrap_or(flavour % 2 == 1);
        let key = if list {
            format!("{name}.1")
        } else {
            name.to_string()
        };
        params.push((key, id.clone()));
        if kind == IdKind::Tagged {
            params.push(("ResourceType".into(), tagged_type.into()));
        }
        if declared.is_some_and(|d| d.role == Role::Acts) {
            acted_on.push(id.clone());
        }
    }
    (params, acted_on)
}

/// One case: the call is refused exactly when a parameter the action takes
/// names a denied resource, and the denied resources never change.
async fn check_case(s: &TestServer, w: &World, action: Action, picks: &HashMap<&str, (Pick, u8)>) {
    let (params, acted_on) = request(w, action, picks);
    let before = denied_state(s, w).await;
    let r = call(s, w, action, &params).await;
    let code = serde_json::from_str::<serde_json::Value>(&r.text)
        .ok()
        .and_then(|v| v["Code"].as_str().map(str::to_string))
        .unwrap_or_default();
    let must_refuse = acted_on.iter().any(|id| w.denied(id));
    let label = format!("{} {:?}: {} {}", action.name(), params, r.status, r.text);
    if must_refuse {
        assert_eq!((r.status, code.as_str()), (403, "Forbidden.RAM"), "{label}");
    } else {
        assert_ne!(
            code, "Forbidden.RAM",
            "refused on no denied resource: {label}"
        );
    }
    assert_eq!(
        denied_state(s, w).await,
        before,
        "a denied resource changed: {label}"
    );
}

fn server_config(c: &mut physconn_server::Config) {
    c.throttle_per_action_rps = 100_000;
    c.throttle_per_key_rps = 100_000;
    c.throttle_burst = 100_000;
}

#[tokio::test]
async fn the_loa_bypass_by_a_second_id_is_refused() {
    let s = TestServer::start_with(server_config).await;
    let w = world(&s).await;
    let mut p = base_params(Action::ApplyPhysicalConnectionLOA);
    p.push(("InstanceId".into(), w.d.clone()));
    p.push(("PhysicalConnectionId".into(), w.a.clone()));
    let before = denied_state(&s, &w).await;
    let r = call(&s, &w, Action::ApplyPhysicalConnectionLOA, &p).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "Forbidden.RAM"),
        "{}",
        r.text
    );
    assert_eq!(
        r.json()["AccessDeniedDetail"]["NoPermissionType"],
        "ExplicitDeny"
    );
    assert_eq!(denied_state(&s, &w).await, before);
    let mut p = vec![("RegionId".to_string(), REGION.to_string())];
    p.push(("InstanceId".into(), w.d.clone()));
    p.push(("PhysicalConnectionId".into(), w.a.clone()));
    let r = call(&s, &w, Action::DescribePhysicalConnectionLOA, &p).await;
    assert_eq!(r.code(), "Forbidden.RAM", "{}", r.text);
    // The audit log names the line the call acted on.
    let (_, audit) = s.admin("GET", "/admin/audit?channel=api", None).await;
    let last = &audit["Entries"][0];
    assert_eq!(
        (last["Action"].as_str(), last["Detail"].as_str()),
        (Some("ApplyPhysicalConnectionLOA"), Some(w.d.as_str())),
        "{audit}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_denied_line_is_hidden_from_listings_and_refused_as_redundant() {
    let s = TestServer::start_with(server_config).await;
    let w = world(&s).await;
    let by_id = |id: &str| {
        vec![
            ("RegionId".to_string(), REGION.to_string()),
            ("Filter.1.Key".into(), "PhysicalConnectionId".into()),
            ("Filter.1.Value.1".into(), id.to_string()),
        ]
    };
    let r = call(&s, &w, Action::DescribePhysicalConnections, &by_id(&w.d)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["TotalCount"], 0, "{}", r.text);
    let r = call(&s, &w, Action::DescribePhysicalConnections, &by_id(&w.a)).await;
    assert_eq!(r.json()["TotalCount"], 1, "{}", r.text);
    let mut both = by_id(&w.d);
    both.push(("Filter.1.Value.2".into(), w.a.clone()));
    let r = call(&s, &w, Action::DescribePhysicalConnections, &both).await;
    assert_eq!(r.json()["TotalCount"], 1, "{}", r.text);
    assert!(!r.text.contains(&w.d), "{}", r.text);
    // VBRs filtered by id, and tags listed by id, likewise.
    let mut p = vec![("RegionId".to_string(), REGION.to_string())];
    p.push(("Filter.1.Key".into(), "VbrId".into()));
    p.push(("Filter.1.Value.1".into(), w.vd.clone()));
    let r = call(&s, &w, Action::DescribeVirtualBorderRouters, &p).await;
    assert_eq!(r.json()["TotalCount"], 0, "{}", r.text);
    let p = vec![
        ("RegionId".to_string(), REGION.to_string()),
        ("ResourceType".into(), "PHYSICALCONNECTION".into()),
        ("ResourceId.1".into(), w.d.clone()),
    ];
    let r = call(&s, &w, Action::ListTagResourcesForExpressConnect, &p).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(&w.d), "{}", r.text);
    // The account's own key still sees it.
    assert_eq!(s.describe(&w.d).await["PhysicalConnectionId"], w.d.as_str());
    // Naming the denied line as the redundant one is refused.
    let mut p = base_params(Action::CreatePhysicalConnection);
    p.push(("RedundantPhysicalConnectionId".into(), w.d.clone()));
    let r = call(&s, &w, Action::CreatePhysicalConnection, &p).await;
    assert_eq!(r.code(), "Forbidden.RAM", "{}", r.text);
    let mut p = base_params(Action::ModifyPhysicalConnectionAttribute);
    p.push(("PhysicalConnectionId".into(), w.a.clone()));
    p.push(("RedundantPhysicalConnectionId".into(), w.d.clone()));
    let r = call(&s, &w, Action::ModifyPhysicalConnectionAttribute, &p).await;
    assert_eq!(r.code(), "Forbidden.RAM", "{}", r.text);
    // An order is authorized as its line.
    let p = vec![("OrderId".to_string(), w.od.clone())];
    let r = call(&s, &w, Action::PayOrder, &p).await;
    assert_eq!(r.code(), "Forbidden.RAM", "{}", r.text);
    let _ = &w.e;
    s.shutdown().await;
}

/// Every action with every combination of its own id-bearing parameters,
/// each absent, allowed or denied, while every parameter it does not take
/// names a denied resource.
#[tokio::test]
async fn every_action_with_every_combination_of_its_ids() {
    let s = TestServer::start_with(server_config).await;
    let w = world(&s).await;
    for &action in Action::ALL {
        let declared: Vec<&str> = action.id_params().iter().map(|d| d.name).collect();
        let combos = 3usize.pow(declared.len() as u32);
        for n in 0..combos {
            for flavour in 0..2u8 {
                let mut picks: HashMap<&str, (Pick, u8)> = HashMap::new();
                for name in ID_NAMES {
                    picks.insert(name, (Pick::Denied, flavour));
                }
                let mut rest = n;
                for name in &declared {
                    let pick = [Pick::Absent, Pick::Allowed, Pick::Denied][rest % 3];
                    rest /= 3;
                    picks.insert(name, (pick, flavour));
                }
                check_case(&s, &w, action, &picks).await;
            }
        }
    }
    s.shutdown().await;
}

fn pick() -> impl Strategy<Value = (Pick, u8)> {
    (
        prop_oneof![Just(Pick::Absent), Just(Pick::Allowed), Just(Pick::Denied)],
        0u8..6,
    )
}

/// Random actions with random id-bearing parameters (taken or not).
#[test]
fn authorization_covers_what_the_handler_touches() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (s, w) = rt.block_on(async {
        let s = TestServer::start_with(server_config).await;
        let w = world(&s).await;
        (s, w)
    });
    let actions = Action::ALL.to_vec();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    });
    let strategy = (
        proptest::sample::select(actions),
        proptest::collection::vec(pick(), ID_NAMES.len()),
    );
    runner
        .run(&strategy, |(action, picks)| {
            let picks: HashMap<&str, (Pick, u8)> = ID_NAMES.iter().copied().zip(picks).collect();
            rt.block_on(check_case(&s, &w, action, &picks));
            Ok(())
        })
        .expect("property");
    rt.block_on(s.shutdown());
}
