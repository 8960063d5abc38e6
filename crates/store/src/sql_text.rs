//! The statement texts and column lists shared by every backend: column
//! orders, `INSERT`/`UPDATE` texts built once per process, and the macros
//! that bind a row's values in column order. Used by `impl_txops!`.

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
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
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

/// Statement texts, built once per process.
pub(crate) struct Statements {
    pub insert_account: String,
    pub update_account: String,
    pub insert_key: String,
    pub update_key: String,
    pub insert_circuit: String,
    pub update_circuit: String,
    pub insert_order: String,
    pub update_order: String,
    pub insert_ledger: String,
    pub insert_timer: String,
    pub insert_event: String,
    pub insert_idem: String,
    pub insert_fault: String,
    pub select_circuit: String,
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
        Statements {
            insert_account: ins("accounts", ACCOUNT_COLS),
            update_account: upd("accounts", ACCOUNT_COLS),
            insert_key: ins("access_keys", KEY_COLS),
            update_key: upd("access_keys", KEY_COLS),
            insert_circuit: ins("circuits", CIRCUIT_COLS),
            update_circuit: upd("circuits", CIRCUIT_COLS),
            insert_order: ins("orders", ORDER_COLS),
            update_order: upd("orders", ORDER_COLS),
            insert_ledger: ins("ledger", LEDGER_COLS),
            insert_timer: ins("timers", TIMER_COLS),
            insert_event: ins("circuit_events", EVENT_COLS),
            insert_idem: ins("idempotency", IDEM_COLS),
            insert_fault: ins("faults", FAULT_COLS),
            select_circuit: format!("SELECT {CIRCUIT_COLS} FROM circuits WHERE id = $1"),
        }
    })
}

/// Binds a circuit's columns in `CIRCUIT_COLS` order.
macro_rules! bind_circuit {
    ($q:expr, $c:expr) => {{
        let c = $c;
        $q.bind(&c.id)
            .bind(&c.account_id)
            .bind(&c.region_id)
            .bind(&c.access_point_id)
            .bind(c.status.as_str())
            .bind(c.business_status.as_str())
            .bind(c.loa_status.map(|s| s.as_str()))
            .bind(&c.name)
            .bind(&c.description)
            .bind(c.line_operator.as_str())
            .bind(c.port_type.as_str())
            .bind(c.bandwidth)
            .bind(&c.port_number)
            .bind(&c.circuit_code)
            .bind(&c.peer_location)
            .bind(&c.ad_location)
            .bind(&c.ad_detail_location)
            .bind(&c.redundant_id)
            .bind(&c.resource_group_id)
            .bind(us(c.created_at))
            .bind(ous(c.enabled_at))
            .bind(ous(c.end_at))
            .bind(c.charge_type.map(|s| s.as_str()))
            .bind(c.pending_order_id.as_deref())
            .bind(c.auto_renew)
            .bind(c.auto_renew_duration)
            .bind(ous(c.deleted_at))
            .bind(c.loa.as_ref().and_then(|l| serde_json::to_string(l).ok()))
            .bind(c.provisioning_mode.map(|m| m.as_str()))
            .bind(ous(c.metered_until))
    }};
}

macro_rules! bind_order {
    ($q:expr, $o:expr) => {{
        let o = $o;
        $q.bind(&o.id)
            .bind(&o.account_id)
            .bind(&o.circuit_id)
            .bind(&o.region_id)
            .bind(o.kind.as_str())
            .bind(o.status.as_str())
            .bind(o.abnormal_reason.as_deref())
            .bind(o.charge_type.as_str())
            .bind(o.period)
            .bind(o.pricing_cycle.as_str())
            .bind(o.auto_renew)
            .bind(o.auto_renew_duration)
            .bind(o.port_type.as_str())
            .bind(o.amount.0)
            .bind(&o.currency)
            .bind(us(o.created_at))
            .bind(ous(o.paid_at))
            .bind(ous(o.cancelled_at))
            .bind(o.related_order_id.as_deref())
    }};
}

macro_rules! bind_account {
    ($q:expr, $a:expr) => {{
        let a = $a;
        $q.bind(&a.id)
            .bind(&a.name)
            .bind(a.balance.0)
            .bind(a.credit_limit.0)
            .bind(a.bypass_sp)
            .bind(a.ledger_seq)
            .bind(us(a.created_at))
            .bind(a.provisioning_mode.map(|m| m.as_str()))
            .bind(ous(a.overdue_since))
    }};
}

pub(crate) use {bind_account, bind_circuit, bind_order};
