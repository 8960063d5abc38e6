//! Persistence of RAM users (sub-users with policy documents), the binding of
//! access keys to them, and the audit log. A separate trait reached through
//! [`TxOps::security`], so these tables grow without touching the core set.

use crate::{BoxFut, OpResult};
use physconn_domain::Time;

/// A RAM user of an account: its keys act under `policy` (a RAM policy
/// document, JSON text) instead of with the account's full rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamUser {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub policy: String,
    pub created_at: Time,
}

/// One audited call: who did what, when, with which outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub at: Time,
    /// An AccessKeyId for API calls, `admin` for the admin API.
    pub actor: String,
    /// `api` or `admin`.
    pub channel: String,
    /// The API action, or `METHOD /admin/path`.
    pub action: String,
    pub account_id: Option<String>,
    pub request_id: String,
    /// `200`, or the error code / HTTP status.
    pub outcome: String,
    /// Context without secrets (the circuit or order concerned, a reason).
    pub detail: String,
}

/// Which audit entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub account_id: Option<String>,
    pub channel: Option<String>,
    pub since: Option<Time>,
    pub limit: i64,
}

pub trait SecurityOps: Send {
    fn insert_ram_user<'a>(&'a mut self, u: &'a RamUser) -> BoxFut<'a, OpResult<()>>;
    fn get_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<RamUser>>>;
    fn list_ram_users<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<Vec<RamUser>>>;
    fn set_ram_user_policy<'a>(
        &'a mut self,
        id: &'a str,
        policy: &'a str,
    ) -> BoxFut<'a, OpResult<bool>>;
    /// Deletes the user and its keys.
    fn delete_ram_user<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>>;
    fn bind_key_to_user<'a>(
        &'a mut self,
        access_key_id: &'a str,
        user_id: &'a str,
    ) -> BoxFut<'a, OpResult<()>>;
    /// The RAM user a key acts as, if any (`None`: the account itself).
    fn user_of_key<'a>(
        &'a mut self,
        access_key_id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<RamUser>>>;
    /// Test isolation: every RAM user and its keys, and the audit log.
    fn reset_security(&mut self) -> BoxFut<'_, OpResult<()>>;
    /// Stores a batch of entries; PostgreSQL in one statement (per
    /// [`AUDITS_PER_STATEMENT`](crate::sql::security::AUDITS_PER_STATEMENT)
    /// entries), as the audit writer's batches arrive.
    fn insert_audits<'a>(&'a mut self, entries: &'a [AuditEntry]) -> BoxFut<'a, OpResult<()>>;
    fn list_audit<'a>(&'a mut self, q: &'a AuditQuery) -> BoxFut<'a, OpResult<Vec<AuditEntry>>>;
}
