-- Deleting an application (or its tenant) removes its grants: found by this index, not a scan.
CREATE INDEX oauth_grants_application ON oauth_grants (application_id);
-- Expired client_credentials tokens are cleared away as new ones are made, oldest first.
CREATE INDEX oauth_client_tokens_expiry ON oauth_client_tokens (expires_at);
