-- Principals (issue 15): the callers a directory knows, with metadata a gateway attaches to
-- requests. They go with their directory.
CREATE TABLE principals (
    directory_id   TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    labels         TEXT    NOT NULL,
    managed_by     TEXT    NOT NULL,
    provisioned_by TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT principals_id_key PRIMARY KEY (id),
    CONSTRAINT principals_directory_id_fkey FOREIGN KEY (directory_id) REFERENCES directories (id) ON DELETE CASCADE
);
CREATE INDEX principals_directory_id_idx ON principals (directory_id, created_at);
