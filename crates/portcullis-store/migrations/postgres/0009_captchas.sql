-- Image captchas of document 002's token endpoint. The key is known only to the client that
-- asked for the image: a SHA-256 of it finds the row, and the answer is kept as a SHA-256 of
-- key and answer together. Rows are deleted an hour after they expire.
CREATE TABLE captchas (
    key_hash     TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    answer_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    -- Until when it can first be answered.
    expires_at   BIGINT NOT NULL,
    -- Set by the first right answer: until when that answer passes again.
    solved_until BIGINT,
    -- Set by a wrong answer or by the login it allowed.
    used_at      BIGINT
);

CREATE INDEX captchas_expires_at ON captchas (expires_at);
