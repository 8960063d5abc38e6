//! The embedded store's migrations: a new file, and data directories made
//! before the store ran its own migrator, whose history is in sqlx's
//! `_sqlx_migrations` table.
//!
//! `fixtures/sqlx-history/physconn.db` is such a directory's database as
//! sqlx wrote it: made by `physconn serve` (which migrates, then bootstraps
//! the `default` account and its key) at the last commit that still ran
//! sqlx's migrator, with every migration of that time (1 to 8) applied.

use physconn_store::bgp::BgpScope;
use physconn_store::vbr::VbrScope;
use physconn_store::{read, write, BoxFut, OpResult, SqliteOptions, SqliteStore, Store, TxOps};
use std::path::Path;

const ALL: [i64; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

async fn r<R, F>(s: &SqliteStore, f: F) -> R
where
    R: Send + 'static,
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<R>> + Send + Sync + 'static,
{
    read(s, f).await.expect("read")
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(SqliteOptions::new(path))
        .await
        .expect("open")
}

/// The tables of migrations 6 to 8 answer (VBRs, BGP objects, services).
async fn later_tables_work(s: &SqliteStore) {
    assert!(r(s, |tx| tx.vbrs().list_vbrs(VbrScope::Owner("nobody")))
        .await
        .is_empty());
    assert!(r(s, |tx| tx.bgp().list_bgp(BgpScope::Owner("nobody")))
        .await
        .is_empty());
    let opened = write(s, |tx| {
        tx.open_service(
            "1000000000000001",
            "pconn_traffic",
            time::OffsetDateTime::UNIX_EPOCH,
        )
    })
    .await
    .expect("write");
    assert!(opened);
}

#[tokio::test]
async fn a_new_file_records_every_migration_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("physconn.db");
    let s = open(&path).await;
    assert_eq!(s.applied_migrations().unwrap(), ALL);
    later_tables_work(&s).await;
    s.close().await;
    let again = open(&path).await;
    assert_eq!(again.applied_migrations().unwrap(), ALL);
    again.close().await;
}

#[tokio::test]
async fn a_data_dir_migrated_by_sqlx_opens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("physconn.db");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sqlx-history/physconn.db");
    std::fs::copy(fixture, &path).unwrap();

    let s = open(&path).await;
    assert_eq!(s.applied_migrations().unwrap(), ALL);
    let default = r(&s, |tx| tx.get_account_by_name("default"))
        .await
        .expect("the bootstrapped account");
    let keys = r(&s, move |tx| {
        let id = default.id.clone();
        Box::pin(async move { tx.list_access_keys(&id).await })
    })
    .await;
    assert_eq!(keys.len(), 1);
    later_tables_work(&s).await;
    s.close().await;

    // sqlx's history was adopted with the times it recorded, and is left
    // in place.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let adopted: Vec<(i64, String, i64)> = conn
        .prepare("SELECT version, description, applied_at FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let sqlx: Vec<(i64, String, i64)> = conn
        .prepare(
            "SELECT version, description, CAST(strftime('%s', installed_on) AS INTEGER) * 1000000 \
             FROM _sqlx_migrations ORDER BY version",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Migrations newer than that history (from 9) ran now, after it.
    assert_eq!(adopted[..sqlx.len()], sqlx[..]);
    let newer: Vec<i64> = adopted[sqlx.len()..].iter().map(|m| m.0).collect();
    assert_eq!(newer, ALL[sqlx.len()..]);
}

/// sqlx's own bookkeeping table, as its SQLite migrator creates it.
const SQLX_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// A directory whose sqlx history stops at migration 5 (made by a build
/// that had no more): 6 to 8 run, 1 to 5 do not run again (their `CREATE
/// TABLE`s would fail if they did).
#[tokio::test]
async fn a_partial_sqlx_history_runs_only_the_missing_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("physconn.db");
    let first_five = [
        (
            "init",
            include_str!("../../migrations/sqlite/0001_init.sql"),
        ),
        (
            "lifecycle",
            include_str!("../../migrations/sqlite/0002_lifecycle.sql"),
        ),
        (
            "nonces",
            include_str!("../../migrations/sqlite/0003_nonces.sql"),
        ),
        (
            "live circuits",
            include_str!("../../migrations/sqlite/0004_live_circuits.sql"),
        ),
        (
            "security",
            include_str!("../../migrations/sqlite/0005_security.sql"),
        ),
    ];
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .unwrap();
        conn.execute_batch(SQLX_TABLE).unwrap();
        for (i, (description, sql)) in first_five.iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (?1, ?2, TRUE, X'00', 1)",
                rusqlite::params![i as i64 + 1, description],
            )
            .unwrap();
        }
    }
    let s = open(&path).await;
    assert_eq!(s.applied_migrations().unwrap(), ALL);
    later_tables_work(&s).await;
    s.close().await;
}

/// Migration 9 gives every account with counts its row of sums over the
/// regions, which the quota reads from then on: a directory migrated up to 8
/// with pending circuits in two regions keeps its quota.
#[tokio::test]
async fn account_counts_are_summed_from_the_regions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("physconn.db");
    let s = open(&path).await;
    s.close().await;
    // As migration 8 left it: counts per region only, no record of 9.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DELETE FROM circuit_counts; DELETE FROM schema_migrations WHERE version = 9;
         INSERT INTO circuit_counts (account_id, region_id, live, pending) VALUES
             ('A', 'cn-hangzhou', 3, 2), ('A', 'cn-beijing', 4, 1), ('B', 'cn-hangzhou', 1, 0);",
    )
    .unwrap();
    drop(conn);
    let s = open(&path).await;
    assert_eq!(s.applied_migrations().unwrap(), ALL);
    let (a, b) = r(&s, |tx| {
        Box::pin(async move {
            Ok((
                tx.count_pending_circuits("A").await?,
                tx.quota_counts("B").await?.pending,
            ))
        })
    })
    .await;
    assert_eq!((a, b), (3, 0));
    s.close().await;
}
