-- What a person allowed an application to know (the OIDC scopes), asked for on the consent
-- screen: one row per person and application, widened as more is allowed, deleted when the
-- person withdraws it (which also revokes the application's grants of theirs).
CREATE TABLE consents (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    -- A JSON array of scopes.
    scopes          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, application_id)
);
CREATE INDEX consents_application ON consents (application_id);
-- Withdrawing revokes the person's grants of one application: found by this index.
CREATE INDEX oauth_grants_user_application ON oauth_grants (user_id, application_id);
