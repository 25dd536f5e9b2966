#!/usr/bin/env bash
# Stops what scripts/pcscd/start.sh started (and nothing else): its pcscd and its quickack route.
#
# usage: scripts/pcscd/stop.sh [STATE_DIR]      (the same STATE_DIR given to start.sh)
set -euo pipefail

STATE=${1:-/tmp/tapcard-pcscd}
SOCKET=/run/pcscd/pcscd.comm

if [ -f "$STATE/pcscd.pid" ]; then
  pid=$(cat "$STATE/pcscd.pid")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pcscd ]; then
    kill -TERM "$pid"                       # pcscd removes its socket on SIGTERM
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; rm -f "$SOCKET" /run/pcscd/pcscd.pid; fi
  fi
  rm -f "$STATE/pcscd.pid"
  echo "pcscd: stopped"
fi
if [ -f "$STATE/route-added" ]; then
  ip route del local 127.0.0.2/32 dev lo table local 2>/dev/null || true
  rm -f "$STATE/route-added"
  echo "pcscd: removed quickack route"
fi
