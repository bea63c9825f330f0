#!/usr/bin/env bash
# The JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) against client_credentials
# for the same signing algorithm, at concurrency 32, in one run: for each of RS256 and ES256, the
# auth server signs with that algorithm and the trusted issuer's tokens (made by bench/assertions,
# keys inline so no fetch is measured) are signed with it too. The JWT bearer grant uses each
# assertion once; token exchange sends one of them as the subject token of every request (a
# gateway client whose policy accepts the trusted issuer, a subject token being reusable).
# Prints tokens/s, the ratios (target: within 30% of client_credentials) and the peak RSS.
# Binds to 127.0.0.1 only.
#
#   bash bench/federation.sh                      # SQLite, 10 s per run
#   BENCH_SECONDS=6 BENCH_BACKEND=postgres bash bench/federation.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
BACKEND=${BENCH_BACKEND:-sqlite}
PORT=18094
source bench/common.sh
THREADS=$(( 32 < CORES ? 32 : CORES ))
cargo build --release -q --manifest-path bench/assertions/Cargo.toml

start_server federation
rps() { sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$1"; }

for alg in RS256 ES256; do
  server=$(api -X POST "$BASE/v1/auth-servers" -d "{\"name\":\"federation-$alg\",\"audience\":\"http://myhttpbin.dev\",\"signing_algorithm\":\"$alg\"}")
  SERVER_ID=$(jq -r .id <<<"$server"); ISSUER=$(jq -r .issuer <<<"$server")
  scope=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/scopes" -d '{"name":"scope1"}' | jq -r .id)
  api -X POST "$BASE/v1/auth-servers/$SERVER_ID/claims" -d "{\"name\":\"claim1\",\"value\":\"claim1\",\"include_in_token\":true,\"include_in_scopes\":[\"$scope\"]}" >/dev/null
  client=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d "{\"name\":\"client1\",\"grant_types\":[\"client_credentials\"],\"allow_scopes\":[\"$scope\"],\"access_token_duration\":3600,\"response_types\":[\"token\"]}")
  CLIENT_ID=$(jq -r .id <<<"$client"); CLIENT_SECRET=$(jq -r .client_secret <<<"$client")

  # Enough assertions for the run at a generous rate; each is used once.
  count=$(( SECONDS_PER_RUN * 20000 ))
  bench/assertions/target/release/assertions "$alg" "$count" https://ci.example tessera repo:acme/billing:ref:refs/heads/main "$WORK"
  trusted=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/trusted-issuers" -d "{\"name\":\"ci\",\"issuer\":\"https://ci.example\",
    \"jwks\":$(cat "$WORK/jwks.json"),\"allowed_algorithms\":[\"$alg\"],\"audience\":\"tessera\",
    \"subjects\":[{\"subject\":\"repo:acme/*:ref:refs/heads/main\",\"client_id\":\"$CLIENT_ID\"}]}" | jq -r .id)
  gateway=$(api -X POST "$BASE/v1/auth-servers/$SERVER_ID/clients" -d "{\"name\":\"gateway\",\"grant_types\":[\"client_credentials\"],\"access_token_duration\":3600,\"response_types\":[\"token\"]}")
  GATEWAY_ID=$(jq -r .id <<<"$gateway"); GATEWAY_SECRET=$(jq -r .client_secret <<<"$gateway")
  api -X PUT "$BASE/v1/auth-servers/$SERVER_ID/clients/$GATEWAY_ID/token-exchange-policy" -d "{\"accept_own_tokens\":false,
    \"trusted_issuer_ids\":[\"$trusted\"],\"scopes\":[\"$scope\"],\"allow_scope_widening\":true}" >/dev/null

  body="grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&scope=scope1"
  curl -sf -X POST "$ISSUER/oauth/token" -d "$body" >/dev/null # warm the caches
  reference=$(BENCH_BODY="$body" wrk -t"$THREADS" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/form.lua "$ISSUER/oauth/token" | grep '^RESULT')
  echo "$alg client_credentials c=32 $reference"
  bearer=$(BENCH_ASSERTIONS="$WORK/assertions.txt" BENCH_THREADS="$THREADS" BENCH_EXTRA="&scope=scope1" \
    wrk -t"$THREADS" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/assertion.lua "$ISSUER/oauth/token" | grep '^RESULT')
  echo "$alg jwt-bearer c=32 $bearer"
  subject=$(tail -1 "$WORK/assertions.txt")
  exchange_body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=$subject"
  exchange_body+="&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&scope=scope1"
  exchange_body+="&client_id=$GATEWAY_ID&client_secret=$GATEWAY_SECRET"
  curl -sf -X POST "$ISSUER/oauth/token" -d "$exchange_body" >/dev/null || { echo "token exchange failed"; exit 1; }
  exchanged=$(BENCH_BODY="$exchange_body" wrk -t"$THREADS" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/form.lua "$ISSUER/oauth/token" | grep '^RESULT')
  echo "$alg token-exchange (one subject token) c=32 $exchanged"
  # Every request a subject token not seen before: each one's signature is checked.
  prefix="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&client_id=$GATEWAY_ID"
  prefix+="&client_secret=$GATEWAY_SECRET&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&subject_token="
  cold=$(BENCH_ASSERTIONS="$WORK/assertions.txt" BENCH_THREADS="$THREADS" BENCH_PREFIX="$prefix" BENCH_EXTRA="&scope=scope1" \
    wrk -t"$THREADS" -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/assertion.lua "$ISSUER/oauth/token" | grep '^RESULT')
  echo "$alg token-exchange (a new subject token each time) c=32 $cold"
  awk -v a="$alg" -v ref="$(rps "$reference")" -v got="$(rps "$bearer")" -v ex="$(rps "$exchanged")" -v cold="$(rps "$cold")" 'BEGIN {
    printf "%s: jwt-bearer %d tokens/s = %.2fx client_credentials %d/s (target >= 0.70x)\n", a, got, got / ref, ref
    printf "%s: token-exchange, one subject token %d tokens/s = %.2fx (target >= 0.70x)\n", a, ex, ex / ref
    printf "%s: token-exchange, new subject tokens %d tokens/s = %.2fx (target >= 0.70x)\n", a, cold, cold / ref }'
done
echo "peak RSS: $(peak_rss_mb) MB"
