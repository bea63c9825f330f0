-- Directories (issue 15): Kong Identity's v2 grouping of principals, with the realm
-- configuration a Kong data plane reads. JSON columns hold lists and maps; names are unique.
CREATE TABLE directories (
    id                       TEXT    NOT NULL,
    name                     TEXT    NOT NULL,
    description              TEXT    NOT NULL,
    allowed_control_planes   TEXT    NOT NULL,
    allow_all_control_planes BOOLEAN NOT NULL,
    ttl_secs                 INTEGER NOT NULL,
    negative_ttl_secs        INTEGER NOT NULL,
    labels                   TEXT    NOT NULL,
    managed_by               TEXT    NOT NULL,
    realm_ttl                INTEGER NOT NULL,
    realm_negative_ttl       INTEGER NOT NULL,
    realm_consumer_groups    TEXT    NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    CONSTRAINT directories_id_key PRIMARY KEY (id),
    CONSTRAINT directories_name_key UNIQUE (name)
);
