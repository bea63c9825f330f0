-- SQLite twin of migrations/postgres/0008_rate_limits.sql.
-- rate_limit_per_second: an auth server's own cap on token requests per second, enforced by each
-- node for its share (issue 13). A Tessera extension (Kong caps an auth server at 100 TPS);
-- NULL, the default and the value of every existing auth server, means unlimited.
ALTER TABLE auth_servers ADD COLUMN rate_limit_per_second INTEGER;
