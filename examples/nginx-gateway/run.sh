#!/usr/bin/env bash
# Runs nginx with this directory's nginx.conf, its placeholders filled in from the environment,
# in the foreground (Ctrl-C stops it). Everything binds where LISTEN says (127.0.0.1 by default).
#
#   DIRECTORY_ID=… GATEWAY_TOKEN=tsa_… bash examples/nginx-gateway/run.sh
#
# Optional: LISTEN (127.0.0.1:8000), TESSERA (127.0.0.1:8080), UPSTREAM (127.0.0.1:8001),
# PREFIX (a new temporary directory), NGINX_BIN (nginx on PATH, or /usr/sbin/nginx).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DIRECTORY_ID:?set DIRECTORY_ID to the directory whose principals may call}"
: "${GATEWAY_TOKEN:?set GATEWAY_TOKEN to an admin credential with role gateway}"
prefix=${PREFIX:-$(mktemp -d)}
nginx=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
# nginx's workers may run as another user: they need to reach the prefix, not read the config.
chmod 755 "$prefix"
umask 077
sed -e "s|@LISTEN@|${LISTEN:-127.0.0.1:8000}|g" \
    -e "s|@TESSERA@|${TESSERA:-127.0.0.1:8080}|g" \
    -e "s|@UPSTREAM@|${UPSTREAM:-127.0.0.1:8001}|g" \
    -e "s|@DIRECTORY_ID@|$DIRECTORY_ID|g" \
    -e "s|@GATEWAY_TOKEN@|$GATEWAY_TOKEN|g" \
    -e "s|@PREFIX@|$prefix|g" \
    "$here/nginx.conf" >"$prefix/nginx.conf"
"$nginx" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e stderr
exec "$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;'
