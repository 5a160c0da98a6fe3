#!/usr/bin/env bash
# Stops every node started by start-cluster.sh (SIGTERM, then SIGKILL after
# 5 seconds) and removes their pid files. Leaves the logs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stopped=0
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
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
done
echo "stopped $stopped node(s)"
