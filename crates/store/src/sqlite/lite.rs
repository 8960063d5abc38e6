//! A connection owned by one store thread, and the statement helpers the
//! SQLite operations share (`sqlite/txops.rs`, `sqlite/circuits.rs`, …):
//! run, query all, query one, dynamic queries, and the writes of the rows
//! several operations store.

use crate::job::BoxFut;
use crate::sql::query::Built;
use crate::sql::rows::{key_token, ous, us};
use crate::sqlite::rows::bind;
use crate::{OpResult, StoreError};
use physconn_domain::{AccessKey, Account, Order};
use rusqlite::types::ToSql;
use rusqlite::Row;

/// A connection owned by one store thread.
pub(crate) struct Lite {
    pub(crate) conn: rusqlite::Connection,
}

/// An operation's result as the (already complete) future `TxOps` returns.
pub(crate) fn done<'a, T: Send + 'a>(v: T) -> BoxFut<'a, T> {
    Box::pin(std::future::ready(v))
}

pub(super) fn convert<T, R: TryInto<T, Error = StoreError>>(rows: Vec<R>) -> OpResult<Vec<T>> {
    rows.into_iter()
        .map(|r| r.try_into().map_err(Into::into))
        .collect()
}

impl Lite {
    /// Runs a statement; the number of rows it changed.
    pub(crate) fn exec(&self, sql: &str, args: &[&dyn ToSql]) -> OpResult<usize> {
        let mut s = self.conn.prepare_cached(sql)?;
        bind(&mut s, args)?;
        Ok(s.raw_execute()?)
    }

    /// Every row of a query.
    pub(crate) fn all<T>(
        &self,
        sql: &str,
        args: &[&dyn ToSql],
        f: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> OpResult<Vec<T>> {
        let mut s = self.conn.prepare_cached(sql)?;
        bind(&mut s, args)?;
        let mut rows = s.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(f(r)?);
        }
        Ok(out)
    }

    /// The first row of a query, if any.
    pub(crate) fn one<T>(
        &self,
        sql: &str,
        args: &[&dyn ToSql],
        f: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> OpResult<Option<T>> {
        let mut s = self.conn.prepare_cached(sql)?;
        bind(&mut s, args)?;
        let mut rows = s.raw_query();
        Ok(match rows.next()? {
            Some(r) => Some(f(r)?),
            None => None,
        })
    }

    pub(crate) fn built<T>(
        &self,
        b: &Built<'_>,
        f: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> OpResult<Vec<T>> {
        let args: Vec<&dyn ToSql> = b.args.iter().map(|a| a as &dyn ToSql).collect();
        self.all(&b.sql, &args, f)
    }

    pub(crate) fn count(&self, b: &Built<'_>) -> OpResult<i64> {
        Ok(self.built(b, |r| r.get(0))?.first().copied().unwrap_or(0))
    }

    pub(super) fn write_order(&self, sql: &str, o: &Order) -> OpResult<usize> {
        let args: [&dyn ToSql; 19] = [
            &o.id,
            &o.account_id,
            &o.circuit_id,
            &o.region_id,
            &o.kind.as_str(),
            &o.status.as_str(),
            &o.abnormal_reason,
            &o.charge_type.as_str(),
            &o.period,
            &o.pricing_cycle.as_str(),
            &o.auto_renew,
            &o.auto_renew_duration,
            &o.port_type.as_str(),
            &o.amount.0,
            &o.currency,
            &us(o.created_at),
            &ous(o.paid_at),
            &ous(o.cancelled_at),
            &o.related_order_id,
        ];
        self.exec(sql, &args)
    }

    pub(super) fn write_account(&self, sql: &str, a: &Account) -> OpResult<usize> {
        let args: [&dyn ToSql; 9] = [
            &a.id,
            &a.name,
            &a.balance.0,
            &a.credit_limit.0,
            &a.bypass_sp,
            &a.ledger_seq,
            &us(a.created_at),
            &a.provisioning_mode.map(|m| m.as_str()),
            &ous(a.overdue_since),
        ];
        self.exec(sql, &args)
    }

    pub(super) fn write_key(&self, sql: &str, k: &AccessKey) -> OpResult<usize> {
        let (token, exp) = key_token(k);
        let args: [&dyn ToSql; 7] = [
            &k.id,
            &k.account_id,
            &k.secret,
            &k.status.as_str(),
            &token,
            &exp,
            &us(k.created_at),
        ];
        self.exec(sql, &args)
    }
}
