-- Uploaded avatars, re-encoded, served at /api/avatars/{name}. Kept in the database so that
-- every node can serve every avatar.
CREATE TABLE avatars (
    name         TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX avatars_user ON avatars (user_id);
