-- Admin credentials scoped to directories (issue 15): the directory-admin and gateway roles,
-- and read-only credentials limited to some directories. JSON array of ids, or NULL for all.
ALTER TABLE admin_credentials ADD COLUMN directory_ids TEXT;
