-- Access tokens of the client_credentials grant are JWTs (RFC 9068), verified by their
-- signature wherever they are presented: nothing is written when one is issued. Revoking one
-- before it expires writes its jti here; every node keeps the whole (small) list in memory.
CREATE TABLE revoked_access_tokens (
    jti             TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- The token's own expiry: after it the entry means nothing and is cleared away.
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);
CREATE INDEX revoked_access_tokens_tenant ON revoked_access_tokens (tenant_id);
