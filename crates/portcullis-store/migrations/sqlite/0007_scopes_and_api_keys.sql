-- Scopes a tenant's own applications define (document 000's backup app, say). Portcullis does
-- not enforce them; it grants them to tokens and reports them through introspection.
CREATE TABLE scopes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- Keys that services (resource servers, the management API) present. A NULL tenant reaches
-- every tenant. Only a SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- A user's personal tokens are listed among many login tokens.
CREATE INDEX tokens_user_kind ON tokens (user_id, kind);
