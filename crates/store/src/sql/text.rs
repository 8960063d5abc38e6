//! The statement texts and column lists shared by both engines: column
//! orders and every fixed statement, built once per process. The PostgreSQL
//! store (`postgres/txops.rs`, binding in `postgres/bind.rs`) and the SQLite
//! one (`sqlite/txops.rs`, binding in `sqlite/rows.rs`) both run these texts.

use physconn_domain::Status;

pub(crate) const ACCOUNT_COLS: &str =
    "id, name, balance_fen, credit_limit_fen, bypass_sp, ledger_seq, created_at, provisioning_mode, overdue_since";
pub(crate) const KEY_COLS: &str =
    "id, account_id, secret, status, security_token, expires_at, created_at";
pub(crate) const CIRCUIT_COLS: &str = "id, account_id, region_id, access_point_id, status, business_status, \
    loa_status, name, description, line_operator, port_type, bandwidth, port_number, circuit_code, \
    peer_location, ad_location, ad_detail_location, redundant_id, resource_group_id, created_at, enabled_at, \
    end_at, charge_type, pending_order_id, auto_renew, auto_renew_duration, deleted_at, loa, provisioning_mode, \
    metered_until";
pub(crate) const ORDER_COLS: &str = "id, account_id, circuit_id, region_id, kind, status, abnormal_reason, \
    charge_type, period, pricing_cycle, auto_renew, auto_renew_duration, port_type, amount_fen, currency, \
    created_at, paid_at, cancelled_at, related_order_id";
pub(crate) const LEDGER_COLS: &str =
    "id, account_id, seq, amount_fen, balance_after_fen, kind, order_id, note, created_at";
pub(crate) const TIMER_COLS: &str = "id, circuit_id, kind, expect_status, due_at, created_at";
pub(crate) const EVENT_COLS: &str = "id, circuit_id, at, from_status, to_status, cause";
pub(crate) const FAULT_COLS: &str = "id, scope, target, outcome, remaining, share_ppm, created_at";
pub(crate) const IDEM_COLS: &str = "account_id, action, token, fingerprint, response, created_at";

/// `$1, $2, …, $n`
pub(crate) fn placeholders(n: usize) -> String {
    placeholders_after(0, n)
}

/// `$k+1, …, $k+n`: the values of a row after `k` parameters of others.
pub(crate) fn placeholders_after(k: usize, n: usize) -> String {
    (k + 1..=k + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The claim of `n` nonces in one statement (`$1..$3n`: key, nonce and
/// expiry of each; `$3n+1`: now); it returns the pairs it claimed. The pairs
/// must be distinct (an upsert may not touch one row twice).
pub(crate) fn claim_nonces(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    format!(
        "INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES {} \
         ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE nonces.expires_at <= ${} RETURNING access_key_id, nonce",
        rows.join(", "),
        3 * n + 1
    )
}

/// `col2 = $2, col3 = $3, …` for an UPDATE keyed by the first column.
pub(crate) fn assignments(cols: &str) -> String {
    cols.split(',')
        .map(str::trim)
        .enumerate()
        .skip(1)
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The position (1-based, so its `$N`) of a column in `CIRCUIT_COLS`.
fn circuit_param(col: &str) -> usize {
    CIRCUIT_COLS
        .split(',')
        .position(|c| c.trim() == col)
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The circuit columns some index of `circuits` holds (its key, `circuits_live`,
/// `circuits_locked` and its condition). The usual UPDATE leaves them out of
/// its SET and requires them unchanged instead: SQLite rewrites every index
/// that has a column in the SET list, even to the same value, and each is
/// one more random page written to the WAL at every commit.
const INDEXED_CIRCUIT_COLS: &[&str] = &[
    "id",
    "account_id",
    "region_id",
    "created_at",
    "deleted_at",
    "business_status",
];

/// `col = $N, …` over the circuit columns `keep` selects, `$N` their place
/// in `CIRCUIT_COLS`.
fn circuit_assignments(keep: impl Fn(&str) -> bool) -> String {
    CIRCUIT_COLS
        .split(',')
        .map(str::trim)
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn circuit_deleted_at_param() -> usize {
    circuit_param("deleted_at")
}

/// Every fixed statement text, built once per process and used by both
/// backends (sqlx for PostgreSQL, rusqlite for SQLite), so a query is written
/// once. Dynamic statements (filters, `IN` lists) come from `sql/query.rs`.
pub(crate) struct Statements {
    pub get_account: String,
    pub get_account_by_name: String,
    pub list_accounts: String,
    pub insert_account: String,
    pub update_account: String,
    pub insert_ledger: String,
    pub list_ledger: String,
    pub ledger_amounts: &'static str,
    pub get_key: String,
    pub insert_key: String,
    pub update_key: String,
    pub set_key_status: &'static str,
    pub list_keys: String,
    pub select_circuit: String,
    pub circuit_status: &'static str,
    pub insert_circuit: String,
    pub update_circuit: String,
    /// The update of the common case: no indexed column changes and the row
    /// stays live (or deleted) and pending (or not), so neither an index nor
    /// `circuit_counts` moves. 0 rows: one of them does (or there is no such
    /// circuit), and `update_circuit` follows.
    pub update_circuit_in_place: String,
    /// What the counts of a stored circuit depend on.
    pub circuit_counted: &'static str,
    pub tags_of_circuit: &'static str,
    pub delete_tags: &'static str,
    pub insert_tag: &'static str,
    pub list_account_circuits: String,
    pub account_circuit_tags: &'static str,
    pub count_business_status: &'static str,
    pub count_locked: &'static str,
    pub live_count: &'static str,
    pub pending_counts: &'static str,
    pub quota_counts: &'static str,
    pub add_counts: &'static str,
    /// `add_counts` if `quota_counts` lets a new circuit in: 0 rows changed
    /// (and nothing counted) when it does not.
    pub count_account_update: &'static str,
    pub count_account_first: &'static str,
    pub count_region: &'static str,
    pub clear_counts: &'static str,
    pub rebuild_counts: String,
    pub insert_event: String,
    pub list_events: String,
    pub get_order: String,
    pub insert_order: String,
    pub update_order: String,
    pub list_orders_of: String,
    pub list_orders_all: String,
    pub get_idem: String,
    pub insert_idem: String,
    pub purge_idem: &'static str,
    pub insert_timer: String,
    pub delete_timer: &'static str,
    pub delete_timers_for: &'static str,
    pub due_timers: String,
    pub next_timer_due: &'static str,
    pub list_timers: String,
    pub all_timers: String,
    pub set_timer_due: &'static str,
    pub insert_fault: String,
    pub list_faults: String,
    pub delete_fault: &'static str,
    pub set_fault_remaining: &'static str,
    pub claim_nonce: &'static str,
    pub purge_nonces: &'static str,
    pub get_meta: &'static str,
    pub provisioning_settings: &'static str,
    pub set_meta: &'static str,
    pub open_service: &'static str,
}

/// Tables `reset_except` empties entirely.
pub(crate) const RESET_TABLES: &[&str] = &[
    "circuits",
    "circuit_tags",
    "circuit_counts",
    "circuit_events",
    "orders",
    "ledger",
    "idempotency",
    "timers",
    "faults",
    "vbrs",
    "account_services",
    "bgp_objects",
];
pub(crate) const RESET_ACCOUNTS: &str = "DELETE FROM accounts WHERE id <> $1";
pub(crate) const RESET_KEYS: &str =
    "DELETE FROM access_keys WHERE account_id <> $1 OR security_token IS NOT NULL";

/// `('Initial', …)`: the statuses of circuits not yet Enabled.
fn pending_list() -> String {
    let names: Vec<String> = Status::ALL
        .iter()
        .filter(|s| s.is_pending())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

/// A circuit's contribution to `circuit_counts` (live, pending).
pub(crate) fn counted(status: Status, deleted: bool) -> (i64, i64) {
    match (deleted, status.is_pending()) {
        (true, _) => (0, 0),
        (false, pending) => (1, i64::from(pending)),
    }
}

/// The change of the counts when a circuit goes from `old` to `new`
/// (status, deleted), if any.
pub(crate) fn count_delta(old: (Status, bool), new: (Status, bool)) -> Option<(i64, i64)> {
    let (l0, p0) = counted(old.0, old.1);
    let (l1, p1) = counted(new.0, new.1);
    (l0 != l1 || p0 != p1).then_some((l1 - l0, p1 - p0))
}

pub(crate) fn statements() -> &'static Statements {
    static S: std::sync::OnceLock<Statements> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let ins = |table: &str, cols: &str| {
            let n = cols.split(',').count();
            format!("INSERT INTO {table} ({cols}) VALUES ({})", placeholders(n))
        };
        let upd = |table: &str, cols: &str| {
            format!("UPDATE {table} SET {} WHERE id = $1", assignments(cols))
        };
        let update_circuit = upd("circuits", CIRCUIT_COLS);
        let d = circuit_deleted_at_param();
        let st = circuit_param("status");
        let pending = pending_list();
        Statements {
            get_account: format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
            get_account_by_name: format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1"),
            list_accounts: format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY created_at, id"),
            insert_account: ins("accounts", ACCOUNT_COLS),
            update_account: upd("accounts", ACCOUNT_COLS),
            insert_ledger: ins("ledger", LEDGER_COLS),
            list_ledger: format!(
                "SELECT {LEDGER_COLS} FROM ledger WHERE account_id = $1 ORDER BY seq DESC LIMIT $2"
            ),
            // Summed in the application: SUM's result type differs between
            // the two databases.
            ledger_amounts: "SELECT amount_fen FROM ledger WHERE account_id = $1",
            get_key: format!("SELECT {KEY_COLS} FROM access_keys WHERE id = $1"),
            insert_key: ins("access_keys", KEY_COLS),
            update_key: upd("access_keys", KEY_COLS),
            set_key_status: "UPDATE access_keys SET status = $2 WHERE id = $1",
            list_keys: format!(
                "SELECT {KEY_COLS} FROM access_keys WHERE account_id = $1 ORDER BY created_at, id"
            ),
            select_circuit: format!("SELECT {CIRCUIT_COLS} FROM circuits WHERE id = $1"),
            circuit_status: "SELECT status, business_status FROM circuits WHERE id = $1",
            insert_circuit: ins("circuits", CIRCUIT_COLS),
            update_circuit_in_place: format!(
                "UPDATE circuits SET {} WHERE id = $1 AND {} \
                 AND deleted_at IS NOT DISTINCT FROM ${d} \
                 AND (status IN {pending}) = (${st} IN {pending})",
                circuit_assignments(|c| !INDEXED_CIRCUIT_COLS.contains(&c)),
                circuit_assignments(|c| c != "id" && c != "deleted_at" && INDEXED_CIRCUIT_COLS.contains(&c))
                    .replace(", ", " AND "),
            ),
            circuit_counted: "SELECT status, deleted_at FROM circuits WHERE id = $1",
            update_circuit,
            tags_of_circuit: "SELECT circuit_id, tag_key, tag_value FROM circuit_tags \
                WHERE circuit_id = $1 ORDER BY position",
            delete_tags: "DELETE FROM circuit_tags WHERE circuit_id = $1",
            insert_tag: "INSERT INTO circuit_tags (circuit_id, tag_key, tag_value, position) \
                VALUES ($1, $2, $3, $4)",
            list_account_circuits: format!(
                "SELECT {CIRCUIT_COLS} FROM circuits WHERE account_id = $1 AND deleted_at IS NULL \
                 ORDER BY created_at, id"
            ),
            // A join, not an IN list: an account may hold more circuits than
            // a statement may have parameters.
            account_circuit_tags: "SELECT t.circuit_id, t.tag_key, t.tag_value FROM circuit_tags t \
                JOIN circuits c ON c.id = t.circuit_id \
                WHERE c.account_id = $1 AND c.deleted_at IS NULL ORDER BY t.circuit_id, t.position",
            count_business_status: "SELECT COUNT(*) FROM circuits \
                WHERE deleted_at IS NULL AND account_id = $1 AND business_status = $2",
            // The same for FinancialLocked, with the constant the partial
            // index `circuits_locked` (0004) is defined with, so the planner
            // may use it: an index range that is empty unless the account
            // has locked circuits.
            count_locked: "SELECT COUNT(*) FROM circuits WHERE deleted_at IS NULL \
                AND account_id = $1 AND business_status = 'FinancialLocked'",
            live_count: "SELECT live FROM circuit_counts WHERE account_id = $1 AND region_id = $2",
            // The account's row (region '', migration 0009) holds the
            // sums over its regions.
            pending_counts: "SELECT pending FROM circuit_counts \
                WHERE account_id = $1 AND region_id = ''",
            // `count_locked` and `pending_counts` in one statement.
            quota_counts: "SELECT (SELECT COUNT(*) FROM circuits WHERE deleted_at IS NULL \
                AND account_id = $1 AND business_status = 'FinancialLocked'), \
                (SELECT COALESCE(MAX(pending), 0) FROM circuit_counts \
                WHERE account_id = $1 AND region_id = '')",
            // The account's row, then the region's: every statement that
            // moves both takes their locks in this order.
            add_counts: "INSERT INTO circuit_counts (account_id, region_id, live, pending) \
                VALUES ($1, '', $3, $4), ($1, $2, $3, $4) \
                ON CONFLICT (account_id, region_id) DO UPDATE SET \
                live = circuit_counts.live + excluded.live, \
                pending = circuit_counts.pending + excluded.pending",
            // A create's quota check as the condition of its count on the
            // account's row (docs/design/decisions.md#account-counts): no
            // live `FinancialLocked` circuit and fewer than $4 pending ones.
            // An UPDATE's condition is checked again on the row's newest
            // version once its lock is held, so concurrent creates in one
            // account queue on the row, in turn, and each sees the ones
            // before it. A change: the circuit was counted.
            count_account_update: "UPDATE circuit_counts SET live = live + $2, \
                pending = pending + $3 \
                WHERE account_id = $1 AND region_id = '' AND pending < $4 \
                AND NOT EXISTS (SELECT 1 FROM circuits WHERE deleted_at IS NULL \
                AND account_id = $1 AND business_status = 'FinancialLocked')",
            // The account's first count: its row made, when the statement
            // finds none (then nothing is pending and nothing locked). If a
            // concurrent create made it meanwhile, the insert meets that row
            // and becomes the update of `count_account_update`, its
            // condition checked on the row's newest version. The SELECT's
            // WHERE also keeps SQLite's parser from reading ON CONFLICT as a
            // join's.
            count_account_first: "INSERT INTO circuit_counts (account_id, region_id, live, pending) \
                SELECT $1, '', $2, $3 WHERE 0 < $4 AND NOT EXISTS (SELECT 1 FROM circuit_counts \
                WHERE account_id = $1 AND region_id = '') \
                AND NOT EXISTS (SELECT 1 FROM circuits WHERE deleted_at IS NULL \
                AND account_id = $1 AND business_status = 'FinancialLocked') \
                ON CONFLICT (account_id, region_id) DO UPDATE SET \
                live = circuit_counts.live + excluded.live, \
                pending = circuit_counts.pending + excluded.pending \
                WHERE circuit_counts.pending < $4 AND NOT EXISTS (SELECT 1 FROM circuits \
                WHERE deleted_at IS NULL AND account_id = $1 \
                AND business_status = 'FinancialLocked')",
            // The region's row of a circuit the account's row let in.
            count_region: "INSERT INTO circuit_counts (account_id, region_id, live, pending) \
                VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, region_id) DO UPDATE SET \
                live = circuit_counts.live + excluded.live, \
                pending = circuit_counts.pending + excluded.pending",
            clear_counts: "DELETE FROM circuit_counts",
            rebuild_counts: format!(
                "INSERT INTO circuit_counts (account_id, region_id, live, pending) \
                 SELECT account_id, region_id, COUNT(*), COUNT(CASE WHEN status IN {pending} THEN 1 END) \
                 FROM circuits WHERE deleted_at IS NULL GROUP BY account_id, region_id \
                 UNION ALL \
                 SELECT account_id, '', COUNT(*), COUNT(CASE WHEN status IN {pending} THEN 1 END) \
                 FROM circuits WHERE deleted_at IS NULL GROUP BY account_id"
            ),
            insert_event: ins("circuit_events", EVENT_COLS),
            list_events: format!(
                "SELECT {EVENT_COLS} FROM circuit_events WHERE circuit_id = $1 ORDER BY at, id"
            ),
            get_order: format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1"),
            insert_order: ins("orders", ORDER_COLS),
            update_order: upd("orders", ORDER_COLS),
            list_orders_of: format!(
                "SELECT {ORDER_COLS} FROM orders WHERE account_id = $1 ORDER BY created_at, id"
            ),
            list_orders_all: format!("SELECT {ORDER_COLS} FROM orders ORDER BY created_at, id"),
            get_idem: format!(
                "SELECT {IDEM_COLS} FROM idempotency WHERE account_id = $1 AND action = $2 AND token = $3"
            ),
            insert_idem: ins("idempotency", IDEM_COLS),
            purge_idem: "DELETE FROM idempotency WHERE created_at < $1",
            insert_timer: ins("timers", TIMER_COLS),
            delete_timer: "DELETE FROM timers WHERE id = $1",
            delete_timers_for: "DELETE FROM timers WHERE circuit_id = $1",
            due_timers: format!(
                "SELECT {TIMER_COLS} FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2"
            ),
            next_timer_due: "SELECT due_at FROM timers ORDER BY due_at LIMIT 1",
            list_timers: format!(
                "SELECT {TIMER_COLS} FROM timers WHERE circuit_id = $1 ORDER BY due_at, id"
            ),
            all_timers: format!("SELECT {TIMER_COLS} FROM timers ORDER BY due_at, id"),
            set_timer_due: "UPDATE timers SET due_at = $2 WHERE id = $1",
            insert_fault: ins("faults", FAULT_COLS),
            list_faults: format!("SELECT {FAULT_COLS} FROM faults ORDER BY created_at, id"),
            delete_fault: "DELETE FROM faults WHERE id = $1",
            set_fault_remaining: "UPDATE faults SET remaining = $2 WHERE id = $1",
            // One pair (SQLite's claims, in-process, one by one; PostgreSQL
            // claims a batch with `claim_nonces`): the insert is the claim,
            // and an expired holder is taken over in place. A concurrent twin's
            // insert waits for ours, then updates nothing (or, in a
            // SERIALIZABLE snapshot, fails to serialize, re-runs, and then
            // updates nothing).
            claim_nonce: "INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES ($1, $2, $3) \
                ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at \
                WHERE nonces.expires_at <= $4",
            purge_nonces: "DELETE FROM nonces WHERE expires_at <= $1",
            get_meta: "SELECT value FROM meta WHERE key = $1",
            provisioning_settings: "SELECT (SELECT value FROM meta WHERE key = $1), \
                (SELECT value FROM meta WHERE key = $2), \
                (SELECT provisioning_mode FROM accounts WHERE id = $3)",
            set_meta: "INSERT INTO meta (key, value) VALUES ($1, $2) \
                ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            // The insert is the check: a concurrent twin waits on the key and
            // then inserts nothing, so exactly one opening succeeds.
            open_service: "INSERT INTO account_services (account_id, service, opened_at) \
                VALUES ($1, $2, $3) ON CONFLICT (account_id, service) DO NOTHING",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_update_sets_no_indexed_column() {
        let s = &statements().update_circuit_in_place;
        let (set, cond) = s.split_once(" WHERE ").unwrap_or_default();
        for col in INDEXED_CIRCUIT_COLS {
            assert!(!set.contains(&format!(" {col} = ")), "{col} in SET: {s}");
            assert!(cond.contains(&format!("{col} ")), "{col} not checked: {s}");
        }
        assert!(set.contains("pending_order_id = $24"), "{s}");
        assert!(cond.contains("created_at = $20"), "{s}");
    }
}
