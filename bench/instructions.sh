#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable where wall-clock rates are
# not (this machine's cores are shared, and bench/run.sh varies by ±10% between runs). Counts N
# client_credentials token requests (ES256, the shape of Kong's client-credentials tutorial) and N introspections over one
# keep-alive connection, as a gateway would send them; setup and key generation are not counted.
# Compare two commits by running it on each.
#
#   bash bench/instructions.sh                # N=200, release build of the working tree
#   BENCH_REQUESTS=500 BENCH_BIN=/path/to/tessera bash bench/instructions.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${BENCH_REQUESTS:-200}
PORT=18191
BASE=http://127.0.0.1:$PORT
ADMIN=bench-admin-token-0123456789
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT

command -v valgrind >/dev/null || { echo "valgrind is required"; exit 1; }
if [[ -z "${BENCH_BIN:-}" ]]; then cargo build --release -q; BENCH_BIN=target/release/tessera; fi

TESSERA_LISTEN=127.0.0.1:$PORT TESSERA_ADMIN_TOKEN=$ADMIN DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" TESSERA_LOG=warn \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" "$BENCH_BIN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.5; done

api() { curl -sf -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" "$@"; }
server=$(api -X POST "$BASE/v1/auth-servers" -d '{"name":"instructions","audience":"http://myhttpbin.dev","signing_algorithm":"ES256"}')
SERVER_ID=$(jq -r .id <<<"$server"); ISSUER=$(jq -r .issuer <<<"$server")
scope=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/scopes" -d '{"name":"scope1"}' | jq -r .id)
api -X POST "$BASE/v1/auth-servers/$SERVER_ID/claims" -d "{\"name\":\"claim1\",\"value\":\"claim1\",\"include_in_token\":true,\"include_in_scopes\":[\"$scope\"]}" >/dev/null
client=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d "{\"name\":\"client1\",\"grant_types\":[\"client_credentials\"],\"allow_scopes\":[\"$scope\"],\"response_types\":[\"token\"]}")
CLIENT_ID=$(jq -r .id <<<"$client"); CLIENT_SECRET=$(jq -r .client_secret <<<"$client")
body="grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&scope=scope1"
token=$(curl -sf -X POST "$ISSUER/oauth/token" -d "$body" | jq -r .access_token) # warms the caches
curl -sf -u "$CLIENT_ID:$CLIENT_SECRET" -X POST "$ISSUER/introspect" -d "token=$token" >/dev/null
sleep 1

callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
python3 - "$ISSUER" "$body" "$CLIENT_ID" "$CLIENT_SECRET" "$token" "$N" <<'PY'
import base64, http.client, sys, urllib.parse
issuer, body, client_id, secret, token, n = sys.argv[1:6] + [int(sys.argv[6])]
url = urllib.parse.urlparse(issuer)
connection = http.client.HTTPConnection(url.hostname, url.port)
form = {"Content-Type": "application/x-www-form-urlencoded"}
basic = {**form, "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}
for path, payload, headers in [("/oauth/token", body, form), ("/introspect", "token=" + token, basic)]:
    for _ in range(n):
        connection.request("POST", url.path + path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
PY
callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

total=$(callgrind_annotate "$WORK/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "RESULT requests=$((2 * N)) instructions=$total per_request=$((total / (2 * N)))"
