# Sourced by the benchmark scripts: the tools they need, a scratch folder removed on exit, the
# release binary, and `start_server NAME`, which starts Tessera on 127.0.0.1:$PORT against a
# fresh SQLite file or Postgres database ($BACKEND) and samples its resident memory. The script
# sets PORT and BACKEND (sqlite or postgres) first.

PG_URL=${BENCH_POSTGRES_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=http://127.0.0.1:$PORT
ADMIN=bench-admin-token-0123456789
CORES=$(nproc)
WORK=$(mktemp -d)
SERVER_PID=""
SAMPLER_PID=""

command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }
command -v jq >/dev/null || apt-get install -y -q jq >/dev/null 2>&1 || true
cleanup() {
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  [[ -n "${PG_DB:-}" ]] && psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "${BENCH_BIN:-}" ]]; then cargo build --release -q; BENCH_BIN=target/release/tessera; fi

start_server() { # $1 = a name for the Postgres database; sets DB_URL
  case $BACKEND in
    sqlite) DB_URL="sqlite://$WORK/bench.db?mode=rwc" ;;
    postgres) PG_DB="tessera_$1_$$"; psql -q "$PG_URL" -c "CREATE DATABASE $PG_DB" >/dev/null; DB_URL="${PG_URL%/*}/$PG_DB" ;;
    *) echo "BENCH_BACKEND is sqlite or postgres"; exit 1 ;;
  esac
  TESSERA_LISTEN=127.0.0.1:$PORT TESSERA_ADMIN_TOKEN=$ADMIN DATABASE_URL="$DB_URL" TESSERA_LOG=warn "$BENCH_BIN" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "$BASE/readyz" >/dev/null || { cat "$WORK/server.log"; echo "server did not start"; exit 1; }
  # Peak resident memory, sampled every 200 ms for the whole run (VmHWM would include start-up).
  ( while kill -0 "$SERVER_PID" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null; sleep 0.2; done ) >"$WORK/rss.txt" &
  SAMPLER_PID=$!
}
peak_rss_mb() { sort -n "$WORK/rss.txt" | tail -1 | awk '{printf "%.0f", $1/1024}'; }
api() { curl -sf -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" "$@"; }
