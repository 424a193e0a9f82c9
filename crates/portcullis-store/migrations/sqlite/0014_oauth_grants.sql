-- The OpenID Connect code flow. A grant is one authorization of an application by a person in a
-- browser session: its code, and every access and refresh token that code leads to, form one
-- family that is revoked together (a reused code, a reused refresh token). Secrets are stored
-- only as SHA-256 hashes.
CREATE TABLE oauth_grants (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Refresh works only while this session lives; ending it ends the grant's access tokens.
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    -- A JSON array: the OIDC scopes granted.
    scopes          TEXT NOT NULL,
    -- When the person signed in (OIDC auth_time).
    auth_time       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);

-- Authorization codes: single-use (used_at set by the one redemption that wins), short-lived.
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    nonce           TEXT,
    -- The PKCE S256 challenge, when the client sent one.
    code_challenge  TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX oauth_codes_grant ON oauth_codes (grant_id);
-- Grants whose code expired unredeemed are purged a few at a time, oldest first.
CREATE INDEX oauth_codes_unredeemed ON oauth_codes (expires_at) WHERE used_at IS NULL;

-- Refresh tokens, rotated on every use: used_at marks one that has been exchanged.
CREATE TABLE oauth_refresh_tokens (
    secret_hash     TEXT PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    used_at         BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- An access token issued through a grant names it, so a family is revoked in one statement.
ALTER TABLE tokens ADD COLUMN grant_id TEXT REFERENCES oauth_grants(id) ON DELETE CASCADE;
CREATE INDEX tokens_grant ON tokens (grant_id);

-- Tokens of the client_credentials grant: an application acting for itself, with no user, so
-- they live apart from the tokens table (whose rows all belong to a user).
CREATE TABLE oauth_client_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    secret_hash     TEXT NOT NULL,
    -- A JSON array of the tenant's registered scopes.
    scopes          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX oauth_client_tokens_application ON oauth_client_tokens (application_id);
