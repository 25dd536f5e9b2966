#!/usr/bin/env bash
# Stops the private PostgreSQL cluster scripts/postgres/start.sh STATE_DIR started (fast shutdown).
# usage: scripts/postgres/stop.sh STATE_DIR
set -euo pipefail

STATE=$1
[ -f "$STATE/data/postmaster.pid" ] || exit 0
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)")
[ -x "$BIN/pg_ctl" ] || BIN=$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")
OWNER=$(stat -c %U "$STATE/data")
if [ "$(id -u)" -eq 0 ]; then
  runuser -u "$OWNER" -- "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null
else
  "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null
fi
echo "postgres: stopped $STATE/data"
