//! Replays across restarts and resets (docs/design/protocol.md#replay-protection),
//! against the real binary: a captured signed `CreatePhysicalConnectionSetupOrder`
//! (AutoPay, no ClientToken) is refused after a SIGKILL restart, after a
//! graceful restart and after `POST /admin/reset`, and the fee is charged
//! once; fresh requests still work, also after the manual clock moved 40
//! days. Run on the embedded store and on PostgreSQL.

use crate::support;

use serde_json::json;
use support::*;

fn setup_order(c: &Client) -> physconn_wire::ClientRequest {
    c.sign(
        &Creds::default_key(),
        "CreatePhysicalConnectionSetupOrder",
        &[
            ("RegionId", "cn-hangzhou"),
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("PortType", "10GBase-LR"),
        ],
        &now(),
    )
}

async fn balance(c: &Client, p: &Proc) -> String {
    let (s, v) = c
        .admin(&p.admin, "GET", "/admin/accounts/default", None)
        .await;
    assert_eq!(s, 200, "{v}");
    v["Balance"].as_str().unwrap_or_default().to_string()
}

async fn setup_orders(c: &Client, p: &Proc) -> usize {
    let (s, v) = c
        .admin(&p.admin, "GET", "/admin/orders?account=default", None)
        .await;
    assert_eq!(s, 200, "{v}");
    v["Orders"]
        .as_array()
        .map(|o| o.iter().filter(|o| o["Kind"] == "Setup").count())
        .unwrap_or(0)
}

async fn refused(c: &Client, p: &Proc, req: &physconn_wire::ClientRequest, when: &str) {
    let r = c.send(&p.api, req).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "SignatureNonceUsed"),
        "a replay {when}: {}",
        r.body
    );
}

async fn fresh_call_works(c: &Client, p: &Proc, when: &str) {
    let r = c
        .call(
            &p.api,
            &Creds::default_key(),
            "DescribePhysicalConnections",
            &[("RegionId", "cn-hangzhou")],
            &now(),
        )
        .await;
    assert_eq!(r.status, 200, "a fresh request {when}: {}", r.body);
}

/// The whole scenario on one store; `start` starts a server on it.
async fn scenario(start: impl Fn() -> Proc) {
    let c = Client::new();
    let mut p = start();
    let opening = balance(&c, &p).await;
    let captured = setup_order(&c);
    let r = c.send(&p.api, &captured).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let charged = balance(&c, &p).await;
    assert_ne!(charged, opening, "the installation fee is charged");
    refused(&c, &p, &captured, "at once").await;

    p.signal("KILL");
    let mut p = start();
    refused(&c, &p, &captured, "after a SIGKILL restart").await;
    assert_eq!(balance(&c, &p).await, charged, "charged once");
    fresh_call_works(&c, &p, "after a SIGKILL restart").await;

    p.signal("TERM");
    let p = start();
    refused(&c, &p, &captured, "after a graceful restart").await;
    assert_eq!(balance(&c, &p).await, charged, "charged once");
    assert_eq!(setup_orders(&c, &p).await, 1);

    let (s, v) = c.admin(&p.admin, "POST", "/admin/reset", None).await;
    assert_eq!(s, 200, "{v}");
    refused(&c, &p, &captured, "after a reset").await;
    assert_eq!(setup_orders(&c, &p).await, 0, "no order after the reset");
    assert_eq!(balance(&c, &p).await, opening);

    // The business clock moves 40 days; clients still sign with real time.
    let (s, v) = c
        .admin(
            &p.admin,
            "POST",
            "/admin/clock/advance",
            Some(json!({"seconds": 40 * 86400})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    fresh_call_works(&c, &p, "40 days later").await;
    let again = setup_order(&c);
    assert_eq!(c.send(&p.api, &again).await.status, 200);
    refused(&c, &p, &again, "40 days later").await;
    p.stop();
}

fn flags<'a>(store: &[&'a str]) -> Vec<&'a str> {
    let mut f = vec!["--clock", "manual", "--provisioning-delay", "0"];
    f.extend_from_slice(store);
    f
}

fn env() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("PHYSCONN_ACCESS_KEY_ID", Some(KEY_ID)),
        ("PHYSCONN_ACCESS_KEY_SECRET", Some(KEY_SECRET)),
        ("PHYSCONN_ADMIN_TOKEN", Some(ADMIN_TOKEN)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_refused_after_restarts_and_resets_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    scenario(|| spawn(&flags(&["--data-dir", &d]), &env()).listening()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_refused_after_restarts_and_resets_on_postgres() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let schema = fresh_schema("replay");
    let url = schema_url(&schema, &format!("physconn-{schema}"));
    scenario(|| spawn(&flags(&["--database-url", &url]), &env()).listening()).await;
    drop_schema(&mut db, &schema).await;
}
