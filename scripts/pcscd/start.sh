#!/usr/bin/env bash
# Starts a private pcscd whose only reader is vsmartcard-vpcd (docs/vpcd-pcscd.md, "pcscd"), in the
# background, and adds the quickack route for 127.0.0.2 (§4) when permitted. Reuses a pcscd that
# already serves vpcd. Stop with scripts/pcscd/stop.sh STATE_DIR.
#
# usage: scripts/pcscd/start.sh [STATE_DIR]     (default /tmp/tapcard-pcscd; holds pid, log, flags)
set -euo pipefail

STATE=${1:-/tmp/tapcard-pcscd}
CONF=$(cd "$(dirname "$0")/reader.conf.d" && pwd)   # pcscd rejects a relative -c directory
SOCKET=/run/pcscd/pcscd.comm
PIDFILE=/run/pcscd/pcscd.pid
VPCD_PORT_HEX=8C7B                                   # 35963, vpcd slot 0
mkdir -p "$STATE"

vpcd_listening() { grep -qE "^ *[0-9]+: [0-9A-F]+:${VPCD_PORT_HEX} [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
pcscd_pid() { tr -d '\0\n' 2>/dev/null <"$PIDFILE"; }   # pcscd ends its pid file with a NUL
pcscd_running() {
  local pid
  pid=$(pcscd_pid) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pcscd ]
}

# Quickack route: ~44 ms -> ~0.2 ms per APDU through Debian's vpcd (docs/vpcd-pcscd.md, "The 44 ms stall").
if ip route show table local 127.0.0.2/32 2>/dev/null | grep -q 'quickack 1'; then
  echo "pcscd: quickack route for 127.0.0.2 already present"
elif ip route replace local 127.0.0.2/32 dev lo table local quickack 1 2>/dev/null; then
  touch "$STATE/route-added"
  echo "pcscd: added quickack route; cards connect to 127.0.0.2:35963"
else
  echo "pcscd: cannot add the quickack route (needs CAP_NET_ADMIN); cards use 127.0.0.1 and pay ~44 ms per APDU" >&2
fi

if pcscd_running; then
  if vpcd_listening; then
    echo "pcscd: reusing running pcscd (pid $(pcscd_pid)), vpcd listens on 35963"
    exit 0
  fi
  echo "pcscd: a pcscd (pid $(pcscd_pid)) runs without the vpcd reader; stop it first" >&2
  exit 1
fi
# A SIGKILLed pcscd leaves its socket behind, which blocks the next start.
rm -f "$SOCKET" "$PIDFILE"

# No --auto-exit: it would quit after 60 s without PC/SC clients (docs/vpcd-pcscd.md, "pcscd").
pcscd --foreground --error -c "$CONF" >"$STATE/pcscd.log" 2>&1 &
echo $! >"$STATE/pcscd.pid"

for _ in $(seq 200); do   # ready: IPC socket + vpcd listener, ~0.1-0.3 s (docs/vpcd-pcscd.md, "pcscd")
  if [ -S "$SOCKET" ] && vpcd_listening; then
    echo "pcscd: started (pid $(cat "$STATE/pcscd.pid")), readers 'Virtual PCD 00 00' on 35963 and 'Virtual PCD 00 01' on 35964"
    exit 0
  fi
  if ! kill -0 "$(cat "$STATE/pcscd.pid")" 2>/dev/null; then break; fi
  sleep 0.05
done
echo "pcscd: did not become ready; its log:" >&2
cat "$STATE/pcscd.log" >&2
exit 1
