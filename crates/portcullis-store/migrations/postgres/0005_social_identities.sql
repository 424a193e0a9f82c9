-- Accounts at social networks linked to users, by the network's own user id.
CREATE TABLE social_identities (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    network    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, network, subject)
);
CREATE INDEX social_identities_user ON social_identities (user_id);
