-- Signing keys are published before they sign (issue 12). A key is
--   next     (activated_at NULL, retired_at NULL): in the JWKS, not signing yet; scheduled
--            rotation promotes it at activates_at;
--   current  (activated_at set, retired_at NULL): signs new tokens;
--   retired  (retired_at set): in the JWKS until the tokens it signed have expired.
ALTER TABLE signing_keys ADD COLUMN activated_at BIGINT;
ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT;

-- Every key so far began signing when it was created.
UPDATE signing_keys SET activated_at = created_at;

-- Two rotations racing on two nodes could leave two unretired keys; only the newest signed
-- since it was created, so the older ones retire at that moment.
UPDATE signing_keys
SET retired_at = (
    SELECT MAX(n.created_at) FROM signing_keys n
    WHERE n.auth_server_id = signing_keys.auth_server_id AND n.retired_at IS NULL
)
WHERE retired_at IS NULL AND EXISTS (
    SELECT 1 FROM signing_keys n
    WHERE n.auth_server_id = signing_keys.auth_server_id AND n.retired_at IS NULL
      AND (n.created_at > signing_keys.created_at OR (n.created_at = signing_keys.created_at AND n.id > signing_keys.id))
);

-- At most one current and one next key per auth server, whichever node writes.
CREATE UNIQUE INDEX signing_keys_one_current_key ON signing_keys (auth_server_id)
    WHERE retired_at IS NULL AND activated_at IS NOT NULL;
CREATE UNIQUE INDEX signing_keys_one_next_key ON signing_keys (auth_server_id)
    WHERE retired_at IS NULL AND activated_at IS NULL;
