-- OAuth dynamic client registration (RFC 7591, RFC 7592).
--
-- Initial access tokens an operator hands out (`portcullis tenant registration-token create`):
-- each lets its holder register applications in one tenant until it expires or is revoked.
-- Only a SHA-256 of the secret is kept.
CREATE TABLE registration_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX registration_tokens_tenant ON registration_tokens (tenant_id, created_at);

-- An application that registered itself, with the hash of its registration access token: the
-- one credential that reads, replaces or deletes it at its registration_client_uri. Goes with
-- the application (and its tenant).
CREATE TABLE client_registrations (
    application_id     TEXT PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    access_token_hash  TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX client_registrations_tenant ON client_registrations (tenant_id);
