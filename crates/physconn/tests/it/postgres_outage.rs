//! PostgreSQL going away under load. Two servers reach the database through
//! a TCP proxy the test controls, so an outage can be staged without
//! stopping the PostgreSQL other tests (and people) share: first every
//! server connection is killed (`pg_terminate_backend`, as a restart does),
//! then the database is unreachable for a few seconds (connections refused).
//! Clients keep placing circuits and orders, retrying with their ClientToken
//! as SDKs do. Every answer is a success or a 503 `ServiceUnavailable` in
//! Alibaba's JSON shape, answered quickly; afterwards the servers work
//! without a restart, every token made exactly one circuit and order, and
//! the money invariants hold.

use crate::support;
use physconn_store::ACQUIRE_TIMEOUT;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy to PostgreSQL that can be taken down (listener closed, every
/// piped connection dropped) and brought back on the same port.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, rx) = watch::channel(true);
        tokio::spawn(Self::serve(Some(listener), port, upstream, rx));
        Proxy { port, up }
    }

    async fn serve(
        mut listener: Option<TcpListener>,
        port: u16,
        upstream: String,
        mut up: watch::Receiver<bool>,
    ) {
        loop {
            let Some(l) = listener.as_ref() else {
                // Down: nothing listens, so connections are refused.
                if up.wait_for(|u| *u).await.is_err() {
                    return;
                }
                listener = TcpListener::bind(("127.0.0.1", port)).await.ok();
                if listener.is_none() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                continue;
            };
            tokio::select! {
                accepted = l.accept() => {
                    let Ok((mut client, _)) = accepted else { continue };
                    let (upstream, mut down) = (upstream.clone(), up.clone());
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = down.wait_for(|u| !*u) => {}
                        }
                    });
                }
                changed = up.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*up.borrow() {
                        listener = None;
                    }
                }
            }
        }
    }

    fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

/// `host:port` of the test database, and its URL with the authority
/// replaced by `127.0.0.1:<port>`.
fn through_proxy(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let upstream = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:5432")
    };
    (upstream, format!("{scheme}://{user}127.0.0.1:{port}{tail}"))
}

struct Seen {
    ok: AtomicUsize,
    unavailable: AtomicUsize,
    slowest_503_ms: AtomicUsize,
}

/// Calls until it succeeds, alternating servers; only 503s may precede
/// the success, each in the Alibaba error shape.
async fn until_ok(
    c: &Client,
    apis: &[String],
    creds: &Creds,
    action: &str,
    params: &[(&str, &str)],
    seen: &Seen,
) -> serde_json::Value {
    for attempt in 0..200 {
        let api = &apis[attempt % apis.len()];
        let t = Instant::now();
        let r = c.call(api, creds, action, params, &now()).await;
        if r.status == 200 {
            seen.ok.fetch_add(1, Ordering::Relaxed);
            return r.body;
        }
        assert_eq!(
            (r.status, r.code()),
            (503, "ServiceUnavailable"),
            "{action}: only success or 503, got {}",
            r.body
        );
        for field in ["RequestId", "HostId", "Message", "Recommend"] {
            assert!(r.body[field].is_string(), "{field} in {}", r.body);
        }
        seen.unavailable.fetch_add(1, Ordering::Relaxed);
        let ms = t.elapsed().as_millis() as usize;
        seen.slowest_503_ms.fetch_max(ms, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{action} never succeeded");
}

async fn lifecycle(c: &Client, apis: &[String], creds: &Creds, tag: &str, seen: &Seen) -> String {
    let token = format!("{tag}-c");
    let created = until_ok(
        c,
        apis,
        creds,
        "CreatePhysicalConnection",
        &[
            ("RegionId", "cn-hangzhou"),
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("PortType", "1000Base-LX"),
            ("ClientToken", &token),
        ],
        seen,
    )
    .await;
    let id = created["PhysicalConnectionId"]
        .as_str()
        .unwrap()
        .to_string();
    // As Terraform does: wait for Allocated before confirming (the steps
    // may have met the outage after the create committed; the simulator
    // fires them once the database is back).
    let mut status = String::new();
    for _ in 0..100 {
        let p = [
            ("RegionId", "cn-hangzhou"),
            ("Filter.1.Key", "PhysicalConnectionId"),
            ("Filter.1.Value.1", id.as_str()),
        ];
        let d = until_ok(c, apis, creds, "DescribePhysicalConnections", &p, seen).await;
        status = d["PhysicalConnectionSet"]["PhysicalConnectionType"][0]["Status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "Allocated" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "Allocated", "circuit {id}");
    let token = format!("{tag}-k");
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("ClientToken", token.as_str()),
    ];
    until_ok(c, apis, creds, "ConfirmPhysicalConnection", &p, seen).await;
    let token = format!("{tag}-o");
    let p = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("InstanceChargeType", "PrePaid"),
        ("AutoPay", "true"),
        ("ClientToken", token.as_str()),
    ];
    until_ok(
        c,
        apis,
        creds,
        "CreatePhysicalConnectionOccupancyOrder",
        &p,
        seen,
    )
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_get_503_while_postgres_is_away_and_recover() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let started = Instant::now();
    let schema = fresh_schema("outage");
    let app = format!("physconn-{schema}");
    let (upstream, _) = through_proxy(&base_url(), 0);
    let proxy = Proxy::start(upstream).await;
    let (_, direct) = through_proxy(&schema_url(&schema, &app), proxy.port);
    let servers = start_servers(2, &direct);
    let apis: Vec<String> = servers.iter().map(|p| p.api.clone()).collect();
    let c = Client::new();
    for s in &servers {
        let (st, v) = c
            .admin(
                &s.admin,
                "POST",
                "/admin/clock/set",
                Some(json!({"now": START})),
            )
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let mut accounts = Vec::new();
    for i in 0..2 {
        accounts.push(
            c.account(&servers[0].admin, &format!("o{i}"), "100000.00")
                .await,
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Seen {
        ok: AtomicUsize::new(0),
        unavailable: AtomicUsize::new(0),
        slowest_503_ms: AtomicUsize::new(0),
    });
    let mut workers = Vec::new();
    for (a, (_, creds)) in accounts.iter().enumerate() {
        for w in 0..3 {
            let (c, apis, creds) = (c.clone(), apis.clone(), creds.clone());
            let (stop, seen) = (stop.clone(), seen.clone());
            workers.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    let tag = format!("a{a}w{w}r{round}");
                    ids.push(lifecycle(&c, &apis, &creds, &tag, &seen).await);
                    round += 1;
                }
                ids
            }));
        }
    }

    // A restart, as the servers see it: every connection killed, twice.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..2 {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&app)
        .execute(&mut db)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Away for a while: connections refused.
    let ok_before = seen.ok.load(Ordering::Relaxed);
    proxy.set_up(false);
    // Longer than twice the pool's acquire timeout, so that even on a loaded
    // machine some request waits out the timeout while the proxy is down.
    tokio::time::sleep(ACQUIRE_TIMEOUT * 2 + Duration::from_millis(1000)).await;
    let during = seen.ok.load(Ordering::Relaxed) - ok_before;
    proxy.set_up(true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ids = Vec::new();
    for w in workers {
        ids.extend(w.await.expect("client"));
    }

    let unavailable = seen.unavailable.load(Ordering::Relaxed);
    assert!(unavailable > 0, "the outage was felt");
    assert!(
        during <= 6,
        "hardly anything succeeds while away ({during})"
    );
    let slowest = seen.slowest_503_ms.load(Ordering::Relaxed);
    assert!(slowest < 6000, "503s come fast (slowest {slowest} ms)");
    // Anything left due (an activation whose firing met the outage) fires.
    let (st, v) = c
        .admin(
            &servers[1].admin,
            "POST",
            "/admin/clock/advance",
            Some(json!({"seconds": 1})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let now = physconn_wire::parse_timestamp(START)
        .unwrap()
        .unix_timestamp()
        * 1_000_000;
    check_invariants(&mut db, &schema, now + 1_000_000).await;
    let q = |sql: &str| sql.replace("{s}", &format!("\"{schema}\""));
    let (circuits,): (i64,) = sqlx::query_as(&q("SELECT COUNT(*) FROM {s}.circuits"))
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(circuits, ids.len() as i64, "one circuit per token");
    let (enabled,): (i64,) = sqlx::query_as(&q(
        "SELECT COUNT(*) FROM {s}.circuits WHERE status = 'Enabled'",
    ))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(enabled, circuits, "every paid circuit is enabled");
    let (paid,): (i64,) = sqlx::query_as(&q(
        "SELECT COUNT(*) FROM {s}.orders WHERE kind = 'Occupancy' AND status = 'Paid'",
    ))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(paid, circuits, "one paid order per circuit");
    drop(servers);
    drop_schema(&mut db, &schema).await;
    eprintln!(
        "outage: {} lifecycles, {unavailable} answers 503 (slowest {slowest} ms), {:?}",
        ids.len(),
        started.elapsed()
    );
}
