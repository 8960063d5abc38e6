//! The SQLite writer writes a commit's WAL frames in a few large writes
//! (`sqlite/wal_vfs.rs`), not two per page: checked on the writer thread's
//! own count of write system calls, with the store as the server opens it.

use physconn_store::*;

/// Write system calls of this process's thread named `name` (Linux).
fn thread_writes(name: &str) -> Option<u64> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
        if comm.trim() == name {
            let io = std::fs::read_to_string(dir.join("io")).ok()?;
            return io
                .lines()
                .find_map(|l| l.strip_prefix("syscw: "))
                .and_then(|n| n.trim().parse().ok());
        }
    }
    None
}

/// 300 values of 4,000 bytes: about 300 pages.
fn put<'t>(tx: &'t mut dyn TxOps, prefix: &'static str) -> BoxFut<'t, OpResult<()>> {
    Box::pin(async move {
        let value = "x".repeat(4000);
        for i in 0..300 {
            tx.set_meta(&format!("{prefix}{i}"), &value).await?;
        }
        Ok(())
    })
}

#[tokio::test]
async fn a_large_commit_is_a_few_writes_on_the_writer_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("g.db")))
        .await
        .unwrap();
    // The first commit writes the WAL's header and syncs it for real.
    write(&store, |tx| put(tx, "warm")).await.unwrap();
    let Some(before) = thread_writes("sqlite-writer") else {
        eprintln!("no per-thread I/O statistics here: not checked");
        return;
    };
    // ~300 pages: two write calls each without gathering.
    write(&store, |tx| put(tx, "big")).await.unwrap();
    let after = thread_writes("sqlite-writer").unwrap_or(u64::MAX);
    assert!(
        after - before <= 20,
        "{} write calls for one commit of ~300 pages",
        after - before
    );
    let n = read(&store, |tx| {
        Box::pin(async move { Ok(tx.get_meta("big299").await?.map(|v| v.len())) })
    })
    .await
    .unwrap();
    assert_eq!(n, Some(4000));
    store.close().await;
}

/// SQLite resolves symbolic links, so its WAL sits next to the link's
/// target; the sync thread must sync that file (else every durable write
/// fails, or a stale WAL beside the link is synced instead).
#[tokio::test]
async fn a_database_behind_a_symbolic_link_is_synced_where_sqlite_writes() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("data");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(real.join("real.db"), &link).unwrap();
    let store = SqliteStore::open(SqliteOptions::new(&link)).await.unwrap();
    write(&store, |tx| put(tx, "a"))
        .await
        .expect("durable write answered");
    assert!(real.join("real.db-wal").exists());
    store.close().await;
}
