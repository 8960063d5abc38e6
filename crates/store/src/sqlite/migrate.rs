//! The SQLite store's migrator: the list and the claim of `migrate.rs`, the
//! same as on PostgreSQL, run on one rusqlite connection before the store's
//! threads start. One process owns the file, so no migrator races it: each
//! migration is one `BEGIN IMMEDIATE` transaction that claims its version in
//! `schema_migrations`, runs the migration and commits; a crash leaves whole
//! migrations applied or not at all, and the next start runs what is left.
//!
//! Data directories made before this migrator recorded their history in
//! sqlx's `_sqlx_migrations` table. Its applied versions are adopted into
//! `schema_migrations` (with the time sqlx applied them) at every open, in
//! the same transaction that creates the bookkeeping table, so those
//! migrations are not run again; the old table stays, unread otherwise.

use crate::migrate::{APPLIED, BOOKKEEPING, CLAIM, MIGRATIONS};
use crate::StoreError;
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// Page size of a new database file (an existing one keeps its own).
const PAGE_SIZE: u32 = 1024;

/// sqlx's history, as its SQLite migrator wrote it: a row per applied
/// migration, `success` true once it committed, `installed_on` in UTC.
const ADOPT_SQLX: &str = "INSERT INTO schema_migrations (version, description, applied_at) \
    SELECT version, description, \
    COALESCE(CAST(strftime('%s', installed_on) AS INTEGER) * 1000000, $1) \
    FROM _sqlx_migrations WHERE success ON CONFLICT (version) DO NOTHING";

const HAS_SQLX: &str =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";

fn failed(what: &str, e: rusqlite::Error) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict => StoreError::Unavailable(format!("{what}: database is locked")),
        other => StoreError::Database(format!("{what} failed: {other}")),
    }
}

/// Creates the file if needed and brings its schema up to date.
pub(crate) fn run(path: &Path, now_micros: i64) -> Result<(), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| failed("busy timeout", e))?;
    // The page size first: it cannot change once the file is in WAL mode.
    // Not `synchronous = FULL`: each migration commit would fsync (eight on
    // a fresh directory, most of a cold start on a slow disk). In WAL mode a
    // crash can only lose whole trailing migrations, which run again at the
    // next start; the writer's first FULL commit syncs the WAL with
    // everything before it.
    conn.pragma_update(None, "page_size", PAGE_SIZE)
        .and_then(|()| conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())))
        .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
        .map_err(|e| failed("setting up the file", e))?;

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| failed("migration", e))?;
    tx.execute_batch(BOOKKEEPING)
        .map_err(|e| failed("create schema_migrations", e))?;
    let had_sqlx = tx
        .prepare(HAS_SQLX)
        .and_then(|mut s| s.exists([]))
        .map_err(|e| failed("reading sqlx's history", e))?;
    if had_sqlx {
        tx.execute(ADOPT_SQLX, params![now_micros])
            .map_err(|e| failed("adopting sqlx's history", e))?;
    }
    tx.commit().map_err(|e| failed("migration", e))?;

    for m in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| failed(m.description, e))?;
        let claimed = tx
            .execute(CLAIM, params![m.version, m.description, now_micros])
            .map_err(|e| failed(m.description, e))?
            == 1;
        if !claimed {
            // Applied already; dropping `tx` rolls back the empty claim.
            continue;
        }
        tx.execute_batch(m.sqlite)
            .map_err(|e| failed(&format!("migration {}", m.description), e))?;
        tx.commit().map_err(|e| failed(m.description, e))?;
        tracing::info!(
            version = m.version,
            name = m.description,
            "migration applied"
        );
    }
    Ok(())
}

/// The versions recorded as applied.
pub(crate) fn applied_versions(path: &Path) -> Result<Vec<i64>, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    let mut s = conn.prepare(APPLIED)?;
    let versions = s.query_map([], |r| r.get(0))?;
    Ok(versions.collect::<Result<_, _>>()?)
}
