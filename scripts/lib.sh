# Shared by the cluster scripts: paths and small helpers. Sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${HEARSAY_RUN_DIR:-$ROOT/.hearsay/run}
CERTS=${HEARSAY_CERTS:-$ROOT/certs}
BIN=${HEARSAY_BIN:-$ROOT/target/release/hearsay}

# The hearsay release binary, built if missing.
ensure_binary() {
  if [ ! -x "$BIN" ]; then
    echo "building the release binary (first run only; takes a few minutes)..." >&2
    (cd "$ROOT" && cargo build --release -p hearsay-cli) >&2
  fi
}

# Whether the process in pid file $1 is alive (a zombie, killed but not yet
# reaped, is not).
alive() {
  [ -f "$1" ] || return 1
  local pid state
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo "?")
  [ "$state" != "Z" ]
}

# The cluster's fixed addresses (start-cluster.sh, add-replica.sh).
HOST=127.0.0.1
FE_PORT=${HEARSAY_FE_PORT:-7500}
TRACKER_PORT=${HEARSAY_TRACKER_PORT:-7400}
TRACKER_URL="http://$HOST:$TRACKER_PORT"

# Waits until node $1's log says it is listening; fails (saying why, with
# the end of its log) if it dies or $2 seconds (default 15) pass.
wait_listening() {
  local node=$1 deadline=$((SECONDS + ${2:-15}))
  until grep -q "listening on" "$RUN_DIR/$node.log" 2>/dev/null; do
    if ! alive "$RUN_DIR/$node.pid" || [ $SECONDS -ge $deadline ]; then
      echo "node $node did not start; its log ($RUN_DIR/$node.log) ends with:" >&2
      tail -n 5 "$RUN_DIR/$node.log" >&2 || true
      return 1
    fi
    sleep 0.05
  done
}

# Starts node $1 in the background with the arguments that follow, its
# output in $RUN_DIR/$1.log and its pid in $RUN_DIR/$1.pid; skips a node
# that is running.
start_node() {
  local name=$1; shift
  if alive "$RUN_DIR/$name.pid"; then return; fi
  nohup "$BIN" "$@" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}
