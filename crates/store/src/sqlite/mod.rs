//! The embedded store: one SQLite file in WAL mode, driven through rusqlite
//! by connections that each run *whole jobs*.
//!
//! Why not an async driver: sqlx's SQLite driver runs every connection on
//! its own worker thread and crosses a channel (and a futex wake-up each
//! way) for every statement and every row, about six hand-offs per
//! DescribePhysicalConnections and twelve per order. On a small machine
//! those hand-offs, not SQLite, were most of the CPU (BENCHMARKS.md, findings
//! 1 and 3). Here a job crosses at most once: `TxOps` on [`Lite`] returns
//! completed futures, so whoever holds the connection polls the job to the
//! end without waiting.
//!
//! Reads run on read-only connections (WAL gives each a consistent snapshot
//! without blocking the writer): normally inline, in the requesting task, on
//! a leased connection, with no hand-off at all; on a few reader threads
//! when none is free (`sqlite/read.rs`). All writes go to one writer thread
//! (`sqlite/writer.rs`; the job crosses once, the result comes back through
//! a oneshot) that *group-commits*: it takes every job queued while
//! the previous commit was being fsynced, runs each in its own savepoint
//! inside one transaction (a refused job rolls back only itself), commits
//! once, and only then answers the jobs. Durable order placement is
//! therefore not bound by one fsync per request.
//!
//! Migrations run once at open (`sqlite/migrate.rs`), on a connection that
//! is closed before the threads start.

mod circuits;
mod documents;
mod export;
pub(crate) mod lite;
mod migrate;
mod read;
mod rows;
mod security;
mod sync;
pub(crate) mod txops;
mod wal_vfs;
mod writer;

use crate::job::{BoxFut, ErasedJob};
use crate::{Backend, PoolStat, Store, StoreError};
use lite::Lite;
use read::{InlinePool, ReadQueue, Stats};
use rusqlite::OpenFlags;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;
use sync::Batch;
use tokio::sync::oneshot;
use writer::{checkpoint_loop, writer_loop, Checkpoints, Msg};

/// Prepared statements kept per connection (the fixed texts plus the
/// listing variants).
const STATEMENT_CACHE: usize = 256;

/// Page cache per connection, KiB (SQLite's default is 2 MiB): the writer's
/// misses showed as `pread`s in the profile. It fills only as pages are used.
const WRITER_CACHE_KIB: i64 = 4_096;
const READER_CACHE_KIB: i64 = 4_096;

/// Pages of the database file are read through a mapping, without a copy.
const MMAP_BYTES: i64 = 256 << 20;

#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub path: PathBuf,
    /// Reader threads (each with its own read-only connection), for the
    /// reads that find no inline connection free.
    pub readers: u32,
    /// Read-only connections that reads lease to run in their own task
    /// (`sqlite/read.rs`); about the number of tokio workers is enough.
    pub inline_readers: u32,
    /// `true` (default): a write is answered once the WAL holding it is on
    /// disk (synced by the sync thread, `sqlite/sync.rs`), so every
    /// acknowledged write survives power loss. `false`: answered at commit.
    pub synchronous_full: bool,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            readers: 2,
            inline_readers: 4,
            synchronous_full: true,
        }
    }
}

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Option<mpsc::Sender<Msg>>>,
    reads: Arc<ReadQueue>,
    inline: InlinePool,
    readers: u32,
    stats: Arc<Stats>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How the writer's commits reach the disk.
#[derive(Clone, Copy, PartialEq)]
enum Durability {
    /// `synchronous = FULL` through the gathering VFS: one WAL write per
    /// commit, its sync left to the sync thread (`sqlite/wal_vfs.rs`).
    Gathered,
    /// `synchronous = NORMAL`: committed, synced by the sync thread (or,
    /// with `synchronous_full` off, not before the answer).
    Normal,
    /// `synchronous = FULL` in the default VFS: each COMMIT syncs.
    Full,
}

fn open_conn(o: &SqliteOptions, read_only: bool) -> Result<Lite, StoreError> {
    open_conn_with(o, read_only, Durability::Normal)
}

fn open_conn_with(o: &SqliteOptions, read_only: bool, d: Durability) -> Result<Lite, StoreError> {
    let cache = if read_only {
        READER_CACHE_KIB
    } else {
        WRITER_CACHE_KIB
    };
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = match d {
        Durability::Gathered => {
            rusqlite::Connection::open_with_flags_and_vfs(&o.path, flags, wal_vfs::NAME)?
        }
        _ => rusqlite::Connection::open_with_flags(&o.path, flags)?,
    };
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // No automatic checkpoints: on the writer they ran inside a COMMIT, on
    // the critical path of every job in the batch; the checkpointer thread
    // does them instead.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -{cache}; PRAGMA mmap_size = {MMAP_BYTES}; \
         PRAGMA wal_autocheckpoint = 0;"
    ))?;
    if d != Durability::Normal {
        // FULL syncs the WAL at each commit with SQLITE_SYNC_NORMAL and,
        // with checkpoint_fullfsync, before checkpoints with
        // SQLITE_SYNC_FULL: the gathering VFS tells them apart that way.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA checkpoint_fullfsync = ON;")?;
    }
    if d == Durability::Gathered && !wal_vfs::safe_on(&conn) {
        tracing::warn!("gathered WAL writes unsafe on this file: one WAL write per page");
        drop(conn);
        return open_conn_with(o, read_only, Durability::Normal);
    }
    Ok(Lite { conn })
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file.
    pub async fn open(o: SqliteOptions) -> Result<Self, StoreError> {
        if let Some(dir) = o.path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let now = physconn_domain::clock::to_micros(time::OffsetDateTime::now_utc());
        migrate::run(&o.path, now)?;

        let rt = tokio::runtime::Handle::try_current().ok();
        // Committed batches wait for their WAL sync on their own thread.
        let syncer = if o.synchronous_full {
            spawn_syncer(&o.path)
        } else {
            None
        };
        let durability = match (&syncer, o.synchronous_full) {
            (None, false) => Durability::Normal,
            (None, true) => Durability::Full,
            (Some(_), _) => match wal_vfs::register() {
                Ok(()) => Durability::Gathered,
                Err(rc) => {
                    tracing::warn!(rc, "gathering VFS unavailable: one WAL write per page");
                    Durability::Normal
                }
            },
        };
        let writer = open_conn_with(&o, false, durability)?;
        let (tx, rx) = mpsc::channel();
        let checkpoints = Arc::new(Checkpoints::default());
        let stats = Arc::new(Stats::default());
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            let rt = rt.clone();
            std::thread::Builder::new()
                .name(name)
                .spawn(move || {
                    // Jobs may use tokio utilities (timers, channels).
                    let _guard = rt.as_ref().map(|h| h.enter());
                    f()
                })
                .map_err(|e| StoreError::Unavailable(format!("cannot start a thread: {e}")))
        };
        let (cp, st) = (checkpoints.clone(), stats.clone());
        threads.push(spawn(
            "sqlite-writer".into(),
            Box::new(move || writer_loop(writer, rx, &cp, &st, syncer)),
        )?);
        let checkpointer = open_conn(&o, false)?;
        let cp = checkpoints.clone();
        threads.push(spawn(
            "sqlite-checkpoint".into(),
            Box::new(move || checkpoint_loop(checkpointer, &cp)),
        )?);
        let reads = Arc::new(ReadQueue::default());
        let readers = o.readers.max(1);
        for i in 0..readers {
            let conn = open_conn(&o, true)?;
            let (q, st) = (reads.clone(), stats.clone());
            threads.push(spawn(
                format!("sqlite-reader-{i}"),
                Box::new(move || read::reader_loop(conn, &q, &st)),
            )?);
        }
        let inline = (0..o.inline_readers)
            .map(|_| open_conn(&o, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            path: o.path.clone(),
            writer: Mutex::new(Some(tx)),
            reads,
            inline: InlinePool::new(inline),
            readers,
            stats,
            threads: Mutex::new(threads),
        })
    }

    /// The migration versions recorded in `schema_migrations`.
    pub fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        migrate::applied_versions(&self.path)
    }

    /// Runs only the migrations (the `migrate` subcommand).
    pub async fn migrate_only(path: impl Into<PathBuf>) -> Result<(), StoreError> {
        let s = Self::open(SqliteOptions::new(path)).await?;
        s.close().await;
        Ok(())
    }
}

/// The thread that syncs committed batches' WAL and answers them, if it
/// can be started (without it, each COMMIT syncs).
fn spawn_syncer(db: &Path) -> Option<(mpsc::Sender<Batch>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Batch>();
    // The WAL of the file SQLite opens: it resolves symbolic links.
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let wal = sync::wal_path(&db);
    std::thread::Builder::new()
        .name("sqlite-sync".into())
        .spawn(move || sync::sync_loop(wal, rx))
        .map_err(|e| tracing::error!(error = %e, "no sync thread: commits sync the WAL inline"))
        .ok()
        .map(|t| (tx, t))
}

/// Polls a job on this thread to its end.
fn block_on<F: Future>(waker: &Waker, f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(waker);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Runs a job; a panic counts as a failed job (its work is rolled back and
/// it answers "did not run") instead of taking the thread down.
pub(crate) fn run_job(waker: &Waker, conn: &mut Lite, job: &dyn ErasedJob) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(waker, job.run(conn))
    }))
    .unwrap_or_else(|_| {
        tracing::error!("a store job panicked; its transaction is rolled back");
        false
    })
}

pub(crate) fn exec(conn: &Lite, sql: &str) -> Result<(), StoreError> {
    conn.conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

impl Store for SqliteStore {
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        Stats::add(&self.stats.writer_queue, 1);
        let refused = match &*lock(&self.writer) {
            Some(tx) => match tx.send(Msg::Job(job)) {
                Ok(()) => None,
                Err(mpsc::SendError(Msg::Job(job))) => Some(job),
                Err(_) => None,
            },
            None => Some(job),
        };
        if refused.is_some() {
            Stats::sub(&self.stats.writer_queue, 1);
        }
        if let Some(job) = refused {
            job.finish(Err(StoreError::Unavailable("store is closed".into())));
        }
        Box::pin(std::future::ready(()))
    }

    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        match read::try_inline(&self.inline, &self.stats, job) {
            Ok(run) => Box::pin(run),
            Err(job) => {
                read::queue(&self.reads, &self.stats, job);
                Box::pin(std::future::ready(()))
            }
        }
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn pool_stats(&self) -> Vec<PoolStat> {
        let st = &*self.stats;
        let queued = lock(&self.reads.jobs).0.len() as u64;
        vec![
            PoolStat::new(
                "reader_threads",
                "SQLite reader threads (for reads that find no inline connection free).",
                u64::from(self.readers),
            ),
            PoolStat::new(
                "readers_busy",
                "SQLite reader threads running a job.",
                Stats::get(&st.readers_busy),
            ),
            PoolStat::new(
                "read_queue_depth",
                "Read jobs waiting for a reader thread.",
                queued,
            ),
            PoolStat::new(
                "inline_read_connections",
                "SQLite read-only connections that reads lease to run in their own task.",
                self.inline.size,
            ),
            PoolStat::new(
                "inline_read_connections_idle",
                "Of those, not leased right now.",
                self.inline.idle(),
            ),
            PoolStat::new(
                "reads_inline_total",
                "Read jobs run on a leased connection in the caller's task.",
                Stats::get(&st.reads_inline),
            ),
            PoolStat::new(
                "reads_queued_total",
                "Read jobs handed to the reader threads.",
                Stats::get(&st.reads_queued),
            ),
            PoolStat::new(
                "writer_queue_depth",
                "Write jobs waiting for the SQLite writer thread.",
                Stats::get(&st.writer_queue),
            ),
            PoolStat::new(
                "writer_last_batch_jobs",
                "Jobs in the writer's last group commit.",
                Stats::get(&st.last_batch),
            ),
            PoolStat::new(
                "writer_commits_total",
                "Group commits (transactions) of the writer; each is on disk before its jobs are answered.",
                Stats::get(&st.commits),
            ),
            PoolStat::new(
                "writer_jobs_total",
                "Write jobs the writer has run.",
                Stats::get(&st.write_jobs),
            ),
        ]
    }

    fn close(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let writer = lock(&self.writer).take();
            if let Some(tx) = writer {
                let (ack, done) = oneshot::channel();
                if tx.send(Msg::Close(ack)).is_ok() {
                    let _ = done.await;
                }
            }
            lock(&self.reads.jobs).1 = true;
            self.reads.ready.notify_all();
            self.inline.close();
            let threads = std::mem::take(&mut *lock(&self.threads));
            let _ = tokio::task::spawn_blocking(move || {
                for t in threads {
                    let _ = t.join();
                }
            })
            .await;
        })
    }
}
