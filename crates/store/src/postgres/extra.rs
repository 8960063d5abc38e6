//! More of the shared SQL, kept apart so no file grows past a screenful of
//! macro: provider faults, test resets, the shared nonces of many servers on
//! one database, and whole-table reads and writes for export/import. Same
//! rules as `postgres/txops.rs`: one text for every backend, instantiated per
//! connection type by `impl_txops!` through `extra_fns!`.

/// Defines `extra::*` (free functions over one connection type) for the
/// `TxOps` methods that `impl_txops!` delegates here.
macro_rules! extra_fns {
    ($conn:ty) => {
        mod extra {
            use physconn_domain::Time;
            use serde_json::Value;
            use sqlx::{Column, Row};
            use $crate::export::{ColType, Table};
            use $crate::ops::Fault;
            use $crate::sql::rows::{us, FaultRow};
            use $crate::sql::text::{
                placeholders, statements, RESET_ACCOUNTS, RESET_KEYS, RESET_TABLES,
            };
            use $crate::{OpResult, StoreError};

            /// The circuit's row, then the account's: the fixed order of
            /// docs/design/decisions.md#row-locks. PostgreSQL only, so the
            /// texts live here rather than in `sql/text.rs` (SQLite has no
            /// `FOR UPDATE`, and needs no row locks behind its one writer).
            pub(super) async fn lock_rows(
                conn: &mut $conn,
                locks: &$crate::ops::RowLocks,
            ) -> OpResult<()> {
                if let Some(id) = &locks.circuit {
                    sqlx::query("SELECT id FROM circuits WHERE id = $1 FOR UPDATE")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                }
                if let Some(id) = &locks.account {
                    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            pub(super) async fn insert_fault(conn: &mut $conn, f: &Fault) -> OpResult<()> {
                sqlx::query(&statements().insert_fault)
                    .bind(&f.id)
                    .bind(&f.scope)
                    .bind(&f.target)
                    .bind(f.outcome.as_str())
                    .bind(f.remaining)
                    .bind(f.share_ppm)
                    .bind(us(f.created_at))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub(super) async fn list_faults(conn: &mut $conn) -> OpResult<Vec<Fault>> {
                let rows = sqlx::query_as::<_, FaultRow>(&statements().list_faults)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.into_iter()
                    .map(|r| r.try_into().map_err(Into::into))
                    .collect()
            }

            pub(super) async fn set_fault_remaining(
                conn: &mut $conn,
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

            pub(super) async fn delete_fault(conn: &mut $conn, id: &str) -> OpResult<bool> {
                let r = sqlx::query(statements().delete_fault)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(r.rows_affected() > 0)
            }

            pub(super) async fn reset_except(conn: &mut $conn, account_id: &str) -> OpResult<()> {
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

            pub(super) async fn claim_nonce(
                conn: &mut $conn,
                access_key_id: &str,
                nonce: &str,
                now: Time,
                expires_at: Time,
            ) -> OpResult<bool> {
                let r = sqlx::query(statements().claim_nonce)
                    .bind(access_key_id)
                    .bind(nonce)
                    .bind(us(expires_at))
                    .bind(us(now))
                    .execute(&mut *conn)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            pub(super) async fn open_service(
                conn: &mut $conn,
                account_id: &str,
                service: &str,
                at: Time,
            ) -> OpResult<bool> {
                let r = sqlx::query(statements().open_service)
                    .bind(account_id)
                    .bind(service)
                    .bind(us(at))
                    .execute(&mut *conn)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            pub(super) async fn purge_nonces(conn: &mut $conn, now: Time) -> OpResult<u64> {
                let r = sqlx::query(statements().purge_nonces)
                    .bind(us(now))
                    .execute(&mut *conn)
                    .await?;
                Ok(r.rows_affected())
            }

            pub(super) async fn dump_table(
                conn: &mut $conn,
                table: &Table,
            ) -> OpResult<Vec<Vec<Value>>> {
                // The export must carry every column: one the table spec
                // does not know (a migration without its export entry)
                // fails the export instead of being silently dropped.
                let q = format!("SELECT * FROM {} LIMIT 1", table.name);
                if let Some(row) = sqlx::query(&q).fetch_optional(&mut *conn).await? {
                    let mut actual: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
                    let mut known: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                    actual.sort_unstable();
                    known.sort_unstable();
                    if actual != known {
                        return Err(StoreError::Corrupt(format!(
                            "table {} has columns {actual:?}; the export knows {known:?}",
                            table.name
                        ))
                        .into());
                    }
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
                conn: &mut $conn,
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

            pub(super) async fn count_rows(conn: &mut $conn, table: &Table) -> OpResult<i64> {
                let q = format!("SELECT COUNT(*) FROM {}", table.name);
                let (n,): (i64,) = sqlx::query_as(&q).fetch_one(&mut *conn).await?;
                Ok(n)
            }

            pub(super) async fn table_names(conn: &mut $conn) -> OpResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT table_name::TEXT FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.into_iter().map(|(n,)| n).collect())
            }
        }
    };
}

pub(crate) use extra_fns;
