#!/usr/bin/env bash
# A short scripted walk through the movie-ratings service, as the original
# system's instructions describe it: rate, view from another replica, take the
# replicas offline one by one until the service is busy, and bring them back.
# Starts a cluster (replicas overloaded 20% of the time, like the original) if
# none is running, and stops it again if it started it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=0
if ! ls "$RUN_DIR"/*.pid >/dev/null 2>&1; then
  HEARSAY_OVERLOAD_PROBABILITY=${HEARSAY_OVERLOAD_PROBABILITY:-0.2} "$(dirname "$0")/start-cluster.sh"
  started=1
fi
trap '[ $started = 1 ] && "$(dirname "$0")/stop-cluster.sh" >/dev/null' EXIT

step() {
  echo
  echo "## $1"; shift
  local args=()
  for cmd in "$@"; do echo "> $cmd"; args+=(--exec "$cmd"); done
  "$BIN" client --certs "$CERTS" --user 1 "${args[@]}" || true
}

step "user 1 looks at Toy Story, rates it, and looks again" \
  "view Toy Story" "rate Toy Story 4.5" "view Toy Story" "average Toy Story"
step "r1 goes offline; the other replicas already have the rating" \
  "change r1 offline" "view Toy Story"
step "r2 and r3 go offline too: nobody can serve" \
  "change r2 offline" "change r3 offline" "view Toy Story"
step "bring them back" \
  "change r1 online" "change r2 online" "change r3 online" "status"
