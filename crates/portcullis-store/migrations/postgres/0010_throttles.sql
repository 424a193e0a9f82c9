-- Login throttles: one fixed-window counter per bucket (`ip:<address>`, `user:<id>`, or
-- `login:<lowercased login>` for a login that names nobody). Kept in the database so that
-- every node counts the same attempts.
CREATE TABLE throttles (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    bucket      TEXT NOT NULL,
    hits        BIGINT NOT NULL,
    -- When the window, and with it the count, ends (nanoseconds since the epoch).
    window_ends BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, bucket)
);

-- Ended windows are swept now and then.
CREATE INDEX throttles_window_ends ON throttles (window_ends);
