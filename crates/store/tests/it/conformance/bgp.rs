//! Conformance of the BGP operations (`TxOps::bgp`): groups, peers and
//! networks come back whole, the two listings select and order their rows,
//! update and delete report whether the object existed, and the test reset
//! and export/import carry them. Run for every backend by the
//! `conformance!` list in `mod.rs`.

use super::{account, r, w, T0};
use physconn_domain::bgp::{BgpGroup, BgpNetwork, BgpObject, BgpObjectStatus, BgpPeer};
use physconn_store::export;
use physconn_store::*;
use time::Duration;

fn group(id: &str, owner: &str, vbr: &str, minutes: i64) -> BgpObject {
    BgpObject::Group(BgpGroup {
        id: id.into(),
        account_id: owner.into(),
        region_id: "cn-hangzhou".into(),
        vbr_id: vbr.into(),
        name: "group-1".into(),
        description: "BGP 中文".into(),
        auth_key: "k3y".into(),
        peer_asn: 4_200_000_001,
        local_asn: 45104,
        is_fake: true,
        hold: 30,
        keepalive: 10,
        route_limit: 110,
        ip_version: "IPV4".into(),
        status: BgpObjectStatus::Pending,
        created_at: T0 + Duration::minutes(minutes),
    })
}

fn peer(id: &str, owner: &str, vbr: &str, group: &str, minutes: i64) -> BgpObject {
    let at = T0 + Duration::minutes(minutes);
    BgpObject::Peer(BgpPeer {
        id: id.into(),
        account_id: owner.into(),
        region_id: "cn-hangzhou".into(),
        vbr_id: vbr.into(),
        group_id: group.into(),
        peer_ip_address: "10.0.0.2".into(),
        enable_bfd: true,
        bfd_multi_hop: 255,
        ip_version: "IPv4".into(),
        session: Some(physconn_domain::bgp::SessionState::Established),
        advertised_route_count: 3,
        received_route_count: 7,
        status: BgpObjectStatus::Available,
        created_at: at,
        modified_at: at,
    })
}

fn network(owner: &str, vbr: &str, cidr: &str, minutes: i64) -> BgpObject {
    BgpObject::Network(BgpNetwork {
        id: BgpNetwork::id_for(vbr, cidr),
        account_id: owner.into(),
        region_id: "cn-hangzhou".into(),
        vbr_id: vbr.into(),
        dst_cidr_block: cidr.into(),
        vpc_id: String::new(),
        status: BgpObjectStatus::Available,
        created_at: T0 + Duration::minutes(minutes),
    })
}

fn ids(v: &[BgpObject]) -> Vec<&str> {
    v.iter().map(|o| o.id()).collect()
}

pub async fn bgp_round_trip_and_listing(s: DynStore) {
    let rows = vec![
        group("bgpg-a", "alice", "vbr-1", 0),
        peer("bgp-a", "alice", "vbr-1", "bgpg-a", 1),
        network("alice", "vbr-1", "10.1.0.0/24", 2),
        group("bgpg-b", "bob", "vbr-2", 3),
    ];
    let all = rows.clone();
    w(&s, move |tx| {
        let rows = rows.clone();
        Box::pin(async move {
            for o in &rows {
                tx.bgp().insert_bgp(o).await?;
            }
            Ok(())
        })
    })
    .await;
    for o in &all {
        let id = o.id().to_string();
        let got = r(&s, move |tx| {
            let id = id.clone();
            Box::pin(async move { tx.bgp().get_bgp(&id).await })
        })
        .await;
        assert_eq!(got.as_ref(), Some(o));
    }
    assert_eq!(r(&s, |tx| tx.bgp().get_bgp("bgpg-x")).await, None);
    let on_vbr = r(&s, |tx| tx.bgp().list_bgp(BgpScope::Vbr("vbr-1"))).await;
    assert_eq!(ids(&on_vbr), ["bgpg-a", "bgp-a", "vbr-1:10.1.0.0/24"]);
    let bob = r(&s, |tx| tx.bgp().list_bgp(BgpScope::Owner("bob"))).await;
    assert_eq!(ids(&bob), ["bgpg-b"]);

    let mut changed = all[0].clone();
    changed.set_status(BgpObjectStatus::Available, T0);
    let upd = changed.clone();
    assert!(
        w(&s, move |tx| {
            let upd = upd.clone();
            Box::pin(async move { tx.bgp().update_bgp(&upd).await })
        })
        .await
    );
    assert_eq!(r(&s, |tx| tx.bgp().get_bgp("bgpg-a")).await, Some(changed));
    let ghost = group("bgpg-ghost", "alice", "vbr-1", 9);
    assert!(
        !w(&s, move |tx| {
            let g = ghost.clone();
            Box::pin(async move { tx.bgp().update_bgp(&g).await })
        })
        .await
    );
    assert!(w(&s, |tx| tx.bgp().delete_bgp("bgp-a")).await);
    assert!(!w(&s, |tx| tx.bgp().delete_bgp("bgp-a")).await);
    let on_vbr = r(&s, |tx| tx.bgp().list_bgp(BgpScope::Vbr("vbr-1"))).await;
    assert_eq!(ids(&on_vbr), ["bgpg-a", "vbr-1:10.1.0.0/24"]);
}

/// Export carries BGP objects and import restores them; the test reset
/// removes them with everything else.
pub async fn bgp_export_and_reset(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account("1000000000000001", "alice"))
                .await?;
            tx.bgp()
                .insert_bgp(&group("bgpg-a", "1000000000000001", "vbr-1", 0))
                .await
        })
    })
    .await;
    let mut file = Vec::new();
    let snap = export::export(&*s, &mut file).await.expect("export");
    assert_eq!(snap.table("bgp_objects").len(), 1);
    w(&s, |tx| tx.reset_except("1000000000000001")).await;
    assert_eq!(r(&s, |tx| tx.bgp().get_bgp("bgpg-a")).await, None);
    w(&s, |tx| tx.reset_except("none")).await;
    export::import(&*s, snap).await.expect("import");
    assert!(r(&s, |tx| tx.bgp().get_bgp("bgpg-a")).await.is_some());
}
