-- Every node remembers token lookups for a few seconds. A change that can revoke or alter a
-- remembered principal is announced on the channel portcullis_principals, so every node forgets
-- it: the payload is the user's id, or '*' for a change that touches every principal. NOTIFY is
-- delivered at commit, and not at all on rollback, so a node never hears of a change before it
-- can read it. Identical notifications within one transaction are delivered once, so a cascade
-- of deleted sessions and tokens costs one message per user.
--
-- The argument names the column holding the user's id; without one, the change touches all.
CREATE FUNCTION portcullis_principals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS = 0 THEN
        PERFORM pg_notify('portcullis_principals', '*');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('portcullis_principals', to_jsonb(OLD) ->> TG_ARGV[0]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM pg_notify('portcullis_principals', to_jsonb(NEW) ->> TG_ARGV[0]);
    END IF;
    RETURN NULL;
END;
$$;

-- Recording use moves last_used_at and last_activity about once a minute per active session;
-- that changes nothing a remembered principal is judged by, so it is not announced.
CREATE TRIGGER tokens_principals_changed
    AFTER UPDATE ON tokens FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_used_at' IS DISTINCT FROM to_jsonb(NEW) - 'last_used_at')
    EXECUTE FUNCTION portcullis_principals_changed('user_id');
CREATE TRIGGER tokens_principals_deleted
    AFTER DELETE ON tokens FOR EACH ROW
    EXECUTE FUNCTION portcullis_principals_changed('user_id');

CREATE TRIGGER sessions_principals_changed
    AFTER UPDATE ON sessions FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_activity' IS DISTINCT FROM to_jsonb(NEW) - 'last_activity')
    EXECUTE FUNCTION portcullis_principals_changed('user_id');
CREATE TRIGGER sessions_principals_deleted
    AFTER DELETE ON sessions FOR EACH ROW
    EXECUTE FUNCTION portcullis_principals_changed('user_id');

CREATE TRIGGER users_principals_changed
    AFTER UPDATE OR DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION portcullis_principals_changed('id');

-- A lookup carries its tenant's settings, and what a role may do is judged from these tables:
-- rare administrative changes, so every node simply forgets everything.
CREATE TRIGGER tenants_principals_changed
    AFTER UPDATE OR DELETE ON tenants FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
CREATE TRIGGER roles_principals_changed
    AFTER UPDATE OR DELETE ON roles FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
CREATE TRIGGER permissions_principals_changed
    AFTER UPDATE OR DELETE ON permissions FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
CREATE TRIGGER permission_role_principals_changed
    AFTER INSERT OR DELETE ON permission_role FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
