-- Nodes remember which tenant owns each host name they were asked for (no tenant, for most);
-- a new tenant's domain changes that answer, so its creation is announced like any other
-- tenant change (see 0008).
CREATE TRIGGER tenants_principals_inserted
    AFTER INSERT ON tenants FOR EACH STATEMENT
    EXECUTE FUNCTION portcullis_principals_changed();
