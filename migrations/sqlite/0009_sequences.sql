-- Revocations get a database-assigned sequence, so nodes follow them by `seq` (as they follow
-- `changes` by `id`) and never compare one node's clock with timestamps another node wrote.
-- SQLite cannot add an autoincrement column, so the table is rebuilt; AUTOINCREMENT never
-- reuses a value, even after the newest rows are purged.
CREATE TABLE revoked_tokens_seq (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL,
    auth_server_id TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER NOT NULL,
    CONSTRAINT revoked_tokens_id_key UNIQUE (id)
);
INSERT INTO revoked_tokens_seq (id, auth_server_id, expires_at, revoked_at)
    SELECT id, auth_server_id, expires_at, revoked_at FROM revoked_tokens ORDER BY revoked_at;
DROP TABLE revoked_tokens;
ALTER TABLE revoked_tokens_seq RENAME TO revoked_tokens;
CREATE INDEX revoked_tokens_revoked_at_idx ON revoked_tokens (revoked_at);
