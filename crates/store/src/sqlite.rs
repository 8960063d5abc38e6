//! The embedded store: one SQLite file in WAL mode.
//!
//! Reads run concurrently on a small pool of read-only connections (WAL gives
//! each a consistent snapshot without blocking the writer). All writes go to
//! one writer task that *group-commits*: it drains every job queued while the
//! previous commit was being fsynced, runs each in its own savepoint inside one
//! transaction, commits once, and only then answers the jobs. Durable order
//! placement is therefore not bound by one fsync per request.

use crate::job::{BoxFut, ErasedJob};
use crate::{Backend, Store, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex};

crate::sql::impl_txops!(sqlx::SqliteConnection, sqlx::Sqlite);

/// Most jobs one transaction takes; bounds the latency one batch adds.
const MAX_BATCH: usize = 512;

#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub path: PathBuf,
    pub readers: u32,
    /// `FULL` (default): every acknowledged write survives power loss.
    pub synchronous_full: bool,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            readers: 4,
            synchronous_full: true,
        }
    }
}

enum Msg {
    Job(Box<dyn ErasedJob>),
    Close(oneshot::Sender<()>),
}

pub struct SqliteStore {
    readers: SqlitePool,
    writer: mpsc::UnboundedSender<Msg>,
    writer_handle: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn connect_options(o: &SqliteOptions) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(&o.path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if o.synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(false)
        .pragma("temp_store", "memory")
        .statement_cache_capacity(256)
        .disable_statement_logging()
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
        let mut writer = SqliteConnection::connect_with(&connect_options(&o)).await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut writer)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(o.readers.max(1))
            .min_connections(1)
            .connect_with(connect_options(&o).read_only(true))
            .await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(writer_loop(writer, rx));
        Ok(Self {
            readers,
            writer: tx,
            writer_handle: Mutex::new(Some(handle)),
        })
    }

    /// Runs only the migrations (the `migrate` subcommand).
    pub async fn migrate_only(path: impl Into<PathBuf>) -> Result<(), StoreError> {
        let o = SqliteOptions::new(path);
        let s = Self::open(o).await?;
        s.close().await;
        Ok(())
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

async fn run_batch(conn: &mut SqliteConnection, batch: Vec<Box<dyn ErasedJob>>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        for job in batch {
            job.finish(Err(StoreError::Unavailable(e.to_string())));
        }
        return;
    }
    let mut done = Vec::with_capacity(batch.len());
    let mut broken: Option<StoreError> = None;
    for job in batch {
        if broken.is_some() {
            done.push(job);
            continue;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job").await {
            broken = Some(e);
            done.push(job);
            continue;
        }
        let ok = job.run(conn).await;
        let end = if ok {
            exec(conn, "RELEASE job").await
        } else {
            match exec(conn, "ROLLBACK TO job").await {
                Ok(()) => exec(conn, "RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = end {
            broken = Some(e);
        }
        done.push(job);
    }
    let outcome = match broken {
        Some(e) => {
            let _ = exec(conn, "ROLLBACK").await;
            Err(e)
        }
        None => match exec(conn, "COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = exec(conn, "ROLLBACK").await;
                Err(e)
            }
        },
    };
    for job in done {
        let o = match &outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        };
        job.finish(o);
    }
}

async fn writer_loop(mut conn: SqliteConnection, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut closing: Option<oneshot::Sender<()>> = None;
    while closing.is_none() {
        let Some(first) = rx.recv().await else { break };
        let mut batch = Vec::new();
        match first {
            Msg::Job(j) => batch.push(j),
            Msg::Close(ack) => closing = Some(ack),
        }
        while batch.len() < MAX_BATCH && closing.is_none() {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Close(ack)) => closing = Some(ack),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            metrics_batch(batch.len());
            run_batch(&mut conn, batch).await;
        }
    }
    // Checkpoint so the next start opens a compact file.
    let _ = exec(&mut conn, "PRAGMA wal_checkpoint(TRUNCATE)").await;
    let _ = conn.close().await;
    if let Some(ack) = closing {
        let _ = ack.send(());
    }
}

fn metrics_batch(n: usize) {
    tracing::trace!(jobs = n, "sqlite group commit");
}

impl Store for SqliteStore {
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        Box::pin(async move {
            if let Err(mpsc::error::SendError(Msg::Job(job))) = self.writer.send(Msg::Job(job)) {
                job.finish(Err(StoreError::Unavailable("store is closed".into())));
            }
        })
    }

    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let mut tx = match self.readers.begin().await {
                Ok(tx) => tx,
                Err(e) => return job.finish(Err(e.into())),
            };
            job.run(&mut *tx).await;
            // Read-only: nothing to keep, so the snapshot is just released.
            let _ = tx.rollback().await;
            job.finish(Ok(()));
        })
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn close(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let (ack, done) = oneshot::channel();
            if self.writer.send(Msg::Close(ack)).is_ok() {
                let _ = done.await;
            }
            if let Some(h) = self.writer_handle.lock().await.take() {
                let _ = h.await;
            }
            self.readers.close().await;
        })
    }
}
