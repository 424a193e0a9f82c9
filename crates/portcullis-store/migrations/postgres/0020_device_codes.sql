-- The device authorization grant (RFC 8628): a device without a browser asks for a pair of
-- codes, a person signed in elsewhere enters the short one, and the device polls with the long
-- one. Both are stored only as SHA-256 hashes. Approval makes a new session for the device and
-- an oauth_grants row bound to it, so device tokens are a grant's family like the code flow's.
CREATE TABLE device_codes (
    device_code_hash  TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    application_id    TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    -- The hash of the user code as typed once normalised (upper case, no dash).
    user_code_hash    TEXT NOT NULL,
    -- A JSON array: the OIDC scopes asked for.
    scopes            TEXT NOT NULL,
    -- Where the device asked from: the session approval makes is listed with them.
    ip_address        TEXT,
    user_agent        TEXT,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    -- Seconds the device must wait between polls; slow_down adds 5 (RFC 8628 §3.5).
    interval_seconds  BIGINT NOT NULL,
    last_polled_at    BIGINT,
    -- Set by approval; the grant's user and session are the person's and the device's.
    grant_id          TEXT REFERENCES oauth_grants(id) ON DELETE CASCADE,
    denied_at         BIGINT,
    -- Set by the one redemption that wins.
    redeemed_at       BIGINT
);
-- The page looks a code up by what the person typed; two live codes never share it.
CREATE UNIQUE INDEX device_codes_user_code ON device_codes (tenant_id, user_code_hash);
-- Expired codes are purged a few at a time as new ones are made, oldest first.
CREATE INDEX device_codes_expiry ON device_codes (expires_at);
-- Deleting an application or a grant finds its codes by these, not by a scan.
CREATE INDEX device_codes_application ON device_codes (application_id);
CREATE INDEX device_codes_grant ON device_codes (grant_id);
