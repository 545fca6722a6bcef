#!/usr/bin/env bash
# Installs what the web tests (scripts/test-web.sh) need on a fresh machine; safe to run again, each step
# only acts when its tool is missing or at the wrong version:
#   Debian's chromium + chromium-driver (never a downloaded browser), sqlite3 (the tests read the database
#   directly), a CJK font (legible Chinese in the screenshots); the wasm32 target; wasm-bindgen-cli at the
#   exact version crates/wasm pins; the npm packages of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
if ((${#missing[@]})); then
  echo "setup-web: apt-get install ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

rustup target add wasm32-unknown-unknown

pinned=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' crates/wasm/Cargo.toml)
if [[ -z "$pinned" ]]; then
  echo "setup-web: cannot read the pinned wasm-bindgen version from crates/wasm/Cargo.toml" >&2
  exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $pinned" ]]; then
  echo "setup-web: cargo install wasm-bindgen-cli $pinned"
  cargo install wasm-bindgen-cli --version "$pinned" --locked
fi

npm ci --no-audit --no-fund

/usr/bin/chromium --version
/usr/bin/chromedriver --version
wasm-bindgen --version
