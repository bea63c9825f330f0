-- SQLite twin of migrations/postgres/0003_interactive.sql: INTEGER for BIGINT.
-- Interactive flows: the authorization endpoint's sealed state needs a key every node shares,
-- single-use marks for login verifiers and authorization codes, refresh tokens, and the end
-- user behind a token.

-- Secrets the deployment generates for itself when the operator sets none (the key that seals
-- login challenges and authorization codes when TESSERA_ENCRYPTION_KEY is unset).
CREATE TABLE deployment_secrets (
    name       TEXT   NOT NULL,
    value      TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT deployment_secrets_name_key PRIMARY KEY (name)
);

-- Sealed, stateless flow artefacts (login verifiers, authorization codes) are single use: the
-- first use inserts the id; a second finds it. `tokens` lists what the first use issued (JSON),
-- so a replayed code can revoke it (RFC 6749 §4.1.2).
CREATE TABLE used_grants (
    id             TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL,
    kind           TEXT   NOT NULL,
    tokens         TEXT   NOT NULL,
    expires_at     INTEGER NOT NULL,
    CONSTRAINT used_grants_id_key PRIMARY KEY (id)
);
CREATE INDEX used_grants_expires_at_idx ON used_grants (expires_at);

-- A refresh token family: every token rotated from one authorization. Rotation and revocation
-- both update this row first, so they serialize: no successor outlives a revoked family.
-- `expires_at` bounds the whole family (RFC 9700 §4.14.2), however often it rotates.
CREATE TABLE refresh_families (
    id             TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL,
    client_id      TEXT   NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    rotated_at     INTEGER,
    revoked_at     INTEGER,
    CONSTRAINT refresh_families_id_key PRIMARY KEY (id)
);
CREATE INDEX refresh_families_client_idx ON refresh_families (auth_server_id, client_id);

-- Refresh tokens, stored by the SHA-256 of their value. A family is every token rotated from
-- one authorization; presenting a used one revokes the family (RFC 9700 §4.14.2).
CREATE TABLE refresh_tokens (
    id             TEXT   NOT NULL,
    family_id      TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL,
    client_id      TEXT   NOT NULL,
    subject        TEXT   NOT NULL,
    grant_state    TEXT   NOT NULL,
    access_token   TEXT   NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    revoked_at     INTEGER,
    CONSTRAINT refresh_tokens_id_key PRIMARY KEY (id)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client_idx ON refresh_tokens (auth_server_id, client_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- The end user a token was issued for, and the claims the login page gave for them (JSON),
-- which userinfo serves. Both are NULL for client_credentials tokens.
ALTER TABLE tokens ADD COLUMN subject TEXT;
ALTER TABLE tokens ADD COLUMN user_claims TEXT;
