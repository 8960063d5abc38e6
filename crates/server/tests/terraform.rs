//! The Terraform provider's own flow (docs/design/circuits.md#terraform-provider),
//! replayed with its
//! wire form (V1, every parameter in a form body), its parameters, its
//! polling rhythm (first poll after 1 s, then every 3 s; 5 s delay before
//! status waits) and its `ClientToken` reuse on retries. `basic0` runs it
//! in real time against a server with default settings (system clock, 1 s
//! provider steps); the other flows keep the same rhythm on a manual clock,
//! each pause an advance, so they cost no wall-clock time.

mod common;
use common::*;
use physconn_server::ClockMode;
use serde_json::Value;
use std::time::{Duration, Instant};

fn token(action: &str) -> String {
    let t = format!("TF-{action}-{}-{}", 1_764_400_000, uuid_like());
    t.chars().take(64).collect()
}

fn uuid_like() -> String {
    use physconn_domain::IdGen;
    physconn_domain::RandomIds.request_id().to_lowercase()
}

/// `DescribeExpressConnectPhysicalConnection`: Filter by id, PageSize 50.
async fn read(s: &TestServer, id: &str) -> Option<Value> {
    let r = s
        .call_v1_form(
            "DescribePhysicalConnections",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PageSize", "50"),
                ("PageNumber", "1"),
                ("Filter.1.Key", "PhysicalConnectionId"),
                ("Filter.1.Value.1", id),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["PhysicalConnectionSet"]["PhysicalConnectionType"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["PhysicalConnectionId"] == id).cloned())
}

/// One of the provider's pauses: a real sleep against the system clock, an
/// advance of the manual clock otherwise (the provider steps fall due in it).
async fn pause(s: &TestServer, d: Duration) {
    if s.config.clock == ClockMode::Manual {
        s.advance(d.as_secs_f64()).await;
    } else {
        tokio::time::sleep(d).await;
    }
}

/// The SDK's StateRefreshFunc waiter: `delay`, then polls with a 3 s floor
/// until `target` (failing on `Allocation Failed`) or the timeout, counted
/// in the pauses it made.
async fn wait_for(s: &TestServer, id: &str, target: &str, delay: Duration, timeout: Duration) {
    pause(s, delay).await;
    let mut waited = delay;
    loop {
        let status = read(s, id)
            .await
            .map(|c| c["Status"].as_str().unwrap_or("").to_string());
        match status.as_deref() {
            Some(t) if t == target => return,
            Some("Allocation Failed") => panic!("{id} failed allocation"),
            _ if waited > timeout => panic!("{id} did not reach {target}: {status:?}"),
            _ => {
                pause(s, Duration::from_secs(3)).await;
                waited += Duration::from_secs(3);
            }
        }
    }
}

/// One call site: a token built once and reused on every retry. The first
/// answer is thrown away, as if the connection had dropped after the server
/// did the work; the retry must return the same result.
async fn call_with_retry(s: &TestServer, action: &str, params: &[(&str, &str)]) -> Value {
    let tok = token(action);
    let mut p = params.to_vec();
    p.push(("ClientToken", &tok));
    let first = s.call_v1_form(action, &p).await;
    assert_eq!(first.status, 200, "{action}: {}", first.text);
    let retry = s.call_v1_form(action, &p).await;
    assert_eq!(retry.status, 200, "{action} retry: {}", retry.text);
    let (mut a, mut b) = (first.json(), retry.json());
    for v in [&mut a, &mut b] {
        if let Value::Object(m) = v {
            m.remove("RequestId");
            m.remove("requestId");
        }
    }
    assert_eq!(
        a, b,
        "{action}: a retry with the same token returns the original result"
    );
    a
}

async fn create(s: &TestServer, name: &str) -> String {
    let v = call_with_retry(
        s,
        "CreatePhysicalConnection",
        &[
            ("RegionId", "cn-hangzhou"),
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
    let id = v["PhysicalConnectionId"].as_str().unwrap().to_string();
    wait_for(
        s,
        &id,
        "Allocated",
        Duration::from_secs(1),
        Duration::from_secs(120),
    )
    .await;
    id
}

async fn confirm_and_enable(s: &TestServer, id: &str) {
    let p = [("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", id)];
    call_with_retry(s, "ConfirmPhysicalConnection", &p).await;
    wait_for(
        s,
        id,
        "Confirmed",
        Duration::from_secs(5),
        Duration::from_secs(1200),
    )
    .await;
    let order = call_with_retry(
        s,
        "CreatePhysicalConnectionOccupancyOrder",
        &[
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", id),
            ("InstanceChargeType", "PrePaid"),
            ("AutoPay", "true"),
            ("Period", "1"),
            ("PricingCycle", "Month"),
        ],
    )
    .await;
    assert!(order["Data"].is_object(), "Terraform requires $.Data");
    assert_eq!(order["Data"]["OrderId"].as_str().unwrap().len(), 15);
    wait_for(
        s,
        id,
        "Enabled",
        Duration::from_secs(5),
        Duration::from_secs(1200),
    )
    .await;
}

async fn terminate_and_delete(s: &TestServer, id: &str) {
    let p = [("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", id)];
    call_with_retry(s, "TerminatePhysicalConnection", &p).await;
    wait_for(
        s,
        id,
        "Terminated",
        Duration::from_secs(5),
        Duration::from_secs(1200),
    )
    .await;
    call_with_retry(s, "DeletePhysicalConnection", &p).await;
    assert!(
        read(s, id).await.is_none(),
        "CheckDestroy: gone from Describe"
    );
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
    let id = create(&s, "tf-testAccExpressConnectPhysicalConnection-basic0").await;
    // Update: LineOperator always, plus the changed attributes.
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("LineOperator", "CT"),
        ("bandwidth", "200"),
        ("CircuitCode", "longtel001"),
        ("PeerLocation", "Hangzhou Room 2"),
        ("Name", "tf-testAcc-basic0-renamed"),
        ("Description", "tf-testAcc-basic0-described"),
    ];
    call_with_retry(&s, "ModifyPhysicalConnectionAttribute", &p).await;
    let c = read(&s, &id).await.unwrap();
    assert_eq!(
        (
            c["LineOperator"].as_str(),
            c["Bandwidth"].to_string(),
            c["CircuitCode"].as_str()
        ),
        (Some("CT"), "200".to_string(), Some("longtel001"))
    );
    confirm_and_enable(&s, &id).await;
    terminate_and_delete(&s, &id).await;
    let wall = started.elapsed();
    assert!(wall < Duration::from_secs(30), "basic0 took {wall:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn twin() {
    let s = TestServer::start().await;
    let id = create(&s, "tf-testAccExpressConnectPhysicalConnection-twin").await;
    confirm_and_enable(&s, &id).await;
    let c = read(&s, &id).await.unwrap();
    assert_eq!(
        (c["ChargeType"].as_str(), c["BusinessStatus"].as_str()),
        (Some("Prepaid"), Some("Normal"))
    );
    assert!(c["EndTime"].is_string());
    s.shutdown().await;
}

/// `DescribeExpressConnectVirtualBorderRouter`: the VBR by id, cross-account
/// ones included; `None` when the list is empty (the provider's "gone").
async fn read_vbr(s: &TestServer, id: &str) -> Option<Value> {
    let r = s
        .call_v1_form(
            "DescribeVirtualBorderRouters",
            &[
                ("RegionId", "cn-hangzhou"),
                ("IncludeCrossAccountVbr", "true"),
                ("Filter.1.Key", "VbrId"),
                ("Filter.1.Value.1", id),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json()["VirtualBorderRouterSet"]["VirtualBorderRouterType"][0].clone();
    (!v.is_null()).then_some(v)
}

/// The provider's VBR wait: `delay`, then a poll every 3 s until `Status` is
/// one of `targets` (an empty list: until the VBR is gone).
async fn wait_vbr(s: &TestServer, id: &str, targets: &[&str], delay: Duration) {
    pause(s, delay).await;
    let mut waited = delay;
    loop {
        let v = read_vbr(s, id).await;
        let status = v
            .as_ref()
            .map(|v| v["Status"].as_str().unwrap_or("").to_string());
        match status.as_deref() {
            None if targets.is_empty() => return,
            Some(st) if targets.contains(&st) => return,
            _ if waited > Duration::from_secs(300) => {
                panic!("{id} did not reach {targets:?}: {status:?}")
            }
            _ => {
                pause(s, Duration::from_secs(3)).await;
                waited += Duration::from_secs(3);
            }
        }
    }
}

/// `alicloud_express_connect_virtual_border_router`: create (with `Tag.N.*`,
/// as the provider sends them), the update a new resource runs, a read of
/// every field the provider maps, terminate and recover, group and tag
/// changes, delete and the check that it is gone, then the line can go.
#[tokio::test]
async fn vbr_resource() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let r = "cn-hangzhou";
    let created = call_with_retry(
        &s,
        "CreateVirtualBorderRouter",
        &[
            ("RegionId", r),
            ("VlanId", "1234"),
            ("Tag.1.Key", "Created"),
            ("Tag.1.Value", "TF"),
            ("LocalGatewayIp", "10.0.0.1"),
            ("Name", "tf-testAccVbr"),
            ("PeeringSubnetMask", "255.255.255.252"),
            ("PhysicalConnectionId", &line),
            ("PeerGatewayIp", "10.0.0.2"),
        ],
    )
    .await;
    let id = created["VbrId"].as_str().expect("$.VbrId").to_string();
    wait_vbr(&s, &id, &["active", "unconfirmed"], Duration::from_secs(1)).await;
    let base = [
        ("VbrId", id.as_str()),
        ("RegionId", r),
        ("VlanId", "1234"),
        ("LocalGatewayIp", "10.0.0.1"),
        ("PeeringSubnetMask", "255.255.255.252"),
        ("PeerGatewayIp", "10.0.0.2"),
    ];
    let mut modify = base.to_vec();
    modify.push(("MinRxInterval", "300"));
    call_with_retry(&s, "ModifyVirtualBorderRouterAttribute", &modify).await;
    wait_vbr(&s, &id, &["active"], Duration::from_secs(1)).await;
    let tag = [
        ("RegionId", r),
        ("ResourceId.1", id.as_str()),
        ("ResourceType", "VIRTUALBORDERROUTER"),
        ("Tag.1.Key", "Created"),
        ("Tag.1.Value", "TF"),
    ];
    call_with_retry(&s, "TagResourcesForExpressConnect", &tag).await;

    let v = read_vbr(&s, &id).await.expect("read");
    for f in [
        "DetectMultiplier",
        "MinRxInterval",
        "MinTxInterval",
        "Mtu",
        "VlanId",
        "Bandwidth",
    ] {
        assert!(
            v[f].as_i64().is_some_and(|n| n > 0),
            "{f} must be a non-zero number: {v}"
        );
    }
    for f in ["EnableIpv6", "SitelinkEnable"] {
        assert!(v[f].is_boolean(), "{f}: {v}");
    }
    for f in [
        "RouteTableId",
        "ResourceGroupId",
        "CreationTime",
        "Status",
        "Name",
    ] {
        assert!(v[f].as_str().is_some_and(|s| !s.is_empty()), "{f}: {v}");
    }
    assert_eq!(v["Tags"]["Tags"][0]["Key"], "Created");

    let act = [("VbrId", id.as_str()), ("RegionId", r)];
    call_with_retry(&s, "TerminateVirtualBorderRouter", &act).await;
    wait_vbr(&s, &id, &["terminated"], Duration::from_secs(5)).await;
    call_with_retry(&s, "RecoverVirtualBorderRouter", &act).await;
    wait_vbr(&s, &id, &["active"], Duration::from_secs(5)).await;

    let group = s
        .call_v1_form(
            "ChangeResourceGroup",
            &[
                ("ResourceId", id.as_str()),
                ("RegionId", r),
                ("NewResourceGroupId", "rg-acfmtf00000001"),
                ("ResourceType", "VIRTUALBORDERROUTER"),
            ],
        )
        .await;
    assert_eq!(group.status, 200, "{}", group.text);
    let untag = [
        ("RegionId", r),
        ("ResourceId.1", id.as_str()),
        ("ResourceType", "VIRTUALBORDERROUTER"),
        ("TagKey.1", "Created"),
    ];
    call_with_retry(&s, "UntagResourcesForExpressConnect", &untag).await;
    let v = read_vbr(&s, &id).await.expect("read");
    assert_eq!(
        (v["ResourceGroupId"].as_str(), v["Tags"].clone()),
        (Some("rg-acfmtf00000001"), serde_json::json!({"Tags": []}))
    );

    call_with_retry(&s, "DeleteVirtualBorderRouter", &act).await;
    wait_vbr(&s, &id, &[], Duration::from_secs(1)).await;
    let again = s.call_v1_form("DeleteVirtualBorderRouter", &act).await;
    assert_eq!(again.status, 404, "the provider counts a 404 as deleted");
    let p = [("RegionId", r), ("PhysicalConnectionId", line.as_str())];
    call_with_retry(&s, "TerminatePhysicalConnection", &p).await;
    s.shutdown().await;
}

/// `data.alicloud_express_connect_access_points`: `DescribeAccessPoints`
/// with `RegionId`, `PageSize=50`, `PageNumber=1` and no `AcceptLanguage`,
/// then the provider filters by `name_regex`, `ids` and `status`. Returns the
/// matching items.
async fn access_points(
    s: &TestServer,
    region: &str,
    name_regex: Option<&str>,
    id: Option<&str>,
    status: Option<&str>,
) -> Vec<Value> {
    let r = s
        .call_v1_form(
            "DescribeAccessPoints",
            &[
                ("RegionId", region),
                ("PageSize", "50"),
                ("PageNumber", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json()["AccessPointSet"]["AccessPointType"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The test's patterns are literal text, `^` at most, so this is the
    // provider's regexp match.
    let name_ok = |name: &str| match name_regex {
        None => true,
        Some(p) => match p.strip_prefix('^') {
            Some(prefix) => name.starts_with(prefix),
            None => name.contains(p),
        },
    };
    items
        .into_iter()
        .filter(|a| name_ok(a["Name"].as_str().unwrap_or("")))
        .filter(|a| id.is_none_or(|id| a["AccessPointId"] == id))
        .filter(|a| status.is_none_or(|st| a["Status"] == st))
        .collect()
}

/// `TestAccAliCloudExpressConnectAccessPointsDataSource`: for each region of
/// its table, the name, id, status and combined configurations find exactly
/// the table's access point with every checked attribute set, and the fake
/// ones find nothing (docs/design/decisions.md#catalogue). The cn-shanghai
/// row's name prefix names another access point than its id, so there only
/// the id and status steps apply.
#[tokio::test]
async fn access_points_data_source() {
    let s = TestServer::start().await;
    let table = [
        ("cn-hangzhou", Some("杭州-余杭-B"), "ap-cn-hangzhou-yh-B"),
        ("cn-beijing", Some("北京-朝阳-A"), "ap-cn-beijing-cy-A"),
        ("cn-shanghai", None, "ap-cn-shanghai-pd-D"),
        ("ap-southeast-1", Some("新加坡-A"), "ap-sg-singpore-A"),
        (
            "eu-central-1",
            Some("^欧洲-法兰克福-B"),
            "ap-eu-frankfurt-B",
        ),
    ];
    for (region, prefix, id) in table {
        let mut steps = vec![
            (None, Some(id), None),
            (None, Some(id), Some("recommended")),
        ];
        if let Some(p) = prefix {
            steps.push((Some(p), None, None));
            steps.push((Some(p), Some(id), Some("recommended")));
        }
        for (name, ids, status) in steps {
            let found = access_points(&s, region, name, ids, status).await;
            assert_eq!(found.len(), 1, "{region} {name:?}: {found:?}");
            let a = &found[0];
            assert_eq!(a["AccessPointId"], id);
            assert_eq!(a["Status"], "recommended");
            assert_eq!(a["Type"], "VPC");
            assert_eq!(a["Location"], "");
            for f in ["Name", "AttachedRegionNo", "Description", "HostOperator"] {
                assert!(a[f].as_str().is_some_and(|v| !v.is_empty()), "{f}: {a}");
            }
            assert!(a["AccessPointFeatureModels"].is_object(), "{a}");
        }
        let fake = access_points(&s, region, Some("fake"), Some("fake"), Some("full")).await;
        assert!(fake.is_empty(), "{fake:?}");
        assert!(access_points(&s, region, Some("fake_"), None, None)
            .await
            .is_empty());
    }
    // The same region in English when asked.
    let r = s
        .call_v1_form(
            "DescribeAccessPoints",
            &[("RegionId", "cn-hangzhou"), ("AcceptLanguage", "en-US")],
        )
        .await;
    let names: Vec<Value> = r.json()["AccessPointSet"]["AccessPointType"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|a| a["Name"].clone())
        .collect();
    assert!(
        names.contains(&Value::from("Hangzhou-Yuhang-B")),
        "{names:?}"
    );
    s.shutdown().await;
}

/// `data.alicloud_express_connect_physical_connection_service` with
/// `enable = "On"`: `OpenPhysicalConnectionService` with `RegionId`; the
/// first plan opens it, every later plan gets `InvalidOperation.OrderOpened`,
/// which the provider reads as `status = "Opened"` too
/// (docs/design/decisions.md#account-services).
#[tokio::test]
async fn physical_connection_service_data_source() {
    let s = TestServer::start().await;
    let p = [("RegionId", "cn-hangzhou")];
    let first = s.call_v1_form("OpenPhysicalConnectionService", &p).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.json()["RequestId"].is_string());
    for _ in 0..2 {
        let again = s.call_v1_form("OpenPhysicalConnectionService", &p).await;
        assert_eq!(
            (again.status, again.code()),
            (400, "InvalidOperation.OrderOpened".to_string()),
            "{}",
            again.text
        );
    }
    // A reset account starts with the service closed.
    let (status, _) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(status, 200);
    let after = s.call_v1_form("OpenPhysicalConnectionService", &p).await;
    assert_eq!(after.status, 200, "{}", after.text);
    s.shutdown().await;
}
