-- LOA applications, provisioning modes and faults
-- (docs/design/decisions.md#provider-simulator), and the columns the
-- billing side needs (metering, overdue accounts, renewal orders).
ALTER TABLE circuits ADD COLUMN IF NOT EXISTS loa TEXT;
ALTER TABLE circuits ADD COLUMN IF NOT EXISTS provisioning_mode TEXT;
ALTER TABLE circuits ADD COLUMN IF NOT EXISTS metered_until BIGINT;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS provisioning_mode TEXT;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS overdue_since BIGINT;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS related_order_id TEXT;

CREATE TABLE IF NOT EXISTS faults (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    remaining BIGINT NOT NULL,
    share_ppm BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
