//! [`TxOps`] on PostgreSQL, over one sqlx connection inside the job's
//! transaction. The statements are the ones the SQLite store runs
//! (`sql/text.rs`, `sql/query.rs`); the circuit operations are in
//! `postgres/circuits.rs`, orders and idempotency records in
//! `postgres/orders.rs`, timers in `postgres/timers.rs`, the simulator's
//! faults and the test reset in `postgres/faults.rs`, whole-table export and import in
//! `postgres/export.rs`, the row locks of the locked mode in `postgres/mod.rs`;
//! the rest is here.

use super::bind::{bind_account, bind_event};
use super::{circuits, export, faults, orders, timers};
use crate::export::Table;
use crate::job::BoxFut;
use crate::ops::{CircuitEvent, CircuitQuery, Fault, NewCircuit, RowLocks, Timer, TxOps};
use crate::sql::rows::*;
use crate::sql::text::statements;
use crate::{OpResult, StoreError};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{
    AccessKey, Account, BusinessStatus, Circuit, KeyStatus, LedgerEntry, Order, Status, Time,
};
use serde_json::Value;
use sqlx::PgConnection;

pub(super) fn collect<T, R: TryInto<T, Error = StoreError>>(rows: Vec<R>) -> OpResult<Vec<T>> {
    rows.into_iter()
        .map(|r| r.try_into().map_err(Into::into))
        .collect()
}

impl TxOps for PgConnection {
    fn get_account<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Account>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, AccountRow>(&statements().get_account)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(Account::from))
        })
    }

    fn get_account_by_name<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFut<'a, OpResult<Option<Account>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, AccountRow>(&statements().get_account_by_name)
                .bind(name)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(Account::from))
        })
    }

    fn list_accounts(&mut self) -> BoxFut<'_, OpResult<Vec<Account>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, AccountRow>(&statements().list_accounts)
                .fetch_all(&mut *self)
                .await?;
            Ok(r.into_iter().map(Account::from).collect())
        })
    }

    fn insert_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            bind_account(sqlx::query(&statements().insert_account), a)
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }

    fn update_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            bind_account(sqlx::query(&statements().update_account), a)
                .execute(&mut *self)
                .await?;
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

    fn list_ledger<'a>(
        &'a mut self,
        account_id: &'a str,
        limit: i64,
    ) -> BoxFut<'a, OpResult<Vec<LedgerEntry>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, LedgerRow>(&statements().list_ledger)
                .bind(account_id)
                .bind(limit)
                .fetch_all(&mut *self)
                .await?;
            collect(r)
        })
    }

    fn ledger_sum<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>> {
        Box::pin(async move {
            let amounts: Vec<(i64,)> = sqlx::query_as(statements().ledger_amounts)
                .bind(account_id)
                .fetch_all(&mut *self)
                .await?;
            Ok(amounts.iter().map(|(a,)| *a).sum())
        })
    }

    fn get_access_key<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<AccessKey>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, KeyRow>(&statements().get_key)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
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

    fn set_access_key_status<'a>(
        &'a mut self,
        id: &'a str,
        status: KeyStatus,
    ) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move {
            let r = sqlx::query(statements().set_key_status)
                .bind(id)
                .bind(status.as_str())
                .execute(&mut *self)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    fn list_access_keys<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<AccessKey>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, KeyRow>(&statements().list_keys)
                .bind(account_id)
                .fetch_all(&mut *self)
                .await?;
            collect(r)
        })
    }

    fn get_circuit<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Circuit>>> {
        Box::pin(circuits::get_circuit(self, id))
    }

    fn circuit_status<'a>(
        &'a mut self,
        id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<(Status, BusinessStatus)>>> {
        Box::pin(async move {
            let r: Option<(String, String)> = sqlx::query_as(statements().circuit_status)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(|(s, b)| circuit_status(&s, &b)).transpose()?)
        })
    }

    fn insert_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
        Box::pin(circuits::insert_circuit(self, c))
    }

    fn create_circuit<'a>(
        &'a mut self,
        new: NewCircuit<'a>,
        max_pending: i64,
    ) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(circuits::create_circuit(self, new, max_pending))
    }

    fn update_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
        Box::pin(circuits::update_circuit(self, c))
    }

    fn replace_tags<'a>(
        &'a mut self,
        circuit_id: &'a str,
        tags: &'a [(String, String)],
    ) -> BoxFut<'a, OpResult<()>> {
        Box::pin(circuits::replace_tags(self, circuit_id, tags))
    }

    fn list_circuits<'a>(
        &'a mut self,
        q: &'a CircuitQuery,
    ) -> BoxFut<'a, OpResult<(Vec<Circuit>, i64)>> {
        Box::pin(circuits::list_circuits(self, q))
    }

    fn list_account_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<Circuit>>> {
        Box::pin(circuits::list_account_circuits(self, account_id))
    }

    fn count_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
        statuses: &'a [Status],
    ) -> BoxFut<'a, OpResult<i64>> {
        Box::pin(circuits::count_circuits(self, account_id, statuses))
    }

    fn count_pending_circuits<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>> {
        Box::pin(circuits::count_pending_circuits(self, account_id))
    }

    fn quota_counts<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<crate::QuotaCounts>> {
        Box::pin(async move {
            let (financial_locked, pending): (i64, i64) = sqlx::query_as(statements().quota_counts)
                .bind(account_id)
                .fetch_one(&mut *self)
                .await?;
            Ok(crate::QuotaCounts {
                financial_locked,
                pending,
            })
        })
    }

    fn count_business_status<'a>(
        &'a mut self,
        account_id: &'a str,
        business_status: &'a str,
    ) -> BoxFut<'a, OpResult<i64>> {
        Box::pin(circuits::count_business_status(
            self,
            account_id,
            business_status,
        ))
    }

    fn insert_event<'a>(&'a mut self, e: &'a CircuitEvent) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            bind_event(sqlx::query(&statements().insert_event), e)
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }

    fn list_events<'a>(
        &'a mut self,
        circuit_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<CircuitEvent>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, EventRow>(&statements().list_events)
                .bind(circuit_id)
                .fetch_all(&mut *self)
                .await?;
            collect(r)
        })
    }

    fn get_order<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Order>>> {
        Box::pin(orders::get_order(self, id))
    }

    fn insert_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
        Box::pin(orders::insert_order(self, o))
    }

    fn update_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
        Box::pin(orders::update_order(self, o))
    }

    fn list_orders<'a>(
        &'a mut self,
        account_id: Option<&'a str>,
    ) -> BoxFut<'a, OpResult<Vec<Order>>> {
        Box::pin(orders::list_orders(self, account_id))
    }

    fn get_idempotency<'a>(
        &'a mut self,
        account_id: &'a str,
        action: &'a str,
        token: &'a str,
    ) -> BoxFut<'a, OpResult<Option<IdempotencyRecord>>> {
        Box::pin(orders::get_idempotency(self, account_id, action, token))
    }

    fn insert_idempotency<'a>(&'a mut self, r: &'a IdempotencyRecord) -> BoxFut<'a, OpResult<()>> {
        Box::pin(orders::insert_idempotency(self, r))
    }

    fn purge_idempotency(&mut self, before: Time) -> BoxFut<'_, OpResult<u64>> {
        Box::pin(orders::purge_idempotency(self, before))
    }

    fn insert_timer<'a>(&'a mut self, t: &'a Timer) -> BoxFut<'a, OpResult<()>> {
        Box::pin(timers::insert_timer(self, t))
    }

    fn delete_timer<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(timers::delete_timer(self, id))
    }

    fn delete_timers_for<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<()>> {
        Box::pin(timers::delete_timers_for(self, circuit_id))
    }

    fn due_timers(&mut self, now: Time, limit: i64) -> BoxFut<'_, OpResult<Vec<Timer>>> {
        Box::pin(timers::due_timers(self, now, limit))
    }

    fn next_timer_due(&mut self) -> BoxFut<'_, OpResult<Option<Time>>> {
        Box::pin(timers::next_timer_due(self))
    }

    fn list_timers<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<Vec<Timer>>> {
        Box::pin(timers::list_timers(self, circuit_id))
    }

    fn all_timers(&mut self) -> BoxFut<'_, OpResult<Vec<Timer>>> {
        Box::pin(timers::all_timers(self))
    }

    fn set_timer_due<'a>(&'a mut self, id: &'a str, due_at: Time) -> BoxFut<'a, OpResult<()>> {
        Box::pin(timers::set_timer_due(self, id, due_at))
    }

    fn insert_fault<'a>(&'a mut self, f: &'a Fault) -> BoxFut<'a, OpResult<()>> {
        Box::pin(faults::insert_fault(self, f))
    }

    fn list_faults(&mut self) -> BoxFut<'_, OpResult<Vec<Fault>>> {
        Box::pin(faults::list_faults(self))
    }

    fn set_fault_remaining<'a>(
        &'a mut self,
        id: &'a str,
        remaining: i64,
    ) -> BoxFut<'a, OpResult<()>> {
        Box::pin(faults::set_fault_remaining(self, id, remaining))
    }

    fn delete_fault<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(faults::delete_fault(self, id))
    }

    fn reset_except<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<()>> {
        Box::pin(faults::reset_except(self, account_id))
    }

    fn security(&mut self) -> &mut dyn crate::security::SecurityOps {
        self
    }

    fn vbrs(&mut self) -> &mut dyn crate::vbr::VbrOps {
        self
    }

    fn bgp(&mut self) -> &mut dyn crate::bgp::BgpOps {
        self
    }

    fn claim_nonces<'a>(
        &'a mut self,
        claims: &'a [crate::NonceClaim],
        now: Time,
    ) -> BoxFut<'a, OpResult<Vec<bool>>> {
        Box::pin(claim_nonces(self, claims, now))
    }

    fn purge_nonces(&mut self, now: Time) -> BoxFut<'_, OpResult<u64>> {
        Box::pin(purge_nonces(self, now))
    }

    fn open_service<'a>(
        &'a mut self,
        account_id: &'a str,
        service: &'a str,
        at: Time,
    ) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(open_service(self, account_id, service, at))
    }

    fn dump_table<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<Vec<Vec<Value>>>> {
        Box::pin(export::dump_table(self, table))
    }

    fn load_rows<'a>(
        &'a mut self,
        table: &'a Table,
        rows: &'a [Vec<Value>],
    ) -> BoxFut<'a, OpResult<()>> {
        Box::pin(export::load_rows(self, table, rows))
    }

    fn count_rows<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<i64>> {
        Box::pin(export::count_rows(self, table))
    }

    fn table_names(&mut self) -> BoxFut<'_, OpResult<Vec<String>>> {
        Box::pin(export::table_names(self))
    }

    fn lock_rows<'a>(&'a mut self, locks: &'a RowLocks) -> BoxFut<'a, OpResult<()>> {
        Box::pin(super::lock_rows(self, locks))
    }

    fn get_meta<'a>(&'a mut self, key: &'a str) -> BoxFut<'a, OpResult<Option<String>>> {
        Box::pin(async move {
            let r: Option<(String,)> = sqlx::query_as(statements().get_meta)
                .bind(key)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(|(v,)| v))
        })
    }

    fn provisioning_settings<'a>(
        &'a mut self,
        mode_key: &'a str,
        delay_key: &'a str,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<crate::ProvisioningSettings>> {
        Box::pin(async move {
            let (global_mode, global_delay, account_mode): (
                Option<String>,
                Option<String>,
                Option<String>,
            ) = sqlx::query_as(statements().provisioning_settings)
                .bind(mode_key)
                .bind(delay_key)
                .bind(account_id)
                .fetch_one(&mut *self)
                .await?;
            Ok(crate::ProvisioningSettings {
                global_mode,
                global_delay,
                account_mode: account_mode
                    .as_deref()
                    .and_then(physconn_domain::ProvisioningMode::parse),
            })
        })
    }

    fn set_meta<'a>(&'a mut self, key: &'a str, value: &'a str) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            sqlx::query(statements().set_meta)
                .bind(key)
                .bind(value)
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }
}

/// Pairs per statement at most (3 parameters each, well under PostgreSQL's
/// 65,535).
const NONCES_PER_STATEMENT: usize = 1000;

async fn claim_nonces(
    conn: &mut PgConnection,
    claims: &[crate::NonceClaim],
    now: Time,
) -> OpResult<Vec<bool>> {
    let mut claimed = vec![false; claims.len()];
    let mut seen = std::collections::HashSet::with_capacity(claims.len());
    let distinct: Vec<usize> = (0..claims.len())
        .filter(|&i| seen.insert((&claims[i].access_key_id, &claims[i].nonce)))
        .collect();
    for chunk in distinct.chunks(NONCES_PER_STATEMENT) {
        let sql = crate::sql::text::claim_nonces(chunk.len());
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for &i in chunk {
            let c = &claims[i];
            q = q
                .bind(&c.access_key_id)
                .bind(&c.nonce)
                .bind(us(c.expires_at));
        }
        let rows = q.bind(us(now)).fetch_all(&mut *conn).await?;
        let won: std::collections::HashSet<(&str, &str)> =
            rows.iter().map(|(k, n)| (k.as_str(), n.as_str())).collect();
        for &i in chunk {
            let c = &claims[i];
            claimed[i] = won.contains(&(c.access_key_id.as_str(), c.nonce.as_str()));
        }
    }
    Ok(claimed)
}

async fn open_service(
    conn: &mut PgConnection,
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

async fn purge_nonces(conn: &mut PgConnection, now: Time) -> OpResult<u64> {
    let r = sqlx::query(statements().purge_nonces)
        .bind(us(now))
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}
