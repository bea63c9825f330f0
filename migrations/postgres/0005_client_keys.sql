-- The public keys (a JWK Set, JSON) of clients that authenticate with private_key_jwt
-- (RFC 7523 §2.2, OpenID Connect Core §9); NULL for every other client.
ALTER TABLE clients ADD COLUMN jwks TEXT;
