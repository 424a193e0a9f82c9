-- Deleting an application (or its tenant) removes its grants: found by this index, not a scan.
CREATE INDEX oauth_grants_application ON oauth_grants (application_id);
