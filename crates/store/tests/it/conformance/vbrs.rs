//! Conformance of the VBR operations (`TxOps::vbrs`): round trip of the
//! whole object, the three listings, update and delete, and that the test
//! reset and export/import carry them. Run for every backend by the
//! `conformance!` list in `mod.rs`.

use super::{account, r, w, T0};
use physconn_domain::vbr::{Vbr, VbrStatus};
use physconn_domain::{BusinessStatus, Status};
use physconn_store::export;
use physconn_store::*;
use time::Duration;

pub fn vbr(id: &str, owner: &str, line_owner: &str, line: &str, minutes: i64) -> Vbr {
    Vbr {
        id: id.into(),
        account_id: owner.into(),
        circuit_owner_id: line_owner.into(),
        region_id: "cn-hangzhou".into(),
        circuit_id: line.into(),
        access_point_id: "ap-cn-hangzhou-yh-B".into(),
        status: VbrStatus::Active,
        name: "vbr-name".into(),
        description: "VBR 中文".into(),
        vlan_id: 10,
        circuit_code: String::new(),
        local_gateway_ip: "10.0.0.1".into(),
        peer_gateway_ip: "10.0.0.2".into(),
        peering_subnet_mask: "255.255.255.252".into(),
        enable_ipv6: false,
        local_ipv6_gateway_ip: String::new(),
        peer_ipv6_gateway_ip: String::new(),
        peering_ipv6_subnet_mask: String::new(),
        bandwidth: 1000,
        detect_multiplier: 3,
        min_rx_interval: 300,
        min_tx_interval: 300,
        mtu: 1500,
        sitelink_enable: false,
        route_table_id: "vtb-1".into(),
        vlan_interface_id: "ri-1".into(),
        resource_group_id: "rg-1".into(),
        created_at: T0 + Duration::minutes(minutes),
        activated_at: Some(T0 + Duration::minutes(minutes)),
        terminated_at: None,
        recovered_at: None,
        tags: vec![("k".into(), "v".into()), ("a".into(), "".into())],
    }
}

fn ids(v: &[Vbr]) -> Vec<&str> {
    v.iter().map(|v| v.id.as_str()).collect()
}

/// The object comes back whole; each listing selects its rows, newest
/// first; update and delete report whether the VBR existed.
pub async fn vbrs_round_trip_and_listing(s: DynStore) {
    let a = vbr("vbr-a", "alice", "alice", "pc-1", 0);
    let b = vbr("vbr-b", "bob", "alice", "pc-1", 1);
    let c = vbr("vbr-c", "alice", "alice", "pc-2", 2);
    let rows = vec![a.clone(), b.clone(), c.clone()];
    w(&s, move |tx| {
        let rows = rows.clone();
        Box::pin(async move {
            for v in &rows {
                tx.vbrs().insert_vbr(v).await?;
            }
            Ok(())
        })
    })
    .await;
    let got = r(&s, |tx| tx.vbrs().get_vbr("vbr-a")).await;
    assert_eq!(got.as_ref(), Some(&a));
    assert_eq!(r(&s, |tx| tx.vbrs().get_vbr("vbr-x")).await, None);
    // No line row behind these VBRs: the VBR comes back with no line state.
    let shown = r(&s, |tx| tx.vbrs().get_vbr_shown("vbr-a")).await;
    assert_eq!(shown, Some((a.clone(), None)));
    assert_eq!(r(&s, |tx| tx.vbrs().get_vbr_shown("vbr-x")).await, None);
    let owner = r(&s, |tx| tx.vbrs().list_vbrs(VbrScope::Owner("alice"))).await;
    assert_eq!(ids(&owner), ["vbr-c", "vbr-a"]);
    let line_owner = r(&s, |tx| tx.vbrs().list_vbrs(VbrScope::LineOwner("alice"))).await;
    assert_eq!(ids(&line_owner), ["vbr-c", "vbr-b", "vbr-a"]);
    let line = r(&s, |tx| tx.vbrs().list_vbrs(VbrScope::Line("pc-1"))).await;
    assert_eq!(ids(&line), ["vbr-b", "vbr-a"]);

    let mut changed = b.clone();
    changed.status = VbrStatus::Terminated;
    changed.terminated_at = Some(T0 + Duration::hours(1));
    changed.tags.clear();
    let upd = changed.clone();
    assert!(
        w(&s, move |tx| {
            let upd = upd.clone();
            Box::pin(async move { tx.vbrs().update_vbr(&upd).await })
        })
        .await
    );
    assert_eq!(
        r(&s, |tx| tx.vbrs().get_vbr("vbr-b")).await,
        Some(changed.clone())
    );
    let ghost = vbr("vbr-ghost", "alice", "alice", "pc-1", 9);
    assert!(
        !w(&s, move |tx| {
            let g = ghost.clone();
            Box::pin(async move { tx.vbrs().update_vbr(&g).await })
        })
        .await
    );
    assert!(w(&s, |tx| tx.vbrs().delete_vbr("vbr-a")).await);
    assert!(!w(&s, |tx| tx.vbrs().delete_vbr("vbr-a")).await);
    let line = r(&s, |tx| tx.vbrs().list_vbrs(VbrScope::Line("pc-1"))).await;
    assert_eq!(ids(&line), ["vbr-b"]);
}

/// A VBR read with its line's state: the line's live status and business
/// status, as changed after the VBR was written (a VBR with no line row
/// behind it is the round-trip case's).
pub async fn vbrs_shown_with_line_state(s: DynStore) {
    let mut line = super::circuit("pc-1", "alice", T0);
    line.status = Status::Enabled;
    let v = vbr("vbr-a", "alice", "alice", "pc-1", 0);
    let (l, row) = (line.clone(), v.clone());
    w(&s, move |tx| {
        let (l, row) = (l.clone(), row.clone());
        Box::pin(async move {
            tx.insert_circuit(&l).await?;
            tx.vbrs().insert_vbr(&row).await
        })
    })
    .await;
    let shown = r(&s, |tx| tx.vbrs().get_vbr_shown("vbr-a")).await;
    assert_eq!(
        shown,
        Some((v.clone(), Some((Status::Enabled, BusinessStatus::Normal))))
    );
    line.business_status = BusinessStatus::FinancialLocked;
    w(&s, move |tx| {
        let l = line.clone();
        Box::pin(async move { tx.update_circuit(&l).await })
    })
    .await;
    let shown = r(&s, |tx| tx.vbrs().get_vbr_shown("vbr-a")).await;
    assert_eq!(
        shown.and_then(|(_, state)| state),
        Some((Status::Enabled, BusinessStatus::FinancialLocked))
    );
}

/// Export carries VBRs and import restores them; the test reset removes
/// them with everything else.
pub async fn vbrs_export_and_reset(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account("1000000000000001", "alice"))
                .await?;
            tx.vbrs()
                .insert_vbr(&vbr(
                    "vbr-a",
                    "1000000000000001",
                    "1000000000000001",
                    "pc-1",
                    0,
                ))
                .await
        })
    })
    .await;
    let mut file = Vec::new();
    let snap = export::export(&*s, &mut file).await.expect("export");
    assert_eq!(snap.table("vbrs").len(), 1);
    assert_eq!(export::read_snapshot(&file[..]).expect("read back"), snap);

    w(&s, |tx| tx.reset_except("1000000000000001")).await;
    assert_eq!(r(&s, |tx| tx.vbrs().get_vbr("vbr-a")).await, None);
    // Only the kept account remains, so the snapshot's VBR can be loaded
    // back by deleting that account too and importing.
    w(&s, |tx| {
        Box::pin(async move {
            tx.reset_except("none").await?;
            Ok(())
        })
    })
    .await;
    export::import(&*s, snap).await.expect("import");
    let back = r(&s, |tx| tx.vbrs().get_vbr("vbr-a"))
        .await
        .expect("imported");
    assert_eq!(back.tags.len(), 2);
}
