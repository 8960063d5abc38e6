//! Tables that keep each object as one JSON document beside the columns
//! queries select and sort on: `vbrs` and `bgp_objects` (`vbr.rs` says why).
//! Their operations are written once here, over the two statements each
//! engine runs for them ([`DocTable`]), so [`VbrOps`] and [`BgpOps`] have one
//! implementation for both engines.

use crate::bgp::{self, BgpOps, BgpScope};
use crate::sql::decoded::Decoded;
use crate::sql::query::Arg;
use crate::sql::rows::circuit_status;
use crate::vbr::{self, LineState, VbrOps, VbrScope};
use crate::{BoxFut, OpResult, StoreError};
use physconn_domain::clock::to_micros;
use physconn_domain::{BgpObject, Vbr};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::LazyLock;

/// What an engine runs for a document table.
pub(crate) trait DocTable: Send {
    /// Runs a write with its arguments (`$1…$n`); the rows it changed.
    fn doc_write<'a>(
        &'a mut self,
        sql: &'static str,
        args: &'a [Arg<'a>],
    ) -> BoxFut<'a, OpResult<u64>>;
    /// The first column (the document) of each row a query with one
    /// argument returns.
    fn doc_read<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<String>>>;
    /// The document and the two optional text columns after it of the first
    /// row a query with one argument returns (a document joined to the
    /// status columns of its line).
    fn doc_read_pair<'a>(
        &'a mut self,
        sql: &'static str,
        key: &'a str,
    ) -> BoxFut<'a, OpResult<Option<DocWithPair>>>;
}

/// A document and two optional columns read beside it.
pub(crate) type DocWithPair = (String, Option<String>, Option<String>);

/// One kind of document and its table's statements.
trait Document: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Names the document in a corruption report.
    const NAME: &'static str;
    const GET: &'static str;
    const INSERT: &'static str;
    const UPDATE: &'static str;
    const DELETE: &'static str;
    /// The row's columns before `doc`, in the statements' order.
    fn columns(&self) -> [Arg<'_>; 7];
    /// The documents of this kind last decoded by id.
    fn decoded() -> &'static Decoded<Self>;
}

impl Document for Vbr {
    const NAME: &'static str = "vbr";
    const GET: &'static str = vbr::text::GET;
    const INSERT: &'static str = vbr::text::INSERT;
    const UPDATE: &'static str = vbr::text::UPDATE;
    const DELETE: &'static str = vbr::text::DELETE;
    fn columns(&self) -> [Arg<'_>; 7] {
        [
            Arg::Text(&self.id),
            Arg::Text(&self.account_id),
            Arg::Text(&self.circuit_owner_id),
            Arg::Text(&self.region_id),
            Arg::Text(&self.circuit_id),
            Arg::Text(self.status.as_str()),
            Arg::Int(to_micros(self.created_at)),
        ]
    }

    fn decoded() -> &'static Decoded<Self> {
        static DECODED: LazyLock<Decoded<Vbr>> = LazyLock::new(Decoded::new);
        &DECODED
    }
}

impl Document for BgpObject {
    const NAME: &'static str = "bgp";
    const GET: &'static str = bgp::text::GET;
    const INSERT: &'static str = bgp::text::INSERT;
    const UPDATE: &'static str = bgp::text::UPDATE;
    const DELETE: &'static str = bgp::text::DELETE;
    fn columns(&self) -> [Arg<'_>; 7] {
        [
            Arg::Text(self.id()),
            Arg::Text(self.kind().as_str()),
            Arg::Text(self.account_id()),
            Arg::Text(self.vbr_id()),
            Arg::Text(self.group_id()),
            Arg::Text(self.status().as_str()),
            Arg::Int(to_micros(self.created_at())),
        ]
    }

    fn decoded() -> &'static Decoded<Self> {
        static DECODED: LazyLock<Decoded<BgpObject>> = LazyLock::new(Decoded::new);
        &DECODED
    }
}

fn decode<D: Document>(doc: &str) -> OpResult<D> {
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Corrupt(format!("{} document: {e}", D::NAME)).into())
}

/// The document of `id` just read, decoded (or its decoded form kept from
/// the last read of the same text).
fn decode_by_id<D: Document>(id: &str, doc: String) -> OpResult<D> {
    D::decoded().get_or_decode(id, doc, decode)
}

async fn get<D: Document, T: DocTable + ?Sized>(t: &mut T, id: &str) -> OpResult<Option<D>> {
    let docs = t.doc_read(D::GET, id).await?;
    docs.into_iter()
        .next()
        .map(|d| decode_by_id(id, d))
        .transpose()
}

async fn list<D: Document, T: DocTable + ?Sized>(
    t: &mut T,
    (sql, key): (&'static str, &str),
) -> OpResult<Vec<D>> {
    let docs = t.doc_read(sql, key).await?;
    docs.iter().map(|d| decode(d)).collect()
}

/// Inserts or rewrites the row; the rows changed.
async fn put<D: Document, T: DocTable + ?Sized>(
    t: &mut T,
    sql: &'static str,
    d: &D,
) -> OpResult<u64> {
    let doc = serde_json::to_string(d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut args = d.columns().to_vec();
    args.push(Arg::Text(&doc));
    t.doc_write(sql, &args).await
}

async fn delete<D: Document, T: DocTable + ?Sized>(t: &mut T, id: &str) -> OpResult<bool> {
    Ok(t.doc_write(D::DELETE, &[Arg::Text(id)]).await? > 0)
}

impl<T: DocTable> VbrOps for T {
    fn get_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Vbr>>> {
        Box::pin(get(self, id))
    }

    fn get_vbr_shown<'a>(
        &'a mut self,
        id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<(Vbr, Option<LineState>)>>> {
        Box::pin(async move {
            let Some((doc, status, business)) =
                self.doc_read_pair(vbr::text::GET_SHOWN, id).await?
            else {
                return Ok(None);
            };
            let line = match (status, business) {
                (Some(s), Some(b)) => Some(circuit_status(&s, &b)?),
                _ => None,
            };
            Ok(Some((decode_by_id(id, doc)?, line)))
        })
    }

    fn insert_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move { put(self, Vbr::INSERT, v).await.map(drop) })
    }

    fn update_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move { Ok(put(self, Vbr::UPDATE, v).await? > 0) })
    }

    fn delete_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(delete::<Vbr, _>(self, id))
    }

    fn list_vbrs<'a>(&'a mut self, scope: VbrScope<'a>) -> BoxFut<'a, OpResult<Vec<Vbr>>> {
        Box::pin(list(self, scope.statement()))
    }
}

impl<T: DocTable> BgpOps for T {
    fn get_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<BgpObject>>> {
        Box::pin(get(self, id))
    }

    fn insert_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<()>> {
        Box::pin(async move { put(self, BgpObject::INSERT, o).await.map(drop) })
    }

    fn update_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(async move { Ok(put(self, BgpObject::UPDATE, o).await? > 0) })
    }

    fn delete_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>> {
        Box::pin(delete::<BgpObject, _>(self, id))
    }

    fn list_bgp<'a>(&'a mut self, scope: BgpScope<'a>) -> BoxFut<'a, OpResult<Vec<BgpObject>>> {
        Box::pin(list(self, scope.statement()))
    }
}
