-- Basic-auth credentials of principals (issue 15): a username unique within its directory,
-- with at most two passwords (for rotation), stored only as Argon2id hashes. They go with
-- their principal, and passwords with their credential.
CREATE TABLE basic_auths (
    directory_id TEXT    NOT NULL,
    principal_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    managed_by   TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT basic_auths_id_key PRIMARY KEY (id),
    CONSTRAINT basic_auths_directory_id_username_key UNIQUE (directory_id, username),
    CONSTRAINT basic_auths_principal_id_fkey FOREIGN KEY (principal_id) REFERENCES principals (id) ON DELETE CASCADE
);
CREATE INDEX basic_auths_principal_id_idx ON basic_auths (principal_id, created_at);

CREATE TABLE basic_auth_passwords (
    basic_auth_id TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL,
    -- Microseconds since the epoch; NULL never expires.
    expires_at    BIGINT,
    managed_by    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT basic_auth_passwords_id_key PRIMARY KEY (id),
    CONSTRAINT basic_auth_passwords_basic_auth_id_fkey FOREIGN KEY (basic_auth_id) REFERENCES basic_auths (id) ON DELETE CASCADE
);
CREATE INDEX basic_auth_passwords_basic_auth_id_idx ON basic_auth_passwords (basic_auth_id, created_at);
