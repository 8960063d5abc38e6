-- Replay protection shared by every server on this database: a signed
-- request's (AccessKeyId, SignatureNonce) is claimed with one INSERT … ON
-- CONFLICT … DO UPDATE … WHERE the held row expired; expired rows are purged.
CREATE TABLE IF NOT EXISTS nonces (
    access_key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (access_key_id, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
