//! The counts kept with every circuit write (migration 0004): the live
//! circuits per (account, region) that an unfiltered listing reports as its
//! total, and the pending ones the creation quota reads. They must follow
//! inserts, status changes, deletes and recoveries, roll back with a refused
//! job, and be rebuilt by an import. Run for every backend by `conformance!`.

use super::{circuit, r, w, T0};
use physconn_domain::*;
use physconn_store::*;
use std::sync::Arc;

/// (total of an unfiltered listing, pending circuits) of account A.
async fn counts(s: &DynStore) -> (i64, i64) {
    r(s, |tx| {
        Box::pin(async move {
            let q = CircuitQuery {
                account_id: "A".into(),
                region_id: "cn-hangzhou".into(),
                limit: 50,
                ..Default::default()
            };
            let (_, total) = tx.list_circuits(&q).await?;
            Ok((total, tx.count_pending_circuits("A").await?))
        })
    })
    .await
}

async fn set(s: &DynStore, id: &'static str, f: fn(&mut Circuit)) {
    w(s, move |tx| {
        Box::pin(async move {
            let mut c = tx.get_circuit(id).await?.expect("circuit");
            f(&mut c);
            tx.update_circuit(&c).await
        })
    })
    .await
}

pub async fn circuit_counts_follow_writes(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            for id in ["c1", "c2", "c3"] {
                tx.insert_circuit(&circuit(id, "A", T0)).await?;
            }
            let mut other = circuit("c4", "A", T0);
            other.region_id = "cn-beijing".into();
            tx.insert_circuit(&other).await?;
            let mut enabled = circuit("c5", "A", T0);
            enabled.status = Status::Enabled;
            tx.insert_circuit(&enabled).await
        })
    })
    .await;
    assert_eq!(counts(&s).await, (4, 4), "pending counts every region");
    // Moves inside the pending statuses change nothing; leaving them does.
    set(&s, "c1", |c| c.status = Status::Approved).await;
    assert_eq!(counts(&s).await, (4, 4));
    set(&s, "c1", |c| c.status = Status::Enabled).await;
    assert_eq!(counts(&s).await, (4, 3));
    // Delete and recover.
    set(&s, "c2", |c| c.deleted_at = Some(T0)).await;
    assert_eq!(counts(&s).await, (3, 2));
    set(&s, "c5", |c| c.deleted_at = Some(T0)).await;
    assert_eq!(counts(&s).await, (2, 2));
    set(&s, "c2", |c| c.deleted_at = None).await;
    assert_eq!(counts(&s).await, (3, 3));
    // A refused job's count changes roll back with it.
    let refused = write(&*s, |tx| {
        Box::pin(async move {
            tx.insert_circuit(&circuit("c6", "A", T0)).await?;
            let mut c = tx.get_circuit("c3").await?.expect("c3");
            c.deleted_at = Some(T0);
            tx.update_circuit(&c).await?;
            Err::<(), _>(DomainError::CircuitNotFound.into())
        })
    })
    .await;
    assert!(refused.is_err());
    assert_eq!(counts(&s).await, (3, 3));
    // An import rebuilds them from the rows.
    let snapshot = export::snapshot(&*s).await.expect("export");
    let dir = tempfile::tempdir().unwrap();
    let copy: DynStore = Arc::new(
        SqliteStore::open(SqliteOptions::new(dir.path().join("copy.db")))
            .await
            .unwrap(),
    );
    export::import(&*copy, snapshot).await.expect("import");
    assert_eq!(counts(&copy).await, (3, 3));
    copy.close().await;
}
