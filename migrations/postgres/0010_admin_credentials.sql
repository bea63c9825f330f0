-- Admin credentials (issue 14): named bearer tokens for /v1, each with a role and optionally
-- scoped to listed auth servers. Tokens are stored as SHA-256 digests (high-entropy tokens need
-- no slow hash). The single admin token of earlier versions becomes the bootstrap credential, a
-- full admin with the nil id.
CREATE TABLE admin_credentials (
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    -- JSON array of auth server ids, or NULL for every auth server.
    auth_server_ids TEXT,
    token_hash      TEXT    NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at      BIGINT,
    last_used_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT admin_credentials_id_key PRIMARY KEY (id),
    CONSTRAINT admin_credentials_name_key UNIQUE (name),
    CONSTRAINT admin_credentials_token_hash_key UNIQUE (token_hash)
);

INSERT INTO admin_credentials (id, name, role, auth_server_ids, token_hash, enabled, expires_at, last_used_at,
                               created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', 'bootstrap', 'admin', NULL, token_hash, TRUE, NULL, NULL,
       created_at, created_at
FROM admin_tokens WHERE id = 'admin';

DROP TABLE admin_tokens;
