//! The SQL of every [`TxOps`](crate::TxOps) operation, written once and
//! instantiated for SQLite and PostgreSQL by `impl_txops!`. It stays inside
//! the subset both (and CockroachDB/YugabyteDB) accept: `$N` placeholders,
//! `ON CONFLICT … DO UPDATE SET … = excluded.…`, `LIMIT/OFFSET`, no
//! sequences, no database-specific functions.

pub(crate) const ACCOUNT_COLS: &str =
    "id, name, balance_fen, credit_limit_fen, bypass_sp, ledger_seq, created_at, provisioning_mode, overdue_since";
pub(crate) const KEY_COLS: &str =
    "id, account_id, secret, status, security_token, expires_at, created_at";
pub(crate) const CIRCUIT_COLS: &str = "id, account_id, region_id, access_point_id, status, business_status, \
    loa_status, name, description, line_operator, port_type, bandwidth, port_number, circuit_code, \
    peer_location, ad_location, ad_detail_location, redundant_id, resource_group_id, created_at, enabled_at, \
    end_at, charge_type, pending_order_id, auto_renew, auto_renew_duration, deleted_at, loa, provisioning_mode, \
    metered_until";
pub(crate) const ORDER_COLS: &str = "id, account_id, circuit_id, region_id, kind, status, abnormal_reason, \
    charge_type, period, pricing_cycle, auto_renew, auto_renew_duration, port_type, amount_fen, currency, \
    created_at, paid_at, cancelled_at, related_order_id";
pub(crate) const LEDGER_COLS: &str =
    "id, account_id, seq, amount_fen, balance_after_fen, kind, order_id, note, created_at";
pub(crate) const TIMER_COLS: &str = "id, circuit_id, kind, expect_status, due_at, created_at";
pub(crate) const EVENT_COLS: &str = "id, circuit_id, at, from_status, to_status, cause";
pub(crate) const FAULT_COLS: &str = "id, scope, target, outcome, remaining, share_ppm, created_at";
pub(crate) const IDEM_COLS: &str = "account_id, action, token, fingerprint, response, created_at";

/// `$1, $2, …, $n`
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `col2 = $2, col3 = $3, …` for an UPDATE keyed by the first column.
pub(crate) fn assignments(cols: &str) -> String {
    cols.split(',')
        .map(str::trim)
        .enumerate()
        .skip(1)
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Statement texts, built once per process.
pub(crate) struct Statements {
    pub insert_account: String,
    pub update_account: String,
    pub insert_key: String,
    pub update_key: String,
    pub insert_circuit: String,
    pub update_circuit: String,
    pub insert_order: String,
    pub update_order: String,
    pub insert_ledger: String,
    pub insert_timer: String,
    pub insert_event: String,
    pub insert_idem: String,
    pub insert_fault: String,
    pub select_circuit: String,
}

pub(crate) fn statements() -> &'static Statements {
    static S: std::sync::OnceLock<Statements> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let ins = |table: &str, cols: &str| {
            let n = cols.split(',').count();
            format!("INSERT INTO {table} ({cols}) VALUES ({})", placeholders(n))
        };
        let upd = |table: &str, cols: &str| {
            format!("UPDATE {table} SET {} WHERE id = $1", assignments(cols))
        };
        Statements {
            insert_account: ins("accounts", ACCOUNT_COLS),
            update_account: upd("accounts", ACCOUNT_COLS),
            insert_key: ins("access_keys", KEY_COLS),
            update_key: upd("access_keys", KEY_COLS),
            insert_circuit: ins("circuits", CIRCUIT_COLS),
            update_circuit: upd("circuits", CIRCUIT_COLS),
            insert_order: ins("orders", ORDER_COLS),
            update_order: upd("orders", ORDER_COLS),
            insert_ledger: ins("ledger", LEDGER_COLS),
            insert_timer: ins("timers", TIMER_COLS),
            insert_event: ins("circuit_events", EVENT_COLS),
            insert_idem: ins("idempotency", IDEM_COLS),
            insert_fault: ins("faults", FAULT_COLS),
            select_circuit: format!("SELECT {CIRCUIT_COLS} FROM circuits WHERE id = $1"),
        }
    })
}

/// Binds a circuit's columns in `CIRCUIT_COLS` order.
macro_rules! bind_circuit {
    ($q:expr, $c:expr) => {{
        let c = $c;
        $q.bind(&c.id)
            .bind(&c.account_id)
            .bind(&c.region_id)
            .bind(&c.access_point_id)
            .bind(c.status.as_str())
            .bind(c.business_status.as_str())
            .bind(c.loa_status.map(|s| s.as_str()))
            .bind(&c.name)
            .bind(&c.description)
            .bind(c.line_operator.as_str())
            .bind(c.port_type.as_str())
            .bind(c.bandwidth)
            .bind(&c.port_number)
            .bind(&c.circuit_code)
            .bind(&c.peer_location)
            .bind(&c.ad_location)
            .bind(&c.ad_detail_location)
            .bind(&c.redundant_id)
            .bind(&c.resource_group_id)
            .bind(us(c.created_at))
            .bind(ous(c.enabled_at))
            .bind(ous(c.end_at))
            .bind(c.charge_type.map(|s| s.as_str()))
            .bind(c.pending_order_id.as_deref())
            .bind(c.auto_renew)
            .bind(c.auto_renew_duration)
            .bind(ous(c.deleted_at))
            .bind(c.loa.as_ref().and_then(|l| serde_json::to_string(l).ok()))
            .bind(c.provisioning_mode.map(|m| m.as_str()))
            .bind(ous(c.metered_until))
    }};
}

macro_rules! bind_order {
    ($q:expr, $o:expr) => {{
        let o = $o;
        $q.bind(&o.id)
            .bind(&o.account_id)
            .bind(&o.circuit_id)
            .bind(&o.region_id)
            .bind(o.kind.as_str())
            .bind(o.status.as_str())
            .bind(o.abnormal_reason.as_deref())
            .bind(o.charge_type.as_str())
            .bind(o.period)
            .bind(o.pricing_cycle.as_str())
            .bind(o.auto_renew)
            .bind(o.auto_renew_duration)
            .bind(o.port_type.as_str())
            .bind(o.amount.0)
            .bind(&o.currency)
            .bind(us(o.created_at))
            .bind(ous(o.paid_at))
            .bind(ous(o.cancelled_at))
            .bind(o.related_order_id.as_deref())
    }};
}

macro_rules! bind_account {
    ($q:expr, $a:expr) => {{
        let a = $a;
        $q.bind(&a.id)
            .bind(&a.name)
            .bind(a.balance.0)
            .bind(a.credit_limit.0)
            .bind(a.bypass_sp)
            .bind(a.ledger_seq)
            .bind(us(a.created_at))
            .bind(a.provisioning_mode.map(|m| m.as_str()))
            .bind(ous(a.overdue_since))
    }};
}

/// Implements `TxOps` for a sqlx connection type with the shared SQL.
macro_rules! impl_txops {
    ($conn:ty, $db:ty) => {
        mod txops_impl {
        use $crate::job::BoxFut;
        use $crate::ops::{CircuitEvent, CircuitQuery, Fault, Timer, TxOps};
        use $crate::rows::*;
        use $crate::sql::*;
        use $crate::{OpResult, StoreError};
        use physconn_domain::idempotency::IdempotencyRecord;
        use physconn_domain::{AccessKey, Account, Circuit, KeyStatus, LedgerEntry, Order, Status, Time};
        use sqlx::QueryBuilder;

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

            fn insert_fault<'a>(&'a mut self, f: &'a Fault) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    sqlx::query(&statements().insert_fault)
                        .bind(&f.id)
                        .bind(&f.scope)
                        .bind(&f.target)
                        .bind(f.outcome.as_str())
                        .bind(f.remaining)
                        .bind(f.share_ppm)
                        .bind(us(f.created_at))
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }

            fn list_faults(&mut self) -> BoxFut<'_, OpResult<Vec<Fault>>> {
                Box::pin(async move {
                    let q = format!("SELECT {FAULT_COLS} FROM faults ORDER BY created_at, id");
                    let r = sqlx::query_as::<_, FaultRow>(&q).fetch_all(&mut *self).await?;
                    collect(r)
                })
            }

            fn set_fault_remaining<'a>(&'a mut self, id: &'a str, remaining: i64) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    if remaining == 0 {
                        sqlx::query("DELETE FROM faults WHERE id = $1").bind(id).execute(&mut *self).await?;
                    } else {
                        sqlx::query("UPDATE faults SET remaining = $2 WHERE id = $1")
                            .bind(id)
                            .bind(remaining)
                            .execute(&mut *self)
                            .await?;
                    }
                    Ok(())
                })
            }

            fn delete_fault<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
                Box::pin(async move {
                    let r = sqlx::query("DELETE FROM faults WHERE id = $1").bind(id).execute(&mut *self).await?;
                    Ok(r.rows_affected() > 0)
                })
            }

            fn reset_except<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<()>> {
                Box::pin(async move {
                    for table in [
                        "circuits", "circuit_tags", "circuit_events", "orders", "ledger", "idempotency", "timers",
                        "faults",
                    ] {
                        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *self).await?;
                    }
                    sqlx::query("DELETE FROM accounts WHERE id <> $1").bind(account_id).execute(&mut *self).await?;
                    sqlx::query("DELETE FROM access_keys WHERE account_id <> $1 OR security_token IS NOT NULL")
                        .bind(account_id)
                        .execute(&mut *self)
                        .await?;
                    Ok(())
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

pub(crate) use {bind_account, bind_circuit, bind_order, impl_txops};
