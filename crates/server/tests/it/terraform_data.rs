//! The Terraform provider's data sources for lines, access points and the
//! service (docs/design/circuits.md#terraform-provider), replayed with its
//! wire form (V1, parameters in a form body), its listing (`PageSize=50`,
//! paged until short) and its client-side filters (`name_regex`, `ids`,
//! `status`), and checked against what its acceptance tests expect set
//! and empty.

use crate::common;
use crate::provider;
use common::*;
use provider::*;
use serde_json::Value;

/// `data.alicloud_express_connect_access_points`: `DescribeAccessPoints`
/// with `RegionId` and no `AcceptLanguage`, filtered by `name_regex`, `ids`
/// and `status`. Returns the matching items.
async fn access_points(
    s: &TestServer,
    region: &str,
    name_regex: Option<&str>,
    ids: Option<&str>,
    status: Option<&str>,
) -> Vec<Value> {
    list_all(
        s,
        "DescribeAccessPoints",
        &[("RegionId", region)],
        ("AccessPointSet", "AccessPointType"),
        "AccessPointId",
        ClientFilter {
            name_regex,
            ids,
            status,
        },
    )
    .await
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

/// `data.alicloud_express_connect_physical_connections`: the connections
/// `DescribePhysicalConnections` lists, through the client filters.
async fn connections(s: &TestServer, filter: ClientFilter<'_>) -> Vec<Value> {
    list_all(
        s,
        "DescribePhysicalConnections",
        &[],
        ("PhysicalConnectionSet", "PhysicalConnectionType"),
        "PhysicalConnectionId",
        filter,
    )
    .await
}

/// `TestAccAlicloudExpressConnectPhysicalConnectionsDataSource`: a new line
/// (CT, `type = "VPC"`, a description, 1000Base-LX, 100 Mbit/s, name and
/// peer location set), found by id, name, status `Allocated` and all three,
/// with exactly the test's set and empty attributes; the fake
/// configurations (an id with `-fake`, a name with `fake`, status
/// `Approved`) find nothing.
#[tokio::test]
async fn physical_connections_data_source() {
    let s = TestServer::start().await;
    let name = "tf-testAccExpressConnectPhysicalConnectionsTest10001";
    let created = call_with_retry(
        &s,
        "CreatePhysicalConnection",
        &[
            REGION,
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("Type", "VPC"),
            ("PortType", "1000Base-LX"),
            ("bandwidth", "100"),
            ("PeerLocation", name),
            ("Name", name),
            ("Description", "my domestic connection"),
        ],
    )
    .await;
    let id = created["PhysicalConnectionId"].as_str().expect("id");
    let fake_id = format!("{id}-fake");
    let fake_name = format!("{name}fake");
    wait_line(
        &s,
        id,
        "Allocated",
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(120),
    )
    .await;

    let f = |name_regex, ids, status| ClientFilter {
        name_regex,
        ids,
        status,
    };
    let exist = [
        f(None, Some(id), None),
        f(Some(name), None, None),
        f(None, Some(id), Some("Allocated")),
        f(Some(name), Some(id), Some("Allocated")),
    ];
    for filter in exist {
        let found = connections(&s, filter).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let c = &found[0];
        assert_eq!(c["PhysicalConnectionId"], id);
        assert_eq!(c["Name"], name);
        // The data source's mapping: `fmt.Sprint` of the number and of the
        // flag, every other field as the string it is (absent: empty).
        assert!(c["Bandwidth"].as_i64().is_some_and(|b| b > 0), "{c}");
        assert!(c["HasReservationData"].is_string(), "{c}");
        for set in [
            "AccessPointId",
            "AdLocation",
            "BusinessStatus",
            "CreationTime",
            "Description",
            "LineOperator",
            "PeerLocation",
            "PhysicalConnectionId",
            "Name",
            "PortNumber",
            "PortType",
            "Spec",
            "Status",
            "Type",
        ] {
            assert!(c[set].as_str().is_some_and(|v| !v.is_empty()), "{set}: {c}");
        }
        for empty in [
            "CircuitCode",
            "EnabledTime",
            "EndTime",
            "LoaStatus",
            "ChargeType",
            "RedundantPhysicalConnectionId",
            "ReservationActiveTime",
            "ReservationInternetChargeType",
            "ReservationOrderType",
        ] {
            assert!(
                c[empty].is_null() || c[empty] == "",
                "{empty} must be empty for a new line: {c}"
            );
        }
    }
    let fake = [
        f(None, Some(&fake_id), None),
        f(Some(&fake_name), None, None),
        f(None, Some(id), Some("Approved")),
        f(Some(&fake_name), Some(&fake_id), Some("Approved")),
    ];
    for filter in fake {
        assert!(connections(&s, filter).await.is_empty());
    }
    s.shutdown().await;
}
