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
