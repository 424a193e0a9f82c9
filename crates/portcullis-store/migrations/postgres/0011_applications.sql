-- Document 003's applications: a tenant's OIDC clients. The id is the client id. The secret is
-- kept as it was generated, because the management API shows it (as the document does).
CREATE TABLE applications (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    secret         TEXT NOT NULL,
    login_url      TEXT NOT NULL,
    -- JSON arrays of absolute URLs.
    logout_urls    TEXT NOT NULL,
    redirect_urls  TEXT NOT NULL,
    -- A JSON object of strings.
    metadata       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX applications_tenant ON applications (tenant_id, created_at, id);
