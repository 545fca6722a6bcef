#!/usr/bin/env bash
# Every example against a throwaway server: seeds a fresh SQLite file with `tokenbatch demo`, serves it on
# a free port of 127.0.0.1, runs the shell and Python examples, then stops the server. Safe to rerun; it
# touches nothing outside a temporary directory.
#   examples/try-it.sh        env: TOKENBATCH_BIN (default target/debug/tokenbatch, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${TOKENBATCH_BIN:-target/debug/tokenbatch}
if [[ ! -x "$binary" ]]; then
  cargo build -p tokenbatch --locked
fi
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server's own settings come from the flags below, not from the caller's environment.
unset SQL_DSN SQLITE_PATH PORT REDIS_CONN_STRING CORS_ALLOW_ORIGINS

"$binary" demo --sqlite "$work/demo.db" >"$work/demo.txt"
USER_ID=$(sed -n 's/^user id: *//p' "$work/demo.txt")
ACCESS_TOKEN=$(sed -n 's/^access token: *//p' "$work/demo.txt")
export USER_ID ACCESS_TOKEN

RUST_LOG=info "$binary" serve --sqlite "$work/demo.db" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  address=$(sed -n 's/.*ready on http:\/\/\([^ ]*\).*/\1/p' "$work/server.log" | head -n1)
  [[ -n "$address" ]] && break
  sleep 0.1
done
[[ -n "${address:-}" ]] || { cat "$work/server.log"; echo "the server did not start" >&2; exit 1; }
export TOKENBATCH_URL="http://$address"
echo "== server on $TOKENBATCH_URL, user $USER_ID"

echo "== examples/list-and-search.sh"
examples/list-and-search.sh "web%" 873
echo "== examples/batch-update.sh (the documented example)"
examples/batch-update.sh
echo "== examples/tokenbatch_client.py"
python3 examples/tokenbatch_client.py search --keyword "research%"
python3 examples/tokenbatch_client.py set-group default 869 873 --dry-run
python3 examples/tokenbatch_client.py get 869
echo "== all examples passed"
