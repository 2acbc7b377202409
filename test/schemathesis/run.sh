#!/usr/bin/env bash
# Runs schemathesis against the server's own OpenAPI document (/openapi.json): every documented
# operation gets generated requests, valid and invalid; the run fails on any 5xx
# (not_a_server_error) or on a response that does not match its documented schema
# (response_schema_conformance). Self-contained: installs schemathesis into .venv-schemathesis/,
# builds, loads the seed fixtures into a temporary DATA_DIR, serves on a free loopback port, and
# stops the server on exit. Extra arguments go to `st run` (e.g. --seed 1 or --max-examples 200).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-60}"
venv=.venv-schemathesis

if [[ ! -x "$venv/bin/st" ]] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

npm run build --silent

data_dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATA_DIR="$data_dir" PORT="$port" HOST=127.0.0.1 ISSUER="http://127.0.0.1:$port" LOG_LEVEL=warn
unset EVENTSTORE_URL MONGODB_URL

server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

node dist/cli/main.js fixtures load test_credentials test_scopes >/dev/null
node dist/cli/main.js serve > "$data_dir/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if node -e "fetch('http://127.0.0.1:$port/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited:" >&2
    cat "$data_dir/server.log" >&2
    exit 1
  fi
  sleep 0.2
done

set +e
# From the temporary directory, so that schemathesis's own cache (.schemathesis/) stays out of the repo.
st="$PWD/$venv/bin/st"
(cd "$data_dir" && "$st" run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --workers 2 \
  --auth testclient:testpassword \
  --request-timeout 15 \
  --generation-database none \
  --no-color \
  "$@")
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "--- server log ---" >&2
  tail -n 50 "$data_dir/server.log" >&2
fi
exit $status
