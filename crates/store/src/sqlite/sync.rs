//! Durable answers without an fsync inside the writer's transaction: a
//! pipelined group commit.
//!
//! With `synchronous = FULL`, SQLite fsyncs the WAL inside `COMMIT`, while
//! the writer holds the write lock: after every batch the writer sat idle
//! for the fsync, so durable orders cost one batch's CPU
//! *plus* one fsync, in turn (BENCHMARKS.md). Now `COMMIT` writes the WAL
//! frames and does not sync them: the writer opens the database through the
//! gathering VFS (`sqlite/wal_vfs.rs`), which writes a commit's frames in
//! one go and leaves the commit's sync out (or, if that VFS cannot be
//! registered, runs `synchronous = NORMAL`, which never syncs at commit).
//! The writer hands each committed batch to this thread, which
//! `fdatasync`s the WAL file and only then answers the batch's jobs. While
//! it syncs, the writer runs the next batch; one sync covers every batch
//! committed before it started.
//!
//! Why an answered write is as durable as under `FULL`: a batch's frames
//! are written to the WAL file before its `COMMIT` returns, and
//! `fdatasync` on any descriptor of a file persists all of the file's data
//! (and its size) written before the call. SQLite still syncs the WAL
//! before each checkpoint and the database after it, and starts the WAL
//! over only once its frames are checkpointed.
//!
//! What differs: a commit is visible to readers for the length of one
//! fsync before it is on disk. After a power loss (not a process crash:
//! the page cache survives that), a change that another client read may be
//! gone, but never one that was answered; its own client got no answer and
//! retries, which a `ClientToken` makes safe.

use crate::job::ErasedJob;
use crate::StoreError;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

pub(crate) type Batch = Vec<Box<dyn ErasedJob>>;

/// Answers committed batches once the WAL holding them is on disk.
pub(crate) fn sync_loop(wal: PathBuf, rx: mpsc::Receiver<Batch>) {
    let mut file: Option<File> = None;
    while let Ok(mut jobs) = rx.recv() {
        // Everything committed while the last sync ran: one sync for all.
        while let Ok(more) = rx.try_recv() {
            jobs.extend(more);
        }
        match sync(&wal, &mut file) {
            Ok(()) => {
                for job in jobs {
                    job.finish(Ok(()));
                }
            }
            Err(e) => {
                // Committed but not known to be on disk: not acknowledged.
                // A client's retry with its ClientToken finds the write.
                tracing::error!(error = %e, wal = %wal.display(), "syncing the WAL failed");
                file = None;
                for job in jobs {
                    job.finish(Err(StoreError::Unavailable(
                        "the write could not be made durable".into(),
                    )));
                }
            }
        }
    }
}

/// Syncs the WAL, opening it on first use (it exists once a batch has
/// committed) and again after a failure.
fn sync(path: &Path, file: &mut Option<File>) -> std::io::Result<()> {
    let f = match file {
        Some(f) => f,
        None => file.insert(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)?,
        ),
    };
    f.sync_data()
}

/// The WAL file of the database at `db`.
pub(crate) fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}
