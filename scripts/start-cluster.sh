#!/usr/bin/env bash
# Starts a local movie-ratings cluster as separate processes: the tracker
# first (127.0.0.1:7400), then replicas r1..rN and the front end fe on
# 127.0.0.1 (front end 7500, replicas 7501..., their metrics 7601...), each
# registered with the tracker. Writes <node>.pid and <node>.log under the run
# directory (.hearsay/run, or $HEARSAY_RUN_DIR; the tracker's data in
# tracker/) and returns once every node is listening.
#
#   HEARSAY_REPLICAS=3                  how many replicas
#   HEARSAY_OVERLOAD_PROBABILITY=0      chance a replica refuses a request (demo: 0.2)
#   HEARSAY_RUN_DIR, HEARSAY_CERTS, HEARSAY_BIN   where things live
#   HEARSAY_TRACKER_PORT=7400, HEARSAY_FE_PORT=7500   the fixed ports
#
# scripts/add-replica.sh NAME adds a replica to the running cluster.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REPLICAS=${HEARSAY_REPLICAS:-3}
OVERLOAD=${HEARSAY_OVERLOAD_PROBABILITY:-0}

mkdir -p "$RUN_DIR"
nodes=(tracker fe)
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

fail() { "$(dirname "$0")/stop-cluster.sh" >/dev/null; exit 1; }

# The tracker first: the others register with it as they start.
start_node tracker tracker --listen "$HOST:$TRACKER_PORT" --data-dir "$RUN_DIR/tracker" --certs "$CERTS"
wait_listening tracker || fail

replica_flags=()
for i in $(seq 1 "$REPLICAS"); do replica_flags+=(--replica "r$i=$HOST:$((FE_PORT + i))"); done
# The voters of the forced order (the REPL's cas and fview): r1..r3, or
# every replica when fewer; add-replica.sh gives a new replica the same list.
VOTERS=$(seq -s, -f "r%g" 1 "$(( REPLICAS < 3 ? REPLICAS : 3 ))")
echo "$VOTERS" >"$RUN_DIR/voters"
for i in $(seq 1 "$REPLICAS"); do
  peers=()
  for j in $(seq 1 "$REPLICAS"); do
    [ "$i" = "$j" ] || peers+=(--peer "r$j=$HOST:$((FE_PORT + j))")
  done
  echo "$((FE_PORT + i))" >"$RUN_DIR/r$i.port"
  start_node "r$i" replica --name "r$i" --listen "$HOST:$((FE_PORT + i))" "${peers[@]}" \
    --overload-probability "$OVERLOAD" --certs "$CERTS" --data-dir "$RUN_DIR/data/r$i" \
    --http "$HOST:$((FE_PORT + 100 + i))" --tracker "$TRACKER_URL" --voters "$VOTERS"
done
start_node fe frontend --name fe --listen "$HOST:$FE_PORT" "${replica_flags[@]}" --certs "$CERTS" \
  --http "$HOST:$((FE_PORT + 100))" --data-dir "$RUN_DIR/data/fe" --tracker "$TRACKER_URL"

# Wait until every node says it is listening (each registered with the
# tracker first), or one of them dies.
for node in "${nodes[@]}"; do
  wait_listening "$node" || fail
done

echo "cluster running (logs and pids in $RUN_DIR):"
echo "  tracker       $TRACKER_URL"
echo "  front end fe  $HOST:$FE_PORT, status http://$HOST:$((FE_PORT + 100))/v1/status"
for i in $(seq 1 "$REPLICAS"); do
  echo "  replica r$i    $HOST:$((FE_PORT + i)), metrics http://$HOST:$((FE_PORT + 100 + i))/metrics"
done
echo "try: $BIN client --user 1 --certs $CERTS --tracker $TRACKER_URL"
