//! The counts kept with every circuit write (migration 0004): the live
//! circuits per (account, region) that an unfiltered listing reports as its
//! total, and the pending ones the creation quota reads. They must follow
//! inserts, status changes, deletes and recoveries, roll back with a refused
//! job, and be rebuilt by an import. Run for every backend by `conformance!`.

use super::{circuit, r, w, T0};
use physconn_domain::*;
use physconn_store::*;
use std::sync::Arc;

/// (total of an unfiltered listing in cn-hangzhou, pending circuits) of
/// account A.
async fn counts(s: &DynStore) -> (i64, i64) {
    let total = listed(s, "cn-hangzhou").await;
    let pending = r(s, |tx| {
        Box::pin(async move { tx.count_pending_circuits("A").await })
    })
    .await;
    (total, pending)
}

/// The total of an unfiltered listing of account A's circuits in `region`.
async fn listed(s: &DynStore, region: &'static str) -> i64 {
    r(s, move |tx| {
        Box::pin(async move {
            let q = CircuitQuery {
                account_id: "A".into(),
                region_id: region.into(),
                limit: 50,
                ..Default::default()
            };
            Ok(tx.list_circuits(&q).await?.1)
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
    // Changes of unindexed columns are written in place; of indexed ones
    // (business_status is in the partial index of locked circuits), they
    // go through the whole-row update. Both must land.
    set(&s, "c3", |c| {
        c.name = "renamed".into();
        c.pending_order_id = Some("o1".into());
    })
    .await;
    set(&s, "c3", |c| {
        c.business_status = BusinessStatus::FinancialLocked
    })
    .await;
    let (c3, locked, quota, state, none) = r(&s, |tx| {
        Box::pin(async move {
            let c = tx.get_circuit("c3").await?.expect("c3");
            let locked = tx.count_business_status("A", "FinancialLocked").await?;
            let quota = tx.quota_counts("A").await?;
            let state = tx.circuit_status("c3").await?;
            Ok((c, locked, quota, state, tx.circuit_status("c-none").await?))
        })
    })
    .await;
    assert_eq!(
        (c3.name.as_str(), c3.pending_order_id.as_deref(), locked),
        ("renamed", Some("o1"), 1)
    );
    // Both counts of the quota in one statement, pending over every region.
    let both = QuotaCounts {
        financial_locked: 1,
        pending: 3,
    };
    assert_eq!(quota, both);
    // The narrow read agrees with the whole row.
    assert_eq!(state, Some((c3.status, BusinessStatus::FinancialLocked)));
    assert_eq!(none, None);
    set(&s, "c3", |c| c.business_status = BusinessStatus::Normal).await;
    assert_eq!(counts(&s).await, (3, 3));
    let (quota, none) = r(&s, |tx| {
        Box::pin(async move { Ok((tx.quota_counts("A").await?, tx.quota_counts("B").await?)) })
    })
    .await;
    let unlocked = QuotaCounts {
        financial_locked: 0,
        pending: 3,
    };
    assert_eq!(
        (quota, none),
        (unlocked, QuotaCounts::default()),
        "an account without circuits"
    );
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
    // A create is checked against the pending circuits of every region (the
    // account's counts row) and counted in its own region too.
    let create = |quota: i64| {
        let s = s.clone();
        async move {
            write(&*s, move |tx| {
                Box::pin(async move {
                    let mut c = circuit("c7", "A", T0);
                    c.region_id = "cn-beijing".into();
                    let event = CircuitEvent {
                        id: "e7".into(),
                        circuit_id: "c7".into(),
                        at: T0,
                        from_status: None,
                        to_status: Status::Initial,
                        cause: "create".into(),
                    };
                    let timer = Timer {
                        id: "t7".into(),
                        circuit_id: "c7".into(),
                        kind: TimerKind::Provider,
                        expect_status: Some(Status::Initial),
                        due_at: T0,
                        created_at: T0,
                    };
                    let new = NewCircuit {
                        circuit: &c,
                        event: &event,
                        timer: &timer,
                        idempotency: None,
                    };
                    if tx.create_circuit(new, quota).await? {
                        Ok(())
                    } else {
                        Err(DomainError::TooManyPendingCircuits.into())
                    }
                })
            })
            .await
        }
    };
    assert!(create(3).await.is_err(), "3 pending of a quota of 3");
    assert_eq!(counts(&s).await, (3, 3));
    create(4).await.expect("room for one more");
    assert_eq!(counts(&s).await, (3, 4), "counted, in cn-beijing");
    assert_eq!(listed(&s, "cn-beijing").await, 2, "c4 and the new c7");
    // An import rebuilds them from the rows.
    let snapshot = export::snapshot(&*s).await.expect("export");
    let dir = tempfile::tempdir().unwrap();
    let copy: DynStore = Arc::new(
        SqliteStore::open(SqliteOptions::new(dir.path().join("copy.db")))
            .await
            .unwrap(),
    );
    export::import(&*copy, snapshot).await.expect("import");
    assert_eq!(counts(&copy).await, (3, 4));
    copy.close().await;
}

/// The ids of one page of account A's circuits in cn-hangzhou, filtered by
/// status when `status` is given (a counted total instead of the kept one).
async fn page_ids(s: &DynStore, offset: i64, limit: i64, status: Option<&str>) -> Vec<String> {
    let status = status.map(str::to_string);
    r(s, move |tx| {
        let status = status.clone();
        Box::pin(async move {
            let mut q = CircuitQuery {
                account_id: "A".into(),
                region_id: "cn-hangzhou".into(),
                offset,
                limit,
                ..Default::default()
            };
            if let Some(st) = status {
                q.columns.push(("status", vec![st]));
            }
            let (page, _) = tx.list_circuits(&q).await?;
            Ok(page.into_iter().map(|c| c.id).collect())
        })
    })
    .await
}

/// Pages near the end are read from the end of the index: every page, and
/// every page size, must be the same slice of the one order (newest first,
/// then by id, so equal creation times are ordered too).
pub async fn pages_read_from_either_end_agree(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            for i in 0..11 {
                // pairs of equal creation times
                let at = T0 + time::Duration::seconds(i / 2);
                let mut c = circuit(&format!("p{:02}", (i * 7) % 11), "A", at);
                if i % 3 == 0 {
                    c.status = Status::Enabled;
                }
                tx.insert_circuit(&c).await?;
            }
            Ok(())
        })
    })
    .await;
    for status in [None, Some("Initial")] {
        let all = page_ids(&s, 0, 100, status).await;
        assert_eq!(all.len(), if status.is_some() { 7 } else { 11 });
        for limit in [1, 2, 3, 5, 11, 20] {
            for offset in 0..=all.len() as i64 + 1 {
                let want: Vec<String> = all
                    .iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .cloned()
                    .collect();
                let got = page_ids(&s, offset, limit, status).await;
                assert_eq!(got, want, "offset {offset} limit {limit} status {status:?}");
            }
        }
    }
}

/// `/metrics` shows each backend's connections and queues.
pub async fn pool_stats_name_the_connections(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move { tx.insert_circuit(&circuit("q1", "A", T0)).await })
    })
    .await;
    let _ = page_ids(&s, 0, 10, None).await;
    let stats = s.pool_stats();
    let value = |name: &str| {
        stats
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value)
            .unwrap_or_else(|| panic!("no {name} in {stats:?}"))
    };
    match s.backend() {
        Backend::Sqlite => {
            assert!(value("writer_commits_total") >= 1.0);
            assert!(value("writer_jobs_total") >= 1.0);
            assert!(value("writer_last_batch_jobs") >= 1.0);
            assert_eq!(value("writer_queue_depth"), 0.0);
            assert!(value("reader_threads") >= 1.0);
            assert_eq!(value("read_queue_depth"), 0.0);
            assert_eq!(
                value("inline_read_connections_idle"),
                value("inline_read_connections"),
                "every lease is given back"
            );
            assert!(value("reads_inline_total") + value("reads_queued_total") >= 1.0);
        }
        Backend::Postgres => {
            assert!(value("pool_connections") >= 1.0);
            assert!(value("pool_idle") <= value("pool_connections"));
            assert_eq!(value("pool_max"), 4.0);
        }
    }
}
