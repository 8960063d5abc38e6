//! Graceful shutdown loses nothing it answered: `physconn serve` on the
//! embedded store, under a load of audited calls, gets SIGTERM; it must exit
//! cleanly, and after a restart on the same data directory the audit log
//! holds an entry for every request that was answered.

use crate::support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_keeps_every_answered_audit_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8 path").to_string();
    let server = start_servers_with(1, &["--data-dir", &data])
        .pop()
        .expect("a server");
    let client = Client::new();
    let answered = Arc::new(Mutex::new(HashSet::<String>::new()));
    // Rung once the load is well under way.
    let under_way = Arc::new(Notify::new());
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, api) = (client.clone(), server.api.clone());
        let (answered, under_way) = (answered.clone(), under_way.clone());
        workers.push(tokio::spawn(async move {
            // Until the server stops answering: every answer, success or
            // refusal, is an audited state change.
            loop {
                let req = client.sign(
                    &Creds::default_key(),
                    "CreatePhysicalConnection",
                    &[
                        ("RegionId", "cn-hangzhou"),
                        ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                        ("LineOperator", "CT"),
                    ],
                    &support::now(),
                );
                let Some(resp) = client.try_send(&api, &req).await else {
                    return;
                };
                let id = resp.body["RequestId"].as_str().expect("RequestId");
                let mut answered = answered.lock().unwrap();
                answered.insert(id.to_string());
                if answered.len() == 200 {
                    under_way.notify_one();
                }
            }
        }));
    }
    // Stop while requests are in flight.
    under_way.notified().await;
    let stopped = tokio::task::spawn_blocking(move || server.stop());
    tokio::time::timeout(Duration::from_secs(30), stopped)
        .await
        .expect("the server stops within 30 s")
        .expect("a clean exit");
    for w in workers {
        w.await.expect("worker");
    }
    let answered = answered.lock().unwrap().clone();

    let server = start_servers_with(1, &["--data-dir", &data])
        .pop()
        .expect("a server");
    let (st, log) = client
        .admin(
            &server.admin,
            "GET",
            "/admin/audit?channel=api&limit=10000",
            None,
        )
        .await;
    assert_eq!(st, 200, "{log}");
    let stored: HashSet<String> = log["Entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["RequestId"].as_str().map(str::to_string))
        .collect();
    let lost: Vec<_> = answered.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered requests have no audit entry, e.g. {:?}",
        lost.len(),
        answered.len(),
        lost.first()
    );
}
