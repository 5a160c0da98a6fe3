#!/usr/bin/env bash
# Starts a local movie-ratings cluster as separate processes: replicas r1..rN
# and the front end fe, on 127.0.0.1 (front end 7500, replicas 7501...).
# Writes <node>.pid and <node>.log under the run directory (.hearsay/run, or
# $HEARSAY_RUN_DIR) and returns once every node is listening.
#
#   HEARSAY_REPLICAS=3                  how many replicas
#   HEARSAY_OVERLOAD_PROBABILITY=0      chance a replica refuses a request (demo: 0.2)
#   HEARSAY_RUN_DIR, HEARSAY_CERTS, HEARSAY_BIN   where things live
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REPLICAS=${HEARSAY_REPLICAS:-3}
OVERLOAD=${HEARSAY_OVERLOAD_PROBABILITY:-0}
HOST=127.0.0.1
FE_PORT=7500

mkdir -p "$RUN_DIR"
nodes=(fe)
for i in $(seq 1 "$REPLICAS"); do nodes+=("r$i"); done
running=()
for node in "${nodes[@]}"; do
  if alive "$RUN_DIR/$node.pid"; then running+=("$node"); else rm -f "$RUN_DIR/$node.pid"; fi
done
if [ ${#running[@]} -eq ${#nodes[@]} ]; then
  echo "the cluster is already running (${running[*]}) in $RUN_DIR; scripts/stop-cluster.sh stops it"
  exit 0
fi
if [ ${#running[@]} -gt 0 ]; then
  echo "already running: ${running[*]}; starting the others"
fi

ensure_binary
names=""
for i in $(seq 1 "$REPLICAS"); do names="$names,r$i"; done
if [ ! -f "$CERTS/ca.pem" ]; then
  "$BIN" certs init --dir "$CERTS" --nodes "${names#,},fe,client,tracker" >/dev/null
  echo "made development certificates in $CERTS"
fi

start() { # name, then the command's arguments; skips a node that is running
  local name=$1; shift
  if alive "$RUN_DIR/$name.pid"; then return; fi
  nohup "$BIN" "$@" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

replica_flags=()
for i in $(seq 1 "$REPLICAS"); do replica_flags+=(--replica "r$i=$HOST:$((FE_PORT + i))"); done
for i in $(seq 1 "$REPLICAS"); do
  peers=()
  for j in $(seq 1 "$REPLICAS"); do
    [ "$i" = "$j" ] || peers+=(--peer "r$j=$HOST:$((FE_PORT + j))")
  done
  start "r$i" replica --name "r$i" --listen "$HOST:$((FE_PORT + i))" "${peers[@]}" \
    --overload-probability "$OVERLOAD" --certs "$CERTS" --data-dir "$RUN_DIR/data/r$i" \
    --http "$HOST:$((FE_PORT + 100 + i))"
done
start fe frontend --name fe --listen "$HOST:$FE_PORT" "${replica_flags[@]}" --certs "$CERTS" \
  --http "$HOST:$((FE_PORT + 100))" --data-dir "$RUN_DIR/data/fe"

# Wait until every node says it is listening, or one of them dies.
deadline=$((SECONDS + 15))
for pidfile in "$RUN_DIR"/*.pid; do
  node=$(basename "$pidfile" .pid)
  until grep -q "listening on" "$RUN_DIR/$node.log" 2>/dev/null; do
    if ! alive "$pidfile" || [ $SECONDS -ge $deadline ]; then
      echo "node $node did not start; its log ($RUN_DIR/$node.log) ends with:" >&2
      tail -n 5 "$RUN_DIR/$node.log" >&2 || true
      "$(dirname "$0")/stop-cluster.sh" >/dev/null
      exit 1
    fi
    sleep 0.05
  done
done

echo "cluster running (logs and pids in $RUN_DIR):"
echo "  front end fe  $HOST:$FE_PORT, status http://$HOST:$((FE_PORT + 100))/v1/status"
for i in $(seq 1 "$REPLICAS"); do
  echo "  replica r$i    $HOST:$((FE_PORT + i)), metrics http://$HOST:$((FE_PORT + 100 + i))/metrics"
done
echo "try: $BIN client --user 1 --certs $CERTS"
