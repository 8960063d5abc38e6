//! [`BgpOps`] on PostgreSQL (the SQLite counterpart is `sqlite/bgp.rs`; both
//! run the statements of `bgp::text`).

use crate::bgp::{decode, encode, text, BgpOps, BgpScope};
use crate::{BoxFut, OpResult};
use physconn_domain::clock::to_micros;
use physconn_domain::BgpObject;

async fn write(conn: &mut sqlx::PgConnection, sql: &str, o: &BgpObject) -> OpResult<u64> {
    let r = sqlx::query(sql)
        .bind(o.id())
        .bind(o.kind().as_str())
        .bind(o.account_id())
        .bind(o.vbr_id())
        .bind(o.group_id())
        .bind(o.status().as_str())
        .bind(to_micros(o.created_at()))
        .bind(encode(o)?)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}

impl BgpOps for sqlx::PgConnection {
    fn get_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<BgpObject>>> {
        Box::pin(async move {
            let r: Option<(String,)> = sqlx::query_as(text::GET)
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
            r.map(|(doc,)| decode(&doc)).transpose()
        })
    }

    fn insert_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move { write(self, text::INSERT, o).await.map(drop) })
    }

    fn update_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move { Ok(write(self, text::UPDATE, o).await? > 0) })
    }

    fn delete_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move {
            let r = sqlx::query(text::DELETE)
                .bind(id)
                .execute(&mut *self)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    fn list_bgp<'a>(&'a mut self, scope: BgpScope<'a>) -> BoxFut<'a, OpResult<Vec<BgpObject>>> {
        Box::pin(async move {
            let (sql, arg) = scope.statement();
            let rows: Vec<(String,)> = sqlx::query_as(sql).bind(arg).fetch_all(&mut *self).await?;
            rows.iter().map(|(doc,)| decode(doc)).collect()
        })
    }
}
