#!/usr/bin/env bash
# Adds replica NAME to the cluster start-cluster.sh started, without
# restarting anyone: it takes the next free ports (QUIC 7500+i, metrics
# 7600+i; a name added before gets its old ports back), gets a replica
# certificate from the cluster's CA (`hearsay certs issue`, which needs
# ca.key in the certs directory) unless it has one, and is given only --tracker.
# It registers before it says it is listening, so when this script returns it
# is in GET /v1/peers; the other replicas take it as a gossip peer and the
# front end routes to it within a second or two (their next poll).
#
#   scripts/add-replica.sh r4
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NAME=${1:-}
if [ $# -ne 1 ] || ! [[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ ]]; then
  echo "usage: scripts/add-replica.sh NAME   (NAME: letters, digits, '-', '_' or '.', e.g. r4)" >&2
  exit 2
fi
case "$NAME" in
  fe|client|tracker) echo "$NAME is the name of another kind of node; pick a replica name such as r4" >&2; exit 2 ;;
esac
if ! alive "$RUN_DIR/tracker.pid"; then
  echo "no cluster is running in $RUN_DIR (no tracker); scripts/start-cluster.sh starts one" >&2
  exit 1
fi
if alive "$RUN_DIR/$NAME.pid"; then
  echo "replica $NAME is already running (pid $(cat "$RUN_DIR/$NAME.pid")); scripts/stop-cluster.sh stops the cluster" >&2
  exit 1
fi
ensure_binary

# Ports held by running replicas; NAME keeps its own if it had some.
taken=" "
for portfile in "$RUN_DIR"/*.port; do
  [ -e "$portfile" ] || continue
  node=$(basename "$portfile" .port)
  [ "$node" = "$NAME" ] && continue
  if alive "$RUN_DIR/$node.pid"; then taken="$taken$(cat "$portfile") "; fi
done
port=""
if [ -f "$RUN_DIR/$NAME.port" ] && [[ "$taken" != *" $(cat "$RUN_DIR/$NAME.port") "* ]]; then
  port=$(cat "$RUN_DIR/$NAME.port")
else
  for i in $(seq 1 98); do
    if [[ "$taken" != *" $((FE_PORT + i)) "* ]]; then port=$((FE_PORT + i)); break; fi
  done
fi
if [ -z "$port" ]; then
  echo "no free replica port between $((FE_PORT + 1)) and $((FE_PORT + 98))" >&2
  exit 1
fi
http=$((port + 100))
OVERLOAD=${HEARSAY_OVERLOAD_PROBABILITY:-0}

if [ ! -f "$CERTS/$NAME.pem" ] || [ ! -f "$CERTS/$NAME.key" ]; then
  "$BIN" certs issue "$NAME" --role replica --dir "$CERTS" >/dev/null
fi

echo "$port" >"$RUN_DIR/$NAME.port"
# The cluster's voters (start-cluster.sh wrote them): the new replica is a
# learner that forwards forced requests to their primary.
voters=()
if [ -s "$RUN_DIR/voters" ]; then voters=(--voters "$(cat "$RUN_DIR/voters")"); fi
start_node "$NAME" replica --name "$NAME" --listen "$HOST:$port" --tracker "$TRACKER_URL" \
  --overload-probability "$OVERLOAD" --certs "$CERTS" --data-dir "$RUN_DIR/data/$NAME" \
  --http "$HOST:$http" "${voters[@]}"
if ! wait_listening "$NAME" 30; then
  kill -TERM "$(cat "$RUN_DIR/$NAME.pid")" 2>/dev/null || true
  rm -f "$RUN_DIR/$NAME.pid"
  exit 1
fi
echo "replica $NAME added: $HOST:$port (QUIC), metrics http://$HOST:$http/metrics, registered with the tracker at $TRACKER_URL"
echo "see it: curl -s $TRACKER_URL/v1/peers   or   $BIN client --user 1 --certs $CERTS --exec status"
