-- Substring search over username, email and names: a trigram index on one lowered text, which
-- serves LIKE '%term%' for terms of three characters or more. The expression must stay the
-- same as the one the users query filters on.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search ON users USING gin ((lower(coalesce(username, '') || ' ' || email || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) gin_trgm_ops);
CREATE INDEX users_tenant_id ON users (tenant_id, id);
