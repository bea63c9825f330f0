-- Dynamic Client Registration (RFC 7591 / RFC 7592): each auth server's registration policy,
-- the initial access tokens that authorise registrations, and what a registration adds to an
-- ordinary client (its registration access token and the metadata the client model lacks).

-- One row per auth server that has ever been configured; no row means registration is off.
-- `policy` is a JSON document (see domain::registration::RegistrationPolicy).
CREATE TABLE registration_policies (
    auth_server_id TEXT   NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    policy         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT registration_policies_auth_server_id_key PRIMARY KEY (auth_server_id)
);

-- RFC 7591 §3: bearer tokens that authorise registrations, stored as SHA-256 digests.
-- `uses` counts registrations made with the token; `max_uses` and `expires_at` bound it.
CREATE TABLE initial_access_tokens (
    id             TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    token_digest   TEXT   NOT NULL,
    description    TEXT   NOT NULL,
    max_uses       BIGINT,
    uses           BIGINT NOT NULL,
    expires_at     BIGINT,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    CONSTRAINT initial_access_tokens_id_key PRIMARY KEY (id),
    CONSTRAINT initial_access_tokens_token_digest_key UNIQUE (token_digest)
);
CREATE INDEX initial_access_tokens_auth_server_idx ON initial_access_tokens (auth_server_id);

-- A dynamically registered client: deleting the client deletes its registration.
-- `metadata` is the RFC 7591 metadata Tessera's client model has no field for (JSON).
CREATE TABLE client_registrations (
    auth_server_id           TEXT   NOT NULL,
    client_id                TEXT   NOT NULL,
    access_token_digest      TEXT   NOT NULL,
    metadata                 TEXT   NOT NULL,
    initial_access_token_id  TEXT,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    CONSTRAINT client_registrations_auth_server_id_client_id_key PRIMARY KEY (auth_server_id, client_id),
    FOREIGN KEY (auth_server_id, client_id) REFERENCES clients (auth_server_id, id) ON DELETE CASCADE
);
