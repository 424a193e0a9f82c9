-- OpenID Connect Back-Channel Logout. An application's backchannel_logout_uri (from its
-- metadata, kept here too so that ending a session can find who to tell in the same statement).
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT;
UPDATE applications SET backchannel_logout_uri = json_extract(metadata, '$.backchannel_logout_uri');

-- The outbox of logout notices: a row per application to tell that a session it received tokens
-- in has ended, written in the transaction that ends the session. A node claims a due row by
-- moving next_attempt_at forward (as mail_queue does), so one node delivers it. The session and
-- user are named, not referenced: deleting a user ends their sessions and must still tell.
CREATE TABLE logout_notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    -- The user's uid: the logout token's sub.
    subject         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    gave_up_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX logout_notices_due ON logout_notices (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
-- Finished notices are cleared away a few at a time, oldest first.
CREATE INDEX logout_notices_created ON logout_notices (created_at);
