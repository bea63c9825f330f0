-- SQLite twin of migrations/postgres/0002_issuer.sql: INTEGER for BIGINT, a rowid key for BIGSERIAL.
-- Issuer side: signing keys, issued tokens, revocations, and the change feed that keeps
-- every node's configuration cache correct.

-- One key per (auth server, algorithm) generation. The active key is the newest one that is
-- not retired and matches the auth server's algorithm; retired keys stay in the JWKS until
-- every token they signed has expired.
CREATE TABLE signing_keys (
    id             TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    algorithm      TEXT   NOT NULL,
    private_key    TEXT   NOT NULL,
    public_jwk     TEXT   NOT NULL,
    created_at     INTEGER NOT NULL,
    retired_at     INTEGER,
    CONSTRAINT signing_keys_id_key PRIMARY KEY (id)
);
CREATE INDEX signing_keys_auth_server_idx ON signing_keys (auth_server_id);

-- Issued access tokens, for the management API's token list; `id` is the JWT's jti. No foreign
-- key to clients: a per-row check on the token endpoint's hot path costs more than it guards;
-- deleting a client or auth server deletes its token rows in the same transaction instead.
CREATE TABLE tokens (
    id                  TEXT   NOT NULL,
    auth_server_id      TEXT   NOT NULL,
    client_id           TEXT   NOT NULL,
    granted_scope_names TEXT   NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    CONSTRAINT tokens_id_key PRIMARY KEY (id)
);
CREATE INDEX tokens_client_idx ON tokens (auth_server_id, client_id);
CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);

-- Revoked token ids until the token would have expired anyway.
CREATE TABLE revoked_tokens (
    id             TEXT   NOT NULL,
    auth_server_id TEXT   NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER NOT NULL,
    CONSTRAINT revoked_tokens_id_key PRIMARY KEY (id)
);
CREATE INDEX revoked_tokens_revoked_at_idx ON revoked_tokens (revoked_at);

-- Every write that a node may have cached appends here in the same transaction; nodes poll
-- it to invalidate. `kind` is 'server' (auth server, scopes, claims, keys) or 'client'
-- (a client and its secrets, `subject` = client id). `origin` names the writing node, for diagnosis.
CREATE TABLE changes (
    id             INTEGER PRIMARY KEY,
    auth_server_id TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    origin         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX changes_created_at_idx ON changes (created_at);
