#!/usr/bin/env bash
# Starts a private PostgreSQL cluster in STATE_DIR (initdb + pg_ctl, no system service) listening
# on 127.0.0.1:PORT only, trust authentication for loopback: a sealed test machine, never a
# deployment (docs/deployment.md says how to run PostgreSQL for real). initdb refuses to run as
# root, so as root the cluster belongs to the 'postgres' system user (Debian's package creates it)
# or 'nobody'. Prints the connection URL on the last line. Stop with scripts/postgres/stop.sh STATE_DIR.
#
# usage: scripts/postgres/start.sh STATE_DIR [PORT]     (default port 15432)
set -euo pipefail

STATE=$(mkdir -p "$1" && cd "$1" && pwd)
PORT=${2:-15432}
# Debian keeps the server programs in /usr/lib/postgresql/<major>/bin, off PATH.
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)")
[ -x "$BIN/initdb" ] || BIN=$(dirname "$(command -v initdb || echo /nonexistent/initdb)")
[ -x "$BIN/initdb" ] || { echo "postgres: initdb not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi; }
OWNER=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  OWNER=$(getent passwd postgres >/dev/null && echo postgres || echo nobody)
  chown "$OWNER" "$STATE"
fi

if [ ! -f "$STATE/data/PG_VERSION" ]; then
  as_owner "$BIN/initdb" -D "$STATE/data" -U tapcard -A trust --no-sync -E UTF8 >"$STATE/initdb.log" 2>&1 ||
    { cat "$STATE/initdb.log" >&2; exit 1; }
fi
# fsync stays on: the link counters' durability is what the platform promises.
as_owner "$BIN/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1 ||
  as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c max_connections=200" start >/dev/null
as_owner psql -h 127.0.0.1 -p "$PORT" -U tapcard -d postgres -qAtc \
  "SELECT 1 FROM pg_database WHERE datname = 'tapcard'" | grep -q 1 ||
  as_owner createdb -h 127.0.0.1 -p "$PORT" -U tapcard tapcard
echo "postgres: cluster $STATE/data on 127.0.0.1:$PORT"
echo "postgres://tapcard@127.0.0.1:$PORT/tapcard"
