-- The console counts a tenant's sign-ins per day (sessions by when they began): found by this
-- index, not a scan of every session.
CREATE INDEX sessions_tenant_created ON sessions (tenant_id, created_at);
-- The console lists one role's holders of a tenant, newest first.
CREATE INDEX users_tenant_role ON users (tenant_id, role_id, id);
