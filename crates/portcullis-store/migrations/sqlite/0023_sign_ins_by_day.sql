-- The console counts a tenant's sign-ins per day (sessions by when they began): found by this
-- index, not a scan of every session.
CREATE INDEX sessions_tenant_created ON sessions (tenant_id, created_at);
