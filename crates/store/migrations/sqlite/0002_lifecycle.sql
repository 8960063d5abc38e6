-- LOA applications, provisioning modes and faults
-- (docs/design/decisions.md#provider-simulator), and the columns the
-- billing side needs (metering, overdue accounts, renewal orders).
ALTER TABLE circuits ADD COLUMN loa TEXT;
ALTER TABLE circuits ADD COLUMN provisioning_mode TEXT;
ALTER TABLE circuits ADD COLUMN metered_until INTEGER;
ALTER TABLE accounts ADD COLUMN provisioning_mode TEXT;
ALTER TABLE accounts ADD COLUMN overdue_since INTEGER;
ALTER TABLE orders ADD COLUMN related_order_id TEXT;

CREATE TABLE faults (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    share_ppm INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
