-- Revocations get a database-assigned sequence, so nodes follow them by `seq` (as they follow
-- `changes` by `id`) and never compare one node's clock with timestamps another node wrote.
ALTER TABLE revoked_tokens ADD COLUMN seq BIGSERIAL;
CREATE INDEX revoked_tokens_seq_idx ON revoked_tokens (seq);
