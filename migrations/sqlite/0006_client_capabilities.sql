-- SQLite twin of migrations/postgres/0006_client_capabilities.sql.
-- Capabilities an admin grants a client explicitly (issue 12, Security model in the README).
--
-- introspection_allowed: RFC 7662 §4, introspection reveals other clients' tokens only to the
-- resource servers the admin names. Existing clients keep the behaviour they had (every client
-- could introspect every token of its auth server); new and registered clients start without it.
ALTER TABLE clients ADD COLUMN introspection_allowed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE clients SET introspection_allowed = TRUE;
-- login_requests_answered_by_client: a client's own credentials may answer its own login
-- requests only when an admin says so. False for every client, existing ones included: the old
-- behaviour let any client sign in any user it named.
ALTER TABLE clients ADD COLUMN login_requests_answered_by_client BOOLEAN NOT NULL DEFAULT FALSE;
-- require_pkce: RFC 9700 §2.1.1, PKCE for confidential clients too. Off by default (Kong).
ALTER TABLE auth_servers ADD COLUMN require_pkce BOOLEAN NOT NULL DEFAULT FALSE;
