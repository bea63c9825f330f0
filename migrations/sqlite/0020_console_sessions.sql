-- Web console sessions (issue 17): a signed-in browser holds a random session token in an
-- HttpOnly cookie; only its SHA-256 is kept. A session belongs to one admin credential and to
-- the token it signed in with (token_hash): rotating or deleting the credential ends it.
CREATE TABLE console_sessions (
    id_hash       TEXT    NOT NULL,
    credential_id TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    CONSTRAINT console_sessions_id_hash_key PRIMARY KEY (id_hash),
    CONSTRAINT console_sessions_credential_id_fkey FOREIGN KEY (credential_id)
        REFERENCES admin_credentials (id) ON DELETE CASCADE
);
CREATE INDEX console_sessions_last_seen_at_idx ON console_sessions (last_seen_at);
CREATE INDEX console_sessions_credential_id_idx ON console_sessions (credential_id);
