-- BGP groups, peers and networks of virtual border routers: the columns
-- queries select on, and the whole object as a JSON document
-- (store/src/bgp.rs says why).
CREATE TABLE IF NOT EXISTS bgp_objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    vbr_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bgp_objects_vbr ON bgp_objects (vbr_id, created_at);
CREATE INDEX IF NOT EXISTS bgp_objects_owner ON bgp_objects (account_id, created_at);
