-- A user's second factor. A TOTP secret is kept readable because codes are computed from it;
-- last_totp_step makes each code usable once. confirmed_at is NULL while a TOTP enrolment
-- waits for its first code.
CREATE TABLE two_factor (
    user_id        BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    method         TEXT NOT NULL,
    totp_secret    TEXT,
    last_totp_step BIGINT,
    confirmed_at   BIGINT,
    created_at     BIGINT NOT NULL
);

-- Single-use recovery codes, stored as hashes.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A login waiting for its second factor; found by the hash of the challenge the client holds.
CREATE TABLE login_challenges (
    id_hash     TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT,
    client      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX login_challenges_user ON login_challenges (user_id);
