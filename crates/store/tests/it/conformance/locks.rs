//! The locked mode of writes (`write_locked`, `TxOps::lock_rows`;
//! docs/design/decisions.md#row-locks): concurrent read-modify-writes of one
//! circuit and one account, each behind the circuit's and the account's row
//! locks, all take effect (no lost update) and, on PostgreSQL, none is re-run
//! (they queue on the locks instead of failing to serialize). Run for every
//! backend by `conformance!`.

use super::{account, circuit, r, w, T0};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{BusinessStatus, DomainError, Status, TimerKind};
use physconn_store::*;

const WRITERS: i64 = 16;

/// The store's count of jobs re-run after a conflict (PostgreSQL).
fn reruns(s: &DynStore) -> Option<f64> {
    s.pool_stats()
        .iter()
        .find(|p| p.name == "conflict_reruns_total")
        .map(|p| p.value)
}

pub async fn locked_writes_queue_without_lost_updates(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account("A", "alice")).await?;
            tx.insert_circuit(&circuit("lc1", "A", T0)).await?;
            // A missing row locks nothing and is no error.
            tx.lock_rows(&RowLocks::circuit_then_account("nope", "nobody"))
                .await
        })
    })
    .await;
    let before = reruns(&s);
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let locks = RowLocks::circuit_then_account("lc1", "A");
            write_locked(&*s, locks, |tx| {
                Box::pin(async move {
                    let mut c = tx.get_circuit("lc1").await?.expect("circuit");
                    c.bandwidth += 1;
                    tx.update_circuit(&c).await?;
                    let mut a = tx.get_account("A").await?.expect("account");
                    a.balance.0 += 1;
                    tx.update_account(&a).await
                })
            })
            .await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("locked write");
    }
    let (bandwidth, balance) = r(&s, |tx| {
        Box::pin(async move {
            let c = tx.get_circuit("lc1").await?.expect("circuit");
            let a = tx.get_account("A").await?.expect("account");
            Ok((c.bandwidth, a.balance.0))
        })
    })
    .await;
    assert_eq!(bandwidth, 100 + WRITERS, "every circuit change kept");
    assert_eq!(balance, 10_000 + WRITERS, "every balance change kept");
    if s.backend() == Backend::Postgres {
        assert_eq!(
            reruns(&s),
            before,
            "locked writes queue on their rows instead of re-running"
        );
    }
}

/// A create in `account` as `CreatePhysicalConnection` makes it (with a
/// `ClientToken` record), in the locked mode or on its own (`alone`:
/// released); refused: `TooManyPendingCircuits`.
async fn create(
    s: DynStore,
    account: &'static str,
    id: String,
    alone: bool,
    quota: i64,
) -> OpResult<()> {
    let work = workflow(move |tx| {
        let c = circuit(&id, account, T0);
        let record = IdempotencyRecord {
            account_id: account.into(),
            action: "CreatePhysicalConnection".into(),
            token: format!("tok-{id}"),
            fingerprint: "f".into(),
            response: "{}".into(),
            created_at: T0,
        };
        let event = CircuitEvent {
            id: format!("e-{id}"),
            circuit_id: id.clone(),
            at: T0,
            from_status: None,
            to_status: Status::Initial,
            cause: "create".into(),
        };
        let timer = Timer {
            id: format!("t-{id}"),
            circuit_id: id.clone(),
            kind: TimerKind::Provider,
            expect_status: Some(Status::Initial),
            due_at: T0,
            created_at: T0,
        };
        Box::pin(async move {
            let new = NewCircuit {
                circuit: &c,
                event: &event,
                timer: &timer,
                idempotency: Some(&record),
            };
            if !tx.create_circuit(new, quota).await? {
                return Err(DomainError::TooManyPendingCircuits.into());
            }
            Ok(())
        })
    });
    if alone {
        write_released_one(&*s, work).await
    } else {
        write_locked(&*s, RowLocks::default(), work).await
    }
}

/// The first creates of an account, all at once: whichever makes the
/// account's counts row, the others count on it, and none is re-run. Twice:
/// the first round also opens the pool's connections, so that the second
/// one's creates meet at the database.
pub async fn first_creates_of_an_account_count_without_reruns(s: DynStore) {
    for account_id in ["F1", "F2"] {
        w(&s, move |tx| {
            Box::pin(async move { tx.insert_account(&account(account_id, account_id)).await })
        })
        .await;
        let before = reruns(&s);
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS as usize));
        let tasks: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (s, start) = (s.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let id = format!("{account_id}-{i}");
                    create(s, account_id, id, i % 2 == 0, 1000).await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task").expect("room for every create");
        }
        let pending = r(&s, move |tx| {
            Box::pin(async move { tx.count_pending_circuits(account_id).await })
        })
        .await;
        assert_eq!(pending, WRITERS);
        if s.backend() == Backend::Postgres {
            assert_eq!(reruns(&s), before, "no create was re-run");
        }
    }
}

/// Names a workflow closure's higher-ranked signature, which inference alone
/// does not find for a closure stored before its use.
fn workflow<F>(f: F) -> F
where
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<()>>,
{
    f
}

/// Concurrent creates in one account at its quota less one, each as
/// `CreatePhysicalConnection` writes it: checked and counted on the
/// account's counts row, then the circuit, its event, its timer and its
/// `ClientToken` record written, in one statement on PostgreSQL; half in the
/// locked mode, half on their own (`write_released_one`). Exactly one gets
/// in, the others write nothing, and a `FinancialLocked` circuit refuses
/// every create.
pub async fn creates_at_quota_less_one_let_one_in(s: DynStore) {
    const QUOTA: i64 = 4;
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account("A", "alice")).await?;
            for i in 1..QUOTA {
                tx.insert_circuit(&circuit(&format!("q{i}"), "A", T0))
                    .await?;
            }
            Ok(())
        })
    })
    .await;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| tokio::spawn(create(s.clone(), "A", format!("new{i}"), i % 2 == 1, QUOTA)))
        .collect();
    let mut admitted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(()) => admitted += 1,
            Err(OpError::Domain(DomainError::TooManyPendingCircuits)) => {}
            Err(e) => panic!("a create failed otherwise: {e:?}"),
        }
    }
    assert_eq!(admitted, 1, "one create fills the quota");
    let (quota, listed) = r(&s, |tx| {
        Box::pin(async move {
            let quota = tx.quota_counts("A").await?;
            Ok((quota, tx.list_account_circuits("A").await?.len()))
        })
    })
    .await;
    assert_eq!(quota.pending, QUOTA);
    assert_eq!(listed as i64, QUOTA, "refused creates leave no row");
    let (events, timers) = r(&s, |tx| {
        Box::pin(async move {
            let mut events = 0;
            for i in 0..WRITERS {
                events += tx.list_events(&format!("new{i}")).await?.len();
            }
            Ok((events, tx.all_timers().await?.len()))
        })
    })
    .await;
    assert_eq!(
        (events, timers),
        (1, 1),
        "the admitted create's event and timer, no other"
    );
    let records = r(&s, |tx| {
        Box::pin(async move {
            let mut found = 0;
            for i in 0..WRITERS {
                let token = format!("tok-new{i}");
                found += usize::from(
                    tx.get_idempotency("A", "CreatePhysicalConnection", &token)
                        .await?
                        .is_some(),
                );
            }
            Ok(found)
        })
    })
    .await;
    assert_eq!(records, 1, "the admitted create's ClientToken record only");

    // Room again, but a locked circuit refuses whatever the pending count.
    w(&s, |tx| {
        Box::pin(async move {
            let mut c = tx.get_circuit("q1").await?.expect("q1");
            c.business_status = BusinessStatus::FinancialLocked;
            c.status = Status::Enabled;
            tx.update_circuit(&c).await
        })
    })
    .await;
    let refused = create(s.clone(), "A", "locked".into(), true, QUOTA).await;
    assert!(
        matches!(
            refused,
            Err(OpError::Domain(DomainError::TooManyPendingCircuits))
        ),
        "{refused:?}"
    );
}
