//! Persistence of BGP groups, peers and networks: one table, one row per
//! object, reached through [`TxOps::bgp`](crate::TxOps::bgp). As for VBRs
//! (`vbr.rs`), the columns are those queries select on (kind, owner, VBR,
//! status, creation time) and the object itself is a JSON document, since
//! its fields are only ever read and written together.

use crate::{BoxFut, OpResult};
use physconn_domain::BgpObject;

/// Which BGP objects to list; each is one indexed statement, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BgpScope<'a> {
    /// Every group, peer and network of one VBR.
    Vbr(&'a str),
    /// Every BGP object an account owns.
    Owner(&'a str),
}

pub trait BgpOps: Send {
    fn get_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<BgpObject>>>;
    fn insert_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<()>>;
    /// Rewrites the object; `false` if it does not exist.
    fn update_bgp<'a>(&'a mut self, o: &'a BgpObject) -> BoxFut<'a, OpResult<bool>>;
    /// Removes it (a finished delete); `false` if it did not exist.
    fn delete_bgp<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>>;
    /// Oldest first (creation time, then id): the order Describe pages in.
    fn list_bgp<'a>(&'a mut self, scope: BgpScope<'a>) -> BoxFut<'a, OpResult<Vec<BgpObject>>>;
}

/// The statements of both backends.
pub(crate) mod text {
    pub const INSERT: &str = "INSERT INTO bgp_objects (id, kind, account_id, vbr_id, \
        group_id, status, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const UPDATE: &str = "UPDATE bgp_objects SET kind = $2, account_id = $3, vbr_id = $4, \
        group_id = $5, status = $6, created_at = $7, doc = $8 WHERE id = $1";
    pub const DELETE: &str = "DELETE FROM bgp_objects WHERE id = $1";
    pub const GET: &str = "SELECT doc FROM bgp_objects WHERE id = $1";
    pub const BY_VBR: &str =
        "SELECT doc FROM bgp_objects WHERE vbr_id = $1 ORDER BY created_at, id";
    pub const BY_OWNER: &str =
        "SELECT doc FROM bgp_objects WHERE account_id = $1 ORDER BY created_at, id";
}

impl<'a> BgpScope<'a> {
    pub(crate) fn statement(self) -> (&'static str, &'a str) {
        match self {
            BgpScope::Vbr(v) => (text::BY_VBR, v),
            BgpScope::Owner(a) => (text::BY_OWNER, a),
        }
    }
}
