//! The Terraform provider's VBR resource and data source
//! (docs/design/vbr.md#terraform), replayed with its wire form (V1,
//! parameters in a form body), its parameters (`Tag.N.*` where the SDK
//! sends `Tags.N.*`), its ClientToken reuse, its waits (a delay, then a poll
//! every 3 s, as manual clock advances) and its acceptance tests' checks.

use crate::common;
use crate::provider;
use common::*;
use provider::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The resource's Read: the state map Terraform keeps. Numbers go through
/// `formatInt` (which panics on anything but a number), the BFD values only
/// when not 0, booleans must be booleans, tags become `tags.<Key>`.
fn vbr_attributes(v: &Value) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let int = |k: &str| v[k].as_i64().unwrap_or_else(|| panic!("{k}: {v}"));
    let string = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {v}"))
            .to_string()
    };
    m.insert("bandwidth".into(), int("Bandwidth").to_string());
    for (attr, field) in [
        ("detect_multiplier", "DetectMultiplier"),
        ("min_rx_interval", "MinRxInterval"),
        ("min_tx_interval", "MinTxInterval"),
    ] {
        if int(field) != 0 {
            m.insert(attr.into(), int(field).to_string());
        }
    }
    m.insert("mtu".into(), int("Mtu").to_string());
    m.insert("vlan_id".into(), int("VlanId").to_string());
    for (attr, field) in [
        ("enable_ipv6", "EnableIpv6"),
        ("sitelink_enable", "SitelinkEnable"),
    ] {
        let b = v[field].as_bool().unwrap_or_else(|| panic!("{field}: {v}"));
        m.insert(attr.into(), b.to_string());
    }
    for (attr, field) in [
        ("circuit_code", "CircuitCode"),
        ("create_time", "CreationTime"),
        ("description", "Description"),
        ("local_gateway_ip", "LocalGatewayIp"),
        ("local_ipv6_gateway_ip", "LocalIpv6GatewayIp"),
        ("peer_gateway_ip", "PeerGatewayIp"),
        ("peer_ipv6_gateway_ip", "PeerIpv6GatewayIp"),
        ("peering_ipv6_subnet_mask", "PeeringIpv6SubnetMask"),
        ("peering_subnet_mask", "PeeringSubnetMask"),
        ("physical_connection_id", "PhysicalConnectionId"),
        ("resource_group_id", "ResourceGroupId"),
        ("route_table_id", "RouteTableId"),
        ("status", "Status"),
        ("virtual_border_router_name", "Name"),
    ] {
        m.insert(attr.into(), string(field));
    }
    for t in v["Tags"]["Tags"].as_array().into_iter().flatten() {
        let k = t["Key"].as_str().expect("tag key");
        m.insert(
            format!("tags.{k}"),
            t["Value"].as_str().unwrap_or("").into(),
        );
    }
    m
}

/// `alicloud_express_connect_virtual_border_router`: create (with `Tag.N.*`,
/// as the provider sends them, through two `TaskConflict` answers a fault
/// makes, which the provider retries 5 s apart), the update a new resource
/// runs, a read of every field the provider maps, terminate and recover,
/// group and tag changes, delete and the check that it is gone, then the
/// line can go.
#[tokio::test]
async fn vbr_resource() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let r = "cn-hangzhou";
    let fault = serde_json::json!({"scope": "circuit", "target": line, "outcome": "TaskConflict", "count": 2});
    assert_eq!(s.admin("POST", "/admin/faults", Some(fault)).await.0, 201);
    let before = s.r().state.clock.now();
    let (created, refused) = call_retrying(
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
        &["TaskConflict"],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(refused, 2, "each use of the fault refuses one attempt");
    assert_eq!(
        (s.admin("GET", "/admin/faults", None).await.1)["Faults"],
        serde_json::json!([]),
        "the fault is used up"
    );
    assert_eq!(
        s.r().state.clock.now() - before,
        time::Duration::seconds(10),
        "the provider paused 5 s before each retry"
    );
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
    let state = vbr_attributes(&v);
    for (k, want) in [
        ("vlan_id", "1234"),
        ("local_gateway_ip", "10.0.0.1"),
        ("peer_gateway_ip", "10.0.0.2"),
        ("peering_subnet_mask", "255.255.255.252"),
        ("physical_connection_id", line.as_str()),
        ("virtual_border_router_name", "tf-testAccVbr"),
        ("min_rx_interval", "300"),
        ("status", "active"),
        ("tags.Created", "TF"),
    ] {
        assert_eq!(state.get(k).map(String::as_str), Some(want), "{k}");
    }
    // Import: a Read by the id alone gives the same state (the test ignores
    // only `vbr_owner_id`, which the Read does not set).
    let imported = vbr_attributes(&read_vbr(&s, &id).await.expect("import"));
    assert_eq!(imported, state, "ImportStateVerify");

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

/// `data.alicloud_express_connect_virtual_border_routers`: the user's
/// `Filter.N.*`, then the client filters.
async fn routers(s: &TestServer, filters: &[(&str, &str)], f: ClientFilter<'_>) -> Vec<Value> {
    let mut p = Vec::new();
    let keys: Vec<String> = (1..=filters.len())
        .flat_map(|i| [format!("Filter.{i}.Key"), format!("Filter.{i}.Value.1")])
        .collect();
    for (i, (k, v)) in filters.iter().enumerate() {
        p.push((keys[2 * i].as_str(), *k));
        p.push((keys[2 * i + 1].as_str(), *v));
    }
    list_all(
        s,
        "DescribeVirtualBorderRouters",
        &p,
        ("VirtualBorderRouterSet", "VirtualBorderRouterType"),
        "VbrId",
        f,
    )
    .await
}

/// `TestAccAliCloudExpressConnectVirtualBorderRoutersDataSource`: a VBR on
/// the preserved line (found through the physical-connections data source)
/// with BFD values set, which the create's tail sends in a Modify; then the
/// ids, name, status, filter and combined configurations each find it with
/// exactly the test's set and empty attributes, and their fake variants find
/// nothing.
#[tokio::test]
async fn vbr_data_source() {
    let (s, _fixtures) = preserved_server().await;
    let line = preserved_line(&s).await;
    let name = "tf-testAccExpressConnectVirtualBorderRoutersTest1717";
    let vlan = [
        ("VlanId", "1717"),
        ("LocalGatewayIp", "10.0.0.1"),
        ("PeerGatewayIp", "10.0.0.2"),
        ("PeeringSubnetMask", "255.255.255.252"),
    ];
    let mut p = vec![
        REGION,
        ("PhysicalConnectionId", line.as_str()),
        ("Name", name),
    ];
    p.extend(vlan);
    let created = call_with_retry(&s, "CreateVirtualBorderRouter", &p).await;
    let id = created["VbrId"].as_str().expect("$.VbrId").to_string();
    wait_vbr(&s, &id, &["active", "unconfirmed"], Duration::from_secs(1)).await;
    let mut p = vec![REGION, ("VbrId", id.as_str()), ("Name", name)];
    p.extend(vlan);
    p.extend([
        ("MinRxInterval", "1000"),
        ("MinTxInterval", "1000"),
        ("DetectMultiplier", "10"),
    ]);
    call_with_retry(&s, "ModifyVirtualBorderRouterAttribute", &p).await;
    wait_vbr(&s, &id, &["active"], Duration::from_secs(1)).await;

    let both = [
        ("PhysicalConnectionId", line.as_str()),
        ("VbrId", id.as_str()),
    ];
    let f = |name_regex, ids, status| ClientFilter {
        name_regex,
        ids,
        status,
    };
    let exist: [(&[(&str, &str)], ClientFilter); 5] = [
        (&[], f(None, Some(&id), None)),
        (&[], f(Some(name), None, None)),
        (&[], f(None, Some(&id), Some("active"))),
        (&both, f(None, None, None)),
        (&both, f(Some(name), Some(&id), Some("active"))),
    ];
    for (filters, client) in exist {
        let found = routers(&s, filters, client).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let v = &found[0];
        assert_eq!(v["VbrId"], id.as_str());
        assert_eq!(v["Name"], name);
        // formatInt fields: numbers.
        for (k, want) in [
            ("DetectMultiplier", 10),
            ("MinRxInterval", 1000),
            ("MinTxInterval", 1000),
        ] {
            assert_eq!(v[k].as_i64(), Some(want), "{k}: {v}");
        }
        assert!(v["VlanId"].as_i64().is_some(), "{v}");
        assert_eq!(v["EnableIpv6"], false);
        for (k, want) in [
            ("Status", "active"),
            ("LocalGatewayIp", "10.0.0.1"),
            ("PeerGatewayIp", "10.0.0.2"),
            ("PeeringSubnetMask", "255.255.255.252"),
        ] {
            assert_eq!(v[k], want, "{k}");
        }
        for set in [
            "AccessPointId",
            "ActivationTime",
            "CreationTime",
            "PhysicalConnectionBusinessStatus",
            "PhysicalConnectionId",
            "PhysicalConnectionOwnerUid",
            "PhysicalConnectionStatus",
            "RouteTableId",
            "VlanInterfaceId",
        ] {
            assert!(v[set].as_str().is_some_and(|x| !x.is_empty()), "{set}: {v}");
        }
        for empty in [
            "CircuitCode",
            "CloudBoxInstanceId",
            "Description",
            "EccId",
            "LocalIpv6GatewayIp",
            "PConnVbrExpireTime",
            "PeerIpv6GatewayIp",
            "PeeringIpv6SubnetMask",
            "RecoveryTime",
            "TerminationTime",
        ] {
            assert!(v[empty].is_null() || v[empty] == "", "{empty}: {v}");
        }
    }
    let fake_id = format!("{id}-fake");
    let fake_line = format!("{line}-fake");
    let fake_name = format!("{name}fake");
    let fake_filter = [
        ("PhysicalConnectionId", fake_line.as_str()),
        ("VbrId", id.as_str()),
    ];
    let fake: [(&[(&str, &str)], ClientFilter); 5] = [
        (&[], f(None, Some(&fake_id), None)),
        (&[], f(Some(&fake_name), None, None)),
        (&[], f(None, Some(&id), Some("terminated"))),
        (&fake_filter, f(None, None, None)),
        (&[], f(Some(&fake_name), Some(&fake_id), Some("terminated"))),
    ];
    for (filters, client) in fake {
        assert!(routers(&s, filters, client).await.is_empty());
    }
    s.shutdown().await;
}
