-- The audit log (issue 14): one row per change made through /v1 or the registration endpoints,
-- written in the transaction of that change, and one per (rate-limited) failed /v1
-- authentication. Rows outlive what they name, so no foreign keys; a background loop purges
-- them after TESSERA_AUDIT_RETENTION_DAYS. `changes` is a JSON list of
-- {"field", "old", "new"} or, for secrets, {"field", "redacted": true} (see domain::audit).
CREATE TABLE audit_events (
    id             TEXT   NOT NULL,
    occurred_at    BIGINT NOT NULL,
    actor_type     TEXT   NOT NULL,
    actor_id       TEXT   NOT NULL,
    actor_name     TEXT,
    action         TEXT   NOT NULL,
    resource_type  TEXT   NOT NULL,
    resource_id    TEXT   NOT NULL,
    auth_server_id TEXT,
    request_id     TEXT   NOT NULL,
    source         TEXT   NOT NULL,
    changes        TEXT   NOT NULL,
    CONSTRAINT audit_events_id_key PRIMARY KEY (id)
);
-- The list's filters: a time range (and the retention purge), one auth server's events (what a
-- scoped credential sees), one resource's history.
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_auth_server_idx ON audit_events (auth_server_id, occurred_at);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id, occurred_at);
