-- Browsers a person asked to remember after a second factor (hosted login pages): a login on
-- such a browser skips the second factor until the row expires or is forgotten. Only the
-- SHA-256 of the browser's cookie secret is kept; the row is bound to one user.
CREATE TABLE remembered_devices (
    secret_hash  TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX remembered_devices_user ON remembered_devices (user_id, expires_at);
