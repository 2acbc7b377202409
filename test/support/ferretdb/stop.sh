#!/usr/bin/env bash
# Stop the FerretDB started by start.sh (the pid in .ferretdb/ferretdb.pid); a no-op if none runs.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PID_FILE="$(cd "$SRC_DIR/../../.." && pwd)/.ferretdb/ferretdb.pid"

[ -f "$PID_FILE" ] || exit 0
pid="$(cat "$PID_FILE")"
case "$pid" in '' | *[!0-9]*) rm -f "$PID_FILE"; exit 0 ;; esac

# Only signal the process if it is still our ferretdb binary (the pid may have been reused).
if kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= 2>/dev/null | grep -q "\.ferretdb/bin/ferretdb"; then
  kill -TERM "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  echo "stop.sh: stopped ferretdb (pid $pid)" >&2
fi
rm -f "$PID_FILE"
