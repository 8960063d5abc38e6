//! PostgreSQL-specific behaviour the conformance list cannot express:
//! moving state SQLite → file → PostgreSQL → file → SQLite, migrators racing
//! on a fresh schema, and the pool surviving its connections being killed.

use super::{pg_url, populate, postgres_in, sqlite};
use physconn_domain::*;
use physconn_store::export;
use physconn_store::security::AuditQuery;
use physconn_store::*;
use std::sync::Arc;

fn schema(prefix: &str) -> String {
    format!("{prefix}_{}", RandomIds.internal_id())
}

/// Drops the schemas a test made (best effort; they are unique per run).
async fn drop_schemas(names: &[&str]) {
    if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url()).await {
        for n in names {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{n}\" CASCADE"))
                .execute(&mut c)
                .await;
        }
    }
}

async fn export_bytes(s: &DynStore) -> Vec<u8> {
    let mut out = Vec::new();
    export::export(&**s, &mut out).await.expect("export");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back() {
    let xfer = schema("xfer");
    let Some(pg) = postgres_in(&xfer).await else {
        return;
    };
    let first = sqlite().await;
    populate(&first.store).await;
    let file1 = export_bytes(&first.store).await;

    let snap = export::read_snapshot(&file1[..]).unwrap();
    export::import(&*pg.store, snap)
        .await
        .expect("import into PostgreSQL");
    let file2 = export_bytes(&pg.store).await;
    assert_eq!(
        String::from_utf8_lossy(&file1),
        String::from_utf8_lossy(&file2),
        "PostgreSQL holds exactly what SQLite held"
    );
    // The imported rows are ordinary rows to the typed operations.
    let read_c = |s: DynStore| async move {
        read(&*s, |tx| tx.get_circuit("pc-3"))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        read_c(first.store.clone()).await,
        read_c(pg.store.clone()).await
    );
    let sum = read(&*pg.store, |tx| tx.ledger_sum("1000000000000001")).await;
    assert_eq!(sum.unwrap(), -250);
    let user = read(&*pg.store, |tx| tx.security().user_of_key("LTAIa")).await;
    let user = user
        .unwrap()
        .expect("the key is still bound to its RAM user");
    assert_eq!((user.id.as_str(), user.name.as_str()), ("u-1", "ci-bot"));
    assert!(user.policy.contains("Statement"), "{}", user.policy);
    let log = read(&*pg.store, |tx| {
        Box::pin(async move {
            let q = AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            };
            tx.security().list_audit(&q).await
        })
    })
    .await;
    assert_eq!(log.unwrap().len(), 2, "the audit log moved");

    let last = sqlite().await;
    let snap = export::read_snapshot(&file2[..]).unwrap();
    export::import(&*last.store, snap)
        .await
        .expect("import into SQLite");
    assert_eq!(export_bytes(&last.store).await, file1);
    pg.store.close().await;
    drop_schemas(&[&xfer]).await;
}

/// Servers starting at once on a fresh schema all migrate successfully, and
/// the versions are recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrators_racing_on_a_fresh_schema_all_succeed() {
    let name = schema("race");
    let Some(first) = postgres_in(&format!("{name}_probe")).await else {
        return;
    };
    drop(first);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            PgStore::connect_with(&pg_url(), Some(&name), 2).await
        }));
    }
    let mut stores = Vec::new();
    for t in tasks {
        stores.push(t.await.unwrap().expect("every migrator succeeds"));
    }
    // Every migration once, in order (the list grows: compare with the first).
    let versions = stores[0].applied_migrations().await.unwrap();
    assert!(versions.starts_with(&[1, 2, 3, 4]), "{versions:?}");
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    for s in &stores {
        assert_eq!(s.applied_migrations().await.unwrap(), versions);
    }
    // A migration recorded as not applied (cut short before its record) is
    // simply run again: its statements are idempotent.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url())
        .await
        .unwrap();
    sqlx::query(&format!(
        "DELETE FROM \"{name}\".schema_migrations WHERE version >= 2"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let again = PgStore::connect_with(&pg_url(), Some(&name), 2)
        .await
        .expect("re-run");
    assert_eq!(again.applied_migrations().await.unwrap(), versions);
    let s: DynStore = Arc::new(again);
    assert!(write(&*s, |tx| tx.set_meta("k", "v")).await.is_ok());
    s.close().await;
    for st in &stores {
        st.close().await;
    }
    drop_schemas(&[&name, &format!("{name}_probe")]).await;
}

/// Every server connection killed (as a PostgreSQL restart or
/// `pg_terminate_backend` does): jobs answer success or `Unavailable`, never
/// anything else; an acknowledged write is there; the pool heals by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_recovers_after_its_connections_are_killed() {
    let app = format!("physconn-conf-{}", RandomIds.token(8).to_lowercase());
    let base = pg_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}application_name={app}");
    let name = schema("cut");
    if postgres_in(&name).await.is_none() {
        return;
    }
    let store: DynStore = Arc::new(PgStore::connect_with(&url, Some(&name), 4).await.unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for wkr in 0..4 {
        let (store, stop) = (store.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let id = format!("{wkr:02}{i:014}");
                let a = Arc::new(super::account(&id, &id));
                let res = write(&*store, move |tx| {
                    let a = a.clone();
                    Box::pin(async move { tx.insert_account(&a).await })
                })
                .await;
                match res {
                    Ok(()) => acked.push(id),
                    Err(OpError::Store(StoreError::Unavailable(e))) => {
                        eprintln!("unavailable: {e}")
                    }
                    Err(e) => panic!("only success or Unavailable, got {e:?}"),
                }
            }
            acked
        }));
    }
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url())
        .await
        .unwrap();
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&app)
        .execute(&mut admin)
        .await
        .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    for wk in workers {
        acked.extend(wk.await.unwrap());
    }
    assert!(!acked.is_empty());
    // Healed: the next job works at once.
    assert!(write(&*store, |tx| tx.set_meta("after", "1")).await.is_ok());
    let stored: Vec<String> = read(&*store, |tx| tx.list_accounts())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged write {id} is stored");
    }
    store.close().await;
    drop_schemas(&[&name]).await;
}

/// A table of the schema that the export does not know (a migration without
/// its export entry) fails the export on either backend instead of being
/// left behind silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_the_export_does_not_know_fails_it() {
    let unknown = "CREATE TABLE later_state (id TEXT PRIMARY KEY)";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(unknown)
        .unwrap();
    let lite = SqliteStore::open(SqliteOptions::new(path)).await.unwrap();
    let refused = |e: Result<export::Snapshot, export::ExportError>| match e {
        Err(e) => assert!(e.to_string().contains("later_state"), "{e}"),
        Ok(_) => panic!("an export that leaves a table behind"),
    };
    refused(export::snapshot(&lite).await);

    let name = schema("unknown");
    let Some(pg) = postgres_in(&name).await else {
        return;
    };
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url())
        .await
        .unwrap();
    sqlx::query(&format!("SET search_path TO \"{name}\""))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query(unknown).execute(&mut c).await.unwrap();
    refused(export::snapshot(&*pg.store).await);
    pg.store.close().await;
    drop_schemas(&[&name]).await;
}
