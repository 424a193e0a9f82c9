-- Access tokens of the client_credentials grant are JWTs (RFC 9068), verified by their
-- signature wherever they are presented: nothing is written when one is issued. Revoking one
-- before it expires writes its jti here; every node keeps the whole (small) list in memory.
CREATE TABLE revoked_access_tokens (
    jti             TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- The token's own expiry: after it the entry means nothing and is cleared away.
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);
CREATE INDEX revoked_access_tokens_tenant ON revoked_access_tokens (tenant_id);

-- Every node adds a revocation to its list: 'jwt <jti> <expires_at>' (nodes of the previous
-- release read any payload they do not know as '*', which forgets everything and is as safe).
CREATE FUNCTION portcullis_jwt_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portcullis_principals', 'jwt ' || NEW.jti || ' ' || NEW.expires_at);
    RETURN NULL;
END;
$$;
CREATE TRIGGER revoked_access_tokens_changed
    AFTER INSERT ON revoked_access_tokens FOR EACH ROW
    EXECUTE FUNCTION portcullis_jwt_revoked();

-- Nodes now remember applications (as clients authenticate) and the opened signing keys:
-- rare administrative changes, so every node forgets everything.
CREATE TRIGGER applications_principals_changed
    AFTER UPDATE OR DELETE ON applications FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
CREATE TRIGGER signing_keys_principals_changed
    AFTER INSERT OR UPDATE OR DELETE ON signing_keys FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
-- API keys are remembered too; recording their use once a minute is not announced.
CREATE TRIGGER api_keys_principals_changed
    AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_used_at' IS DISTINCT FROM to_jsonb(NEW) - 'last_used_at')
    EXECUTE FUNCTION portcullis_principals_changed();
CREATE TRIGGER api_keys_principals_deleted
    AFTER DELETE ON api_keys FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
-- And what a token's scopes mean, which the registered scopes decide.
CREATE TRIGGER scopes_principals_changed
    AFTER INSERT OR UPDATE OR DELETE ON scopes FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
