//! Conformance of what the provider simulator and the admin API read and
//! write beside the circuits themselves: a circuit's history, an account's
//! circuits in every region, the timer table as a whole and re-dated, and
//! provider faults.

use super::{circuit, r, w, T0};
use physconn_domain::*;
use physconn_store::*;
use time::Duration;

fn event(id: &str, circuit: &str, second: i64, to: Status) -> CircuitEvent {
    CircuitEvent {
        id: id.into(),
        circuit_id: circuit.into(),
        at: T0 + Duration::seconds(second),
        from_status: Some(Status::Initial),
        to_status: to,
        cause: "provider".into(),
    }
}

fn timer(id: &str, circuit: &str, second: i64) -> Timer {
    Timer {
        id: id.into(),
        circuit_id: circuit.into(),
        kind: physconn_domain::TimerKind::Provider,
        expect_status: Some(Status::Initial),
        due_at: T0 + Duration::seconds(second),
        created_at: T0,
    }
}

fn fault(id: &str, second: i64, remaining: i64) -> Fault {
    Fault {
        id: id.into(),
        scope: FaultScope::Account,
        target: "A".into(),
        outcome: FaultOutcome::AllocationFailed,
        remaining,
        share_ppm: 0,
        created_at: T0 + Duration::seconds(second),
    }
}

/// A fault of the other kind: a conflict answered to calls on one VBR.
fn conflict(id: &str, second: i64) -> Fault {
    Fault {
        scope: FaultScope::Vbr,
        target: "vbr-1".into(),
        outcome: FaultOutcome::OperationConflict,
        ..fault(id, second, -1)
    }
}

pub async fn history_and_account_circuits(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            let mut beijing = circuit("pc-2", "A", T0 + Duration::seconds(2));
            beijing.region_id = "cn-beijing".into();
            tx.insert_circuit(&beijing).await?;
            tx.insert_circuit(&circuit("pc-1", "A", T0 + Duration::seconds(1)))
                .await?;
            tx.insert_circuit(&circuit("pc-b", "B", T0)).await?;
            let mut gone = circuit("pc-0", "A", T0);
            gone.deleted_at = Some(T0);
            tx.insert_circuit(&gone).await?;
            // Inserted out of order: the history reads back in time order.
            tx.insert_event(&event("e2", "pc-1", 2, Status::Allocating))
                .await?;
            tx.insert_event(&CircuitEvent {
                from_status: None,
                ..event("e0", "pc-1", 0, Status::Initial)
            })
            .await?;
            tx.insert_event(&event("e1", "pc-1", 1, Status::Approved))
                .await?;
            tx.insert_event(&event("e9", "pc-b", 0, Status::Approved))
                .await
        })
    })
    .await;
    let ids: Vec<String> = r(&s, |tx| tx.list_account_circuits("A"))
        .await
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["pc-1", "pc-2"], "live, every region, oldest first");
    assert!(r(&s, |tx| tx.list_account_circuits("C")).await.is_empty());
    let history = r(&s, |tx| tx.list_events("pc-1")).await;
    let ids: Vec<&str> = history.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e0", "e1", "e2"]);
    assert_eq!(history[0].from_status, None);
    assert_eq!(history[2], event("e2", "pc-1", 2, Status::Allocating));
    assert!(r(&s, |tx| tx.list_events("pc-x")).await.is_empty());
}

pub async fn timers_listed_and_redated(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_timer(&timer("t-b", "pc-2", 5)).await?;
            tx.insert_timer(&timer("t-a", "pc-1", 9)).await?;
            tx.insert_timer(&timer("t-c", "pc-1", 1)).await
        })
    })
    .await;
    let ids = |v: Vec<Timer>| v.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(r(&s, |tx| tx.all_timers()).await),
        ["t-c", "t-b", "t-a"],
        "earliest first"
    );
    // Re-dating (a provisioning mode changed) moves one timer only.
    let parked = T0 + Duration::days(365);
    w(&s, move |tx| tx.set_timer_due("t-c", parked)).await;
    let all = r(&s, |tx| tx.all_timers()).await;
    assert_eq!(ids(all.clone()), ["t-b", "t-a", "t-c"]);
    assert_eq!(
        all[2],
        Timer {
            due_at: parked,
            ..timer("t-c", "pc-1", 1)
        }
    );
    assert_eq!(
        ids(r(&s, |tx| tx.list_timers("pc-1")).await),
        ["t-a", "t-c"]
    );
    assert_eq!(
        r(&s, |tx| tx.next_timer_due()).await,
        Some(T0 + Duration::seconds(5))
    );
    // An unknown id changes nothing.
    w(&s, move |tx| tx.set_timer_due("t-x", T0)).await;
    assert_eq!(r(&s, |tx| tx.all_timers()).await, all);
}

pub async fn faults_count_down_and_go(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_fault(&fault("f-2", 2, 3)).await?;
            tx.insert_fault(&conflict("f-1", 1)).await
        })
    })
    .await;
    let faults = r(&s, |tx| tx.list_faults()).await;
    assert_eq!(
        faults,
        [conflict("f-1", 1), fault("f-2", 2, 3)],
        "oldest first"
    );
    w(&s, |tx| tx.set_fault_remaining("f-2", 1)).await;
    assert_eq!(r(&s, |tx| tx.list_faults()).await[1], fault("f-2", 2, 1));
    // Used up: zero removes it.
    w(&s, |tx| tx.set_fault_remaining("f-2", 0)).await;
    assert_eq!(r(&s, |tx| tx.list_faults()).await, [conflict("f-1", 1)]);
    assert!(w(&s, |tx| tx.delete_fault("f-1")).await);
    assert!(!w(&s, |tx| tx.delete_fault("f-1")).await);
    assert!(r(&s, |tx| tx.list_faults()).await.is_empty());
}
