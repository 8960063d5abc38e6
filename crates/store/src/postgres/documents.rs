//! The two statements of the document tables (`sql/documents.rs`) on
//! PostgreSQL.

use super::bind::args;
use crate::sql::documents::{DocTable, DocWithPair};
use crate::sql::query::Arg;
use crate::{BoxFut, OpResult};
use sqlx::PgConnection;

impl DocTable for PgConnection {
    fn doc_write<'a>(
        &'a mut self,
        sql: &'static str,
        list: &'a [Arg<'a>],
    ) -> BoxFut<'a, OpResult<u64>> {
        Box::pin(async move {
            let r = sqlx::query_with(sql, args(list)?)
                .execute(&mut *self)
                .await?;
            Ok(r.rows_affected())
        })
    }

    fn doc_read<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<String>>> {
        Box::pin(async move {
            let rows: Vec<(String,)> = sqlx::query_as(sql).bind(key).fetch_all(&mut *self).await?;
            Ok(rows.into_iter().map(|(doc,)| doc).collect())
        })
    }

    fn doc_read_pair<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Option<DocWithPair>>> {
        Box::pin(async move {
            Ok(sqlx::query_as(sql)
                .bind(key)
                .fetch_optional(&mut *self)
                .await?)
        })
    }
}
