-- SQLite twin of migrations/postgres/0019_resources_and_exchange_policies.sql.
-- Resources of an auth server (RFC 8707): the APIs a token can be for, each named by its URI,
-- with the auth server's scopes that belong to it. Token exchange policies (RFC 8693): at most
-- one per client, saying whose tokens it may exchange, for which audiences and scopes, and how.
-- Lists are JSON text, as elsewhere, since only the issuer's cached configuration reads them;
-- what they name is checked when they are written, and removed from them when it is deleted.
CREATE TABLE resources (
    id             TEXT    NOT NULL,
    auth_server_id TEXT    NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
    uri            TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    scopes         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT resources_id_key PRIMARY KEY (id),
    CONSTRAINT resources_auth_server_id_uri_key UNIQUE (auth_server_id, uri)
);

-- Gone with its client, and so with its auth server, as a client's secrets are.
CREATE TABLE token_exchange_policies (
    auth_server_id       TEXT    NOT NULL,
    client_id            TEXT    NOT NULL,
    accept_own_tokens    BOOLEAN NOT NULL,
    trusted_issuer_ids   TEXT    NOT NULL,
    audiences            TEXT    NOT NULL,
    scopes               TEXT    NOT NULL,
    allow_scope_widening BOOLEAN NOT NULL,
    allow_impersonation  BOOLEAN NOT NULL,
    allow_delegation     BOOLEAN NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    CONSTRAINT token_exchange_policies_auth_server_id_client_id_key PRIMARY KEY (auth_server_id, client_id),
    FOREIGN KEY (auth_server_id, client_id) REFERENCES clients (auth_server_id, id) ON DELETE CASCADE
);
