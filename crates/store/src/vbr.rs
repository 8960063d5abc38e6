//! Persistence of virtual border routers. A separate trait reached through
//! [`TxOps::vbrs`](crate::TxOps::vbrs), like the security tables, so the VBR
//! family (and the BGP objects that will hang off a VBR) grow without
//! touching the core set.
//!
//! A VBR is one row: the columns queries select and sort on (owner, line
//! owner, region, line, status, creation time) and the whole object as a
//! JSON document (`doc`, the serde form of [`Vbr`]). Its thirty-odd
//! attributes are only ever read and written together, so one document
//! keeps both backends' code to a few statements.

use crate::{BoxFut, OpResult};
use physconn_domain::{BusinessStatus, Status, Vbr};

/// The status and business status of the line a VBR sits on, which the VBR
/// shows.
pub type LineState = (Status, BusinessStatus);

/// Which VBRs to list; each is one indexed statement, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrScope<'a> {
    /// The VBRs an account owns, in every region.
    Owner(&'a str),
    /// The VBRs on an account's lines, whoever owns them.
    LineOwner(&'a str),
    /// The VBRs on one line.
    Line(&'a str),
}

pub trait VbrOps: Send {
    fn get_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Vbr>>>;
    /// The VBR and the state of its line (`None` once the line's row is
    /// gone), in one statement: what a describe by id shows, read as
    /// cheaply as a line's describe by id.
    #[allow(clippy::type_complexity)]
    fn get_vbr_shown<'a>(
        &'a mut self,
        id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<(Vbr, Option<LineState>)>>>;
    fn insert_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<()>>;
    /// Rewrites the VBR; `false` if it does not exist.
    fn update_vbr<'a>(&'a mut self, v: &'a Vbr) -> BoxFut<'a, OpResult<bool>>;
    /// Removes it (a finished delete); `false` if it did not exist.
    fn delete_vbr<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>>;
    /// Newest first (creation time, then id).
    fn list_vbrs<'a>(&'a mut self, scope: VbrScope<'a>) -> BoxFut<'a, OpResult<Vec<Vbr>>>;
}

/// The statements of both backends.
pub(crate) mod text {
    pub const INSERT: &str = "INSERT INTO vbrs (id, account_id, circuit_owner_id, region_id, \
        circuit_id, status, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const UPDATE: &str = "UPDATE vbrs SET account_id = $2, circuit_owner_id = $3, \
        region_id = $4, circuit_id = $5, status = $6, created_at = $7, doc = $8 WHERE id = $1";
    pub const DELETE: &str = "DELETE FROM vbrs WHERE id = $1";
    pub const GET: &str = "SELECT doc FROM vbrs WHERE id = $1";
    pub const GET_SHOWN: &str = "SELECT v.doc, c.status, c.business_status FROM vbrs v \
        LEFT JOIN circuits c ON c.id = v.circuit_id WHERE v.id = $1";
    pub const BY_OWNER: &str =
        "SELECT doc FROM vbrs WHERE account_id = $1 ORDER BY created_at DESC, id DESC";
    pub const BY_LINE_OWNER: &str =
        "SELECT doc FROM vbrs WHERE circuit_owner_id = $1 ORDER BY created_at DESC, id DESC";
    pub const BY_LINE: &str =
        "SELECT doc FROM vbrs WHERE circuit_id = $1 ORDER BY created_at DESC, id DESC";
}

impl<'a> VbrScope<'a> {
    pub(crate) fn statement(self) -> (&'static str, &'a str) {
        match self {
            VbrScope::Owner(a) => (text::BY_OWNER, a),
            VbrScope::LineOwner(a) => (text::BY_LINE_OWNER, a),
            VbrScope::Line(c) => (text::BY_LINE, c),
        }
    }
}
