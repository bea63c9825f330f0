-- Identities of principals (issue 15): what links a caller a gateway sees to its principal.
-- lookup_key is the SHA-256 of the type's parts (domain::identity::IdentityKey::lookup_key):
-- a key belongs to one principal of a directory. An auth_server_client identity goes with its
-- client (the composite key is NULL, and so unchecked, for the other types).
CREATE TABLE identities (
    directory_id   TEXT    NOT NULL,
    principal_id   TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    lookup_key     TEXT    NOT NULL,
    details        TEXT    NOT NULL,
    auth_server_id TEXT,
    client_id      TEXT,
    labels         TEXT    NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT identities_id_key PRIMARY KEY (id),
    CONSTRAINT identities_principal_id_fkey FOREIGN KEY (principal_id) REFERENCES principals (id) ON DELETE CASCADE,
    CONSTRAINT identities_client_fkey FOREIGN KEY (auth_server_id, client_id)
        REFERENCES clients (auth_server_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX identities_directory_id_type_lookup_key_key ON identities (directory_id, type, lookup_key);
CREATE INDEX identities_principal_id_idx ON identities (principal_id, created_at);
CREATE INDEX identities_client_idx ON identities (auth_server_id, client_id);
-- Lookups across directories (principal_for_identity without one).
CREATE INDEX identities_lookup_key_idx ON identities (lookup_key);
