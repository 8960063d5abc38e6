//! What every replay of the Terraform provider shares
//! (docs/design/circuits.md#terraform-provider): its ClientToken, its call
//! site with retries, its waits (a delay, then a poll every 3 s) and its
//! reads of lines and VBRs, and the data sources' client-side filters.
//! Pauses advance the manual clock; against the system clock they sleep.
#![allow(dead_code)]

use crate::common::*;
use physconn_domain::IdGen;
use physconn_server::ClockMode;
use serde_json::Value;
use std::time::Duration;

pub const REGION: (&str, &str) = ("RegionId", "cn-hangzhou");

/// `buildClientToken(action)`: `TF-<Action>-<unix>-<uuid>`, cut to 64.
pub fn token(action: &str) -> String {
    let t = format!(
        "TF-{action}-{}-{}",
        1_764_400_000,
        physconn_domain::RandomIds.request_id().to_lowercase()
    );
    t.chars().take(64).collect()
}

/// One of the provider's pauses: a real sleep against the system clock, an
/// advance of the manual clock otherwise (the provider steps fall due in it).
pub async fn pause(s: &TestServer, d: Duration) {
    if s.config.clock == ClockMode::Manual {
        s.advance(d.as_secs_f64()).await;
    } else {
        tokio::time::sleep(d).await;
    }
}

/// One call site: a token built once and reused on every retry. The first
/// answer is thrown away, as if the connection had dropped after the server
/// did the work; the retry must return the same result.
pub async fn call_with_retry(s: &TestServer, action: &str, params: &[(&str, &str)]) -> Value {
    call_retrying(s, action, params, &[], Duration::ZERO)
        .await
        .0
}

/// [`call_with_retry`] for a call site that also retries the codes in
/// `retried` (`TaskConflict` on CreateVirtualBorderRouter), with the same
/// token, `between` apart. Returns the answer and how many attempts were
/// refused with a retried code.
pub async fn call_retrying(
    s: &TestServer,
    action: &str,
    params: &[(&str, &str)],
    retried: &[&str],
    between: Duration,
) -> (Value, usize) {
    let tok = token(action);
    let mut p = params.to_vec();
    p.push(("ClientToken", &tok));
    let mut refused = 0;
    let first = loop {
        let r = s.call_v1_form(action, &p).await;
        if r.status == 200 || !retried.contains(&r.code().as_str()) || refused >= 100 {
            break r;
        }
        refused += 1;
        pause(s, between).await;
    };
    assert_eq!(first.status, 200, "{action}: {}", first.text);
    let retry = s.call_v1_form(action, &p).await;
    assert_eq!(retry.status, 200, "{action} retry: {}", retry.text);
    let (mut a, mut b) = (first.json(), retry.json());
    for v in [&mut a, &mut b] {
        if let Value::Object(m) = v {
            m.remove("RequestId");
            m.remove("requestId");
        }
    }
    assert_eq!(
        a, b,
        "{action}: a retry with the same token returns the original result"
    );
    (a, refused)
}

/// `DescribeExpressConnectPhysicalConnection`: Filter by id, PageSize 50.
pub async fn read_line(s: &TestServer, id: &str) -> Option<Value> {
    let r = s
        .call_v1_form(
            "DescribePhysicalConnections",
            &[
                REGION,
                ("PageSize", "50"),
                ("PageNumber", "1"),
                ("Filter.1.Key", "PhysicalConnectionId"),
                ("Filter.1.Value.1", id),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["PhysicalConnectionSet"]["PhysicalConnectionType"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["PhysicalConnectionId"] == id).cloned())
}

/// The line's StateRefreshFunc waiter: `delay`, then polls with a 3 s floor
/// until `target` (failing on `Allocation Failed`) or the timeout, counted
/// in the pauses it made.
pub async fn wait_line(s: &TestServer, id: &str, target: &str, delay: Duration, timeout: Duration) {
    pause(s, delay).await;
    let mut waited = delay;
    loop {
        let status = read_line(s, id)
            .await
            .map(|c| c["Status"].as_str().unwrap_or("").to_string());
        match status.as_deref() {
            Some(t) if t == target => return,
            Some("Allocation Failed") => panic!("{id} failed allocation"),
            _ if waited > timeout => panic!("{id} did not reach {target}: {status:?}"),
            _ => {
                pause(s, Duration::from_secs(3)).await;
                waited += Duration::from_secs(3);
            }
        }
    }
}

/// `DescribeExpressConnectVirtualBorderRouter`: the VBR by id, cross-account
/// ones included; `None` when the list is empty (the provider's "gone").
pub async fn read_vbr(s: &TestServer, id: &str) -> Option<Value> {
    let r = s
        .call_v1_form(
            "DescribeVirtualBorderRouters",
            &[
                REGION,
                ("IncludeCrossAccountVbr", "true"),
                ("Filter.1.Key", "VbrId"),
                ("Filter.1.Value.1", id),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json()["VirtualBorderRouterSet"]["VirtualBorderRouterType"][0].clone();
    (!v.is_null()).then_some(v)
}

/// The provider's VBR wait: `delay`, then a poll every 3 s until `Status` is
/// one of `targets` (an empty list: until the VBR is gone).
pub async fn wait_vbr(s: &TestServer, id: &str, targets: &[&str], delay: Duration) {
    pause(s, delay).await;
    let mut waited = delay;
    loop {
        let v = read_vbr(s, id).await;
        let status = v
            .as_ref()
            .map(|v| v["Status"].as_str().unwrap_or("").to_string());
        match status.as_deref() {
            None if targets.is_empty() => return,
            Some(st) if targets.contains(&st) => return,
            _ if waited > Duration::from_secs(300) => {
                panic!("{id} did not reach {targets:?}: {status:?}")
            }
            _ => {
                pause(s, Duration::from_secs(3)).await;
                waited += Duration::from_secs(3);
            }
        }
    }
}

/// What a data source filters on the client after listing: `name_regex`
/// on `Name`, `ids` on the id field, `status` on `Status`.
#[derive(Default, Clone, Copy)]
pub struct ClientFilter<'a> {
    pub name_regex: Option<&'a str>,
    pub ids: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// The provider's regexp match for the patterns its tests use (literal text,
/// `^` at most).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix('^') {
        Some(prefix) => name.starts_with(prefix),
        None => name.contains(pattern),
    }
}

impl ClientFilter<'_> {
    pub fn keep(&self, item: &Value, id_field: &str) -> bool {
        self.name_regex
            .is_none_or(|p| name_matches(p, item["Name"].as_str().unwrap_or("")))
            && self.ids.is_none_or(|id| item[id_field] == id)
            && self.status.is_none_or(|st| item["Status"] == st)
    }
}

/// A data source's listing: `action` with `params` plus `RegionId` (the
/// client's region unless `params` has one), `PageSize=50` and `PageNumber` from 1, paged until a short page, each
/// page's `set.item[]` kept through `filter`.
pub async fn list_all(
    s: &TestServer,
    action: &str,
    params: &[(&str, &str)],
    (set, item): (&str, &str),
    id_field: &str,
    filter: ClientFilter<'_>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let n = page.to_string();
        let mut p = params.to_vec();
        if !params.iter().any(|(k, _)| *k == "RegionId") {
            p.push(REGION);
        }
        p.extend([("PageSize", "50"), ("PageNumber", n.as_str())]);
        let r = s.call_v1_form(action, &p).await;
        assert_eq!(r.status, 200, "{action}: {}", r.text);
        let items = r.json()[set][item].as_array().cloned().unwrap_or_default();
        let short = items.len() < 50;
        out.extend(items.into_iter().filter(|i| filter.keep(i, id_field)));
        if short {
            break;
        }
    }
    out
}

/// A fixtures file with the Enabled line the provider's acceptance tests
/// find by `name_regex = "^preserved-NODELETING"` (docs/fixtures.md).
pub const PRESERVED_FIXTURE: &str = r#"
[[physical_connections]]
account = "default"
name = "preserved-NODELETING-1"
access_point_id = "ap-cn-hangzhou-yh-B"
line_operator = "CT"
port_type = "1000Base-LX"
status = "Enabled"
"#;

/// A server on the manual clock that starts from [`PRESERVED_FIXTURE`].
pub async fn preserved_server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fixtures.toml");
    std::fs::write(&path, PRESERVED_FIXTURE).expect("write fixtures");
    let s = TestServer::start_with(|c| c.fixtures = Some(path)).await;
    (s, dir)
}

/// `data.alicloud_express_connect_physical_connections` with
/// `name_regex = "^preserved-NODELETING"`: `connections.0.id`.
pub async fn preserved_line(s: &TestServer) -> String {
    let found = list_all(
        s,
        "DescribePhysicalConnections",
        &[],
        ("PhysicalConnectionSet", "PhysicalConnectionType"),
        "PhysicalConnectionId",
        ClientFilter {
            name_regex: Some("^preserved-NODELETING"),
            ..ClientFilter::default()
        },
    )
    .await;
    let id = found.first().expect("the preserved line")["PhysicalConnectionId"]
        .as_str()
        .expect("id");
    id.to_string()
}
