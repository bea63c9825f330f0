#!/usr/bin/env bash
# The lookup API (POST /v2/directories/{id}/authenticate with an API key) at concurrency 32:
# with the directory's only principal, then after 99,999 more principals with one key each were
# added (straight into the database, by bench/lookup_fixture.py), presenting 1,000 of their keys
# (a gateway's hot callers) and then every one of the 100,000 keys in turn (each one's first
# lookup reads the database). The reference, in the same run, is RFC 7662 introspection of an
# ES256 token at the same concurrency: the issuer's other answer a gateway asks for per request.
# Prints lookups/s, latencies, the ratios, and the peak RSS. Binds to 127.0.0.1 only.
#
#   bash bench/lookups.sh                                  # SQLite, 10 s per run
#   BENCH_SECONDS=6 BENCH_BACKEND=postgres BENCH_PRINCIPALS=100000 bash bench/lookups.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
BACKEND=${BENCH_BACKEND:-sqlite}
PRINCIPALS=${BENCH_PRINCIPALS:-100000}
HOT=${BENCH_HOT_KEYS:-1000}
PORT=18093
source bench/common.sh

start_server lookups
threads=$(( 32 < CORES ? 32 : CORES ))
lookups() { # $1 = keys file; prints the RESULT line
  BENCH_KEYS="$1" BENCH_AUTH="Bearer $GATEWAY" wrk -t"$threads" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s \
    -s bench/lookup.lua "$BASE/v2/directories/$DIRECTORY/authenticate" | grep '^RESULT'
}
rps() { sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$1"; }
rss_now_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }

# The reference: introspection of an ES256 token by its client, at c=32.
server=$(api -X POST "$BASE/v1/auth-servers" -d '{"name":"reference","audience":"http://myhttpbin.dev","signing_algorithm":"ES256"}')
SERVER_ID=$(jq -r .id <<<"$server"); ISSUER=$(jq -r .issuer <<<"$server")
client=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d '{"name":"client1","grant_types":["client_credentials"],"allow_all_scopes":true,"access_token_duration":3600,"response_types":["token"]}')
CLIENT_ID=$(jq -r .id <<<"$client"); CLIENT_SECRET=$(jq -r .client_secret <<<"$client")
token=$(curl -sf -X POST "$ISSUER/oauth/token" -d "grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET" | jq -r .access_token)
basic="Basic $(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)"
reference=$(BENCH_BODY="token=$token" BENCH_AUTH="$basic" wrk -t"$threads" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s \
  -s bench/form.lua "$ISSUER/introspect" | grep '^RESULT')
echo "introspection (reference) c=32 $reference rss_mb=$(rss_now_mb)"

# A directory with one principal and one generated key, and a gateway credential for it.
DIRECTORY=$(api -X POST "$BASE/v2/directories" -d '{"name":"bench"}' | jq -r .id)
principal=$(api -X POST "$BASE/v2/directories/$DIRECTORY/principals" -d '{"display_name":"first","metadata":{"tier":"gold"}}' | jq -r .id)
api -X POST "$BASE/v2/directories/$DIRECTORY/principals/$principal/api-keys" -d '{"type":"v1"}' | jq -r .secret >"$WORK/one.txt"
GATEWAY=$(api -X POST "$BASE/v1/admin-credentials" -d "{\"name\":\"edge\",\"role\":\"gateway\",\"directory_ids\":[\"$DIRECTORY\"]}" | jq -r .token)

one=$(lookups "$WORK/one.txt")
echo "lookup, 1 principal, c=32 $one rss_mb=$(rss_now_mb)"

python3 bench/lookup_fixture.py "$DB_URL" "$DIRECTORY" $((PRINCIPALS - 1)) "$WORK/keys.txt"
shuf -n "$HOT" "$WORK/keys.txt" >"$WORK/hot.txt"
hot=$(lookups "$WORK/hot.txt")
echo "lookup, $PRINCIPALS principals, $HOT hot keys, c=32 $hot rss_mb=$(rss_now_mb)"
cold=$(lookups "$WORK/keys.txt")
echo "lookup, $PRINCIPALS principals, each of their keys in turn, c=32 $cold rss_mb=$(rss_now_mb)"

echo
echo "== lookups ($BACKEND, c=32)"
awk -v ref="$(rps "$reference")" -v one="$(rps "$one")" -v hot="$(rps "$hot")" -v cold="$(rps "$cold")" -v n="$PRINCIPALS" -v h="$HOT" 'BEGIN {
  printf "introspection (reference): %d/s\n", ref
  printf "1 principal: %d lookups/s = %.2fx introspection\n", one, one / ref
  printf "%d principals, %d hot keys: %d lookups/s = %.2fx introspection, %.2fx the 1-principal rate (target >= 10000/s, flat)\n", n, h, hot, hot / ref, hot / one
  printf "%d principals, every key in turn: %d lookups/s = %.2fx the 1-principal rate\n", n, cold, cold / one
}'
echo "peak RSS: $(peak_rss_mb) MB (target < 100 MB)"
