#!/usr/bin/env python3
"""Adds principals, each with one imported API key, to a directory, straight into the
database (the API would take minutes for 100,000): the keys' lookup digests are computed as
Tessera does, HMAC-SHA256 under the installation's generated digest key, which the bench reads
from the database after one key was created through the API.

    lookup_fixture.py sqlite:///path/db.sqlite|postgres://… DIRECTORY_ID COUNT KEYS_OUT

Writes the presented keys, one per line, to KEYS_OUT.
"""
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid

url, directory_id, count, keys_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = int(time.time() * 1_000_000)


def rows(digest_key):
    for i in range(count):
        principal = str(uuid.uuid4())
        secret = f"bench-key-{i:06d}-{uuid.uuid4().hex}"
        digest = hmac.new(digest_key, secret.encode(), hashlib.sha256).hexdigest()
        meta = json.dumps({"tier": "gold" if i % 2 else "silver", "n": i})
        yield secret, (directory_id, principal, f"bulk-{i}", "", meta, "{}", "{}", "konnect_user", now, now), (
            directory_id, principal, str(uuid.uuid4()), "imported", digest, None, "{}", now, now)


PRINCIPALS = "INSERT INTO principals (directory_id, id, display_name, description, metadata, labels, managed_by, provisioned_by, created_at, updated_at)"
KEYS = "INSERT INTO api_keys (directory_id, principal_id, id, kind, lookup_digest, expires_at, managed_by, created_at, updated_at)"

if url.startswith("sqlite:"):
    import sqlite3
    path = url[len("sqlite://"):].split("?")[0]
    db = sqlite3.connect(path, timeout=30)
    (stored,) = db.execute("SELECT value FROM deployment_secrets WHERE name = 'api_key_digest_key'").fetchone()
    secrets, principals, keys = [], [], []
    for secret, p, k in rows(bytes.fromhex(stored)):
        secrets.append(secret); principals.append(p); keys.append(k)
    db.executemany(PRINCIPALS + " VALUES (?,?,?,?,?,?,?,?,?,?)", principals)
    db.executemany(KEYS + " VALUES (?,?,?,?,?,?,?,?,?)", keys)
    db.commit()
else:
    def psql(*args, **kw):
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, *args], check=True, text=True,
                              capture_output=True, **kw).stdout
    stored = psql("-At", "-c", "SELECT value FROM deployment_secrets WHERE name = 'api_key_digest_key'").strip()
    secrets, p_lines, k_lines = [], [], []
    null = "\\N"
    for secret, p, k in rows(bytes.fromhex(stored)):
        secrets.append(secret)
        p_lines.append("\t".join(str(v) for v in p))
        k_lines.append("\t".join(null if v is None else str(v) for v in k))
    copy_p = "COPY principals (directory_id, id, display_name, description, metadata, labels, managed_by, provisioned_by, created_at, updated_at) FROM STDIN"
    copy_k = "COPY api_keys (directory_id, principal_id, id, kind, lookup_digest, expires_at, managed_by, created_at, updated_at) FROM STDIN"
    psql("-c", copy_p, input="\n".join(p_lines) + "\n")
    psql("-c", copy_k, input="\n".join(k_lines) + "\n")

with open(keys_out, "w") as out:
    out.write("\n".join(secrets) + "\n")
