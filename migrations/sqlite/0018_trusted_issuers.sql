-- SQLite twin of migrations/postgres/0018_trusted_issuers.sql.
-- Trusted issuers of an auth server (issue 16, RFC 7523): identity providers outside Tessera
-- whose signed JWTs the JWT bearer grant will accept. Their keys are a JWK Set (`jwks`, JSON)
-- or a URL to fetch one from (`jwks_uri`), never both; lists and maps are JSON text, as
-- elsewhere, since only the issuer's cached configuration reads them.
CREATE TABLE trusted_issuers (
    id                 TEXT    NOT NULL,
    auth_server_id     TEXT    NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    issuer             TEXT    NOT NULL,
    jwks               TEXT,
    jwks_uri           TEXT,
    allowed_algorithms TEXT    NOT NULL,
    audience           TEXT    NOT NULL,
    max_token_age_secs INTEGER NOT NULL,
    subjects           TEXT    NOT NULL,
    claim_conditions   TEXT    NOT NULL,
    copy_claims        TEXT    NOT NULL,
    enabled            BOOLEAN NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT trusted_issuers_id_key PRIMARY KEY (id),
    CONSTRAINT trusted_issuers_auth_server_id_name_key UNIQUE (auth_server_id, name),
    CONSTRAINT trusted_issuers_auth_server_id_issuer_key UNIQUE (auth_server_id, issuer),
    CONSTRAINT trusted_issuers_one_key_source CHECK ((jwks IS NULL) <> (jwks_uri IS NULL))
);
