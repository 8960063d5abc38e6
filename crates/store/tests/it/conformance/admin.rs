//! Conformance of what the admin API and export/import do to whole rows and
//! tables: accounts read by id, keys rewritten in place, the test-isolation
//! reset, and tables dumped, loaded and counted.

use super::more::populate;
use super::{account, claim, permanent_key as permanent, r, w, T0};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::*;
use physconn_store::export::{Table, TABLES};
use physconn_store::*;
use serde_json::{json, Value};
use time::Duration;

const ALICE: &str = "1000000000000001";
const BOB: &str = "1000000000000002";

fn table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).expect("a table")
}

pub async fn accounts_and_keys_rewritten_in_place(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account(ALICE, "alice")).await?;
            tx.insert_access_key(&AccessKey {
                kind: KeyKind::Temporary {
                    security_token: "tok".into(),
                    expires_at: T0,
                },
                ..permanent("LTAIa", ALICE)
            })
            .await
        })
    })
    .await;
    assert_eq!(
        r(&s, |tx| tx.get_account(ALICE)).await,
        Some(account(ALICE, "alice"))
    );
    assert_eq!(r(&s, |tx| tx.get_account(BOB)).await, None);
    // The bootstrap rewrites a key given by the environment: new secret,
    // owner, status and kind, same id.
    let rewritten = AccessKey {
        secret: "s2".into(),
        account_id: BOB.into(),
        status: KeyStatus::Inactive,
        ..permanent("LTAIa", ALICE)
    };
    let k = rewritten.clone();
    w(&s, move |tx| {
        let k = k.clone();
        Box::pin(async move { tx.update_access_key(&k).await })
    })
    .await;
    assert_eq!(
        r(&s, |tx| tx.get_access_key("LTAIa")).await,
        Some(rewritten)
    );
    assert_eq!(r(&s, |tx| tx.list_access_keys(ALICE)).await.len(), 0);
    assert_eq!(r(&s, |tx| tx.list_access_keys(BOB)).await.len(), 1);
}

pub async fn reset_except_keeps_one_account_and_its_permanent_keys(s: DynStore) {
    populate(&s).await;
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_access_key(&permanent("LTAIp", ALICE)).await?;
            tx.insert_access_key(&permanent("LTAIb", BOB)).await?;
            claim(tx, "LTAIa", "n", T0, T0 + Duration::minutes(30)).await?;
            tx.reset_except(ALICE).await
        })
    })
    .await;
    assert!(r(&s, |tx| tx.get_account(ALICE)).await.is_some());
    assert_eq!(r(&s, |tx| tx.list_accounts()).await.len(), 1);
    let keys: Vec<String> = r(&s, |tx| tx.list_access_keys(ALICE))
        .await
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(keys, ["LTAIp"], "temporary keys go too");
    assert_eq!(r(&s, |tx| tx.get_access_key("LTAIb")).await, None);
    assert_eq!(r(&s, |tx| tx.get_circuit("pc-0")).await, None);
    assert!(r(&s, |tx| tx.list_events("pc-0")).await.is_empty());
    assert_eq!(r(&s, |tx| tx.count_pending_circuits(ALICE)).await, 0);
    assert!(r(&s, |tx| tx.list_orders(None)).await.is_empty());
    assert_eq!(r(&s, |tx| tx.ledger_sum(ALICE)).await, 0);
    assert!(r(&s, |tx| tx.all_timers()).await.is_empty());
    assert!(r(&s, |tx| tx.list_faults()).await.is_empty());
    let record: Option<IdempotencyRecord> = r(&s, |tx| {
        tx.get_idempotency(ALICE, "CreatePhysicalConnection", "tok-ü")
    })
    .await;
    assert_eq!(record, None);
    let exp = T0 + Duration::minutes(30);
    assert!(
        !w(&s, move |tx| claim(tx, "LTAIa", "n", T0, exp)).await,
        "used nonces stay used: replay protection is not business state"
    );
    assert!(
        r(&s, |tx| tx.get_meta("manual_clock")).await.is_some(),
        "the clock and settings stay"
    );
}

pub async fn tables_dump_load_and_count(s: DynStore) {
    let meta = table("meta");
    let nonces = table("nonces");
    let before = r(&s, move |tx| tx.count_rows(meta)).await;
    let meta_rows = vec![
        vec![json!("conf-a"), json!("1")],
        vec![json!("conf-b"), json!("two")],
    ];
    let nonce_rows = vec![vec![
        json!("LTAIx"),
        json!("n-1"),
        json!(1_767_225_600_000_000_i64),
    ]];
    let (m, n) = (meta_rows.clone(), nonce_rows.clone());
    w(&s, move |tx| {
        let (m, n) = (m.clone(), n.clone());
        Box::pin(async move {
            tx.load_rows(meta, &m).await?;
            tx.load_rows(nonces, &n).await
        })
    })
    .await;
    assert_eq!(r(&s, move |tx| tx.count_rows(meta)).await, before + 2);
    assert_eq!(r(&s, move |tx| tx.count_rows(nonces)).await, 1);
    let dumped: Vec<Vec<Value>> = r(&s, move |tx| tx.dump_table(meta)).await;
    for row in &meta_rows {
        assert!(dumped.contains(row), "{row:?} in {dumped:?}");
    }
    assert_eq!(r(&s, move |tx| tx.dump_table(nonces)).await, nonce_rows);
    // The export refuses a table it does not know, so the engine must list
    // every table of the schema, these among them.
    let names = r(&s, |tx| tx.table_names()).await;
    for t in ["nonces", "circuit_counts", "meta"] {
        assert!(names.iter().any(|n| n == t), "{t} in {names:?}");
    }
    assert_eq!(
        r(&s, |tx| tx.get_meta("conf-b")).await.as_deref(),
        Some("two")
    );
}
