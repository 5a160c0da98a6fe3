#!/usr/bin/env bash
# Stops every node started by start-cluster.sh or add-replica.sh (SIGTERM,
# then SIGKILL after 5 seconds) and removes their pid files; the tracker
# last, so the others can deregister. Leaves the logs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stop_one() { # pid file
  local pidfile=$1 node pid
  node=$(basename "$pidfile" .pid)
  if alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pidfile" || break; sleep 0.05; done
    if alive "$pidfile"; then
      echo "$node did not stop in 5 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    stopped=$((stopped + 1))
  fi
  rm -f "$pidfile"
}

stopped=0
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
  [ "$(basename "$pidfile")" = tracker.pid ] && continue
  stop_one "$pidfile"
done
[ -e "$RUN_DIR/tracker.pid" ] && stop_one "$RUN_DIR/tracker.pid"
echo "stopped $stopped node(s)"
