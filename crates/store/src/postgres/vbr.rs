//! [`VbrOps`] on PostgreSQL (the SQLite counterpart is `sqlite/vbr.rs`; both
//! run the statements of `vbr::text`).

use crate::vbr::{decode, encode, text, VbrOps, VbrScope};
use crate::{BoxFut, OpResult};
use physconn_domain::clock::to_micros;
use physconn_domain::Vbr;

async fn write(conn: &mut sqlx::PgConnection, sql: &str, v: &Vbr) -> OpResult<u64> {
    let r = sqlx::query(sql)
        .bind(&v.id)
        .bind(&v.account_id)
        .bind(&v.circuit_owner_id)
        .bind(&v.region_id)
        .bind(&v.circuit_id)
        .bind(v.status.as_str())
        .bind(to_micros(v.created_at))
        .bind(encode(v)?)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}

impl VbrOps for sqlx::PgConnection {
    fn get_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Vbr>>> {
        Box::pin(async move {
            let r: Option<(String,)> = sqlx::query_as(text::GET)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
            r.map(|(doc,)| decode(&doc)).transpose()
        })
    }

    fn insert_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move { write(self, text::INSERT, v).await.map(drop) })
    }

    fn update_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move { Ok(write(self, text::UPDATE, v).await? > 0) })
    }

    fn delete_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move {
            let r = sqlx::query(text::DELETE)
                .bind(id)
                .execute(&mut *self)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    fn list_vbrs<'a>(&'a mut self, scope: VbrScope<'a>) -> BoxFut<'a, OpResult<Vec<Vbr>>> {
        Box::pin(async move {
            let (sql, arg) = scope.statement();
            let rows: Vec<(String,)> = sqlx::query_as(sql).bind(arg).fetch_all(&mut *self).await?;
            rows.iter().map(|(doc,)| decode(doc)).collect()
        })
    }
}
