#!/usr/bin/env bash
# Installs what the independent clients' tests (scripts/test-clients.sh) need on a fresh machine; safe to
# run again, each step only acts when something is missing or out of date:
#   curl (the shell examples) and psql (the Python health test creates its PostgreSQL database) from
#   Debian; a Python virtualenv at target/clients-venv with tests/clients/python/requirements.txt; the npm
#   packages of package-lock.json (grpc-js, proto-loader, connect-web, protobuf-es, buf, esbuild,
#   playwright-core). Chromium comes from .ci/setup-web.sh (Debian's package, never a downloaded browser).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  echo "setup-clients: apt-get install ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

venv=target/clients-venv
requirements=tests/clients/python/requirements.txt
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]]; then
  echo "setup-clients: pip install -r $requirements into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
fi

if [[ ! -x node_modules/.bin/buf || ! -d node_modules/@connectrpc/connect-web || ! -d node_modules/@grpc/grpc-js ]]; then
  npm ci --no-audit --no-fund
fi

"$venv/bin/python" -m pytest --version
node --version
node_modules/.bin/buf --version
