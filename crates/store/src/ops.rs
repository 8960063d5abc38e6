//! The fine-grained operations a workflow may perform inside a transaction.

use crate::export::Table;
use crate::{BoxFut, OpResult};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{
    AccessKey, Account, BusinessStatus, Circuit, FaultOutcome, FaultScope, KeyStatus, LedgerEntry,
    Order, ProvisioningMode, Status, Time, TimerKind,
};

/// A pair for [`TxOps::claim_nonces`]: held until `expires_at` once claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceClaim {
    pub access_key_id: String,
    pub nonce: String,
    pub expires_at: Time,
}

/// The counts a new circuit is checked against ([`TxOps::quota_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaCounts {
    /// Live circuits of the account whose business status is
    /// `FinancialLocked`.
    pub financial_locked: i64,
    /// Live circuits of the account not yet Enabled, in any region.
    pub pending: i64,
}

/// What decides when a circuit's next provider step is due, read in one
/// statement ([`TxOps::provisioning_settings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisioningSettings {
    /// The meta values under the mode and delay keys asked for (the admin
    /// API's global override), as stored.
    pub global_mode: Option<String>,
    pub global_delay: Option<String>,
    /// The account's own mode (`None`: none set, or no such account).
    pub account_mode: Option<ProvisioningMode>,
}

/// A durable provider-side timer: at `due_at`, if the circuit is still in
/// `expect_status`, the simulator moves it on. Rows, not sleeping tasks, so
/// they survive restarts and fire once across many servers. A VBR's steps
/// are timers too: `circuit_id` then holds the VBR's id and `expect_status`
/// is `None` (the VBR's own status says which step is due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: String,
    pub circuit_id: String,
    /// What the step does (stored as its text): the steps of
    /// docs/design/circuits.md#timers.
    pub kind: TimerKind,
    pub expect_status: Option<Status>,
    pub due_at: Time,
    pub created_at: Time,
}

/// A fault of the simulated provider: the next matching provider step of a
/// line ends in `outcome` (`Rejected` or `Allocation Failed`) instead of
/// succeeding, or the next matching create call answers it (`TaskConflict`,
/// `OperationConflict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub id: String,
    /// `circuit` (target = circuit id), `vbr` (target = VBR id), `account`
    /// (target = AccountId; the next `remaining` circuits or calls) or
    /// `global` (a share of all circuits, or every call).
    pub scope: FaultScope,
    pub target: String,
    pub outcome: FaultOutcome,
    /// How many more times it applies; negative = until removed.
    pub remaining: i64,
    /// For `global`: the share of circuits it applies to, in parts per
    /// million (a circuit's review and allocation steps agree).
    pub share_ppm: i64,
    pub created_at: Time,
}

/// The rows a write in the locked mode ([`write_locked`](crate::write_locked))
/// locks before its work: the circuit first, then the account, always in that
/// order, so that two such writes never wait on each other in a cycle
/// (docs/design/decisions.md#row-locks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowLocks {
    pub circuit: Option<String>,
    pub account: Option<String>,
}

impl RowLocks {
    /// The account's row only (e.g. a create, which has no circuit yet).
    pub fn account(account_id: &str) -> Self {
        Self {
            circuit: None,
            account: Some(account_id.to_string()),
        }
    }

    /// A circuit's row, then its account's.
    pub fn circuit_then_account(circuit_id: &str, account_id: &str) -> Self {
        Self {
            circuit: Some(circuit_id.to_string()),
            account: Some(account_id.to_string()),
        }
    }
}

/// A create's rows ([`TxOps::create_circuit`]).
#[derive(Debug, Clone, Copy)]
pub struct NewCircuit<'a> {
    pub circuit: &'a Circuit,
    pub event: &'a CircuitEvent,
    pub timer: &'a Timer,
    /// The request's `ClientToken` record, written with the circuit (and
    /// only if the circuit is let in).
    pub idempotency: Option<&'a IdempotencyRecord>,
}

/// One transition in a circuit's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitEvent {
    pub id: String,
    pub circuit_id: String,
    pub at: Time,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// What caused it: the API action, `provider`, `admin`, `payment`.
    pub cause: String,
}

/// A page of DescribePhysicalConnections. `columns` holds (column, allowed
/// values) pairs ANDed together, values ORed; column names come from a fixed
/// list in the server, never from the request.
#[derive(Debug, Clone, Default)]
pub struct CircuitQuery {
    pub account_id: String,
    pub region_id: String,
    pub columns: Vec<(&'static str, Vec<String>)>,
    /// (key, value): tags ANDed; `None` matches any value of the key.
    pub tags: Vec<(String, Option<String>)>,
    pub resource_group_id: Option<String>,
    /// Set when a filter can match nothing (e.g. `Type=Other`).
    pub match_nothing: bool,
    pub offset: i64,
    pub limit: i64,
}

impl CircuitQuery {
    /// Whether [`TxOps::list_circuits`] answers it with one statement at
    /// most (by ids only, or a filter that matches nothing), so that it may
    /// run alone ([`read_one`](crate::read_one)) rather than in a snapshot
    /// of its own.
    pub fn one_statement(&self) -> bool {
        self.match_nothing || crate::sql::query::only_ids(self).is_some()
    }
}

/// Everything a workflow can read or write. Both backends implement it with
/// the same SQL texts (`sql/text.rs`, `sql/query.rs`).
pub trait TxOps: Send {
    // accounts and money
    fn get_account<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Account>>>;
    fn get_account_by_name<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFut<'a, OpResult<Option<Account>>>;
    fn list_accounts(&mut self) -> BoxFut<'_, OpResult<Vec<Account>>>;
    fn insert_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>>;
    fn update_account<'a>(&'a mut self, a: &'a Account) -> BoxFut<'a, OpResult<()>>;
    fn insert_ledger<'a>(&'a mut self, e: &'a LedgerEntry) -> BoxFut<'a, OpResult<()>>;
    /// Newest first.
    fn list_ledger<'a>(
        &'a mut self,
        account_id: &'a str,
        limit: i64,
    ) -> BoxFut<'a, OpResult<Vec<LedgerEntry>>>;
    fn ledger_sum<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>>;

    // access keys
    fn get_access_key<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<AccessKey>>>;
    fn insert_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>>;
    /// Rewrites a key (secret, owner, status, token) in place.
    fn update_access_key<'a>(&'a mut self, k: &'a AccessKey) -> BoxFut<'a, OpResult<()>>;
    fn set_access_key_status<'a>(
        &'a mut self,
        id: &'a str,
        status: KeyStatus,
    ) -> BoxFut<'a, OpResult<bool>>;
    fn list_access_keys<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<AccessKey>>>;

    // circuits
    /// Any circuit by id, deleted or not, of any account: callers scope it.
    fn get_circuit<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Circuit>>>;
    /// The status and business status of any circuit by id, as
    /// [`get_circuit`](TxOps::get_circuit) has them: one narrow row, for
    /// the objects that show their line's live state (a VBR describe).
    fn circuit_status<'a>(
        &'a mut self,
        id: &'a str,
    ) -> BoxFut<'a, OpResult<Option<(Status, BusinessStatus)>>>;
    /// Inserts the row and its tags.
    fn insert_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>>;
    /// A create: the new circuit's row and tags, its first event and its
    /// first step's timer, and its counts if the account's quota lets it in
    /// (the checks of [`quota_counts`](Self::quota_counts): no live
    /// `FinancialLocked` circuit, fewer than `max_pending` pending ones),
    /// checked on the account's counts row once its lock is held
    /// (docs/design/decisions.md#account-counts). One statement on
    /// PostgreSQL (a data-modifying `WITH`), with a tag-less circuit.
    /// `false`: refused, nothing counted; the caller rolls back the rest.
    fn create_circuit<'a>(
        &'a mut self,
        new: NewCircuit<'a>,
        max_pending: i64,
    ) -> BoxFut<'a, OpResult<bool>>;
    /// Updates every column but the tags.
    fn update_circuit<'a>(&'a mut self, c: &'a Circuit) -> BoxFut<'a, OpResult<()>>;
    fn replace_tags<'a>(
        &'a mut self,
        circuit_id: &'a str,
        tags: &'a [(String, String)],
    ) -> BoxFut<'a, OpResult<()>>;
    /// A page and the total number of matches.
    fn list_circuits<'a>(
        &'a mut self,
        q: &'a CircuitQuery,
    ) -> BoxFut<'a, OpResult<(Vec<Circuit>, i64)>>;
    /// Every live (not deleted) circuit of an account, in any region.
    fn list_account_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<Circuit>>>;
    /// Live (not deleted) circuits of an account in any of `statuses`.
    fn count_circuits<'a>(
        &'a mut self,
        account_id: &'a str,
        statuses: &'a [Status],
    ) -> BoxFut<'a, OpResult<i64>>;
    /// Live circuits of an account that are not yet Enabled
    /// (`Status::is_pending`), in any region: the quota of
    /// CreatePhysicalConnection. Read from counts kept with every circuit
    /// write, so it costs the same however many circuits the account holds.
    fn count_pending_circuits<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<i64>>;
    /// What the quota checks of a new circuit read, in one statement: the
    /// account's live circuits that are `FinancialLocked`
    /// ([`count_business_status`](Self::count_business_status)) and its
    /// pending ones ([`count_pending_circuits`](Self::count_pending_circuits)).
    fn quota_counts<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<QuotaCounts>>;
    /// Live circuits of an account with the given business status.
    fn count_business_status<'a>(
        &'a mut self,
        account_id: &'a str,
        business_status: &'a str,
    ) -> BoxFut<'a, OpResult<i64>>;
    fn insert_event<'a>(&'a mut self, e: &'a CircuitEvent) -> BoxFut<'a, OpResult<()>>;
    fn list_events<'a>(
        &'a mut self,
        circuit_id: &'a str,
    ) -> BoxFut<'a, OpResult<Vec<CircuitEvent>>>;

    // orders
    fn get_order<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<Option<Order>>>;
    fn insert_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>>;
    fn update_order<'a>(&'a mut self, o: &'a Order) -> BoxFut<'a, OpResult<()>>;
    /// Oldest first; all accounts when `account_id` is `None`.
    fn list_orders<'a>(
        &'a mut self,
        account_id: Option<&'a str>,
    ) -> BoxFut<'a, OpResult<Vec<Order>>>;

    // idempotency
    fn get_idempotency<'a>(
        &'a mut self,
        account_id: &'a str,
        action: &'a str,
        token: &'a str,
    ) -> BoxFut<'a, OpResult<Option<IdempotencyRecord>>>;
    fn insert_idempotency<'a>(&'a mut self, r: &'a IdempotencyRecord) -> BoxFut<'a, OpResult<()>>;
    fn purge_idempotency(&mut self, before: Time) -> BoxFut<'_, OpResult<u64>>;

    // timers
    fn insert_timer<'a>(&'a mut self, t: &'a Timer) -> BoxFut<'a, OpResult<()>>;
    /// Removes a timer; `false` if another transaction already took it.
    fn delete_timer<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>>;
    fn delete_timers_for<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<()>>;
    /// Timers due at or before `now`, earliest first.
    fn due_timers(&mut self, now: Time, limit: i64) -> BoxFut<'_, OpResult<Vec<Timer>>>;
    fn next_timer_due(&mut self) -> BoxFut<'_, OpResult<Option<Time>>>;
    fn list_timers<'a>(&'a mut self, circuit_id: &'a str) -> BoxFut<'a, OpResult<Vec<Timer>>>;
    /// Every pending timer, earliest first.
    fn all_timers(&mut self) -> BoxFut<'_, OpResult<Vec<Timer>>>;
    fn set_timer_due<'a>(&'a mut self, id: &'a str, due_at: Time) -> BoxFut<'a, OpResult<()>>;

    // provider faults
    fn insert_fault<'a>(&'a mut self, f: &'a Fault) -> BoxFut<'a, OpResult<()>>;
    fn list_faults(&mut self) -> BoxFut<'_, OpResult<Vec<Fault>>>;
    /// Sets how many more times a fault applies; 0 removes it.
    fn set_fault_remaining<'a>(
        &'a mut self,
        id: &'a str,
        remaining: i64,
    ) -> BoxFut<'a, OpResult<()>>;
    fn delete_fault<'a>(&'a mut self, id: &'a str) -> BoxFut<'a, OpResult<bool>>;

    /// RAM users, key bindings and the audit log.
    fn security(&mut self) -> &mut dyn crate::security::SecurityOps;

    /// Virtual border routers.
    fn vbrs(&mut self) -> &mut dyn crate::vbr::VbrOps;

    /// BGP groups, peers and networks.
    fn bgp(&mut self) -> &mut dyn crate::bgp::BgpOps;

    /// Test isolation: removes every row except the given account and its
    /// permanent keys (the caller resets that account's money); used nonces
    /// and meta stay.
    fn reset_except<'a>(&'a mut self, account_id: &'a str) -> BoxFut<'a, OpResult<()>>;

    // replay protection (nonces shared by every server on the database)
    /// Claims each `(access_key_id, nonce)` pair until its `expires_at`,
    /// at `now`: `true` for each pair claimed, `false` for one held and not
    /// expired at `now` (a replay, or a twin that won). A pair listed twice
    /// is claimed at most once (its first listing). PostgreSQL claims them
    /// in one statement, so a batch of concurrent requests' claims costs one
    /// round trip.
    fn claim_nonces<'a>(
        &'a mut self,
        claims: &'a [NonceClaim],
        now: Time,
    ) -> BoxFut<'a, OpResult<Vec<bool>>>;
    /// Removes nonces that expired at or before `now`.
    fn purge_nonces(&mut self, now: Time) -> BoxFut<'_, OpResult<u64>>;

    // export / import (`export.rs`): whole tables as JSON values
    /// Every row of `table`, columns in the table's order (unsorted).
    fn dump_table<'a>(
        &'a mut self,
        table: &'a Table,
    ) -> BoxFut<'a, OpResult<Vec<Vec<serde_json::Value>>>>;
    /// Inserts rows (already checked against the table's column types).
    fn load_rows<'a>(
        &'a mut self,
        table: &'a Table,
        rows: &'a [Vec<serde_json::Value>],
    ) -> BoxFut<'a, OpResult<()>>;
    fn count_rows<'a>(&'a mut self, table: &'a Table) -> BoxFut<'a, OpResult<i64>>;
    /// The names of every table of the store's schema (migration
    /// bookkeeping included), so the export can refuse one it does not know.
    fn table_names(&mut self) -> BoxFut<'_, OpResult<Vec<String>>>;

    // account-wide services (docs/design/decisions.md#account-services)
    /// Records that `account_id` switched `service` on at `at`; `false` if
    /// it was already on (the first opening is kept).
    fn open_service<'a>(
        &'a mut self,
        account_id: &'a str,
        service: &'a str,
        at: Time,
    ) -> BoxFut<'a, OpResult<bool>>;

    /// Locks `locks.circuit`, then `locks.account` (`SELECT … FOR UPDATE` on
    /// PostgreSQL) until the transaction ends; a missing row locks nothing.
    /// SQLite has one writer, so there it does nothing.
    fn lock_rows<'a>(&'a mut self, locks: &'a RowLocks) -> BoxFut<'a, OpResult<()>>;

    // meta
    fn get_meta<'a>(&'a mut self, key: &'a str) -> BoxFut<'a, OpResult<Option<String>>>;
    /// `get_meta(mode_key)`, `get_meta(delay_key)` and the provisioning mode
    /// of `account_id`, in one statement: every provider step scheduled asks
    /// for all three, and on PostgreSQL each statement is a round trip.
    fn provisioning_settings<'a>(
        &'a mut self,
        mode_key: &'a str,
        delay_key: &'a str,
        account_id: &'a str,
    ) -> BoxFut<'a, OpResult<ProvisioningSettings>>;
    fn set_meta<'a>(&'a mut self, key: &'a str, value: &'a str) -> BoxFut<'a, OpResult<()>>;
}
