//! [`SecurityOps`] on PostgreSQL (the statements are `sql/security.rs`).

use crate::security::{AuditEntry, AuditQuery, RamUser, SecurityOps};
use crate::sql::security as text;
use crate::{BoxFut, OpResult};
use physconn_domain::clock::{from_micros, to_micros};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    account_id: String,
    name: String,
    policy: String,
    created_at: i64,
}

impl From<UserRow> for RamUser {
    fn from(r: UserRow) -> Self {
        RamUser {
            id: r.id,
            account_id: r.account_id,
            name: r.name,
            policy: r.policy,
            created_at: from_micros(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor: String,
    channel: String,
    action: String,
    account_id: Option<String>,
    request_id: String,
    outcome: String,
    detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: from_micros(r.at),
            actor: r.actor,
            channel: r.channel,
            action: r.action,
            account_id: r.account_id,
            request_id: r.request_id,
            outcome: r.outcome,
            detail: r.detail,
        }
    }
}

impl SecurityOps for sqlx::PgConnection {
    fn insert_ram_user<'a>(&'a mut self, u: &'a RamUser) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            sqlx::query(text::INSERT_USER)
                .bind(&u.id)
                .bind(&u.account_id)
                .bind(&u.name)
                .bind(&u.policy)
                .bind(to_micros(u.created_at))
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }

    fn get_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<RamUser>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, UserRow>(text::GET_USER)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(RamUser::from))
        })
    }

    fn list_ram_users<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<Vec<RamUser>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, UserRow>(text::LIST_USERS)
                .bind(account_id)
                .fetch_all(&mut *self)
                .await?;
            Ok(r.into_iter().map(RamUser::from).collect())
        })
    }

    fn set_ram_user_policy<'a>(
        &'a mut self,
        id: &'a str,
        policy: &'a str,
    ) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move {
            let r = sqlx::query(text::SET_POLICY)
                .bind(id)
                .bind(policy)
                .execute(&mut *self)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    fn delete_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move {
            let mut deleted = 0;
            for q in text::DELETE_USER {
                deleted = sqlx::query(q)
                    .bind(id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
            }
            Ok(deleted > 0)
        })
    }

    fn bind_key_to_user<'a>(
        &'a mut self,
        access_key_id: &'a str,
        user_id: &'a str,
    ) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            sqlx::query(text::BIND_KEY)
                .bind(access_key_id)
                .bind(user_id)
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }

    fn user_of_key<'a>(
        &'a mut self,
        access_key_id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<RamUser>>> {
        Box::pin(async move {
            let r = sqlx::query_as::<_, UserRow>(text::USER_OF_KEY)
                .bind(access_key_id)
                .fetch_optional(&mut *self)
                .await?;
            Ok(r.map(RamUser::from))
        })
    }

    fn reset_security(&mut self) -> BoxFut<'_, OpResult<()>> {
        Box::pin(async move {
            for q in text::RESET {
                sqlx::query(q).execute(&mut *self).await?;
            }
            Ok(())
        })
    }

    fn insert_audits<'a>(&'a mut self, entries: &'a [AuditEntry]) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move {
            for chunk in entries.chunks(text::AUDITS_PER_STATEMENT) {
                let sql = text::insert_audits(chunk.len());
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(&e.id)
                        .bind(to_micros(e.at))
                        .bind(&e.actor)
                        .bind(&e.channel)
                        .bind(&e.action)
                        .bind(e.account_id.as_deref())
                        .bind(&e.request_id)
                        .bind(&e.outcome)
                        .bind(&e.detail);
                }
                q.execute(&mut *self).await?;
            }
            Ok(())
        })
    }

    fn list_audit<'a>(&'a mut self, q: &'a AuditQuery) -> BoxFut<'a, OpResult<Vec<AuditEntry>>> {
        Box::pin(async move {
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(text::LIST_AUDIT);
            if let Some(a) = &q.account_id {
                qb.push(" AND account_id = ").push_bind(a.as_str());
            }
            if let Some(c) = &q.channel {
                qb.push(" AND channel = ").push_bind(c.as_str());
            }
            if let Some(t) = q.since {
                qb.push(" AND at >= ").push_bind(to_micros(t));
            }
            qb.push(" ORDER BY at DESC, id DESC LIMIT ")
                .push_bind(q.limit.clamp(1, 10_000));
            let rows: Vec<AuditRow> = qb.build_query_as().fetch_all(&mut *self).await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }
}
