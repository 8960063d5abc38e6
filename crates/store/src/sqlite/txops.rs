//! [`TxOps`] over one rusqlite connection, run synchronously on the thread
//! that owns it (`sqlite/mod.rs`). Every operation finishes before it returns
//! and hands back an already-completed future, so a whole job runs on that
//! thread without a single hand-off per statement. The statement texts are
//! the ones the PostgreSQL backend runs (`sql/text.rs`, `sql/query.rs`);
//! statements are prepared once per connection (`prepare_cached`). The
//! circuit operations are in `sqlite/circuits.rs`, RAM users and the audit
//! log in `sqlite/security.rs`, whole-table export and import in
//! `sqlite/export.rs`, the connection and its statement helpers in
//! `sqlite/lite.rs`.

use super::lite::{convert, done, Lite};
use crate::export::Table;
use crate::job::BoxFut;
use crate::ops::{CircuitEvent, CircuitQuery, Fault, NewCircuit, Timer, TxOps};
use crate::sql::query as dynamic;
use crate::sql::rows::{t, us};
use crate::sql::text::{statements, RESET_ACCOUNTS, RESET_KEYS, RESET_TABLES};
use crate::sqlite::rows as row;
use crate::OpResult;
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{
    AccessKey, Account, BusinessStatus, Circuit, KeyStatus, LedgerEntry, Order, Status, Time,
};
use rusqlite::types::ToSql;
use serde_json::Value;

impl TxOps for Lite {
    fn get_account<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Account>>> {
        done(
            self.one(&statements().get_account, &[&id], row::account)
                .map(|r| r.map(Account::from)),
        )
    }

    fn get_account_by_name<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFut<'a, OpResult<Option<Account>>> {
        done(
            self.one(&statements().get_account_by_name, &[&name], row::account)
                .map(|r| r.map(Account::from)),
        )
    }

    fn list_accounts(&mut self) -> BoxFut<'_, OpResult<Vec<Account>>> {
        done(
            self.all(&statements().list_accounts, &[], row::account)
                .map(|r| r.into_iter().map(Account::from).collect()),
        )
    }

    fn insert_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
        done(
            self.write_account(&statements().insert_account, a)
                .map(drop),
        )
    }

    fn update_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>> {
        done(
            self.write_account(&statements().update_account, a)
                .map(drop),
        )
    }

    fn insert_ledger<'a>(&'a mut self, e: &'a LedgerEntry) -> BoxFut<'a, OpResult<()>> {
        let args: [&dyn ToSql; 9] = [
            &e.id,
            &e.account_id,
            &e.seq,
            &e.amount.0,
            &e.balance_after.0,
            &e.kind.as_str(),
            &e.order_id,
            &e.note,
            &us(e.created_at),
        ];
        done(self.exec(&statements().insert_ledger, &args).map(drop))
    }

    fn list_ledger<'a>(
        &'a mut self,
        account_id: &'a str,
        limit: i64,
    ) -> BoxFut<'a, OpResult<Vec<LedgerEntry>>> {
        let r = self.all(
            &statements().list_ledger,
            &[&account_id, &limit],
            row::ledger,
        );
        done(r.and_then(convert))
    }

    fn ledger_sum<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>> {
        let r = self.all(statements().ledger_amounts, &[&account_id], |r| {
            r.get::<_, i64>(0)
        });
        done(r.map(|a| a.iter().sum()))
    }

    fn get_access_key<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<AccessKey>>> {
        let r = self.one(&statements().get_key, &[&id], row::key);
        done(r.and_then(|r| r.map(|k| k.try_into().map_err(Into::into)).transpose()))
    }

    fn insert_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>> {
        done(self.write_key(&statements().insert_key, k).map(drop))
    }

    fn update_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>> {
        done(self.write_key(&statements().update_key, k).map(drop))
    }

    fn set_access_key_status<'a>(
        &'a mut self,
        id: &'a str,
        status: KeyStatus,
    ) -> BoxFut<'a, OpResult<bool>> {
        let r = self.exec(statements().set_key_status, &[&id, &status.as_str()]);
        done(r.map(|n| n > 0))
    }

    fn list_access_keys<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<AccessKey>>> {
        let r = self.all(&statements().list_keys, &[&account_id], row::key);
        done(r.and_then(convert))
    }

    fn get_circuit<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Circuit>>> {
        done(Lite::get_circuit(self, id))
    }

    fn circuit_status<'a>(
        &'a mut self,
        id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<(Status, BusinessStatus)>>> {
        let row = self.one(statements().circuit_status, &[&id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        });
        done(row.and_then(|r| {
            r.map(|(s, b)| crate::sql::rows::circuit_status(&s, &b))
                .transpose()
                .map_err(Into::into)
        }))
    }

    fn insert_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
        done(Lite::insert_circuit(self, c))
    }

    fn create_circuit<'a>(
        &'a mut self,
        new: NewCircuit<'a>,
        max_pending: i64,
    ) -> BoxFut<'a, OpResult<bool>> {
        // One writer: the statements run one by one, and nothing waits.
        Box::pin(async move {
            Lite::insert_circuit_uncounted(self, new.circuit)?;
            self.insert_event(new.event).await?;
            self.insert_timer(new.timer).await?;
            if !Lite::count_new_circuit(self, new.circuit, max_pending)? {
                return Ok(false);
            }
            if let Some(r) = new.idempotency {
                self.insert_idempotency(r).await?;
            }
            Ok(true)
        })
    }

    fn update_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>> {
        done(Lite::update_circuit(self, c))
    }

    fn replace_tags<'a>(
        &'a mut self,
        circuit_id: &'a str,
        tags: &'a [(String, String)],
    ) -> BoxFut<'a, OpResult<()>> {
        done(Lite::replace_tags(self, circuit_id, tags))
    }

    fn list_circuits<'a>(
        &'a mut self,
        q: &'a CircuitQuery,
    ) -> BoxFut<'a, OpResult<(Vec<Circuit>, i64)>> {
        done(Lite::list_circuits(self, q))
    }

    fn list_account_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<Circuit>>> {
        done(Lite::list_account_circuits(self, account_id))
    }

    fn count_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
        statuses: &'a [Status],
    ) -> BoxFut<'a, OpResult<i64>> {
        done(self.count(&dynamic::count_statuses(account_id, statuses)))
    }

    fn count_pending_circuits<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>> {
        let r = self.one(statements().pending_counts, &[&account_id], |r| {
            r.get::<_, i64>(0)
        });
        done(r.map(Option::unwrap_or_default))
    }

    fn quota_counts<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<crate::QuotaCounts>> {
        let r = self.one(statements().quota_counts, &[&account_id], |r| {
            Ok(crate::QuotaCounts {
                financial_locked: r.get(0)?,
                pending: r.get(1)?,
            })
        });
        // The scalar subqueries make exactly one row.
        done(r.map(Option::unwrap_or_default))
    }

    fn count_business_status<'a>(
        &'a mut self,
        account_id: &'a str,
        business_status: &'a str,
    ) -> BoxFut<'a, OpResult<i64>> {
        let s = statements();
        let r = if business_status == "FinancialLocked" {
            self.one(s.count_locked, &[&account_id], |r| r.get::<_, i64>(0))
        } else {
            self.one(
                s.count_business_status,
                &[&account_id, &business_status],
                |r| r.get::<_, i64>(0),
            )
        };
        done(r.map(|n| n.unwrap_or(0)))
    }

    fn insert_event<'a>(&'a mut self, e: &'a CircuitEvent) -> BoxFut<'a, OpResult<()>> {
        let args: [&dyn ToSql; 6] = [
            &e.id,
            &e.circuit_id,
            &us(e.at),
            &e.from_status.map(|s| s.as_str()),
            &e.to_status.as_str(),
            &e.cause,
        ];
        done(self.exec(&statements().insert_event, &args).map(drop))
    }

    fn list_events<'a>(
        &'a mut self,
        circuit_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<CircuitEvent>>> {
        let r = self.all(&statements().list_events, &[&circuit_id], row::event);
        done(r.and_then(convert))
    }

    fn get_order<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Order>>> {
        let r = self.one(&statements().get_order, &[&id], row::order);
        done(r.and_then(|r| r.map(|o| o.try_into().map_err(Into::into)).transpose()))
    }

    fn insert_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
        done(self.write_order(&statements().insert_order, o).map(drop))
    }

    fn update_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>> {
        done(self.write_order(&statements().update_order, o).map(drop))
    }

    fn list_orders<'a>(
        &'a mut self,
        account_id: Option<&'a str>,
    ) -> BoxFut<'a, OpResult<Vec<Order>>> {
        let s = statements();
        let r = match account_id {
            Some(a) => self.all(&s.list_orders_of, &[&a], row::order),
            None => self.all(&s.list_orders_all, &[], row::order),
        };
        done(r.and_then(convert))
    }

    fn get_idempotency<'a>(
        &'a mut self,
        account_id: &'a str,
        action: &'a str,
        token: &'a str,
    ) -> BoxFut<'a, OpResult<Option<IdempotencyRecord>>> {
        let r = self.one(
            &statements().get_idem,
            &[&account_id, &action, &token],
            row::idem,
        );
        done(r.map(|r| r.map(IdempotencyRecord::from)))
    }

    fn insert_idempotency<'a>(&'a mut self, r: &'a IdempotencyRecord) -> BoxFut<'a, OpResult<()>> {
        let args: [&dyn ToSql; 6] = [
            &r.account_id,
            &r.action,
            &r.token,
            &r.fingerprint,
            &r.response,
            &us(r.created_at),
        ];
        done(self.exec(&statements().insert_idem, &args).map(drop))
    }

    fn purge_idempotency(&mut self, before: Time) -> BoxFut<'_, OpResult<u64>> {
        let r = self.exec(statements().purge_idem, &[&us(before)]);
        done(r.map(|n| n as u64))
    }

    fn insert_timer<'a>(&'a mut self, t: &'a Timer) -> BoxFut<'a, OpResult<()>> {
        let args: [&dyn ToSql; 6] = [
            &t.id,
            &t.circuit_id,
            &t.kind.as_str(),
            &t.expect_status.map_or("", |s| s.as_str()),
            &us(t.due_at),
            &us(t.created_at),
        ];
        done(self.exec(&statements().insert_timer, &args).map(drop))
    }

    fn delete_timer<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        done(self.exec(statements().delete_timer, &[&id]).map(|n| n > 0))
    }

    fn delete_timers_for<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<()>> {
        done(
            self.exec(statements().delete_timers_for, &[&circuit_id])
                .map(drop),
        )
    }

    fn due_timers(&mut self, now: Time, limit: i64) -> BoxFut<'_, OpResult<Vec<Timer>>> {
        let r = self.all(&statements().due_timers, &[&us(now), &limit], row::timer);
        done(r.and_then(convert))
    }

    fn next_timer_due(&mut self) -> BoxFut<'_, OpResult<Option<Time>>> {
        let r = self.one(statements().next_timer_due, &[], |r| r.get::<_, i64>(0));
        done(r.map(|d| d.map(t)))
    }

    fn list_timers<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<Vec<Timer>>> {
        let r = self.all(&statements().list_timers, &[&circuit_id], row::timer);
        done(r.and_then(convert))
    }

    fn all_timers(&mut self) -> BoxFut<'_, OpResult<Vec<Timer>>> {
        let r = self.all(&statements().all_timers, &[], row::timer);
        done(r.and_then(convert))
    }

    fn set_timer_due<'a>(&'a mut self, id: &'a str, due_at: Time) -> BoxFut<'a, OpResult<()>> {
        let r = self.exec(statements().set_timer_due, &[&id, &us(due_at)]);
        done(r.map(drop))
    }

    fn insert_fault<'a>(&'a mut self, f: &'a Fault) -> BoxFut<'a, OpResult<()>> {
        done(self.insert_fault_row(f))
    }

    fn list_faults(&mut self) -> BoxFut<'_, OpResult<Vec<Fault>>> {
        let r = self.all(&statements().list_faults, &[], row::fault);
        done(r.and_then(convert))
    }

    fn set_fault_remaining<'a>(
        &'a mut self,
        id: &'a str,
        remaining: i64,
    ) -> BoxFut<'a, OpResult<()>> {
        let s = statements();
        let r = if remaining == 0 {
            self.exec(s.delete_fault, &[&id])
        } else {
            self.exec(s.set_fault_remaining, &[&id, &remaining])
        };
        done(r.map(drop))
    }

    fn delete_fault<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        done(self.exec(statements().delete_fault, &[&id]).map(|n| n > 0))
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

    fn reset_except<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<()>> {
        done(self.reset_all_but(account_id))
    }

    fn claim_nonces<'a>(
        &'a mut self,
        claims: &'a [crate::NonceClaim],
        now: Time,
    ) -> BoxFut<'a, OpResult<Vec<bool>>> {
        // In-process statements cost no round trip: one a pair (a pair
        // listed twice finds its first claim and claims nothing).
        let claim = statements().claim_nonce;
        let r = claims
            .iter()
            .map(|c| {
                let n = self.exec(
                    claim,
                    &[&c.access_key_id, &c.nonce, &us(c.expires_at), &us(now)],
                )?;
                Ok(n == 1)
            })
            .collect();
        done(r)
    }

    fn purge_nonces(&mut self, now: Time) -> BoxFut<'_, OpResult<u64>> {
        let r = self.exec(statements().purge_nonces, &[&us(now)]);
        done(r.map(|n| n as u64))
    }

    fn dump_table<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<Vec<Vec<Value>>>> {
        done(self.dump(table))
    }

    fn load_rows<'a>(
        &'a mut self,
        table: &'a Table,
        rows: &'a [Vec<Value>],
    ) -> BoxFut<'a, OpResult<()>> {
        done(self.load(table, rows))
    }

    fn count_rows<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<i64>> {
        let q = format!("SELECT COUNT(*) FROM {}", table.name);
        let r = self.one(&q, &[], |r| r.get::<_, i64>(0));
        done(r.map(|n| n.unwrap_or(0)))
    }

    fn table_names(&mut self) -> BoxFut<'_, OpResult<Vec<String>>> {
        // `sqlite_*` are SQLite's own (e.g. sqlite_sequence, sqlite_stat1).
        let q = "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'";
        done(self.all(q, &[], |r| r.get(0)))
    }

    fn open_service<'a>(
        &'a mut self,
        account_id: &'a str,
        service: &'a str,
        at: Time,
    ) -> BoxFut<'a, OpResult<bool>> {
        let r = self.exec(statements().open_service, &[&account_id, &service, &us(at)]);
        done(r.map(|n| n == 1))
    }

    fn lock_rows<'a>(&'a mut self, _locks: &'a crate::ops::RowLocks) -> BoxFut<'a, OpResult<()>> {
        // One writer thread runs every write: nothing else can hold the rows.
        done(Ok(()))
    }

    fn get_meta<'a>(&'a mut self, key: &'a str) -> BoxFut<'a, OpResult<Option<String>>> {
        done(self.one(statements().get_meta, &[&key], |r| r.get(0)))
    }

    fn provisioning_settings<'a>(
        &'a mut self,
        mode_key: &'a str,
        delay_key: &'a str,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<crate::ProvisioningSettings>> {
        let row = self.one(
            statements().provisioning_settings,
            &[&mode_key, &delay_key, &account_id],
            |r| {
                Ok(crate::ProvisioningSettings {
                    global_mode: r.get(0)?,
                    global_delay: r.get(1)?,
                    account_mode: r
                        .get::<_, Option<String>>(2)?
                        .as_deref()
                        .and_then(physconn_domain::ProvisioningMode::parse),
                })
            },
        );
        done(row.map(Option::unwrap_or_default))
    }

    fn set_meta<'a>(&'a mut self, key: &'a str, value: &'a str) -> BoxFut<'a, OpResult<()>> {
        done(self.exec(statements().set_meta, &[&key, &value]).map(drop))
    }
}

impl Lite {
    pub(crate) fn insert_fault_row(&self, f: &Fault) -> OpResult<()> {
        let args: [&dyn ToSql; 7] = [
            &f.id,
            &f.scope.as_str(),
            &f.target,
            &f.outcome.as_str(),
            &f.remaining,
            &f.share_ppm,
            &us(f.created_at),
        ];
        self.exec(&statements().insert_fault, &args)?;
        Ok(())
    }

    pub(crate) fn reset_all_but(&self, account_id: &str) -> OpResult<()> {
        for table in RESET_TABLES {
            self.exec(&format!("DELETE FROM {table}"), &[])?;
        }
        self.exec(RESET_ACCOUNTS, &[&account_id])?;
        self.exec(RESET_KEYS, &[&account_id])?;
        Ok(())
    }
}
