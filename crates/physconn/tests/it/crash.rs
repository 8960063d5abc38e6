//! Crash safety (issue "Hostile input, overload and crashes", item 6): order
//! load against the real binary, killed with SIGKILL at random moments and
//! started again on the same data directory, 20 times. Every order the
//! server acknowledged exists exactly once, retries of unacknowledged ones
//! never make a second order, the money invariants hold, the store opens
//! cleanly every time and no circuit is stuck behind a due step.
//! `PHYSCONN_CRASH_ROUNDS` makes it longer.

use crate::support;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use physconn_wire::{sign_v3, ClientCredentials};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use support::{spawn, Proc};

const KEY: &str = "LTAIcrashTest00000000000";
const SECRET: &str = "crashSecret0000000000000000000";
const TOKEN: &str = "crash-admin";

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Where a running server answers.
#[derive(Clone)]
struct Target {
    api: String,
    admin: String,
}

/// A server and where it answers.
struct Server {
    proc: Proc,
    at: Target,
}

fn start(dir: &std::path::Path, config: &std::path::Path) -> Server {
    let (dir, config) = (
        dir.to_str().expect("utf-8 path"),
        config.to_str().expect("utf-8 path"),
    );
    // It must open the store cleanly every time: `listening` fails otherwise.
    let proc = spawn(
        &["--clock", "manual", "--data-dir", dir, "--config", config],
        &[
            ("PHYSCONN_ACCESS_KEY_ID", Some(KEY)),
            ("PHYSCONN_ACCESS_KEY_SECRET", Some(SECRET)),
            ("PHYSCONN_ADMIN_TOKEN", Some(TOKEN)),
        ],
    )
    .listening();
    let at = Target {
        api: proc.api.clone(),
        admin: proc.admin.clone(),
    };
    Server { proc, at }
}

async fn call(
    http: &Http,
    p: &Target,
    action: &str,
    version: &str,
    params: &[(&str, &str)],
) -> Option<(u16, Value)> {
    let now = support::now();
    let creds = ClientCredentials {
        access_key_id: KEY,
        access_key_secret: SECRET,
        security_token: None,
    };
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let nonce = format!("{:032x}", rand_u128());
    let req = sign_v3(
        &creds, &p.api, action, version, &params, false, &now, &nonce,
    );
    let mut b = hyper::Request::builder()
        .method("POST")
        .uri(format!("http://{}/?{}", p.api, req.query));
    for (k, v) in &req.headers {
        if k != "host" {
            b = b.header(k.as_str(), v.as_str());
        }
    }
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        http.request(b.body(Full::new(Bytes::new())).ok()?),
    )
    .await
    .ok()?
    .ok()?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    (u128::from(h.finish()) << 64)
        | u128::from(
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
        )
}

async fn admin(
    http: &Http,
    p: &Target,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{}{path}", p.admin))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(10), http.request(req))
        .await
        .ok()?
        .ok()?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn kill9(p: &mut Server) {
    p.proc.signal("KILL");
}

async fn confirmed_circuits(http: &Http, p: &Target, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (st, v) = call(
            http,
            p,
            "CreatePhysicalConnection",
            "2016-04-28",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
            ],
        )
        .await
        .expect("create");
        assert_eq!(st, 200, "{v}");
        let id = v["PhysicalConnectionId"].as_str().unwrap().to_string();
        let (st, _) = call(
            http,
            p,
            "ConfirmPhysicalConnection",
            "2016-04-28",
            &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
        )
        .await
        .expect("confirm");
        assert_eq!(st, 200);
        out.push(id);
    }
    out
}

/// Money and order invariants, read through the admin API.
async fn check(http: &Http, p: &Target, acked: &HashMap<String, String>) {
    let (_, orders) = admin(http, p, "GET", "/admin/orders?account=default", None)
        .await
        .expect("orders");
    let orders = orders["Orders"].as_array().unwrap().clone();
    let mut per_circuit: HashMap<String, usize> = HashMap::new();
    for o in &orders {
        *per_circuit
            .entry(o["PhysicalConnectionId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        per_circuit.values().all(|n| *n == 1),
        "one order per circuit (token): {per_circuit:?}"
    );
    let ids: HashSet<&str> = orders
        .iter()
        .map(|o| o["OrderId"].as_str().unwrap())
        .collect();
    for (token, oid) in acked {
        assert!(
            ids.contains(oid.as_str()),
            "acknowledged order {oid} ({token}) is there"
        );
    }
    let (_, ledger) = admin(http, p, "GET", "/admin/accounts/default/ledger", None)
        .await
        .expect("ledger");
    let entries = ledger["Entries"].as_array().unwrap();
    let sum: i64 = entries
        .iter()
        .map(|e| fen(e["Amount"].as_str().unwrap()))
        .sum();
    let (_, acct) = admin(http, p, "GET", "/admin/accounts/default", None)
        .await
        .expect("account");
    assert_eq!(
        fen(acct["Balance"].as_str().unwrap()),
        sum,
        "balance = ledger sum"
    );
    let paid: HashSet<&str> = orders
        .iter()
        .filter(|o| o["Status"] == "Paid")
        .map(|o| o["OrderId"].as_str().unwrap())
        .collect();
    let payments: Vec<&str> = entries
        .iter()
        .filter(|e| e["Kind"] == "OrderPayment")
        .map(|e| e["OrderId"].as_str().unwrap())
        .collect();
    assert_eq!(
        payments.len(),
        paid.len(),
        "one ledger entry per paid order"
    );
    assert!(payments.iter().all(|o| paid.contains(o)));
}

fn fen(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let (w, f) = s.trim_start_matches('-').split_once('.').unwrap();
    let v = w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_survive_sigkill() {
    let rounds: usize = std::env::var("PHYSCONN_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("physconn.toml");
    std::fs::write(
        &config,
        "provisioning_delay = 0\nmax_pending_circuits = 100000\nthrottle_per_key_rps = 1000000\nthrottle_burst = 1000000\ndefault_balance = \"100000000.00\"\nclock_start = \"2026-11-29T00:00:00Z\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let mut p = start(&data, &config);
    let per_round = 12;
    let circuits = confirmed_circuits(&http, &p.at, rounds * per_round).await;
    let mut acked: HashMap<String, String> = HashMap::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    for round in 0..rounds {
        // Retries of what the last crash left unanswered, then a fresh batch,
        // all at once; the kill lands somewhere in the middle.
        let mut batch: Vec<(String, String)> = std::mem::take(&mut pending);
        for (i, c) in circuits[round * per_round..(round + 1) * per_round]
            .iter()
            .enumerate()
        {
            batch.push((format!("crash-{round}-{i}"), c.clone()));
        }
        let mut tasks = Vec::new();
        for (token, circuit) in batch.clone() {
            let (http, at) = (http.clone(), p.at.clone());
            tasks.push(tokio::spawn(async move {
                let r = call(
                    &http,
                    &at,
                    "CreatePhysicalConnectionOccupancyOrder",
                    "2016-04-28",
                    &[
                        ("RegionId", "cn-hangzhou"),
                        ("PhysicalConnectionId", &circuit),
                        ("InstanceChargeType", "PrePaid"),
                        ("AutoPay", "true"),
                        ("ClientToken", &token),
                    ],
                )
                .await;
                (token, circuit, r)
            }));
        }
        let delay = 5 + (rand_u128() % 60) as u64;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        kill9(&mut p);
        for t in tasks {
            let (token, circuit, r) = t.await.unwrap();
            match r {
                Some((200, v)) => {
                    let oid = v["Data"]["OrderId"].as_str().unwrap().to_string();
                    if let Some(prev) = acked.insert(token.clone(), oid.clone()) {
                        assert_eq!(prev, oid, "a retry returned another order");
                    }
                }
                Some((400, v)) if v["Code"] == "Forbidden.NotAllowedInState" => {
                    panic!("{token}: the circuit already has an order, yet the token's answer was lost: {v}")
                }
                _ => pending.push((token, circuit)),
            }
        }
        p = start(&data, &config);
        check(&http, &p.at, &acked).await;
    }
    // Finish the unanswered ones; then no circuit is stuck behind a due step.
    for (token, circuit) in std::mem::take(&mut pending) {
        let r = call(
            &http,
            &p.at,
            "CreatePhysicalConnectionOccupancyOrder",
            "2016-04-28",
            &[
                ("RegionId", "cn-hangzhou"),
                ("PhysicalConnectionId", &circuit),
                ("InstanceChargeType", "PrePaid"),
                ("AutoPay", "true"),
                ("ClientToken", &token),
            ],
        )
        .await
        .expect("answer after restart");
        assert_eq!(r.0, 200, "{}", r.1);
        acked.insert(token, r.1["Data"]["OrderId"].as_str().unwrap().to_string());
    }
    admin(
        &http,
        &p.at,
        "POST",
        "/admin/clock/advance",
        Some(json!({"seconds": 1})),
    )
    .await
    .expect("advance");
    check(&http, &p.at, &acked).await;
    for c in circuits.iter().take(rounds * per_round) {
        let (_, v) = admin(
            &http,
            &p.at,
            "GET",
            &format!("/admin/physical-connections/{c}"),
            None,
        )
        .await
        .expect("circuit");
        assert_eq!(v["Status"], "Enabled", "{c} reached Enabled: {v}");
    }
    assert_eq!(acked.len(), rounds * per_round);
    p.proc.stop();
}
