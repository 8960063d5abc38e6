//! The two statements of the document tables (`sql/documents.rs`) on the
//! SQLite store.

use crate::sql::documents::{DocTable, DocWithPair};
use crate::sql::query::Arg;
use crate::sqlite::lite::{done, Lite};
use crate::{BoxFut, OpResult};
use rusqlite::types::ToSql;

impl DocTable for Lite {
    fn doc_write<'a>(
        &'a mut self,
        sql: &'static str,
        args: &'a [Arg<'a>],
    ) -> BoxFut<'a, OpResult<u64>> {
        let args: Vec<&dyn ToSql> = args.iter().map(|a| a as &dyn ToSql).collect();
        done(self.exec(sql, &args).map(|n| n as u64))
    }

    fn doc_read<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<String>>> {
        done(self.all(sql, &[&key], |r| r.get(0)))
    }

    fn doc_read_pair<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Option<DocWithPair>>> {
        done(self.one(sql, &[&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
    }
}
