//! The admin API as a whole: its reset, and its OpenAPI document against
//! the router.

use crate::common;
use common::*;
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn reset_keeps_only_the_default_account() {
    let s = TestServer::start().await;
    s.create_circuit(&[]).await;
    let other = s.create_account("x", "1.00").await;
    s.admin(
        "PUT",
        "/admin/accounts/default/balance",
        Some(json!({"balance": "5.00"})),
    )
    .await;
    let id_before = s.default_account_id().await;
    let (st, _) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 200);
    assert!(s.describe_all().await.is_empty());
    assert_eq!(s.default_account_id().await, id_before);
    let (_, acct) = s.admin("GET", "/admin/accounts/default", None).await;
    assert_eq!(acct["Balance"], "1000000.00");
    let (st, _) = s
        .admin(
            "GET",
            &format!("/admin/accounts/{}", other["AccountId"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(st, 404);
    // The configured key still works.
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

/// The document and the router agree, path by path and method by method:
/// the router's paths are the list it is built from, and the methods of each
/// are what the router itself answers in `Allow` to a method it does not
/// serve. The routed table is snapshotted so a change to it shows in review.
#[tokio::test]
async fn openapi_matches_the_admin_router() {
    let s = TestServer::start().await;
    let (st, doc) = s.admin("GET", "/admin/openapi.json", None).await;
    assert_eq!(st, 200);
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| matches!(k.as_str(), "get" | "put" | "post" | "delete" | "patch"))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let mut routed = BTreeSet::new();
    for path in physconn_server::admin::route_paths() {
        let probe = path.replace("{id}", "x").replace("{file}", "app.js");
        let (status, allow) = s.admin_allow(&probe).await;
        assert_eq!(status, 405, "{path}");
        for method in allow.split(',').map(str::trim).filter(|m| *m != "HEAD") {
            routed.insert(format!("{method} {path}"));
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routed but not in openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in openapi.json but not routed: {extra:?}"
    );
    insta::assert_snapshot!(
        "admin-routes",
        routed.into_iter().collect::<Vec<_>>().join("\n")
    );
    s.shutdown().await;
}
