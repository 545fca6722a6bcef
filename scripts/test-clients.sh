#!/usr/bin/env bash
# Tests with clients written elsewhere (part of scripts/test.sh), each against the real tokenbatch binary on
# 127.0.0.1 port 0 with a fresh database:
#   Python: grpcio stubs generated from proto/ now, grpcio-status details, grpcio-reflection, grpcio-health-
#           checking (also with PostgreSQL going away), jsonschema against /openapi.json, schemathesis, and
#           the operator's examples in examples/;
#   Node:   @grpc/grpc-js + @grpc/proto-loader, and connect-web over gRPC-Web in headless Chromium.
# A missing tool fails the run (scripts/setup.sh installs them; scripts/test.sh runs it first), and so does a
# test runner that ran no test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

venv=target/clients-venv
missing=()
[[ -x "$venv/bin/python" ]] || missing+=("$venv (Python virtualenv)")
[[ -x /usr/bin/chromium ]] || missing+=("/usr/bin/chromium")
for tool in node curl psql; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
for package in @grpc/grpc-js @grpc/proto-loader @connectrpc/connect-web @bufbuild/protobuf @bufbuild/buf esbuild playwright-core; do
  [[ -d "node_modules/$package" ]] || missing+=("node_modules/$package (npm ci)")
done
if ((${#missing[@]})); then
  echo "test-clients: missing ${missing[*]}: run 'bash scripts/setup.sh web clients'" >&2
  exit 1
fi

cargo build -p tokenbatch --locked
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$PWD/$target_dir"
export TOKENBATCH_BIN="$target_dir/debug/tokenbatch"
export PYTHONDONTWRITEBYTECODE=1

step "Python clients (tests/clients/python)"
status=0
"$venv/bin/python" -m pytest tests/clients/python || status=$?
if ((status == 5)); then
  echo "test-clients: pytest collected no test" >&2
  exit 1
elif ((status != 0)); then
  exit "$status"
fi

step "Node clients (tests/clients/node)"
node --test --test-concurrency=1 tests/clients/node/
