-- RAM users (sub-users of an account, each with a policy document), the key
-- to user binding, and the audit log.
CREATE TABLE ram_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    policy TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ram_users_name ON ram_users (account_id, name);

CREATE TABLE ram_user_keys (
    access_key_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL
);
CREATE INDEX ram_user_keys_user ON ram_user_keys (user_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    account_id TEXT,
    request_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_account ON audit_log (account_id, at);
