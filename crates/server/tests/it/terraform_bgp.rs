//! The Terraform provider's BGP resources replayed (docs/design/bgp.md#terraform):
//! `alicloud_vpc_bgp_group`, `alicloud_vpc_bgp_peer` and
//! `alicloud_vpc_bgp_network` with the provider's wire form (V1, parameters
//! in the form body, `BgpPeerId` in the query), its parameters, its
//! ClientToken use (reused across retries of one call, a new one per
//! attempt of DeleteBgpGroup), its retried codes and its waits (a 5 s delay,
//! then a poll every 3 s), on the manual clock: each wait moves the clock
//! instead of sleeping.

use crate::common;
use crate::provider;
use common::*;
use physconn_domain::IdGen;
use provider::{token, REGION};
use serde_json::Value;

/// A V1 call with the parameters in the form body, except `query` ones,
/// which travel in the query string as the provider sends `BgpPeerId`.
async fn call(s: &TestServer, action: &str, body: &[(&str, &str)], query: &[(&str, &str)]) -> Resp {
    let mut all = body.to_vec();
    all.extend_from_slice(query);
    let mut req = physconn_wire::sign_v1(
        &s.creds(),
        &s.host(),
        action,
        "2016-04-28",
        &pairs(&all),
        true,
        &s.now_str(),
        &physconn_domain::RandomIds.token(32),
    );
    if !query.is_empty() {
        // V1 signs the union of query and body, so moving a parameter
        // between them keeps the signature.
        let only_body = physconn_wire::sign_v1(
            &s.creds(),
            &s.host(),
            action,
            "2016-04-28",
            &pairs(body),
            true,
            &s.now_str(),
            "unused",
        );
        req.body = only_body.body;
        for (k, v) in query {
            req.query.push_str(&format!("&{k}={v}"));
        }
    }
    s.send(req).await
}

/// One call site of the provider: a token made once and reused on every
/// attempt; the attempt is repeated (3 s, then 5 s apart) while the answer
/// is one of `retried`.
async fn call_retrying(
    s: &TestServer,
    action: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    retried: &[&str],
) -> Value {
    call_counted(s, action, params, query, retried).await.0
}

/// [`call_retrying`], also saying how many attempts were refused.
async fn call_counted(
    s: &TestServer,
    action: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    retried: &[&str],
) -> (Value, usize) {
    let tok = token(action);
    let mut p = params.to_vec();
    p.push(("ClientToken", &tok));
    let mut wait = 3.0;
    for refused in 0..100 {
        let r = call(s, action, &p, query).await;
        if r.status == 200 {
            return (r.json(), refused);
        }
        assert!(retried.contains(&r.code().as_str()), "{action}: {}", r.text);
        s.advance(wait).await;
        wait = 5.0;
    }
    panic!("{action} kept failing");
}

/// The provider's `BuildStateConf` wait: `delay` seconds, then a read every
/// 3 s until `target` (`None`: until the object is gone).
async fn wait(s: &TestServer, read: impl AsyncRead, target: Option<&str>, delay: f64) -> Value {
    s.advance(delay).await;
    for _ in 0..100 {
        let v = read.read(s).await;
        match (&v, target) {
            (None, None) => return Value::Null,
            (Some(v), Some(t)) if v["Status"] == t => return v.clone(),
            _ => s.advance(3.0).await,
        }
    }
    panic!("no {target:?} within the timeout");
}

type Fut<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Option<Value>> + Send + 'a>>;

/// A resource's Read: the object, or `None` when the listing is empty.
trait AsyncRead {
    fn read<'a>(&'a self, s: &'a TestServer) -> Fut<'a>;
}

/// `DescribeBgpGroups`(`BgpGroupId`, `RegionId`): element 0.
struct Group(String);
/// `DescribeBgpPeers` with `BgpPeerId` and `RegionId` in the query: element 0.
struct Peer(String);
/// `DescribeBgpNetworks`(`RouterId`, `PageNumber`, `PageSize=50`), matched
/// on `DstCidrBlock`.
struct Network(String, String);

fn first(v: Value, set: &str, item: &str) -> Option<Value> {
    let x = v[set][item][0].clone();
    (!x.is_null()).then_some(x)
}

impl AsyncRead for Group {
    fn read<'a>(&'a self, s: &'a TestServer) -> Fut<'a> {
        Box::pin(async move {
            let r = call(
                s,
                "DescribeBgpGroups",
                &[("BgpGroupId", &self.0), REGION],
                &[],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            first(r.json(), "BgpGroups", "BgpGroup")
        })
    }
}

impl AsyncRead for Peer {
    fn read<'a>(&'a self, s: &'a TestServer) -> Fut<'a> {
        Box::pin(async move {
            let r = call(
                s,
                "DescribeBgpPeers",
                &[],
                &[("BgpPeerId", &self.0), REGION],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            first(r.json(), "BgpPeers", "BgpPeer")
        })
    }
}

impl AsyncRead for Network {
    fn read<'a>(&'a self, s: &'a TestServer) -> Fut<'a> {
        Box::pin(async move {
            let p = [
                ("RouterId", self.0.as_str()),
                REGION,
                ("PageNumber", "1"),
                ("PageSize", "50"),
            ];
            let r = call(s, "DescribeBgpNetworks", &p, &[]).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()["BgpNetworks"]["BgpNetwork"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|n| n["DstCidrBlock"] == self.1.as_str())
                        .cloned()
                })
        })
    }
}

/// The three resources on one VBR, created, read (as import does), updated
/// and destroyed in Terraform's order, with the provider's retries of
/// `DependencyViolation.BgpPeer` and `DependencyViolation.BgpGroup`.
#[tokio::test]
async fn bgp_resources() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let vbr = call_retrying(
        &s,
        "CreateVirtualBorderRouter",
        &[
            REGION,
            ("VlanId", "1001"),
            ("LocalGatewayIp", "10.0.0.1"),
            ("PeerGatewayIp", "10.0.0.2"),
            ("PeeringSubnetMask", "255.255.255.252"),
            ("PhysicalConnectionId", &line),
        ],
        &[],
        &["TaskConflict"],
    )
    .await["VbrId"]
        .as_str()
        .expect("$.VbrId")
        .to_string();

    // alicloud_vpc_bgp_group: create through two `OperationConflict` answers
    // a fault makes (retried 3 s, then 5 s later), wait Available (delay 5 s).
    let fault = serde_json::json!({"scope": "vbr", "target": vbr, "outcome": "OperationConflict", "count": 2});
    assert_eq!(s.admin("POST", "/admin/faults", Some(fault)).await.0, 201);
    let before = s.r().state.clock.now();
    let (created, refused) = call_counted(
        &s,
        "CreateBgpGroup",
        &[
            REGION,
            ("RouterId", &vbr),
            ("PeerAsn", "1111"),
            ("IsFakeAsn", "false"),
            ("Name", "tf-testAccBgpGroup"),
            ("Description", "tf-testAccBgpGroup"),
            ("RouteQuota", "100"),
            ("IpVersion", "IPv4"),
            ("AuthKey", "YourPassword+12345678"),
            ("LocalAsn", "64512"),
        ],
        &[],
        &["OperationConflict"],
    )
    .await;
    assert_eq!(refused, 2, "each use of the fault refuses one attempt");
    assert_eq!(
        s.r().state.clock.now() - before,
        time::Duration::seconds(8),
        "the provider paused 3 s, then 5 s"
    );
    assert_eq!(
        (s.admin("GET", "/admin/faults", None).await.1)["Faults"],
        serde_json::json!([]),
        "the fault is used up"
    );
    let gid = created["BgpGroupId"]
        .as_str()
        .expect("$.BgpGroupId")
        .to_string();
    let g = wait(&s, Group(gid.clone()), Some("Available"), 5.0).await;
    // What the provider's Read sets: integers from JSON numbers, a boolean
    // through formatBool, strings that must be strings.
    assert_eq!(g["PeerAsn"].as_i64(), Some(1111));
    assert_eq!(g["LocalAsn"].as_i64(), Some(64512));
    assert_eq!(g["RouteLimit"].as_i64(), Some(100));
    assert_eq!(g["IsFake"].as_bool(), Some(false));
    for k in [
        "AuthKey",
        "Name",
        "Description",
        "IpVersion",
        "RegionId",
        "RouterId",
        "Status",
    ] {
        assert!(g[k].is_string(), "{k}: {g}");
    }
    assert_eq!(g["IpVersion"], "IPv4");
    // Update: PeerAsn always, plus what changed.
    call_retrying(
        &s,
        "ModifyBgpGroupAttribute",
        &[
            REGION,
            ("BgpGroupId", &gid),
            ("PeerAsn", "1112"),
            ("Name", "tf-testAccBgpGroup-update"),
            ("ClearAuthKey", "true"),
        ],
        &[],
        &[],
    )
    .await;
    let g = wait(&s, Group(gid.clone()), Some("Available"), 5.0).await;
    assert_eq!(
        (g["PeerAsn"].as_i64(), g["AuthKey"].as_str()),
        (Some(1112), Some(""))
    );

    // alicloud_vpc_bgp_peer: create (IPV4 echoed as sent), read by BgpPeerId
    // in the query, update with BgpGroupId always.
    let created = call_retrying(
        &s,
        "CreateBgpPeer",
        &[
            REGION,
            ("BgpGroupId", &gid),
            ("EnableBfd", "true"),
            ("IpVersion", "IPV4"),
            ("BfdMultiHop", "10"),
        ],
        &[],
        &[],
    )
    .await;
    let pid = created["BgpPeerId"]
        .as_str()
        .expect("$.BgpPeerId")
        .to_string();
    let p = wait(&s, Peer(pid.clone()), Some("Available"), 5.0).await;
    assert_eq!(p["BfdMultiHop"].as_i64(), Some(10));
    assert_eq!(p["EnableBfd"].as_bool(), Some(true));
    assert_eq!(p["IpVersion"], "IPV4");
    assert_eq!(p["PeerIpAddress"], "10.0.0.2");
    assert_eq!(p["BgpGroupId"], gid.as_str());
    assert!(p["Name"].is_string());
    call_retrying(
        &s,
        "ModifyBgpPeerAttribute",
        &[REGION, ("BgpGroupId", &gid), ("BfdMultiHop", "20")],
        &[("BgpPeerId", &pid)],
        &[],
    )
    .await;
    let p = wait(&s, Peer(pid.clone()), Some("Available"), 5.0).await;
    assert_eq!(p["BfdMultiHop"].as_i64(), Some(20));

    // alicloud_vpc_bgp_network: id <RouterId>:<DstCidrBlock>.
    let cidr = "192.168.10.0/24";
    call_retrying(
        &s,
        "AddBgpNetwork",
        &[("DstCidrBlock", cidr), ("RouterId", &vbr), REGION],
        &[],
        &[],
    )
    .await;
    let net = Network(vbr.clone(), cidr.to_string());
    let n = wait(&s, net, Some("Available"), 5.0).await;
    assert_eq!(n["RouterId"], vbr.as_str());

    // Import reads each resource by its id alone and finds the same state.
    assert_eq!(Group(gid.clone()).read(&s).await, Some(g));
    assert_eq!(Peer(pid.clone()).read(&s).await, Some(p));

    // Destroy: network and peer first (in parallel), the group once its
    // peer is gone (DeleteBgpGroup takes a new token per attempt and retries
    // DependencyViolation.BgpPeer), then the VBR (retrying
    // DependencyViolation.BgpGroup), then the line.
    call_retrying(
        &s,
        "DeleteBgpNetwork",
        &[("DstCidrBlock", cidr), ("RouterId", &vbr), REGION],
        &[],
        &[],
    )
    .await;
    call_retrying(&s, "DeleteBgpPeer", &[REGION], &[("BgpPeerId", &pid)], &[]).await;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let tok = token("DeleteBgpGroup");
        let r = call(
            &s,
            "DeleteBgpGroup",
            &[REGION, ("BgpGroupId", &gid), ("ClientToken", &tok)],
            &[],
        )
        .await;
        if r.status == 200 {
            break;
        }
        assert_eq!(r.code(), "DependencyViolation.BgpPeer", "{}", r.text);
        s.advance(if attempts == 1 { 3.0 } else { 5.0 }).await;
    }
    assert_eq!(attempts, 2, "the peer was gone after one provider step");
    call_retrying(
        &s,
        "DeleteVirtualBorderRouter",
        &[("VbrId", &vbr), REGION],
        &[],
        &["DependencyViolation.BgpGroup"],
    )
    .await;
    assert_eq!(wait(&s, Group(gid.clone()), None, 5.0).await, Value::Null);
    assert_eq!(wait(&s, Peer(pid.clone()), None, 5.0).await, Value::Null);
    let net = Network(vbr.clone(), cidr.to_string());
    assert_eq!(wait(&s, net, None, 5.0).await, Value::Null);
    let r = call(&s, "DeleteBgpPeer", &[REGION], &[("BgpPeerId", &pid)]).await;
    assert_eq!(
        r.code(),
        "InvalidParams.NotFound",
        "a deleted peer fails a second destroy"
    );
    s.advance(1.0).await;
    let r = call(
        &s,
        "TerminatePhysicalConnection",
        &[REGION, ("PhysicalConnectionId", &line)],
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
