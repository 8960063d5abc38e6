//! The simulator's timers on PostgreSQL: durable steps, the due ones, the
//! next due time.

use super::bind::bind_timer;
use super::txops::collect;
use crate::ops::Timer;
use crate::sql::rows::*;
use crate::sql::text::statements;
use crate::OpResult;
use physconn_domain::Time;
use sqlx::PgConnection;

pub(super) async fn insert_timer(conn: &mut PgConnection, t: &Timer) -> OpResult<()> {
    bind_timer(sqlx::query(&statements().insert_timer), t)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn delete_timer(conn: &mut PgConnection, id: &str) -> OpResult<bool> {
    let r = sqlx::query(statements().delete_timer)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub(super) async fn delete_timers_for(conn: &mut PgConnection, circuit_id: &str) -> OpResult<()> {
    sqlx::query(statements().delete_timers_for)
        .bind(circuit_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn due_timers(
    conn: &mut PgConnection,
    now: Time,
    limit: i64,
) -> OpResult<Vec<Timer>> {
    let r = sqlx::query_as::<_, TimerRow>(&statements().due_timers)
        .bind(us(now))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    collect(r)
}

pub(super) async fn next_timer_due(conn: &mut PgConnection) -> OpResult<Option<Time>> {
    let r: Option<(i64,)> = sqlx::query_as(statements().next_timer_due)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(r.map(|(d,)| t(d)))
}

pub(super) async fn list_timers(conn: &mut PgConnection, circuit_id: &str) -> OpResult<Vec<Timer>> {
    let r = sqlx::query_as::<_, TimerRow>(&statements().list_timers)
        .bind(circuit_id)
        .fetch_all(&mut *conn)
        .await?;
    collect(r)
}

pub(super) async fn all_timers(conn: &mut PgConnection) -> OpResult<Vec<Timer>> {
    let r = sqlx::query_as::<_, TimerRow>(&statements().all_timers)
        .fetch_all(&mut *conn)
        .await?;
    collect(r)
}

pub(super) async fn set_timer_due(conn: &mut PgConnection, id: &str, due_at: Time) -> OpResult<()> {
    sqlx::query(statements().set_timer_due)
        .bind(id)
        .bind(us(due_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
