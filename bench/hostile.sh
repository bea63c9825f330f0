#!/usr/bin/env bash
# Hostile mix: the valid client's client_credentials throughput at concurrency 32, first alone,
# then while bench/hostile.py sends 200 wrong-secret requests/s (for the same client id and for
# random ones), holds 500 idle connections and makes one admin write per second to the same auth
# server; then 50 parallel creations of one client name. Prints the ratios the targets are
# stated in and the peak RSS. Everything binds to 127.0.0.1 (attack traffic leaves from
# 127.0.0.2, so it is another source address than the valid load).
#
#   bash bench/hostile.sh                              # SQLite, RS256, 10 s per phase
#   BENCH_SECONDS=6 BENCH_ALG=ES256 BENCH_BACKEND=postgres bash bench/hostile.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ALG=${BENCH_ALG:-RS256}
BACKEND=${BENCH_BACKEND:-sqlite}
PORT=18092
source bench/common.sh

start_server hostile
server=$(api -X POST "$BASE/v1/auth-servers" -d "{\"name\":\"hostile\",\"audience\":\"http://myhttpbin.dev\",\"signing_algorithm\":\"$ALG\"}")
SERVER_ID=$(jq -r .id <<<"$server"); ISSUER=$(jq -r .issuer <<<"$server")
scope=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/scopes" -d '{"name":"scope1"}' | jq -r .id)
api -X POST "$BASE/v1/auth-servers/$SERVER_ID/claims" -d "{\"name\":\"claim1\",\"value\":\"claim1\",\"include_in_token\":true,\"include_in_scopes\":[\"$scope\"]}" >/dev/null
client=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d "{\"name\":\"client1\",\"grant_types\":[\"client_credentials\"],\"allow_scopes\":[\"$scope\"],\"access_token_duration\":3600,\"response_types\":[\"token\"]}")
CLIENT_ID=$(jq -r .id <<<"$client"); CLIENT_SECRET=$(jq -r .client_secret <<<"$client")
body="grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&scope=scope1"
curl -sf -X POST "$ISSUER/oauth/token" -d "$body" >/dev/null

valid_load() { BENCH_BODY="$body" wrk -t"$CORES" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/form.lua "$ISSUER/oauth/token" | grep '^RESULT'; }
field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }

echo "== $BACKEND $ALG: valid load alone (c=32, ${SECONDS_PER_RUN} s)"
calm=$(valid_load); echo "$calm"
echo "== the same load under attack"
python3 bench/hostile.py --base "$BASE" --issuer "$ISSUER" --admin "$ADMIN" --server-id "$SERVER_ID" \
  --client-id "$CLIENT_ID" --seconds $((SECONDS_PER_RUN + 3)) >"$WORK/attack.json" &
ATTACK_PID=$!
sleep 2 # let the idle connections and the first wrong secrets arrive
attacked=$(valid_load); echo "$attacked"
wait "$ATTACK_PID"
echo "attacker: $(cat "$WORK/attack.json")"
rss_attack=$(peak_rss_mb)

echo "== 50 parallel creations of one client name"
dupes=()
for _ in $(seq 50); do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" \
    -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d '{"name":"duplicate","grant_types":["client_credentials"],"response_types":["token"]}' >>"$WORK/dupes.txt" &
  dupes+=($!)
done
wait "${dupes[@]}"
sleep 1
echo "statuses: $(sort "$WORK/dupes.txt" | uniq -c | tr '\n' ' ')"
rss_final=$(peak_rss_mb)

echo
echo "== summary ($BACKEND, $ALG)"
awk -v c="$(field rps "$calm")" -v a="$(field rps "$attacked")" -v cp="$(field p99_ms "$calm")" -v ap="$(field p99_ms "$attacked")" \
    -v errors="$(( $(field non200 "$attacked") + $(field socket_errors "$attacked") ))" -v r1="$rss_attack" -v r2="$rss_final" 'BEGIN {
  printf "valid tokens/s under attack: %d of %d alone = %.0f%% (target >= 80%%)\n", a, c, 100 * a / c
  printf "valid p99 under attack: %.2f ms vs %.2f ms alone = %.1fx (target <= 3x)\n", ap, cp, ap / cp
  printf "valid-client errors under attack: %d (target 0)\n", errors
  printf "peak RSS: %d MB through the attack, %d MB after 50 duplicate creations (target < 100 MB)\n", r1, r2
}'
