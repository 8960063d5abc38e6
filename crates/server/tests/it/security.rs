//! Access control, the audit log and secrets at rest (issue "Hostile input,
//! overload and crashes", items 4, 5 and 7).

use crate::common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn ram_users_act_under_their_policy() {
    let s = TestServer::start().await;
    let prod = s.confirmed_circuit().await;
    let policy = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["vpc:Describe*", "vpc:CreatePhysicalConnection"], "Resource": "*"},
        {"Effect": "Allow", "Action": "vpc:CreatePhysicalConnectionOccupancyOrder", "Resource": "*"},
        {"Effect": "Deny", "Action": "vpc:CreatePhysicalConnectionOccupancyOrder",
         "Resource": format!("acs:vpc:*:*:physicalconnection/{prod}")}
    ]});
    let (st, u) = s
        .admin(
            "POST",
            "/admin/accounts/default/users",
            Some(json!({"name": "ci-bot", "policy": policy})),
        )
        .await;
    assert_eq!(st, 201, "{u}");
    let keys = Keys::of(&u);
    let creds = keys.creds();
    // Allowed: reading and creating.
    let r = s
        .call_as(
            &creds,
            "DescribePhysicalConnections",
            &[("RegionId", "cn-hangzhou")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["TotalCount"],
        1,
        "a RAM user sees its account's circuits"
    );
    // Implicitly denied: not in the policy.
    let r = s
        .call_as(
            &creds,
            "CancelPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &prod)],
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "Forbidden.RAM"));
    let v = r.json();
    assert_eq!(v["Message"], "User not authorized to operate on the specified resource, or this API doesn't support RAM.");
    let d = &v["AccessDeniedDetail"];
    assert_eq!(
        (
            d["NoPermissionType"].as_str(),
            d["AuthAction"].as_str(),
            d["AuthPrincipalDisplayName"].as_str(),
            d["AuthPrincipalType"].as_str()
        ),
        (
            Some("ImplicitDeny"),
            Some("vpc:CancelPhysicalConnection"),
            Some("ci-bot"),
            Some("SubUser")
        )
    );
    // Explicitly denied on one circuit, allowed on another.
    let occ = |id: &str| {
        vec![
            ("RegionId", "cn-hangzhou".to_string()),
            ("PhysicalConnectionId", id.to_string()),
        ]
    };
    let p = occ(&prod);
    let pp: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = s
        .call_as(&creds, "CreatePhysicalConnectionOccupancyOrder", &pp)
        .await;
    assert_eq!(r.code(), "Forbidden.RAM");
    assert_eq!(
        r.json()["AccessDeniedDetail"]["NoPermissionType"],
        "ExplicitDeny"
    );
    let dev = s.confirmed_circuit().await;
    let p = occ(&dev);
    let pp: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        s.call_as(&creds, "CreatePhysicalConnectionOccupancyOrder", &pp)
            .await
            .status,
        200
    );
    // The account's own key is not restricted.
    let r = s
        .call(
            "CancelPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &prod)],
        )
        .await;
    assert_eq!(r.status, 200);
    // Policies change at once; a deleted user's keys stop working.
    let uid = u["UserId"].as_str().unwrap().to_string();
    let (st, _) = s
        .admin(
            "PUT",
            &format!("/admin/users/{uid}/policy"),
            Some(json!({"Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*"}]})),
        )
        .await;
    assert_eq!(st, 200);
    let r = s.call_as(&creds, "DescribeRegions", &[]).await;
    assert_eq!(r.code(), "Forbidden.RAM");
    let (st, _) = s
        .admin(
            "PUT",
            &format!("/admin/users/{uid}/policy"),
            Some(json!({"Statement": [{"Effect": "Perhaps"}]})),
        )
        .await;
    assert_eq!(st, 400, "a malformed policy is refused");
    assert_eq!(
        s.admin("DELETE", &format!("/admin/users/{uid}"), None)
            .await
            .0,
        204
    );
    let r = s.call_as(&creds, "DescribeRegions", &[]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidAccessKeyId.NotFound")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn state_changes_and_admin_actions_are_audited() {
    let s = TestServer::start().await;
    let id = s.create_circuit(&[]).await;
    let bad = s
        .call(
            "ConfirmPhysicalConnection",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
        )
        .await;
    assert_eq!(bad.status, 400);
    s.call("DescribeRegions", &[]).await;
    s.admin(
        "POST",
        "/admin/accounts/default/topup",
        Some(json!({"amount": "1.00"})),
    )
    .await;
    let (st, log) = s.admin("GET", "/admin/audit?limit=50", None).await;
    assert_eq!(st, 200);
    let entries = log["Entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["Action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"CreatePhysicalConnection"), "{actions:?}");
    assert!(
        !actions.contains(&"DescribeRegions"),
        "reads are not audited"
    );
    let confirm = entries
        .iter()
        .find(|e| e["Action"] == "ConfirmPhysicalConnection")
        .expect("the refused confirm");
    assert_eq!(confirm["Outcome"], "IncorrectStatus.PhysicalConnection");
    assert_eq!(confirm["Detail"], id.as_str());
    assert_eq!(confirm["Actor"], KEY_ID);
    assert_eq!(confirm["RequestId"], bad.json()["RequestId"]);
    let topup = entries
        .iter()
        .find(|e| e["Channel"] == "admin")
        .expect("the admin call");
    assert_eq!(
        (topup["Action"].as_str(), topup["Outcome"].as_str()),
        (Some("POST /admin/accounts/default/topup"), Some("200"))
    );
    let (_, api_only) = s.admin("GET", "/admin/audit?channel=api", None).await;
    assert!(api_only["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["Channel"] == "api"));
    s.shutdown().await;
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest() {
    let s = TestServer::start().await;
    let created = s.create_account("enc", "1").await;
    let keys = Keys::of(&created);
    let state = s.r().state.clone();
    let k2 = keys.id.clone();
    let stored = physconn_store::read(&*state.store, move |tx| {
        let k = k2.clone();
        Box::pin(async move { tx.get_access_key(&k).await })
    })
    .await
    .unwrap()
    .unwrap();
    assert!(stored.secret.starts_with("enc1:"), "stored form");
    assert!(!stored.secret.contains(&keys.secret));
    // The key still signs; the master key lives beside the embedded store.
    assert_eq!(
        s.call_as(&keys.creds(), "DescribeRegions", &[])
            .await
            .status,
        200
    );
    let mode = std::fs::metadata(s.dir.path().join("master.key")).unwrap();
    assert!(mode.len() > 0);
    let db = std::fs::read(s.dir.path().join("physconn.db")).unwrap();
    let wal = std::fs::read(s.dir.path().join("physconn.db-wal")).unwrap_or_default();
    let needle = keys.secret.as_bytes();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "no secret in the database files"
        );
    }
    s.shutdown().await;
}
