//! Whole-table reads and writes on PostgreSQL, for `physconn export` and
//! `physconn import` (`export.rs`).

use crate::export::{ColType, Table};
use crate::sql::text::{placeholders, statements};
use crate::OpResult;
use serde_json::Value;
use sqlx::{Column, PgConnection, Row};

pub(super) async fn dump_table(
    conn: &mut PgConnection,
    table: &Table,
) -> OpResult<Vec<Vec<Value>>> {
    let q = format!("SELECT * FROM {} LIMIT 1", table.name);
    if let Some(row) = sqlx::query(&q).fetch_optional(&mut *conn).await? {
        let actual: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
        table.check_columns(&actual)?;
    }
    let q = format!("SELECT {} FROM {}", table.column_list(), table.name);
    let rows = sqlx::query(&q).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, (_, ty)) in table.columns.iter().enumerate() {
            let v = match ty {
                ColType::Text => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                ColType::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                ColType::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::from),
            };
            values.push(v.unwrap_or(Value::Null));
        }
        out.push(values);
    }
    Ok(out)
}

pub(super) async fn load_rows(
    conn: &mut PgConnection,
    table: &Table,
    rows: &[Vec<Value>],
) -> OpResult<()> {
    let q = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        table.column_list(),
        placeholders(table.columns.len())
    );
    for row in rows {
        let mut query = sqlx::query(&q);
        for ((_, ty), v) in table.columns.iter().zip(row) {
            query = match ty {
                ColType::Text => query.bind(v.as_str().map(str::to_string)),
                ColType::Int => query.bind(v.as_i64()),
                ColType::Bool => query.bind(v.as_bool()),
            };
        }
        query.execute(&mut *conn).await?;
    }
    if table.name == "circuits" {
        // Derived from the rows, so not exported: rebuilt here.
        sqlx::query(statements().clear_counts)
            .execute(&mut *conn)
            .await?;
        sqlx::query(&statements().rebuild_counts)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn count_rows(conn: &mut PgConnection, table: &Table) -> OpResult<i64> {
    let q = format!("SELECT COUNT(*) FROM {}", table.name);
    let (n,): (i64,) = sqlx::query_as(&q).fetch_one(&mut *conn).await?;
    Ok(n)
}

pub(super) async fn table_names(conn: &mut PgConnection) -> OpResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::TEXT FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}
