#!/usr/bin/env bash
# Token endpoint benchmark: one command, prints tokens/s and p50/p99 latency per backend,
# algorithm and concurrency, the machine's RSA-2048 signing rate, and the ratios the
# targets are stated in. Load and server share this machine's cores; everything binds to
# 127.0.0.1 and every run is bounded in time.
#
#   bash bench/run.sh                 # 10 s per run, SQLite and (if reachable) Postgres
#   BENCH_SECONDS=5 BENCH_BACKENDS=sqlite bash bench/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
CONCURRENCIES=${BENCH_CONCURRENCY:-"1 8 32 128"}
PG_URL=${BENCH_POSTGRES_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18090
BASE=http://127.0.0.1:$PORT
ADMIN=bench-admin-token-0123456789
CORES=$(nproc)
WORK=$(mktemp -d)
SERVER_PID=""

command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }
command -v jq >/dev/null || apt-get install -y -q jq >/dev/null 2>&1 || true

stop_server() { if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
cleanup() { stop_server; rm -rf "$WORK"; [[ -n "${PG_DB:-}" ]] && psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== building the release binary"
cargo build --release -q
BIN=target/release/tessera

echo "== machine: $CORES cores; openssl speed -multi $CORES rsa2048"
RSA_SIGN=$(openssl speed -multi "$CORES" -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}' | tail -1)
echo "RSA-2048 signatures/s (openssl, $CORES processes): $RSA_SIGN"
# The same rate through the libraries a Rust signer can use (bench/signers needs libssl-dev for
# the openssl crate; skipped when it does not build).
if cargo build --release -q --manifest-path bench/signers/Cargo.toml 2>/dev/null; then
  bench/signers/target/release/signers 3 | tee "$WORK/signers.txt"
else
  echo "bench/signers did not build (libssl-dev missing?); library comparison skipped"
fi

api() { curl -sf -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" "$@"; }

start_server() { # $1 = database url
  TESSERA_LISTEN=127.0.0.1:$PORT TESSERA_ADMIN_TOKEN=$ADMIN DATABASE_URL="$1" TESSERA_LOG=warn "$BIN" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do curl -sf "$BASE/readyz" >/dev/null && return 0; sleep 0.2; done
  cat "$WORK/server.log"; echo "server did not start"; exit 1
}

setup() { # $1 = algorithm; sets ISSUER CLIENT_ID CLIENT_SECRET SERVER_ID
  local server scope
  server=$(api -X POST "$BASE/v1/auth-servers" -d "{\"name\":\"bench-$1-$RANDOM\",\"audience\":\"http://myhttpbin.dev\",\"signing_algorithm\":\"$1\"}")
  SERVER_ID=$(jq -r .id <<<"$server"); ISSUER=$(jq -r .issuer <<<"$server")
  scope=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/scopes" -d '{"name":"scope1"}' | jq -r .id)
  api -X POST "$BASE/v1/auth-servers/$SERVER_ID/claims" -d "{\"name\":\"claim1\",\"value\":\"claim1\",\"include_in_token\":true,\"include_in_scopes\":[\"$scope\"]}" >/dev/null
  local client
  client=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d "{\"name\":\"client1\",\"grant_types\":[\"client_credentials\"],\"allow_scopes\":[\"$scope\"],\"access_token_duration\":3600,\"response_types\":[\"token\"]}")
  CLIENT_ID=$(jq -r .id <<<"$client"); CLIENT_SECRET=$(jq -r .client_secret <<<"$client")
}

load() { # $1 = url, $2 = concurrency, $3 = body, $4 = auth header; prints the RESULT line
  local threads=$(( $2 < CORES ? $2 : CORES ))
  BENCH_BODY="$3" BENCH_AUTH="${4:-}" wrk -t"$threads" -c"$2" -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/form.lua "$1" | grep '^RESULT'
}

rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }

report=()
for backend in $BACKENDS; do
  case $backend in
    sqlite) url="sqlite://$WORK/bench.db?mode=rwc" ;;
    postgres)
      if ! psql -q "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1; then echo "== postgres not reachable at $PG_URL; skipped"; continue; fi
      PG_DB="tessera_bench_$$"; psql -q "$PG_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
      url="${PG_URL%/*}/$PG_DB" ;;
  esac
  start_server "$url"
  for alg in RS256 ES256; do
    setup "$alg"
    body="grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&scope=scope1"
    curl -sf -X POST "$ISSUER/oauth/token" -d "$body" >/dev/null # warm the caches
    for c in $CONCURRENCIES; do
      line=$(load "$ISSUER/oauth/token" "$c" "$body")
      echo "$backend $alg token c=$c $line"
      report+=("$backend $alg token c=$c $line")
    done
    token=$(curl -sf -X POST "$ISSUER/oauth/token" -d "$body" | jq -r .access_token)
    basic="Basic $(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)"
    line=$(load "$ISSUER/introspect" 32 "token=$token" "$basic")
    echo "$backend $alg introspect c=32 $line"
    report+=("$backend $alg introspect c=32 $line")
  done
  # The same client's throughput once the auth server has 100,000 more clients.
  if [[ "${BENCH_MANY_CLIENTS:-100000}" -gt 0 ]]; then
    many=${BENCH_MANY_CLIENTS:-100000}
    bulk="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $many)
      INSERT INTO clients (auth_server_id, id, name, grant_types, response_types, redirect_uris, login_uri,
        access_token_duration, id_token_duration, allow_all_scopes, labels, token_endpoint_auth_method, created_at, updated_at)
      SELECT '$SERVER_ID', 'bulk' || i, 'bulk-' || i, '[\"client_credentials\"]', '[]', '[]', NULL, 300, 300, false, '{}',
        'client_secret_post', 0, 0 FROM n"
    case $backend in
      sqlite) sqlite3 "$WORK/bench.db" "$bulk" ;;
      postgres) psql -q "${PG_URL%/*}/$PG_DB" -c "$bulk" >/dev/null ;;
    esac
    line=$(load "$ISSUER/oauth/token" 32 "$body")
    echo "$backend ES256 token c=32 with $many more clients $line"
    report+=("$backend ES256 token c=32 with_${many}_clients $line")
  fi
  echo "$backend peak RSS: $(rss_mb) MB"
  report+=("$backend rss_mb=$(rss_mb)")
  stop_server
done

echo
echo "== summary (RSA-2048 sign rate on this machine: $RSA_SIGN/s)"
for line in "${report[@]}"; do echo "$line"; done | tee "$WORK/report.txt"
rs_best=$(grep ' RS256 token ' "$WORK/report.txt" | sed -E 's/.*rps=([0-9]+).*/\1/' | sort -n | tail -1)
es_best=$(grep ' ES256 token ' "$WORK/report.txt" | sed -E 's/.*rps=([0-9]+).*/\1/' | sort -n | tail -1)
intro=$(grep ' RS256 introspect ' "$WORK/report.txt" | sed -E 's/.*rps=([0-9]+).*/\1/' | sort -n | tail -1)
awk -v rs="$rs_best" -v es="$es_best" -v sign="$RSA_SIGN" -v intro="$intro" 'BEGIN {
  printf "RS256 best tokens/s %d = %.0f%% of the RSA-2048 sign rate (target >= 80%%)\n", rs, 100 * rs / sign
  printf "ES256 best tokens/s %d = %.1fx RS256 (target >= 4x)\n", es, es / rs
  printf "introspection (RS256) %d/s = %.1fx the RS256 token rate (target >= 3x)\n", intro, intro / rs
}'

# The lookup API with 100,000 principals (bench/lookups.sh) on each backend; BENCH_LOOKUPS=0 skips it.
if [[ "${BENCH_LOOKUPS:-1}" != 0 ]]; then
  for backend in $BACKENDS; do
    echo
    BENCH_BIN=$BIN BENCH_BACKEND=$backend bash bench/lookups.sh
  done
fi

# The hostile mix (bench/hostile.sh) on the first backend; BENCH_HOSTILE=0 skips it.
if [[ "${BENCH_HOSTILE:-1}" != 0 ]]; then
  echo
  BENCH_BIN=$BIN BENCH_BACKEND=${BACKENDS%% *} bash bench/hostile.sh
fi
