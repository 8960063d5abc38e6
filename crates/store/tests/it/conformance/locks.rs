//! The locked mode of writes (`write_locked`, `TxOps::lock_rows`;
//! docs/design/decisions.md#row-locks): concurrent read-modify-writes of one
//! circuit and one account, each behind the circuit's and the account's row
//! locks, all take effect (no lost update) and, on PostgreSQL, none is re-run
//! (they queue on the locks instead of failing to serialize). Run for every
//! backend by `conformance!`.

use super::{account, circuit, r, w, T0};
use physconn_store::*;

const WRITERS: i64 = 16;

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
    let reruns = |s: &DynStore| {
        s.pool_stats()
            .iter()
            .find(|p| p.name == "conflict_reruns_total")
            .map(|p| p.value)
    };
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
