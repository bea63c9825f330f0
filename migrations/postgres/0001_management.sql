-- Management API resources. Constraint names follow `<table>_<columns>_key` so that
-- store::Error::Conflict names the violated key the same way on Postgres and SQLite.
-- Timestamps are microseconds since the Unix epoch; ids and JSON documents are TEXT.

CREATE TABLE admin_tokens (
    id          TEXT   NOT NULL,
    token_hash  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT admin_tokens_id_key PRIMARY KEY (id)
);

CREATE TABLE auth_servers (
    id                TEXT   NOT NULL,
    name              TEXT   NOT NULL,
    description       TEXT   NOT NULL,
    audience          TEXT   NOT NULL,
    signing_algorithm TEXT   NOT NULL,
    issuer_slug       TEXT   NOT NULL,
    labels            TEXT   NOT NULL,
    trusted_origins   TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CONSTRAINT auth_servers_id_key PRIMARY KEY (id),
    CONSTRAINT auth_servers_name_key UNIQUE (name),
    CONSTRAINT auth_servers_issuer_slug_key UNIQUE (issuer_slug)
);

CREATE TABLE scopes (
    id                  TEXT    NOT NULL,
    auth_server_id      TEXT    NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    is_default          BOOLEAN NOT NULL,
    include_in_metadata BOOLEAN NOT NULL,
    enabled             BOOLEAN NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    CONSTRAINT scopes_id_key PRIMARY KEY (id),
    CONSTRAINT scopes_auth_server_id_name_key UNIQUE (auth_server_id, name),
    CONSTRAINT scopes_auth_server_id_id_key UNIQUE (auth_server_id, id)
);

CREATE TABLE claims (
    id                    TEXT    NOT NULL,
    auth_server_id        TEXT    NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    value                 TEXT    NOT NULL,
    include_in_token      BOOLEAN NOT NULL,
    include_in_all_scopes BOOLEAN NOT NULL,
    enabled               BOOLEAN NOT NULL,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL,
    CONSTRAINT claims_id_key PRIMARY KEY (id)
);
CREATE INDEX claims_auth_server_id_idx ON claims (auth_server_id);

-- A claim's include_in_scopes; the composite reference keeps scopes inside the claim's auth server.
CREATE TABLE claim_scopes (
    claim_id       TEXT   NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    auth_server_id TEXT   NOT NULL,
    scope_id       TEXT   NOT NULL,
    position       BIGINT NOT NULL,
    CONSTRAINT claim_scopes_claim_id_scope_id_key PRIMARY KEY (claim_id, scope_id),
    FOREIGN KEY (auth_server_id, scope_id) REFERENCES scopes (auth_server_id, id) ON DELETE CASCADE
);
CREATE INDEX claim_scopes_scope_idx ON claim_scopes (auth_server_id, scope_id);

CREATE TABLE clients (
    auth_server_id             TEXT    NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    id                         TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    grant_types                TEXT    NOT NULL,
    response_types             TEXT    NOT NULL,
    redirect_uris              TEXT    NOT NULL,
    login_uri                  TEXT,
    access_token_duration      BIGINT  NOT NULL,
    id_token_duration          BIGINT  NOT NULL,
    allow_all_scopes           BOOLEAN NOT NULL,
    labels                     TEXT    NOT NULL,
    token_endpoint_auth_method TEXT    NOT NULL,
    created_at                 BIGINT  NOT NULL,
    updated_at                 BIGINT  NOT NULL,
    CONSTRAINT clients_auth_server_id_id_key PRIMARY KEY (auth_server_id, id),
    CONSTRAINT clients_auth_server_id_name_key UNIQUE (auth_server_id, name)
);

-- A client's allow_scopes, in the order given.
CREATE TABLE client_scopes (
    auth_server_id TEXT   NOT NULL,
    client_id      TEXT   NOT NULL,
    scope_id       TEXT   NOT NULL,
    position       BIGINT NOT NULL,
    CONSTRAINT client_scopes_auth_server_id_client_id_scope_id_key PRIMARY KEY (auth_server_id, client_id, scope_id),
    FOREIGN KEY (auth_server_id, client_id) REFERENCES clients (auth_server_id, id) ON DELETE CASCADE,
    FOREIGN KEY (auth_server_id, scope_id) REFERENCES scopes (auth_server_id, id) ON DELETE CASCADE
);
CREATE INDEX client_scopes_scope_idx ON client_scopes (auth_server_id, scope_id);

CREATE TABLE client_secrets (
    id             TEXT    NOT NULL,
    auth_server_id TEXT    NOT NULL,
    client_id      TEXT    NOT NULL,
    secret_hash    TEXT    NOT NULL,
    enabled        BOOLEAN NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    CONSTRAINT client_secrets_id_key PRIMARY KEY (id),
    FOREIGN KEY (auth_server_id, client_id) REFERENCES clients (auth_server_id, id) ON DELETE CASCADE
);
CREATE INDEX client_secrets_client_idx ON client_secrets (auth_server_id, client_id);
