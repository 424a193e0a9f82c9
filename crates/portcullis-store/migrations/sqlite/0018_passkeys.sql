-- Passkeys and security keys (WebAuthn). `credential` is the verifier's own record of the key
-- (public key, counter, flags) as it serialised it; the columns beside it are what is shown
-- and searched. A credential id is unique within its tenant, so nobody can register a key
-- another account already holds.
CREATE TABLE passkeys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    credential_id   TEXT NOT NULL,
    user_handle     TEXT NOT NULL,
    credential      TEXT NOT NULL,
    aaguid          TEXT NOT NULL,
    sign_count      BIGINT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backed_up       BOOLEAN NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    metadata        TEXT NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_used_at    BIGINT
);
CREATE UNIQUE INDEX passkeys_tenant_credential ON passkeys (tenant_id, credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- WebAuthn ceremonies begun and not yet finished: any node may finish what another began, and
-- taking one deletes it, so each challenge is answered once. Only the SHA-256 of the handle the
-- client holds is kept.
CREATE TABLE webauthn_challenges (
    id_hash     TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ceremony    TEXT NOT NULL,
    user_id     BIGINT REFERENCES users(id) ON DELETE CASCADE,
    session_id  TEXT,
    binding     TEXT,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- How each session's person signed in (RFC 8176 `amr` values, space-separated), for ID tokens;
-- a second-factor challenge keeps the first factor's until it is answered.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE login_challenges ADD COLUMN amr TEXT NOT NULL DEFAULT '';
