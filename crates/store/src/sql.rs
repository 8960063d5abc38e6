//! The SQL of every [`TxOps`](crate::TxOps) operation, written once and
//! instantiated for SQLite and PostgreSQL by `impl_txops!` (statement texts
//! in `sql_text.rs`; faults, resets, nonces and export in `sql_extra.rs`).
//! It stays inside the subset both (and CockroachDB/YugabyteDB) accept: `$N`
//! placeholders, `ON CONFLICT … DO UPDATE SET … = excluded.…` (optionally
//! with a `WHERE`), `LIMIT/OFFSET`, no sequences, no database-specific
//! functions.

pub(crate) use crate::sql_text::{
    bind_account, bind_circuit, bind_order, statements, ACCOUNT_COLS, CIRCUIT_COLS, EVENT_COLS,
    IDEM_COLS, KEY_COLS, LEDGER_COLS, ORDER_COLS, TIMER_COLS,
};

/// Implements `TxOps` for a sqlx connection type with the shared SQL.
macro_rules! impl_txops {
    ($conn:ty, $db:ty) => {
        mod txops_impl {
        use $crate::export::Table;
        use $crate::job::BoxFut;
        use $crate::ops::{CircuitEvent, CircuitQuery, Fault, Timer, TxOps};
        use $crate::rows::*;
        use $crate::sql::*;
        use $crate::{OpResult, StoreError};
        use physconn_domain::idempotency::IdempotencyRecord;
        use physconn_domain::{AccessKey, Account, Circuit, KeyStatus, LedgerEntry, Order, Status, Time};
        use serde_json::Value;
        use sqlx::QueryBuilder;

        $crate::sql_extra::extra_fns!($conn);

        fn push_where<'q>(qb: &mut QueryBuilder<'q, $db>, q: &'q CircuitQuery) {
            qb.push(" WHERE c.account_id = ")
                .push_bind(q.account_id.as_str())
                .push(" AND c.region_id = ")
                .push_bind(q.region_id.as_str())
                .push(" AND c.deleted_at IS NULL");
            if q.match_nothing {
                qb.push(" AND 1 = 0");
            }
            for (col, values) in &q.columns {
                qb.push(" AND c.").push(*col).push(" IN (");
                let mut sep = qb.separated(", ");
                for v in values {
                    sep.push_bind(v.as_str());
                }
                qb.push(")");
            }
            if let Some(rg) = &q.resource_group_id {
                qb.push(" AND c.resource_group_id = ").push_bind(rg.as_str());
            }
            for (k, v) in &q.tags {
                qb.push(" AND EXISTS (SELECT 1 FROM circuit_tags t WHERE t.circuit_id = c.id AND t.tag_key = ")
                    .push_bind(k.as_str());
                if let Some(v) = v {
                    qb.push(" AND t.tag_value = ").push_bind(v.as_str());
                }
                qb.push(")");
            }
        }

        async fn tags_of(conn: &mut $conn, ids: &[String]) -> OpResult<Vec<TagRow>> {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut qb = QueryBuilder::<$db>::new(
                "SELECT circuit_id, tag_key, tag_value FROM circuit_tags WHERE circuit_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(id.as_str());
            }
            qb.push(") ORDER BY circuit_id, position");
            Ok(qb.build_query_as::<TagRow>().fetch_all(&mut *conn).await?)
        }

        fn collect<T, R: TryInto<T, Error = StoreError>>(rows: Vec<R>) -> OpResult<Vec<T>> {
            rows.into_iter()
                .map(|r| r.try_into().map_err(Into::into))
                .collect()
        }

        impl TxOps for $conn {
            fn get_account<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Account>>> {
                Box::pin(async move {
                    let q = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1");
                    let r = sqlx::query_as::<_, AccountRow>(&q).bind(id).fetch_optional(&mut *self).await?;
                    Ok(r.map(Account::from))
                })
            }

            fn get_account_by_name<'a>(&'a mut self, name: &'a str) -> BoxFut<'a, OpResult<Option<Account>>> {
                Box::pin(async move {
                    let q = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1");
                    let r = sqlx::query_as::<_, AccountRow>(&q).bind(name).fetch_optional(&mut *self).await?;
                    Ok(r.map(Account::from))
                })
            }

            fn list_accounts(&mut self) -> BoxFut<'_, OpResult<Vec<Account>>> {
                Box::pin(async move {
                    let q = format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY created_at, id");
                    let r = sqlx::query_as::<_, AccountRow>(&q).fetch_all(&mut *self).await?;
                    Ok(r.into_iter().map(Account::from).collect())
                })
            }

            fn insert_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_account!(sqlx::query(&statements().insert_account), a).execute(&mut *self).await?;
                    Ok(())
                })
            }

            fn update_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_account!(sqlx::query(&statements().update_account), a).execute(&mut *self).await?;
                    Ok(())
                })
            }

            fn insert_ledger<'a>(&'a mut self, e: &'a LedgerEntry) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(&statements().insert_ledger)
                        .bind(&e.id)
                        .bind(&e.account_id)
                        .bind(e.seq)
                        .bind(e.amount.0)
                        .bind(e.balance_after.0)
                        .bind(e.kind.as_str())
                        .bind(e.order_id.as_deref())
                        .bind(&e.note)
                        .bind(us(e.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn list_ledger<'a>(&'a mut self, account_id: &'a str, limit: i64) -> BoxFut<'a, OpResult<Vec<LedgerEntry>>> {
                Box::pin(async move {
                    let q = format!("SELECT {LEDGER_COLS} FROM ledger WHERE account_id = $1 ORDER BY seq DESC LIMIT $2");
                    let r = sqlx::query_as::<_, LedgerRow>(&q)
                        .bind(account_id)
                        .bind(limit)
                        .fetch_all(&mut *self)
                        .await?;
                    collect(r)
                })
            }

            fn ledger_sum<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>> {
                Box::pin(async move {
                    // Summed in the application: SUM's result type differs
                    // between the two databases.
                    let amounts: Vec<(i64,)> = sqlx::query_as("SELECT amount_fen FROM ledger WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_all(&mut *self)
                        .await?;
                    Ok(amounts.iter().map(|(a,)| *a).sum())
                })
            }

            fn get_access_key<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<AccessKey>>> {
                Box::pin(async move {
                    let q = format!("SELECT {KEY_COLS} FROM access_keys WHERE id = $1");
                    let r = sqlx::query_as::<_, KeyRow>(&q).bind(id).fetch_optional(&mut *self).await?;
                    Ok(match r {
                        Some(r) => Some(r.try_into()?),
                        None => None,
                    })
                })
            }

            fn insert_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    let (token, exp) = key_token(k);
                    sqlx::query(&statements().insert_key)
                        .bind(&k.id)
                        .bind(&k.account_id)
                        .bind(&k.secret)
                        .bind(k.status.as_str())
                        .bind(token)
                        .bind(exp)
                        .bind(us(k.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn update_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    let (token, exp) = key_token(k);
                    sqlx::query(&statements().update_key)
                        .bind(&k.id)
                        .bind(&k.account_id)
                        .bind(&k.secret)
                        .bind(k.status.as_str())
                        .bind(token)
                        .bind(exp)
                        .bind(us(k.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn set_access_key_status<'a>(&'a mut self, id: &'a str, status: KeyStatus) -> BoxFut<'a, OpResult<bool>> {
                Box::pin(async move {
                    let r = sqlx::query("UPDATE access_keys SET status = $2 WHERE id = $1")
                        .bind(id)
                        .bind(status.as_str())
                        .execute(&mut *self)
                        .await?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn list_access_keys<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<Vec<AccessKey>>> {
                Box::pin(async move {
                    let q = format!("SELECT {KEY_COLS} FROM access_keys WHERE account_id = $1 ORDER BY created_at, id");
                    let r = sqlx::query_as::<_, KeyRow>(&q).bind(account_id).fetch_all(&mut *self).await?;
                    collect(r)
                })
            }

            fn get_circuit<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Circuit>>> {
                Box::pin(async move {
                    let row = sqlx::query_as::<_, CircuitRow>(&statements().select_circuit)
                        .bind(id)
                        .fetch_optional(&mut *self)
                        .await?;
                    let Some(row) = row else { return Ok(None) };
                    let tags = tags_of(self, std::slice::from_ref(&row.id)).await?;
                    let tags = tags.into_iter().map(|t| (t.tag_key, t.tag_value)).collect();
                    Ok(Some(row.into_circuit(tags)?))
                })
            }

            fn insert_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_circuit!(sqlx::query(&statements().insert_circuit), c).execute(&mut *self).await?;
                    self.replace_tags(&c.id, &c.tags).await
                })
            }

            fn update_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_circuit!(sqlx::query(&statements().update_circuit), c).execute(&mut *self).await?;
                    Ok(())
                })
            }

            fn replace_tags<'a>(&'a mut self, circuit_id: &'a str, tags: &'a [(String, String)]) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query("DELETE FROM circuit_tags WHERE circuit_id = $1")
                        .bind(circuit_id)
                        .execute(&mut *self)
                        .await?;
                    for (i, (k, v)) in tags.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO circuit_tags (circuit_id, tag_key, tag_value, position) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(circuit_id)
                        .bind(k)
                        .bind(v)
                        .bind(i as i64)
                        .execute(&mut *self)
                        .await?;
                    }
                    Ok(())
                })
            }

            fn list_circuits<'a>(&'a mut self, q: &'a CircuitQuery) -> BoxFut<'a, OpResult<(Vec<Circuit>, i64)>> {
                Box::pin(async move {
                    let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM circuits c");
                    push_where(&mut count, q);
                    let (total,): (i64,) = count.build_query_as().fetch_one(&mut *self).await?;
                    if total == 0 || q.offset >= total {
                        return Ok((Vec::new(), total));
                    }
                    let cols = CIRCUIT_COLS
                        .split(',')
                        .map(|c| format!("c.{}", c.trim()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut page = QueryBuilder::<$db>::new(format!("SELECT {cols} FROM circuits c"));
                    push_where(&mut page, q);
                    page.push(" ORDER BY c.created_at DESC, c.id ASC LIMIT ")
                        .push_bind(q.limit)
                        .push(" OFFSET ")
                        .push_bind(q.offset);
                    let rows: Vec<CircuitRow> = page.build_query_as().fetch_all(&mut *self).await?;
                    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                    let mut by_id: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
                    for t in tags_of(self, &ids).await? {
                        by_id.entry(t.circuit_id).or_default().push((t.tag_key, t.tag_value));
                    }
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let tags = by_id.remove(&r.id).unwrap_or_default();
                        out.push(r.into_circuit(tags)?);
                    }
                    Ok((out, total))
                })
            }

                        fn list_account_circuits<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<Vec<Circuit>>> {
                Box::pin(async move {
                    let q = format!(
                        "SELECT {CIRCUIT_COLS} FROM circuits WHERE account_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
                    );
                    let rows = sqlx::query_as::<_, CircuitRow>(&q).bind(account_id).fetch_all(&mut *self).await?;
                    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                    let mut by_id: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
                    for t in tags_of(self, &ids).await? {
                        by_id.entry(t.circuit_id).or_default().push((t.tag_key, t.tag_value));
                    }
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let tags = by_id.remove(&r.id).unwrap_or_default();
                        out.push(r.into_circuit(tags)?);
                    }
                    Ok(out)
                })
            }

            fn count_circuits<'a>(&'a mut self, account_id: &'a str, statuses: &'a [Status]) -> BoxFut<'a, OpResult<i64>> {
                Box::pin(async move {
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT COUNT(*) FROM circuits WHERE deleted_at IS NULL AND account_id = ",
                    );
                    qb.push_bind(account_id).push(" AND status IN (");
                    let mut sep = qb.separated(", ");
                    for s in statuses {
                        sep.push_bind(s.as_str());
                    }
                    qb.push(")");
                    let (n,): (i64,) = qb.build_query_as().fetch_one(&mut *self).await?;
                    Ok(n)
                })
            }

            fn count_business_status<'a>(&'a mut self, account_id: &'a str, business_status: &'a str) -> BoxFut<'a, OpResult<i64>> {
                Box::pin(async move {
                    let (n,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM circuits WHERE deleted_at IS NULL AND account_id = $1 AND business_status = $2",
                    )
                    .bind(account_id)
                    .bind(business_status)
                    .fetch_one(&mut *self)
                    .await?;
                    Ok(n)
                })
            }

            fn insert_event<'a>(&'a mut self, e: &'a CircuitEvent) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(&statements().insert_event)
                        .bind(&e.id)
                        .bind(&e.circuit_id)
                        .bind(us(e.at))
                        .bind(e.from_status.map(|s| s.as_str()))
                        .bind(e.to_status.as_str())
                        .bind(&e.cause)
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn list_events<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<Vec<CircuitEvent>>> {
                Box::pin(async move {
                    let q = format!("SELECT {EVENT_COLS} FROM circuit_events WHERE circuit_id = $1 ORDER BY at, id");
                    let r = sqlx::query_as::<_, EventRow>(&q).bind(circuit_id).fetch_all(&mut *self).await?;
                    collect(r)
                })
            }

            fn get_order<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Order>>> {
                Box::pin(async move {
                    let q = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
                    let r = sqlx::query_as::<_, OrderRow>(&q).bind(id).fetch_optional(&mut *self).await?;
                    Ok(match r {
                        Some(r) => Some(r.try_into()?),
                        None => None,
                    })
                })
            }

            fn insert_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_order!(sqlx::query(&statements().insert_order), o).execute(&mut *self).await?;
                    Ok(())
                })
            }

            fn update_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    bind_order!(sqlx::query(&statements().update_order), o).execute(&mut *self).await?;
                    Ok(())
                })
            }

            fn list_orders<'a>(&'a mut self, account_id: Option<&'a str>) -> BoxFut<'a, OpResult<Vec<Order>>> {
                Box::pin(async move {
                    let rows = match account_id {
                        Some(a) => {
                            let q = format!("SELECT {ORDER_COLS} FROM orders WHERE account_id = $1 ORDER BY created_at, id");
                            sqlx::query_as::<_, OrderRow>(&q).bind(a).fetch_all(&mut *self).await?
                        }
                        None => {
                            let q = format!("SELECT {ORDER_COLS} FROM orders ORDER BY created_at, id");
                            sqlx::query_as::<_, OrderRow>(&q).fetch_all(&mut *self).await?
                        }
                    };
                    collect(rows)
                })
            }

            fn get_idempotency<'a>(
                &'a mut self,
                account_id: &'a str,
                action: &'a str,
                token: &'a str,
            ) -> BoxFut<'a, OpResult<Option<IdempotencyRecord>>> {
                Box::pin(async move {
                    let q = format!(
                        "SELECT {IDEM_COLS} FROM idempotency WHERE account_id = $1 AND action = $2 AND token = $3"
                    );
                    let r = sqlx::query_as::<_, IdemRow>(&q)
                        .bind(account_id)
                        .bind(action)
                        .bind(token)
                        .fetch_optional(&mut *self)
                        .await?;
                    Ok(r.map(IdempotencyRecord::from))
                })
            }

            fn insert_idempotency<'a>(&'a mut self, r: &'a IdempotencyRecord) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(&statements().insert_idem)
                        .bind(&r.account_id)
                        .bind(&r.action)
                        .bind(&r.token)
                        .bind(&r.fingerprint)
                        .bind(&r.response)
                        .bind(us(r.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn purge_idempotency(&mut self, before: Time) -> BoxFut<'_, OpResult<u64>> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
                        .bind(us(before))
                        .execute(&mut *self)
                        .await?;
                    Ok(r.rows_affected())
                })
            }

            fn insert_timer<'a>(&'a mut self, t: &'a Timer) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(&statements().insert_timer)
                        .bind(&t.id)
                        .bind(&t.circuit_id)
                        .bind(&t.kind)
                        .bind(t.expect_status.as_str())
                        .bind(us(t.due_at))
                        .bind(us(t.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn delete_timer<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM timers WHERE id = $1").bind(id).execute(&mut *self).await?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn delete_timers_for<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query("DELETE FROM timers WHERE circuit_id = $1")
                        .bind(circuit_id)
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn due_timers(&mut self, now: Time, limit: i64) -> BoxFut<'_, OpResult<Vec<Timer>>> {
                Box::pin(async move {
                    let q = format!("SELECT {TIMER_COLS} FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2");
                    let r = sqlx::query_as::<_, TimerRow>(&q)
                        .bind(us(now))
                        .bind(limit)
                        .fetch_all(&mut *self)
                        .await?;
                    collect(r)
                })
            }

            fn next_timer_due(&mut self) -> BoxFut<'_, OpResult<Option<Time>>> {
                Box::pin(async move {
                    let r: Option<(i64,)> = sqlx::query_as("SELECT due_at FROM timers ORDER BY due_at LIMIT 1")
                        .fetch_optional(&mut *self)
                        .await?;
                    Ok(r.map(|(d,)| t(d)))
                })
            }

            fn list_timers<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<Vec<Timer>>> {
                Box::pin(async move {
                    let q = format!("SELECT {TIMER_COLS} FROM timers WHERE circuit_id = $1 ORDER BY due_at, id");
                    let r = sqlx::query_as::<_, TimerRow>(&q).bind(circuit_id).fetch_all(&mut *self).await?;
                    collect(r)
                })
            }

            fn all_timers(&mut self) -> BoxFut<'_, OpResult<Vec<Timer>>> {
                Box::pin(async move {
                    let q = format!("SELECT {TIMER_COLS} FROM timers ORDER BY due_at, id");
                    let r = sqlx::query_as::<_, TimerRow>(&q).fetch_all(&mut *self).await?;
                    collect(r)
                })
            }

            fn set_timer_due<'a>(&'a mut self, id: &'a str, due_at: Time) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query("UPDATE timers SET due_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(us(due_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn insert_fault<'a>(&'a mut self, f: &'a Fault) -> BoxFut<'a, OpResult<()>> {
                Box::pin(extra::insert_fault(self, f))
            }

            fn list_faults(&mut self) -> BoxFut<'_, OpResult<Vec<Fault>>> {
                Box::pin(extra::list_faults(self))
            }

            fn set_fault_remaining<'a>(&'a mut self, id: &'a str, remaining: i64) -> BoxFut<'a, OpResult<()>> {
                Box::pin(extra::set_fault_remaining(self, id, remaining))
            }

            fn delete_fault<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
                Box::pin(extra::delete_fault(self, id))
            }

            fn reset_except<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<()>> {
                Box::pin(extra::reset_except(self, account_id))
            }

            fn claim_nonce<'a>(
                &'a mut self,
                access_key_id: &'a str,
                nonce: &'a str,
                now: Time,
                expires_at: Time,
            ) -> BoxFut<'a, OpResult<bool>> {
                Box::pin(extra::claim_nonce(self, access_key_id, nonce, now, expires_at))
            }

            fn purge_nonces(&mut self, now: Time) -> BoxFut<'_, OpResult<u64>> {
                Box::pin(extra::purge_nonces(self, now))
            }

            fn dump_table<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<Vec<Vec<Value>>>> {
                Box::pin(extra::dump_table(self, table))
            }

            fn load_rows<'a>(&'a mut self, table: &'a Table, rows: &'a [Vec<Value>]) -> BoxFut<'a, OpResult<()>> {
                Box::pin(extra::load_rows(self, table, rows))
            }

            fn count_rows<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<i64>> {
                Box::pin(extra::count_rows(self, table))
            }

            fn get_meta<'a>(&'a mut self, key: &'a str) -> BoxFut<'a, OpResult<Option<String>>> {
                Box::pin(async move {
                    let r: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&mut *self)
                        .await?;
                    Ok(r.map(|(v,)| v))
                })
            }

            fn set_meta<'a>(&'a mut self, key: &'a str, value: &'a str) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(key)
                    .bind(value)
                    .execute(&mut *self)
                    .await?;
                    Ok(())
                })
            }
        }
        }
    };
}

pub(crate) use impl_txops;
