-- Virtual border routers: the columns queries select and sort on, and the
-- whole object as a JSON document (store/src/vbr.rs says why).
CREATE TABLE vbrs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    circuit_owner_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    circuit_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX vbrs_owner ON vbrs (account_id, created_at);
CREATE INDEX vbrs_line_owner ON vbrs (circuit_owner_id, created_at);
CREATE INDEX vbrs_line ON vbrs (circuit_id, created_at);
