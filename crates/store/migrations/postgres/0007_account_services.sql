-- Account-wide services an account has switched on, one row each (e.g.
-- 'pconn_traffic' by OpenPhysicalConnectionService). A service cannot be
-- switched off, so a row is only ever inserted; the primary key makes a
-- second opening a no-op the caller can see (docs/design/decisions.md#account-services).
CREATE TABLE IF NOT EXISTS account_services (
    account_id TEXT NOT NULL,
    service TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, service)
);
