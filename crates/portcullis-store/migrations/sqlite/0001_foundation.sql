-- Timestamps are BIGINT nanoseconds since the Unix epoch on both backends.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    domain      TEXT UNIQUE,
    settings    TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    display_name TEXT,
    description  TEXT,
    removable    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE permissions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    display_name TEXT,
    description  TEXT,
    removable    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE permission_role (
    permission_id BIGINT NOT NULL REFERENCES permissions(id) ON DELETE CASCADE,
    role_id       BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (permission_id, role_id)
);
CREATE INDEX permission_role_role ON permission_role (role_id);

-- Reference data shared by every tenant.
CREATE TABLE countries (
    id                BIGINT PRIMARY KEY,
    name              TEXT NOT NULL,
    full_name         TEXT,
    capital           TEXT,
    citizenship       TEXT,
    country_code      BIGINT NOT NULL,
    currency          TEXT,
    currency_code     TEXT,
    currency_sub_unit TEXT,
    currency_symbol   TEXT,
    iso_3166_2        TEXT NOT NULL UNIQUE,
    iso_3166_3        TEXT NOT NULL UNIQUE,
    region_code       BIGINT,
    sub_region_code   BIGINT,
    eea               BOOLEAN NOT NULL,
    calling_code      BIGINT
);

CREATE TABLE users (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    uid                     TEXT NOT NULL UNIQUE,
    tenant_id               TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username                TEXT,
    email                   TEXT NOT NULL,
    first_name              TEXT,
    last_name               TEXT,
    display_name            TEXT,
    phone                   TEXT,
    avatar                  TEXT,
    address                 TEXT,
    country_id              BIGINT REFERENCES countries(id),
    role_id                 BIGINT NOT NULL REFERENCES roles(id),
    birthday                TEXT,
    disabled                BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified_at       BIGINT,
    last_login              BIGINT,
    two_factor_country_code BIGINT,
    two_factor_phone        TEXT,
    two_factor_options      TEXT,
    metadata                TEXT NOT NULL DEFAULT '{}',
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email));
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, lower(username));
CREATE INDEX users_role ON users (role_id);

CREATE TABLE credentials (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    alg        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    metadata   TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip_address    TEXT,
    user_agent    TEXT,
    browser       TEXT,
    platform      TEXT,
    device        TEXT,
    client        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_activity BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    ended_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id   TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_session ON tokens (session_id);

CREATE TABLE activities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     BIGINT REFERENCES users(id) ON DELETE CASCADE,
    ip_address  TEXT,
    user_agent  TEXT,
    description TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX activities_user ON activities (user_id, created_at);
CREATE INDEX activities_tenant ON activities (tenant_id, created_at);
