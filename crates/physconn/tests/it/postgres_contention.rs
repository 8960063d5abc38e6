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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_write_in_one_account_without_reruns() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let schema = fresh_schema("busy");
    let url = schema_url(&schema, &format!("physconn-{schema}"));
    // The quota of pending circuits and the throttle would refuse some of
    // this deliberate burst; lifted, every refusal would be the store's.
    let config = std::env::temp_dir().join(format!("{schema}.toml"));
    std::fs::write(
        &config,
        "max_pending_circuits = 1000\nthrottle_per_key_rps = 100000\n\
         throttle_burst = 100000\nthrottle_per_action_rps = 100000\n",
    )
    .unwrap();
    let flags = ["--database-url", &url, "--config", config.to_str().unwrap()];
    let server = start_servers_with(1, &flags).remove(0);
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
