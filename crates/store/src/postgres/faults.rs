//! The simulator's provider faults and the test reset, on PostgreSQL (the
//! SQLite store's are in `sqlite/txops.rs`).

use crate::ops::Fault;
use crate::sql::rows::{us, FaultRow};
use crate::sql::text::{statements, RESET_ACCOUNTS, RESET_KEYS, RESET_TABLES};
use crate::OpResult;
use sqlx::PgConnection;

pub(super) async fn insert_fault(conn: &mut PgConnection, f: &Fault) -> OpResult<()> {
    sqlx::query(&statements().insert_fault)
        .bind(&f.id)
        .bind(f.scope.as_str())
        .bind(&f.target)
        .bind(f.outcome.as_str())
        .bind(f.remaining)
        .bind(f.share_ppm)
        .bind(us(f.created_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn list_faults(conn: &mut PgConnection) -> OpResult<Vec<Fault>> {
    let rows = sqlx::query_as::<_, FaultRow>(&statements().list_faults)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| r.try_into().map_err(Into::into))
        .collect()
}

pub(super) async fn set_fault_remaining(
    conn: &mut PgConnection,
    id: &str,
    remaining: i64,
) -> OpResult<()> {
    if remaining == 0 {
        sqlx::query(statements().delete_fault)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query(statements().set_fault_remaining)
            .bind(id)
            .bind(remaining)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn delete_fault(conn: &mut PgConnection, id: &str) -> OpResult<bool> {
    let r = sqlx::query(statements().delete_fault)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub(super) async fn reset_except(conn: &mut PgConnection, account_id: &str) -> OpResult<()> {
    for table in RESET_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(RESET_ACCOUNTS)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(RESET_KEYS)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
