//! [`VbrOps`] on the embedded SQLite store (the PostgreSQL counterpart is
//! `postgres/vbr.rs`; both run the statements of `vbr::text`).

use crate::sqlite::txops::{done, Lite};
use crate::vbr::{decode, encode, text, VbrOps, VbrScope};
use crate::{BoxFut, OpResult};
use physconn_domain::clock::to_micros;
use physconn_domain::Vbr;
use rusqlite::types::ToSql;

impl Lite {
    fn write_vbr(&self, sql: &str, v: &Vbr) -> OpResult<usize> {
        let doc = encode(v)?;
        let args: [&dyn ToSql; 8] = [
            &v.id,
            &v.account_id,
            &v.circuit_owner_id,
            &v.region_id,
            &v.circuit_id,
            &v.status.as_str(),
            &to_micros(v.created_at),
            &doc,
        ];
        self.exec(sql, &args)
    }
}

impl VbrOps for Lite {
    fn get_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Vbr>>> {
        let r = self.one(text::GET, &[&id], |r| r.get::<_, String>(0));
        done(r.and_then(|doc| doc.map(|d| decode(&d)).transpose()))
    }

    fn insert_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<()>> {
        done(self.write_vbr(text::INSERT, v).map(drop))
    }

    fn update_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<bool>> {
        done(self.write_vbr(text::UPDATE, v).map(|n| n > 0))
    }

    fn delete_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        done(self.exec(text::DELETE, &[&id]).map(|n| n > 0))
    }

    fn list_vbrs<'a>(&'a mut self, scope: VbrScope<'a>) -> BoxFut<'a, OpResult<Vec<Vbr>>> {
        let (sql, arg) = scope.statement();
        let r = self.all(sql, &[&arg], |r| r.get::<_, String>(0));
        done(r.and_then(|docs| docs.iter().map(|d| decode(d)).collect()))
    }
}
