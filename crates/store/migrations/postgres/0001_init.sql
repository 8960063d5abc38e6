-- physconn schema, PostgreSQL dialect. Times are microseconds since the Unix epoch
-- (BIGINT); money is integer fen; ids are application-made TEXT. Every
-- statement is idempotent (IF NOT EXISTS): the migrator (store/src/postgres/migrate.rs)
-- records a version in the same transaction as its statements; with the
-- statements idempotent, a migration cut short anywhere is simply run again.

CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    balance_fen BIGINT NOT NULL,
    credit_limit_fen BIGINT NOT NULL,
    bypass_sp BOOLEAN NOT NULL,
    ledger_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS access_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    security_token TEXT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_keys_account ON access_keys (account_id);

CREATE TABLE IF NOT EXISTS circuits (
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
    bandwidth BIGINT NOT NULL,
    port_number TEXT NOT NULL,
    circuit_code TEXT NOT NULL,
    peer_location TEXT NOT NULL,
    ad_location TEXT NOT NULL,
    ad_detail_location TEXT NOT NULL,
    redundant_id TEXT NOT NULL,
    resource_group_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    enabled_at BIGINT,
    end_at BIGINT,
    charge_type TEXT,
    pending_order_id TEXT,
    auto_renew BOOLEAN NOT NULL,
    auto_renew_duration BIGINT NOT NULL,
    deleted_at BIGINT
);
-- Listing is per (account, region), newest first: a page costs the same with
-- 10 or 100,000 circuits.
CREATE INDEX IF NOT EXISTS circuits_listing ON circuits (account_id, region_id, created_at DESC, id);
CREATE INDEX IF NOT EXISTS circuits_account_status ON circuits (account_id, status);

CREATE TABLE IF NOT EXISTS circuit_tags (
    circuit_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (circuit_id, tag_key)
);
CREATE INDEX IF NOT EXISTS circuit_tags_kv ON circuit_tags (tag_key, tag_value);

CREATE TABLE IF NOT EXISTS circuit_events (
    id TEXT PRIMARY KEY,
    circuit_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    cause TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS circuit_events_circuit ON circuit_events (circuit_id, at);

CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    circuit_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    abnormal_reason TEXT,
    charge_type TEXT NOT NULL,
    period BIGINT NOT NULL,
    pricing_cycle TEXT NOT NULL,
    auto_renew BOOLEAN NOT NULL,
    auto_renew_duration BIGINT NOT NULL,
    port_type TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at BIGINT,
    cancelled_at BIGINT
);
CREATE INDEX IF NOT EXISTS orders_account ON orders (account_id, created_at);
CREATE INDEX IF NOT EXISTS orders_circuit ON orders (circuit_id);

CREATE TABLE IF NOT EXISTS ledger (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    balance_after_fen BIGINT NOT NULL,
    kind TEXT NOT NULL,
    order_id TEXT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, seq),
    -- at most one payment entry per order (docs/design/decisions.md#money)
    UNIQUE (order_id, kind)
);

CREATE TABLE IF NOT EXISTS idempotency (
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, action, token)
);
CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency (created_at);

CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY,
    circuit_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    expect_status TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
CREATE INDEX IF NOT EXISTS timers_circuit ON timers (circuit_id);

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
