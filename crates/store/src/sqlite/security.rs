//! [`SecurityOps`] on the SQLite store: RAM users and the audit log (the
//! statements are `sql/security.rs`).

use crate::security::{AuditEntry, AuditQuery, RamUser, SecurityOps};
use crate::sql::security as text;
use crate::sqlite::lite::{done, Lite};
use crate::{BoxFut, OpResult};
use physconn_domain::clock::{from_micros, to_micros};
use rusqlite::types::ToSql;
use rusqlite::Row;

fn user(r: &Row<'_>) -> rusqlite::Result<RamUser> {
    Ok(RamUser {
        id: r.get(0)?,
        account_id: r.get(1)?,
        name: r.get(2)?,
        policy: r.get(3)?,
        created_at: from_micros(r.get(4)?),
    })
}

fn audit(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: from_micros(r.get(1)?),
        actor: r.get(2)?,
        channel: r.get(3)?,
        action: r.get(4)?,
        account_id: r.get(5)?,
        request_id: r.get(6)?,
        outcome: r.get(7)?,
        detail: r.get(8)?,
    })
}

impl SecurityOps for Lite {
    fn insert_ram_user<'a>(&'a mut self, u: &'a RamUser) -> BoxFut<'a, OpResult<()>> {
        let args: [&dyn ToSql; 5] = [
            &u.id,
            &u.account_id,
            &u.name,
            &u.policy,
            &to_micros(u.created_at),
        ];
        done(self.exec(text::INSERT_USER, &args).map(drop))
    }

    fn get_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<RamUser>>> {
        done(self.one(text::GET_USER, &[&id], user))
    }

    fn list_ram_users<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<Vec<RamUser>>> {
        done(self.all(text::LIST_USERS, &[&account_id], user))
    }

    fn set_ram_user_policy<'a>(
        &'a mut self,
        id: &'a str,
        policy: &'a str,
    ) -> BoxFut<'a, OpResult<bool>> {
        let r = self.exec(text::SET_POLICY, &[&id, &policy]);
        done(r.map(|n| n > 0))
    }

    fn delete_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        let r = text::DELETE_USER
            .iter()
            .try_fold(0, |_, q| self.exec(q, &[&id]));
        done(r.map(|n| n > 0))
    }

    fn bind_key_to_user<'a>(
        &'a mut self,
        access_key_id: &'a str,
        user_id: &'a str,
    ) -> BoxFut<'a, OpResult<()>> {
        let r = self.exec(text::BIND_KEY, &[&access_key_id, &user_id]);
        done(r.map(drop))
    }

    fn user_of_key<'a>(
        &'a mut self,
        access_key_id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<RamUser>>> {
        done(self.one(text::USER_OF_KEY, &[&access_key_id], user))
    }

    fn reset_security(&mut self) -> BoxFut<'_, OpResult<()>> {
        let r = text::RESET
            .iter()
            .try_for_each(|q| self.exec(q, &[]).map(drop));
        done(r)
    }

    fn insert_audits<'a>(&'a mut self, entries: &'a [AuditEntry]) -> BoxFut<'a, OpResult<()>> {
        // In-process: one prepared statement per entry costs no round trip.
        let stored = entries.iter().try_for_each(|e| {
            let args: [&dyn ToSql; 9] = [
                &e.id,
                &to_micros(e.at),
                &e.actor,
                &e.channel,
                &e.action,
                &e.account_id,
                &e.request_id,
                &e.outcome,
                &e.detail,
            ];
            self.exec(text::INSERT_AUDIT, &args).map(drop)
        });
        done(stored)
    }

    fn list_audit<'a>(&'a mut self, q: &'a AuditQuery) -> BoxFut<'a, OpResult<Vec<AuditEntry>>> {
        let mut sql = text::LIST_AUDIT.to_string();
        let since = q.since.map(to_micros);
        let limit = q.limit.clamp(1, 10_000);
        let mut args: Vec<&dyn ToSql> = Vec::new();
        let conds: [(&str, Option<&dyn ToSql>); 3] = [
            (
                "account_id =",
                q.account_id.as_ref().map(|a| a as &dyn ToSql),
            ),
            ("channel =", q.channel.as_ref().map(|c| c as &dyn ToSql)),
            ("at >=", since.as_ref().map(|t| t as &dyn ToSql)),
        ];
        for (cond, v) in conds {
            if let Some(v) = v {
                args.push(v);
                sql.push_str(&format!(" AND {cond} ${}", args.len()));
            }
        }
        args.push(&limit);
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT ${}", args.len()));
        done(self.all(&sql, &args, audit))
    }
}
