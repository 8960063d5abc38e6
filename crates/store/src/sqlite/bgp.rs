//! [`BgpOps`] on the embedded SQLite store (the PostgreSQL counterpart is
//! `postgres/bgp.rs`; both run the statements of `bgp::text`).

use crate::bgp::{decode, encode, text, BgpOps, BgpScope};
use crate::sqlite::txops::{done, Lite};
use crate::{BoxFut, OpResult};
use physconn_domain::clock::to_micros;
use physconn_domain::BgpObject;
use rusqlite::types::ToSql;

impl Lite {
    fn write_bgp(&self, sql: &str, o: &BgpObject) -> OpResult<usize> {
        let doc = encode(o)?;
        let args: [&dyn ToSql; 8] = [
            &o.id(),
            &o.kind().as_str(),
            &o.account_id(),
            &o.vbr_id(),
            &o.group_id(),
            &o.status().as_str(),
            &to_micros(o.created_at()),
            &doc,
        ];
        self.exec(sql, &args)
    }
}

impl BgpOps for Lite {
    fn get_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<BgpObject>>> {
        let r = self.one(text::GET, &[&id], |r| r.get::<_, String>(0));
        done(r.and_then(|doc| doc.map(|d| decode(&d)).transpose()))
    }

    fn insert_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<()>> {
        done(self.write_bgp(text::INSERT, o).map(drop))
    }

    fn update_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<bool>> {
        done(self.write_bgp(text::UPDATE, o).map(|n| n > 0))
    }

    fn delete_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        done(self.exec(text::DELETE, &[&id]).map(|n| n > 0))
    }

    fn list_bgp<'a>(&'a mut self, scope: BgpScope<'a>) -> BoxFut<'a, OpResult<Vec<BgpObject>>> {
        let (sql, arg) = scope.statement();
        let r = self.all(sql, &[&arg], |r| r.get::<_, String>(0));
        done(r.and_then(|docs| docs.iter().map(|d| decode(d)).collect()))
    }
}
