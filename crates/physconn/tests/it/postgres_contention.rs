//! One busy account on PostgreSQL (docs/design/decisions.md#row-locks):
//! sixteen clients create circuits in the same account at once, then confirm
//! them and place paid occupancy orders at once. Every call succeeds on its
//! first try, none of these writes is re-run (they queue on the account's
//! and the circuit's row locks instead of failing to serialize), and the
//! money invariants hold in the database.

use crate::support;
use serde_json::json;
use support::*;

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 4;
const RERUNS: &str = "physconn_db_conflict_reruns_total";

/// Runs `f(client index)` on every client at once; each returns what it made.
async fn at_once<F, Fut>(f: F) -> Vec<String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Vec<String>> + Send + 'static,
{
    let tasks: Vec<_> = (0..CLIENTS).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.extend(t.await.expect("client"));
    }
    out
}

/// A server on a fresh schema with the quota of pending circuits
/// `max_pending` and the throttle lifted: the schema, the config file (for
/// the caller to remove) and the server.
fn server_on_fresh_schema(prefix: &str, max_pending: u32) -> (String, std::path::PathBuf, Proc) {
    let schema = fresh_schema(prefix);
    let url = schema_url(&schema, &format!("physconn-{schema}"));
    let config = std::env::temp_dir().join(format!("{schema}.toml"));
    std::fs::write(
        &config,
        format!(
            "max_pending_circuits = {max_pending}\nthrottle_per_key_rps = 100000\n\
             throttle_burst = 100000\nthrottle_per_action_rps = 100000\n"
        ),
    )
    .unwrap();
    let flags = ["--database-url", &url, "--config", config.to_str().unwrap()];
    let server = start_servers_with(1, &flags).remove(0);
    (schema, config, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_write_in_one_account_without_reruns() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    // The quota of pending circuits and the throttle would refuse some of
    // this deliberate burst; lifted, every refusal would be the store's.
    let (schema, config, server) = server_on_fresh_schema("busy", 1000);
    let (api, admin) = (server.api.clone(), server.admin.clone());
    let c = Client::new();
    let (account, creds) = c.account(&admin, "busy", "1000000.00").await;
    // Provider steps wait for the admin API, so only the clients write.
    let (s, v) = c
        .admin(
            &admin,
            "PUT",
            &format!("/admin/accounts/{account}"),
            Some(json!({"provisioning_mode": "manual"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let reruns = || c.metric(&admin, RERUNS);
    let before = reruns().await.expect("the re-run counter is exported");

    let ids = at_once(|i| {
        let (c, api, creds) = (c.clone(), api.clone(), creds.clone());
        async move {
            let mut ids = Vec::new();
            for n in 0..PER_CLIENT {
                let token = format!("create-{i}-{n}");
                let p = [
                    ("RegionId", "cn-hangzhou"),
                    ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                    ("LineOperator", "CT"),
                    ("PortType", "1000Base-LX"),
                    ("ClientToken", token.as_str()),
                ];
                let r = c
                    .call(&api, &creds, "CreatePhysicalConnection", &p, &now())
                    .await;
                assert_eq!(r.status, 200, "create: {}", r.body);
                ids.push(r.body["PhysicalConnectionId"].as_str().unwrap().to_string());
            }
            ids
        }
    })
    .await;
    assert_eq!(ids.len(), CLIENTS * PER_CLIENT);
    assert_eq!(reruns().await, Some(before), "no create was re-run");

    for id in &ids {
        let path = format!("/admin/physical-connections/{id}/status");
        let (s, v) = c
            .admin(&admin, "POST", &path, Some(json!({"status": "Allocated"})))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let before = reruns().await.expect("the re-run counter");
    let per_client: Vec<Vec<String>> = ids.chunks(PER_CLIENT).map(<[String]>::to_vec).collect();
    let orders = at_once(|i| {
        let (c, api, creds, mine) = (c.clone(), api.clone(), creds.clone(), per_client[i].clone());
        async move {
            let mut orders = Vec::new();
            for id in &mine {
                let target = [
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", id.as_str()),
                ];
                let r = c
                    .call(&api, &creds, "ConfirmPhysicalConnection", &target, &now())
                    .await;
                assert_eq!(r.status, 200, "confirm: {}", r.body);
                let token = format!("order-{id}");
                let p = [
                    ("RegionId", "cn-hangzhou"),
                    ("PhysicalConnectionId", id.as_str()),
                    ("InstanceChargeType", "PrePaid"),
                    ("Period", "1"),
                    ("PricingCycle", "Month"),
                    ("AutoPay", "true"),
                    ("ClientToken", token.as_str()),
                ];
                let r = c
                    .call(
                        &api,
                        &creds,
                        "CreatePhysicalConnectionOccupancyOrder",
                        &p,
                        &now(),
                    )
                    .await;
                assert_eq!(r.status, 200, "order: {}", r.body);
                orders.push(r.body["Data"]["OrderId"].as_str().unwrap().to_string());
            }
            orders
        }
    })
    .await;
    assert_eq!(orders.len(), ids.len());
    assert_eq!(
        reruns().await,
        Some(before),
        "no confirm or order was re-run"
    );

    let start = physconn_wire::parse_timestamp(START)
        .unwrap()
        .unix_timestamp()
        * 1_000_000;
    check_invariants(&mut db, &schema, start).await;
    let (paid,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM \"{schema}\".orders WHERE status = 'Paid' AND account_id = $1"
    ))
    .bind(&account)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(paid, orders.len() as i64, "every order paid once");
    server.stop();
    let _ = std::fs::remove_file(&config);
    drop_schema(&mut db, &schema).await;
}

/// Creates and setup orders in one account at its quota less one, all at
/// once: both count on the account's counts row
/// (docs/design/decisions.md#account-counts), so exactly one of them gets in
/// and the others are refused with the quota's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_and_setup_orders_share_the_quota() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let (schema, config, server) = server_on_fresh_schema("quota", 4);
    let (api, admin) = (server.api.clone(), server.admin.clone());
    let c = Client::new();
    let (_, creds) = c.account(&admin, "quota", "1000000.00").await;
    let line = [
        ("RegionId", "cn-hangzhou"),
        ("AccessPointId", "ap-cn-hangzhou-yh-B"),
        ("LineOperator", "CT"),
        ("PortType", "1000Base-LX"),
    ];
    for _ in 0..3 {
        let r = c
            .call(&api, &creds, "CreatePhysicalConnection", &line, &now())
            .await;
        assert_eq!(r.status, 200, "create: {}", r.body);
    }
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (c, api, creds) = (c.clone(), api.clone(), creds.clone());
            tokio::spawn(async move {
                let mut p = line.to_vec();
                // Mostly setup orders, whose check reads the counts before
                // their money moves: the creates come in between.
                let action = if i % 4 == 0 {
                    "CreatePhysicalConnection"
                } else {
                    p.push(("AutoPay", "true"));
                    "CreatePhysicalConnectionSetupOrder"
                };
                let r = c.call(&api, &creds, action, &p, &now()).await;
                (r.status, r.code().to_string(), r.body.to_string())
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        let (status, code, body) = t.await.expect("client");
        match status {
            200 => admitted += 1,
            _ => assert_eq!(code, "QuotaExceeded.freePconnPerAP", "{body}"),
        }
    }
    assert_eq!(admitted, 1, "one create or setup order fills the quota");
    let (live,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM \"{schema}\".circuits WHERE deleted_at IS NULL"
    ))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(live, 4);
    server.stop();
    let _ = std::fs::remove_file(&config);
    drop_schema(&mut db, &schema).await;
}
