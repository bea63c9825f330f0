-- API keys of principals (issue 15). A key is stored only as its lookup digest,
-- HMAC-SHA256(server key, key): unique within a directory, so a presented key is found with
-- one indexed lookup and an imported key the directory holds already is refused (uniqueness
-- across directories would tell one directory's admin what another holds). They go with their
-- principal.
CREATE TABLE api_keys (
    directory_id  TEXT    NOT NULL,
    principal_id  TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    lookup_digest TEXT    NOT NULL,
    expires_at    BIGINT,
    managed_by    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT api_keys_id_key PRIMARY KEY (id),
    CONSTRAINT api_keys_directory_id_lookup_digest_key UNIQUE (directory_id, lookup_digest),
    CONSTRAINT api_keys_principal_id_fkey FOREIGN KEY (principal_id) REFERENCES principals (id) ON DELETE CASCADE
);
CREATE INDEX api_keys_principal_id_idx ON api_keys (principal_id, created_at);
