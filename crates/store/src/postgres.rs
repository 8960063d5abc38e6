//! PostgreSQL (and PostgreSQL-wire engines): every job runs in its own
//! SERIALIZABLE transaction; a serialization failure re-runs the job after a
//! short, jittered, growing pause, a bounded number of times.

use crate::job::{BoxFut, ErasedJob};
use crate::{Backend, Store, StoreError};
use rand::Rng;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

crate::sql::impl_txops!(sqlx::PgConnection, sqlx::Postgres);

/// Attempts per job before a conflict is reported as `ServiceUnavailable`.
const MAX_ATTEMPTS: u32 = 12;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects, optionally inside `schema` (created if missing; used by tests
    /// for isolation), and runs the migrations.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?
            .disable_statement_logging();
        if let Some(schema) = schema {
            let mut admin = sqlx::PgConnection::connect_with(&opts).await?;
            sqlx::query(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                schema.replace('"', "")
            ))
            .execute(&mut admin)
            .await?;
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }

    async fn attempt(&self, job: &dyn ErasedJob, isolation: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(isolation).execute(&mut *tx).await?;
        let ok = job.run(&mut *tx).await;
        if ok {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(ok)
    }

    async fn run(&self, job: Box<dyn ErasedJob>, isolation: &str) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.attempt(job.as_ref(), isolation).await;
            let retry = match &result {
                Err(StoreError::Conflict) => true,
                Ok(false) => job.failed_retryably(),
                _ => false,
            };
            if retry && attempt < MAX_ATTEMPTS {
                let base = 2u64.saturating_pow(attempt.min(7));
                let jitter = rand::rng().random_range(0..=base);
                tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                continue;
            }
            return match result {
                Ok(_) => job.finish(Ok(())),
                Err(StoreError::Conflict) => job.finish(Err(StoreError::Unavailable(
                    "too many serialization conflicts".into(),
                ))),
                Err(e) => job.finish(Err(e)),
            };
        }
    }
}

impl Store for PgStore {
    fn submit_write(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        Box::pin(self.run(job, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
    }

    fn submit_read(&self, job: Box<dyn ErasedJob>) -> BoxFut<'_, ()> {
        Box::pin(self.run(
            job,
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        ))
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn close(&self) -> BoxFut<'_, ()> {
        Box::pin(async move { self.pool.close().await })
    }
}
