//! The PostgreSQL migrator (the list and the claim are `migrate.rs`, shared
//! with the SQLite store). It does not use sqlx's, because that one
//! serialises migrators with `pg_advisory_lock`, which CockroachDB and
//! YugabyteDB do not (reliably) provide, and we promise to stay inside SQL
//! they accept. Instead:
//!
//! - every migration statement is idempotent (`CREATE … IF NOT EXISTS`,
//!   `ADD COLUMN IF NOT EXISTS`);
//! - a migration runs in one transaction that first *claims* its version with
//!   `INSERT INTO schema_migrations … ON CONFLICT (version) DO NOTHING`. A
//!   second server migrating at the same moment blocks on that row until the
//!   first commits, then inserts nothing and skips the migration; if the first
//!   dies, its transaction rolls back and the second runs the migration;
//! - the catalogue races that remain on a fresh database (two concurrent
//!   `CREATE … IF NOT EXISTS` of the same table or schema fail with a unique
//!   violation in PostgreSQL) are retried after a short jittered pause, after
//!   which the object exists and the statement is a no-op.

use crate::migrate::{Migration, APPLIED, BOOKKEEPING, CLAIM, MIGRATIONS};
use crate::{BoxFut, StoreError};
use rand::Rng;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// Attempts per step before a catalogue race is reported.
const MAX_ATTEMPTS: u32 = 10;

/// Whether an error is one of the races of concurrent migrators (or a plain
/// serialization failure), so the step is simply run again.
fn is_race(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code());
    matches!(
        code.as_deref(),
        // unique_violation (pg_type / pg_namespace rows), duplicate_table,
        // duplicate_object, duplicate_schema, serialization, deadlock
        Some("23505" | "42P07" | "42710" | "42P06" | "40001" | "40P01")
    )
}

/// One unit of migration work that a concurrent migrator may race with.
enum Step<'a> {
    /// `CREATE SCHEMA IF NOT EXISTS` (the statement).
    Schema(&'a str),
    Bookkeeping,
    Apply(&'a Migration, i64),
}

impl Step<'_> {
    fn name(&self) -> &str {
        match self {
            Step::Schema(_) => "create schema",
            Step::Bookkeeping => "create schema_migrations",
            Step::Apply(m, _) => m.description,
        }
    }

    /// Boxed: the compiler cannot otherwise prove the future `Send` for
    /// every lifetime (a known limitation with sqlx executors in loops).
    fn run<'c>(&'c self, conn: &'c mut PgConnection) -> BoxFut<'c, Result<(), sqlx::Error>> {
        Box::pin(async move {
            match self {
                Step::Schema(ddl) => sqlx::query(ddl).execute(&mut *conn).await.map(|_| ()),
                Step::Bookkeeping => sqlx::query(BOOKKEEPING)
                    .execute(&mut *conn)
                    .await
                    .map(|_| ()),
                Step::Apply(m, now) => apply(conn, m, *now).await,
            }
        })
    }
}

/// Runs a step, re-running it after a jittered pause while it loses races.
async fn retrying(conn: &mut PgConnection, step: Step<'_>) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match step.run(conn).await {
            Ok(()) => return Ok(()),
            Err(e) if is_race(&e) && attempt < MAX_ATTEMPTS => {
                let pause = rand::rng().random_range(5..=20u64 * u64::from(attempt));
                tracing::debug!(step = step.name(), error = %e, "migration race; retrying");
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Err(e) => {
                return Err(match StoreError::from(e) {
                    StoreError::Unavailable(m) => StoreError::Unavailable(m),
                    other => {
                        StoreError::Database(format!("migration {} failed: {other}", step.name()))
                    }
                })
            }
        }
    }
}

/// The schema that `search_path` names first, when it does not exist yet
/// (`current_schema()` is then NULL): created, so a URL with
/// `options=-c search_path=<schema>` works on an empty database.
async fn ensure_schema(conn: &mut PgConnection) -> Result<(), StoreError> {
    let (current,): (Option<String>,) = sqlx::query_as("SELECT current_schema()")
        .fetch_one(&mut *conn)
        .await?;
    if current.is_some() {
        return Ok(());
    }
    let (path,): (String,) = sqlx::query_as("SHOW search_path")
        .fetch_one(&mut *conn)
        .await?;
    let Some(first) = path
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .find(|s| !s.is_empty() && *s != "$user")
        .map(str::to_string)
    else {
        return Err(StoreError::Database(
            "search_path names no schema to create the tables in".into(),
        ));
    };
    let ddl = format!(
        "CREATE SCHEMA IF NOT EXISTS \"{}\"",
        first.replace('"', "\"\"")
    );
    retrying(conn, Step::Schema(&ddl)).await
}

/// Brings the database up to date; safe to run from many servers at once.
pub(crate) async fn run(conn: &mut PgConnection, now_micros: i64) -> Result<(), StoreError> {
    ensure_schema(conn).await?;
    retrying(conn, Step::Bookkeeping).await?;
    for m in MIGRATIONS {
        retrying(conn, Step::Apply(m, now_micros)).await?;
    }
    Ok(())
}

async fn apply(conn: &mut PgConnection, m: &Migration, now_micros: i64) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    let claimed = sqlx::query(CLAIM)
        .bind(m.version)
        .bind(m.description)
        .bind(now_micros)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !claimed {
        // Applied already (or by a migrator that just committed).
        tx.rollback().await?;
        return Ok(());
    }
    // A bare string runs on the simple-query protocol: many statements.
    sqlx::Executor::execute(&mut *tx, m.postgres).await?;
    tx.commit().await?;
    tracing::info!(
        version = m.version,
        name = m.description,
        "migration applied"
    );
    Ok(())
}

/// The versions recorded as applied (tests and `physconn migrate`).
pub(crate) async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as(APPLIED).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}
