-- physconn schema, SQLite dialect. Times are microseconds since the Unix epoch
-- (INTEGER); money is integer fen; ids are application-made TEXT.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    balance_fen INTEGER NOT NULL,
    credit_limit_fen INTEGER NOT NULL,
    bypass_sp BOOLEAN NOT NULL,
    ledger_seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE access_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    security_token TEXT,
    expires_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX access_keys_account ON access_keys (account_id);

CREATE TABLE circuits (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    access_point_id TEXT NOT NULL,
    status TEXT NOT NULL,
    business_status TEXT NOT NULL,
    loa_status TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    line_operator TEXT NOT NULL,
    port_type TEXT NOT NULL,
    bandwidth INTEGER NOT NULL,
    port_number TEXT NOT NULL,
    circuit_code TEXT NOT NULL,
    peer_location TEXT NOT NULL,
    ad_location TEXT NOT NULL,
    ad_detail_location TEXT NOT NULL,
    redundant_id TEXT NOT NULL,
    resource_group_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    enabled_at INTEGER,
    end_at INTEGER,
    charge_type TEXT,
    pending_order_id TEXT,
    auto_renew BOOLEAN NOT NULL,
    auto_renew_duration INTEGER NOT NULL,
    deleted_at INTEGER
);
-- Listing is per (account, region), newest first: a page costs the same with
-- 10 or 100,000 circuits.
CREATE INDEX circuits_listing ON circuits (account_id, region_id, created_at DESC, id);
CREATE INDEX circuits_account_status ON circuits (account_id, status);

CREATE TABLE circuit_tags (
    circuit_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (circuit_id, tag_key)
);
CREATE INDEX circuit_tags_kv ON circuit_tags (tag_key, tag_value);

CREATE TABLE circuit_events (
    id TEXT PRIMARY KEY,
    circuit_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    cause TEXT NOT NULL
);
CREATE INDEX circuit_events_circuit ON circuit_events (circuit_id, at);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    circuit_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    abnormal_reason TEXT,
    charge_type TEXT NOT NULL,
    period INTEGER NOT NULL,
    pricing_cycle TEXT NOT NULL,
    auto_renew BOOLEAN NOT NULL,
    auto_renew_duration INTEGER NOT NULL,
    port_type TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    paid_at INTEGER,
    cancelled_at INTEGER
);
CREATE INDEX orders_account ON orders (account_id, created_at);
CREATE INDEX orders_circuit ON orders (circuit_id);

CREATE TABLE ledger (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    balance_after_fen INTEGER NOT NULL,
    kind TEXT NOT NULL,
    order_id TEXT,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, seq),
    -- at most one payment entry per order (docs/design/decisions.md#money)
    UNIQUE (order_id, kind)
);

CREATE TABLE idempotency (
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, action, token)
);
CREATE INDEX idempotency_age ON idempotency (created_at);

CREATE TABLE timers (
    id TEXT PRIMARY KEY,
    circuit_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    expect_status TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);
CREATE INDEX timers_circuit ON timers (circuit_id);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
