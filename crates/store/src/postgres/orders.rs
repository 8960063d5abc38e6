//! Orders and idempotency records on PostgreSQL.

use super::bind::{bind_idempotency, bind_order};
use super::txops::collect;
use crate::sql::rows::*;
use crate::sql::text::statements;
use crate::OpResult;
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{Order, Time};
use sqlx::PgConnection;

pub(super) async fn get_order(conn: &mut PgConnection, id: &str) -> OpResult<Option<Order>> {
    let r = sqlx::query_as::<_, OrderRow>(&statements().get_order)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => Some(r.try_into()?),
        None => None,
    })
}

pub(super) async fn insert_order(conn: &mut PgConnection, o: &Order) -> OpResult<()> {
    bind_order(sqlx::query(&statements().insert_order), o)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn update_order(conn: &mut PgConnection, o: &Order) -> OpResult<()> {
    bind_order(sqlx::query(&statements().update_order), o)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn list_orders(
    conn: &mut PgConnection,
    account_id: Option<&str>,
) -> OpResult<Vec<Order>> {
    let rows = match account_id {
        Some(a) => {
            sqlx::query_as::<_, OrderRow>(&statements().list_orders_of)
                .bind(a)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            sqlx::query_as::<_, OrderRow>(&statements().list_orders_all)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    collect(rows)
}

pub(super) async fn get_idempotency(
    conn: &mut PgConnection,
    account_id: &str,
    action: &str,
    token: &str,
) -> OpResult<Option<IdempotencyRecord>> {
    let r = sqlx::query_as::<_, IdemRow>(&statements().get_idem)
        .bind(account_id)
        .bind(action)
        .bind(token)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(r.map(IdempotencyRecord::from))
}

pub(super) async fn insert_idempotency(
    conn: &mut PgConnection,
    r: &IdempotencyRecord,
) -> OpResult<()> {
    bind_idempotency(sqlx::query(&statements().insert_idem), r)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn purge_idempotency(conn: &mut PgConnection, before: Time) -> OpResult<u64> {
    let r = sqlx::query(statements().purge_idem)
        .bind(us(before))
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}
