#!/usr/bin/env bash
# Start the FerretDB stand-in MongoDB for the tests, on 127.0.0.1 only.
#   test/support/ferretdb/start.sh [PORT]        (default 27018)
# Builds .ferretdb/bin/ferretdb (build.sh: FerretDB with its _id lookups indexed) when missing or
# older than its sources, starts it in the background with a fresh SQLite data dir, waits
# (bounded) until the port answers, then prints
#   MONGODB_URL=mongodb://127.0.0.1:PORT/
# on stdout (everything else goes to stderr). The pid is in .ferretdb/ferretdb.pid; stop.sh ends it.
# Env: FERRETDB_WAIT_SECONDS (default 60), FERRETDB_LOG_LEVEL (default warn).
set -euo pipefail

PORT="${1:-27018}"
WAIT_SECONDS="${FERRETDB_WAIT_SECONDS:-60}"
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SRC_DIR/../../.." && pwd)"
STATE="$ROOT/.ferretdb"
BIN="$STATE/bin/ferretdb"
PID_FILE="$STATE/ferretdb.pid"
DATA="$STATE/data-$PORT"
LOG="$STATE/ferretdb-$PORT.log"

case "$PORT" in '' | *[!0-9]*) echo "start.sh: bad port '$PORT'" >&2; exit 2 ;; esac
mkdir -p "$STATE/bin"

# Build when missing or stale (any source newer than the binary).
stale=0
if [ ! -x "$BIN" ]; then
  stale=1
else
  for f in "$SRC_DIR/main.go" "$SRC_DIR/go.mod" "$SRC_DIR/go.sum" "$SRC_DIR/build.sh"; do
    if [ "$f" -nt "$BIN" ]; then stale=1; fi
  done
fi
if [ "$stale" = 1 ]; then
  echo "start.sh: building $BIN (the first build downloads modules and takes a minute or two)" >&2
  "$SRC_DIR/build.sh" "$BIN" >&2
fi

# One instance per work tree: stop a previous one that is still running.
"$SRC_DIR/stop.sh" >&2 || true

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
if port_answers; then
  echo "start.sh: 127.0.0.1:$PORT is already in use" >&2
  exit 1
fi

rm -rf "$DATA"
mkdir -p "$DATA"
nohup "$BIN" -listen-addr "127.0.0.1:$PORT" -data-dir "$DATA" \
  -log-level "${FERRETDB_LOG_LEVEL:-warn}" >"$LOG" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$PID_FILE"

deadline=$((SECONDS + WAIT_SECONDS))
until port_answers; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: ferretdb exited; log $LOG:" >&2
    cat "$LOG" >&2
    rm -f "$PID_FILE"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start.sh: ferretdb did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s; log $LOG" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    exit 1
  fi
  sleep 0.2
done

echo "MONGODB_URL=mongodb://127.0.0.1:$PORT/"
