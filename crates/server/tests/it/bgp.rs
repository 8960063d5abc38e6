//! BGP groups, peers and networks through the whole pipeline: the
//! lifecycle on a VBR with the provider's steps, the objects' JSON types,
//! the dependency refusals in teardown order, ASN and field rules, quotas,
//! tenancy, ClientToken, and the session state operators set
//! (docs/design/bgp.md).

use crate::common;
use common::*;
use physconn_domain::Status;
use serde_json::{json, Value};

const R: (&str, &str) = ("RegionId", "cn-hangzhou");

fn ok(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn refused(r: &Resp, code: &str, message: &str) {
    assert_eq!((r.status, r.code().as_str()), (400, code), "{}", r.text);
    assert_eq!(r.json()["Message"], json!(message), "{}", r.text);
}

/// The one object a describe by id lists, or `Null`.
async fn one(s: &TestServer, action: &str, key: &str, id: &str, set: &str, item: &str) -> Value {
    let v = ok(&s.call(action, &[R, (key, id)]).await);
    let list = v[set][item].as_array().cloned().unwrap_or_default();
    assert!(list.len() <= 1, "{v}");
    list.into_iter().next().unwrap_or(Value::Null)
}

async fn group(s: &TestServer, id: &str) -> Value {
    one(
        s,
        "DescribeBgpGroups",
        "BgpGroupId",
        id,
        "BgpGroups",
        "BgpGroup",
    )
    .await
}

async fn peer(s: &TestServer, id: &str) -> Value {
    one(
        s,
        "DescribeBgpPeers",
        "BgpPeerId",
        id,
        "BgpPeers",
        "BgpPeer",
    )
    .await
}

async fn networks(s: &TestServer, vbr: &str) -> Vec<Value> {
    let v = ok(&s.call("DescribeBgpNetworks", &[R, ("RouterId", vbr)]).await);
    v["BgpNetworks"]["BgpNetwork"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn new_group(s: &TestServer, vbr: &str, asn: &str) -> String {
    let r = s
        .call("CreateBgpGroup", &[R, ("RouterId", vbr), ("PeerAsn", asn)])
        .await;
    let id = ok(&r)["BgpGroupId"].as_str().expect("id").to_string();
    s.advance(1.0).await;
    id
}

async fn new_peer(s: &TestServer, group: &str) -> String {
    let r = s.call("CreateBgpPeer", &[R, ("BgpGroupId", group)]).await;
    let id = ok(&r)["BgpPeerId"].as_str().expect("id").to_string();
    s.advance(1.0).await;
    id
}

#[tokio::test]
async fn lifecycle_on_a_vbr_in_dependency_order() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let vbr = s.new_vbr(&line, "10").await;

    let r = s
        .call(
            "CreateBgpGroup",
            &[
                R,
                ("RouterId", &vbr),
                ("PeerAsn", "65001"),
                ("Name", "Group1"),
                ("AuthKey", "s3cret"),
                ("IsFakeAsn", "true"),
                ("RouteQuota", "50"),
                ("IpVersion", "IPV4"),
                ("ClientToken", "tok-group-1"),
            ],
        )
        .await;
    let gid = ok(&r)["BgpGroupId"].as_str().unwrap().to_string();
    assert!(gid.starts_with("bgpg-bp1"), "{gid}");
    // The same token answers the same group; no second one exists.
    let again = s
        .call(
            "CreateBgpGroup",
            &[
                R,
                ("RouterId", &vbr),
                ("PeerAsn", "65001"),
                ("Name", "Group1"),
                ("AuthKey", "s3cret"),
                ("IsFakeAsn", "true"),
                ("RouteQuota", "50"),
                ("IpVersion", "IPV4"),
                ("ClientToken", "tok-group-1"),
            ],
        )
        .await;
    assert_eq!(ok(&again)["BgpGroupId"], json!(gid));
    let all = ok(&s.call("DescribeBgpGroups", &[R, ("RouterId", &vbr)]).await);
    assert_eq!(all["TotalCount"], json!(1));

    let g = group(&s, &gid).await;
    assert_eq!(g["Status"], json!("Pending"));
    s.advance(1.0).await;
    let g = group(&s, &gid).await;
    assert_eq!(
        g,
        json!({
            "BgpGroupId": gid, "RouterId": vbr, "RegionId": "cn-hangzhou", "Name": "Group1",
            "Description": "", "AuthKey": "s3cret", "PeerAsn": 65001, "LocalAsn": 45104,
            "IsFake": true, "Hold": 30, "Keepalive": 10, "RouteLimit": 50, "IpVersion": "IPV4",
            "Status": "Available"
        })
    );

    // A peer takes the VBR's peer gateway when no address is given.
    let r = s
        .call(
            "CreateBgpPeer",
            &[R, ("BgpGroupId", &gid), ("EnableBfd", "true")],
        )
        .await;
    let pid = ok(&r)["BgpPeerId"].as_str().unwrap().to_string();
    assert!(pid.starts_with("bgp-bp1"), "{pid}");
    assert_eq!(peer(&s, &pid).await["Status"], json!("Pending"));
    s.advance(1.0).await;
    let p = peer(&s, &pid).await;
    assert_eq!(p["Status"], json!("Available"));
    assert_eq!(p["PeerIpAddress"], json!("10.0.0.2"));
    assert_eq!(p["EnableBfd"], json!(true));
    assert_eq!(p["BfdMultiHop"], json!(255));
    assert_eq!(p["PeerAsn"], json!(65001));
    assert_eq!(p["IsFake"], json!(true));
    assert_eq!(p["IpVersion"], json!("IPV4"));
    assert_eq!(p["BgpStatus"], json!(""));
    assert_eq!(p["AdvertisedRouteCount"], json!(0));
    let modified = p["GmtModified"].as_str().unwrap();
    assert!(
        modified.len() == 17 && modified.ends_with('Z'),
        "{modified}"
    );

    // The group's change shows on its peer.
    ok(&s
        .call(
            "ModifyBgpGroupAttribute",
            &[
                R,
                ("BgpGroupId", &gid),
                ("PeerAsn", "65002"),
                ("ClearAuthKey", "true"),
            ],
        )
        .await);
    assert_eq!(group(&s, &gid).await["Status"], json!("Modifying"));
    s.advance(1.0).await;
    let p = peer(&s, &pid).await;
    assert_eq!(
        (p["PeerAsn"].clone(), p["AuthKey"].clone()),
        (json!(65002), json!(""))
    );

    // Operators set the session state.
    let (st, v) = s
        .admin(
            "POST",
            &format!("/admin/bgp-peers/{pid}/session"),
            Some(json!({"BgpStatus": "Established", "ReceivedRouteCount": 7})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let p = peer(&s, &pid).await;
    assert_eq!(p["BgpStatus"], json!("Established"));
    assert_eq!(p["ReceivedRouteCount"], json!(7));
    let (st, _) = s
        .admin(
            "POST",
            &format!("/admin/bgp-peers/{pid}/session"),
            Some(json!({"BgpStatus": "Down"})),
        )
        .await;
    assert_eq!(st, 400);

    // A network, advertised once.
    let add = [
        R,
        ("RouterId", vbr.as_str()),
        ("DstCidrBlock", "192.168.0.0/24"),
    ];
    ok(&s.call("AddBgpNetwork", &add).await);
    refused(
        &s.call("AddBgpNetwork", &add).await,
        "InvalidParams.AlreadyExists",
        "bgp network already exists",
    );
    s.advance(1.0).await;
    assert_eq!(
        networks(&s, &vbr).await,
        [
            json!({"DstCidrBlock": "192.168.0.0/24", "RouterId": vbr, "Status": "Available", "VpcId": ""})
        ]
    );

    // Teardown in dependency order: each parent refuses while children remain.
    let r = s
        .call("DeleteVirtualBorderRouter", &[R, ("VbrId", &vbr)])
        .await;
    refused(
        &r,
        "DependencyViolation.BgpGroup",
        "bgp group exists, cannot delete vbr.",
    );
    let r = s.call("DeleteBgpGroup", &[R, ("BgpGroupId", &gid)]).await;
    refused(
        &r,
        "DependencyViolation.BgpPeer",
        "bgp peer exists, cannot delete bgp group.",
    );
    ok(&s.call("DeleteBgpPeer", &[R, ("BgpPeerId", &pid)]).await);
    assert_eq!(peer(&s, &pid).await["Status"], json!("Deleting"));
    // Still there while it is being deleted.
    let r = s.call("DeleteBgpGroup", &[R, ("BgpGroupId", &gid)]).await;
    refused(
        &r,
        "DependencyViolation.BgpPeer",
        "bgp peer exists, cannot delete bgp group.",
    );
    s.advance(1.0).await;
    assert_eq!(peer(&s, &pid).await, Value::Null);
    let r = s.call("DeleteBgpPeer", &[R, ("BgpPeerId", &pid)]).await;
    refused(&r, "InvalidParams.NotFound", "instance not found");
    ok(&s.call("DeleteBgpGroup", &[R, ("BgpGroupId", &gid)]).await);
    s.advance(1.0).await;
    assert_eq!(group(&s, &gid).await, Value::Null);
    // The networks go with the VBR.
    ok(&s
        .call("DeleteVirtualBorderRouter", &[R, ("VbrId", &vbr)])
        .await);
    s.advance(1.0).await;
    assert!(networks(&s, &vbr).await.is_empty());
    let (_, left) = s.admin("GET", &format!("/admin/bgp?vbr={vbr}"), None).await;
    assert_eq!(left["Networks"], json!([]));
    ok(&s
        .call(
            "TerminatePhysicalConnection",
            &[R, ("PhysicalConnectionId", &line)],
        )
        .await);
}

async fn create(s: &TestServer, vbr: &str, extra: &[(&str, &str)]) -> Resp {
    let mut p = vec![R, ("RouterId", vbr), ("PeerAsn", "65001")];
    for (k, v) in extra {
        match p.iter_mut().find(|(have, _)| have == k) {
            Some(slot) => slot.1 = v,
            None => p.push((k, v)),
        }
    }
    s.call("CreateBgpGroup", &p).await
}

#[tokio::test]
async fn field_rules_and_states() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let vbr = s.new_vbr(&line, "11").await;
    let asn = "invalid peer asn cannot equals aliyun asn:45104";
    refused(
        &create(&s, &vbr, &[("PeerAsn", "45104")]).await,
        "InvalidPeerAsn.Malformed",
        asn,
    );
    refused(
        &create(&s, &vbr, &[("PeerAsn", "x")]).await,
        "InvalidPeerAsn.Malformed",
        asn,
    );
    refused(
        &create(&s, &vbr, &[("Name", "1bad")]).await,
        "InvalidBgpName.Malformed",
        "Specified Bgp Group name is not valid.",
    );
    refused(
        &create(&s, &vbr, &[("Description", "http://x")]).await,
        "InvalidBgpDescription.Malformed",
        "Specified Bgp Group description is not valid.",
    );
    refused(
        &create(&s, &vbr, &[("AuthKey", "with space")]).await,
        "InvalidBgpAuthkey.Malformed",
        "Specified Bgp Group authkey is not valid.",
    );
    for bad in [
        ("LocalAsn", "65025"),
        ("RouteQuota", "111"),
        ("IpVersion", "v4"),
    ] {
        let r = create(&s, &vbr, &[bad]).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "InvalidParameter"),
            "{bad:?}"
        );
    }
    // A 4-byte private LocalAsn.
    let r = create(&s, &vbr, &[("LocalAsn", "4200000001")]).await;
    let gid = ok(&r)["BgpGroupId"].as_str().unwrap().to_string();
    let r = s
        .call(
            "CreateBgpGroup",
            &[R, ("RouterId", "vbr-nope"), ("PeerAsn", "65001")],
        )
        .await;
    refused(&r, "InvalidVbrNetwork", "vbr netowrk not exists");

    // A Pending group takes no peer and no change.
    let cannot = "invalid status cannot operate";
    let r = s.call("CreateBgpPeer", &[R, ("BgpGroupId", &gid)]).await;
    refused(&r, "InvalidStatus.CannotOperate", cannot);
    let r = s
        .call(
            "ModifyBgpGroupAttribute",
            &[R, ("BgpGroupId", &gid), ("Name", "n2")],
        )
        .await;
    refused(&r, "InvalidStatus.CannotOperate", cannot);
    let r = s
        .call("CreateBgpPeer", &[R, ("BgpGroupId", "bgpg-nope")])
        .await;
    refused(&r, "InvalidBgpGroup", "bgp group not exists");
    s.advance(1.0).await;
    assert_eq!(group(&s, &gid).await["LocalAsn"], json!(4_200_000_001u64));

    let r = s
        .call(
            "CreateBgpPeer",
            &[R, ("BgpGroupId", &gid), ("PeerIpAddress", "10.0.0.300")],
        )
        .await;
    refused(&r, "InvalidIP.Malformed", "Ip malformed.");
    let r = s
        .call(
            "AddBgpNetwork",
            &[R, ("RouterId", &vbr), ("DstCidrBlock", "10.1.0.1/24")],
        )
        .await;
    refused(&r, "InvalidIP.Malformed", "Ip malformed.");
    let r = s
        .call(
            "DeleteBgpNetwork",
            &[R, ("RouterId", &vbr), ("DstCidrBlock", "10.9.0.0/16")],
        )
        .await;
    refused(&r, "InvalidParams.NotFound", "instance not found");

    // Eight peers to a VBR.
    let mut peers = Vec::new();
    for _ in 0..8 {
        let r = s.call("CreateBgpPeer", &[R, ("BgpGroupId", &gid)]).await;
        peers.push(ok(&r)["BgpPeerId"].as_str().unwrap().to_string());
    }
    let r = s.call("CreateBgpPeer", &[R, ("BgpGroupId", &gid)]).await;
    refused(
        &r,
        "QuotaExceeded.Bgp",
        "bgp peer count per vbr quota exceed.",
    );
    s.advance(1.0).await;
    // A peer moves to another group of its VBR; resending its own is no change.
    let other = new_group(&s, &vbr, "65010").await;
    let r = s
        .call(
            "ModifyBgpPeerAttribute",
            &[R, ("BgpPeerId", &peers[0]), ("BgpGroupId", &other)],
        )
        .await;
    ok(&r);
    s.advance(1.0).await;
    assert_eq!(peer(&s, &peers[0]).await["PeerAsn"], json!(65010));
    let r = s
        .call(
            "ModifyBgpPeerAttribute",
            &[R, ("BgpPeerId", "bgp-nope"), ("BgpGroupId", &other)],
        )
        .await;
    refused(&r, "InvalidParams.NotFound", "instance not found");

    // A VBR that is not active takes no new BGP object.
    ok(&s
        .call("TerminateVirtualBorderRouter", &[R, ("VbrId", &vbr)])
        .await);
    s.advance(1.0).await;
    let r = s
        .call(
            "AddBgpNetwork",
            &[R, ("RouterId", &vbr), ("DstCidrBlock", "10.1.0.0/24")],
        )
        .await;
    refused(&r, "InvalidStatus.CannotOperate", cannot);
}

#[tokio::test]
async fn quotas_from_the_configuration() {
    let s = TestServer::start_with(|c| {
        c.max_bgp_groups_per_vbr = 1;
        c.max_bgp_networks_per_vbr = 1;
    })
    .await;
    let line = s.circuit_in(Status::Enabled).await;
    let vbr = s.new_vbr(&line, "12").await;
    new_group(&s, &vbr, "65001").await;
    let r = s
        .call(
            "CreateBgpGroup",
            &[R, ("RouterId", &vbr), ("PeerAsn", "65002")],
        )
        .await;
    refused(
        &r,
        "QuotaExceeded.Bgp",
        "bgp group count per vbr quota exceed.",
    );
    let net = |cidr: &'static str| [R, ("RouterId", vbr.as_str()), ("DstCidrBlock", cidr)];
    ok(&s.call("AddBgpNetwork", &net("10.1.0.0/24")).await);
    refused(
        &s.call("AddBgpNetwork", &net("10.2.0.0/24")).await,
        "QuotaExceeded.BgpNetwork",
        "bgp network count per vbr quota exceed.",
    );
}

#[tokio::test]
async fn another_account_sees_nothing() {
    let s = TestServer::start().await;
    let line = s.circuit_in(Status::Enabled).await;
    let vbr = s.new_vbr(&line, "13").await;
    let gid = new_group(&s, &vbr, "65001").await;
    let pid = new_peer(&s, &gid).await;

    let other = s.account_keys("other", "100.00").await;
    let creds = other.creds();
    let r = s
        .call_as(
            &creds,
            "CreateBgpGroup",
            &[R, ("RouterId", &vbr), ("PeerAsn", "65001")],
        )
        .await;
    refused(&r, "InvalidVbrNetwork", "vbr netowrk not exists");
    let r = s
        .call_as(&creds, "DeleteBgpGroup", &[R, ("BgpGroupId", &gid)])
        .await;
    refused(&r, "InvalidBgpGroup", "bgp group not exists");
    let r = s
        .call_as(&creds, "DeleteBgpPeer", &[R, ("BgpPeerId", &pid)])
        .await;
    refused(&r, "InvalidParams.NotFound", "instance not found");
    for (action, key, set) in [
        ("DescribeBgpGroups", "RouterId", "BgpGroups"),
        ("DescribeBgpPeers", "BgpGroupId", "BgpPeers"),
        ("DescribeBgpNetworks", "RouterId", "BgpNetworks"),
    ] {
        let id = if key == "RouterId" { &vbr } else { &gid };
        let v = ok(&s.call_as(&creds, action, &[R, (key, id)]).await);
        assert_eq!(v["TotalCount"], json!(0), "{action}: {v}");
        assert!(v[set].is_object(), "{v}");
    }
    // Paging and IsDefault for the owner.
    let v = ok(&s
        .call(
            "DescribeBgpPeers",
            &[R, ("RouterId", &vbr), ("PageSize", "1")],
        )
        .await);
    assert_eq!(
        (v["TotalCount"].clone(), v["PageSize"].clone()),
        (json!(1), json!(1))
    );
    let v = ok(&s
        .call("DescribeBgpGroups", &[R, ("IsDefault", "true")])
        .await);
    assert_eq!(v["TotalCount"], json!(0));
}
