//! Three `physconn serve` processes on one PostgreSQL schema, as behind a
//! load balancer. They start at the same moment on a schema that does not
//! exist yet (migrations and bootstrap race); concurrent clients then place
//! circuits and orders, retrying each write with the same ClientToken to
//! every server at once, and replay signed requests (same nonce) to several
//! servers. All three move their clocks concurrently over a month (every
//! subscription renews once) and over three hours (every pay-as-you-go
//! circuit is metered three times), one of them killed mid-way. Afterwards:
//! one circuit and one order per token, one success per nonce, and the money
//! invariants hold in the database.

use crate::support;
use serde_json::json;
use support::*;

const ACCOUNTS: usize = 4;
const WORKERS: usize = 4;
const ROUNDS: usize = 2;
const MONTH_LATER: &str = "2026-02-02T00:00:00Z";

fn micros(rfc3339: &str) -> i64 {
    physconn_wire::parse_timestamp(rfc3339)
        .unwrap()
        .unix_timestamp()
        * 1_000_000
}

/// A call retried as SDKs retry: a 503 `ServiceUnavailable` (e.g. conflicts
/// that outlasted the server's own retries under this deliberate contention)
/// is sent again, signed anew, with the same parameters (so the same
/// ClientToken).
async fn call_retrying(
    c: &Client,
    api: &str,
    creds: &Creds,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
) -> Resp {
    for _ in 0..20 {
        let r = c.call(api, creds, action, params, date).await;
        if (r.status, r.code()) != (503, "ServiceUnavailable") {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{action}: 503 twenty times");
}

/// The same call sent to every server at the same moment, each signed anew
/// (as an SDK signs each retry): all must give the same answer.
async fn everywhere(
    c: &Client,
    apis: &[String],
    creds: &Creds,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
) -> serde_json::Value {
    let (a, b, d) = tokio::join!(
        call_retrying(c, &apis[0], creds, action, params, date),
        call_retrying(c, &apis[1], creds, action, params, date),
        call_retrying(c, &apis[2], creds, action, params, date),
    );
    for r in [&a, &b, &d] {
        assert_eq!(r.status, 200, "{action}: {}", r.body);
    }
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("RequestId");
            o.remove("requestId");
        }
        v
    };
    assert_eq!(
        strip(&a.body),
        strip(&b.body),
        "{action}: one answer per token"
    );
    assert_eq!(
        strip(&a.body),
        strip(&d.body),
        "{action}: one answer per token"
    );
    a.body
}

/// One signed request replayed to every server at once: exactly one
/// succeeds, the others are `SignatureNonceUsed`. Returns the success.
async fn replayed(
    c: &Client,
    apis: &[String],
    creds: &Creds,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
) -> serde_json::Value {
    let req = c.sign(creds, action, params, date);
    let (a, b, d) = tokio::join!(
        c.send(&apis[0], &req),
        c.send(&apis[1], &req),
        c.send(&apis[2], &req)
    );
    let ok: Vec<_> = [&a, &b, &d]
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(ok.len(), 1, "one success per nonce: {a:?} {b:?} {d:?}");
    for r in [&a, &b, &d].into_iter().filter(|r| r.status != 200) {
        assert_eq!(
            (r.status, r.code()),
            (400, "SignatureNonceUsed"),
            "{:?}",
            r.body
        );
    }
    ok[0].body.clone()
}

/// Create → Allocated → Confirmed → paid order → Enabled, every write
/// retried to all servers at once with its ClientToken.
async fn circuit_lifecycle(
    c: &Client,
    apis: &[String],
    creds: &Creds,
    tag: &str,
    date: &str,
    prepaid: bool,
) -> String {
    let token = format!("{tag}-c");
    let created = everywhere(
        c,
        apis,
        creds,
        "CreatePhysicalConnection",
        &[
            ("RegionId", "cn-hangzhou"),
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("PortType", "1000Base-LX"),
            ("Name", tag),
            ("ClientToken", &token),
        ],
        date,
    )
    .await;
    let id = created["PhysicalConnectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = format!("{tag}-k");
    let target = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("ClientToken", token.as_str()),
    ];
    everywhere(c, apis, creds, "ConfirmPhysicalConnection", &target, date).await;
    let token = format!("{tag}-o");
    let mut order = vec![
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("AutoPay", "true"),
        ("ClientToken", token.as_str()),
    ];
    if prepaid {
        order.extend([
            ("InstanceChargeType", "PrePaid"),
            ("Period", "1"),
            ("PricingCycle", "Month"),
            ("AutoRenew", "true"),
            ("AutoRenewDuration", "1"),
        ]);
    } else {
        order.push(("InstanceChargeType", "PostPaid"));
    }
    let placed = everywhere(
        c,
        apis,
        creds,
        "CreatePhysicalConnectionOccupancyOrder",
        &order,
        date,
    )
    .await;
    assert!(placed["Data"]["OrderId"].as_str().is_some(), "{placed}");
    id
}

/// The same admin call to every server at the same moment.
async fn on_every_server(c: &Client, servers: &[Proc], path: &str, body: serde_json::Value) {
    let call = |i: usize| c.admin(&servers[i].admin, "POST", path, Some(body.clone()));
    let (a, b, d) = tokio::join!(call(0), call(1), call(2));
    for (s, v) in [a, b, d] {
        assert_eq!(s, 200, "{path}: {v}");
    }
}

async fn count(db: &mut sqlx::PgConnection, schema: &str, sql: &str) -> i64 {
    let sql = sql.replace("{s}", &format!("\"{schema}\""));
    let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(&mut *db).await.unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_share_one_database() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let started = std::time::Instant::now();
    let schema = fresh_schema("multi");
    let url = schema_url(&schema, &format!("physconn-{schema}"));
    let mut servers = start_servers(3, &url);
    let apis: Vec<String> = servers.iter().map(|p| p.api.clone()).collect();
    let c = Client::new();
    on_every_server(&c, &servers, "/admin/clock/set", json!({"now": START})).await;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let admin = &servers[i % servers.len()].admin;
        accounts.push(c.account(admin, &format!("acct{i}"), "100000.00").await);
    }

    // Subscriptions, placed by concurrent clients.
    let mut tasks = Vec::new();
    for (a, (_, creds)) in accounts.iter().enumerate() {
        for w in 0..WORKERS {
            let (c, apis, creds) = (c.clone(), apis.clone(), creds.clone());
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for r in 0..ROUNDS {
                    let tag = format!("a{a}w{w}r{r}");
                    ids.push(circuit_lifecycle(&c, &apis, &creds, &tag, &now(), true).await);
                    let p = [("RegionId", "cn-hangzhou")];
                    replayed(&c, &apis, &creds, "DescribePhysicalConnections", &p, &now()).await;
                }
                if w == 0 {
                    // A write without a ClientToken, replayed: done once.
                    let p = [
                        ("RegionId", "cn-hangzhou"),
                        ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                        ("LineOperator", "CT"),
                        ("PortType", "1000Base-LX"),
                    ];
                    replayed(&c, &apis, &creds, "CreatePhysicalConnection", &p, &now()).await;
                }
                ids
            }));
        }
    }
    let mut prepaid = Vec::new();
    for t in tasks {
        prepaid.extend(t.await.expect("client"));
    }
    let per_account = (WORKERS * ROUNDS + 1) as i64;
    for (id, creds) in &accounts {
        let listed = c
            .call(
                &apis[0],
                creds,
                "DescribePhysicalConnections",
                &[("RegionId", "cn-hangzhou"), ("PageSize", "50")],
                &now(),
            )
            .await;
        assert_eq!(listed.body["TotalCount"], per_account, "account {id}");
    }
    check_invariants(&mut db, &schema, micros(START)).await;

    // A month passes on every server at once: each subscription renews once.
    on_every_server(
        &c,
        &servers,
        "/admin/clock/set",
        json!({"now": MONTH_LATER}),
    )
    .await;
    let renewals = count(
        &mut db,
        &schema,
        "SELECT COUNT(*) FROM {s}.orders WHERE kind = 'Renewal' AND status = 'Paid'",
    )
    .await;
    assert_eq!(
        renewals,
        prepaid.len() as i64,
        "one renewal per subscription"
    );
    let renewed = count(
        &mut db,
        &schema,
        "SELECT COUNT(DISTINCT circuit_id) FROM {s}.orders WHERE kind = 'Renewal'",
    )
    .await;
    assert_eq!(renewed, renewals);
    check_invariants(&mut db, &schema, micros(MONTH_LATER)).await;

    // Pay-as-you-go circuits, then three hours pass. One server is killed
    // while it fires the hours; the others fire what it left.
    let mut tasks = Vec::new();
    for (a, (_, creds)) in accounts.iter().enumerate() {
        for w in 0..WORKERS {
            let (c, apis, creds) = (c.clone(), apis.clone(), creds.clone());
            tasks.push(tokio::spawn(async move {
                let tag = format!("a{a}w{w}payg");
                circuit_lifecycle(&c, &apis, &creds, &tag, &now(), false).await
            }));
        }
    }
    let mut payg = Vec::new();
    for t in tasks {
        payg.push(t.await.expect("client"));
    }
    let victim_admin = servers[2].admin.clone();
    let c2 = c.clone();
    let doomed = tokio::spawn(async move {
        c2.try_admin(
            &victim_admin,
            "POST",
            "/admin/clock/advance",
            Some(json!({"seconds": 10800})),
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    servers[2].child.kill().expect("kill");
    let _ = servers[2].child.wait();
    doomed.abort();
    let body = json!({"seconds": 10800});
    let (a, b) = tokio::join!(
        c.admin(
            &servers[0].admin,
            "POST",
            "/admin/clock/advance",
            Some(body.clone())
        ),
        c.admin(
            &servers[1].admin,
            "POST",
            "/admin/clock/advance",
            Some(body.clone())
        ),
    );
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    for id in &payg {
        let n = count(
            &mut db,
            &schema,
            &format!(
                "SELECT COUNT(*) FROM {{s}}.ledger WHERE kind = 'Metering' AND note LIKE 'pay-as-you-go {id} %'"
            ),
        )
        .await;
        assert_eq!(n, 3, "circuit {id}: one charge per metered hour");
    }
    let after = micros(MONTH_LATER) + 3 * 3600 * 1_000_000;
    check_invariants(&mut db, &schema, after).await;
    assert_eq!(
        count(&mut db, &schema, "SELECT COUNT(*) FROM {s}.circuits").await,
        ACCOUNTS as i64 * (per_account + WORKERS as i64)
    );
    drop(servers);
    drop_schema(&mut db, &schema).await;
    eprintln!("three servers: {:?}", started.elapsed());
}
