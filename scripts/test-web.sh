#!/usr/bin/env bash
# The browser side's tests (part of scripts/test.sh): the page's modules and tests type-check (tsc), the
# committed rules module is fresh and within its size budget, the module's wasm-bindgen tests in headless
# Chromium, then the page end to end in Chromium against the real tokenbatch binary. A missing tool fails
# the run: scripts/setup.sh installs them (scripts/test.sh runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

missing=()
[[ -x /usr/bin/chromium ]] || missing+=("/usr/bin/chromium")
[[ -x /usr/bin/chromedriver ]] || missing+=("/usr/bin/chromedriver")
for tool in wasm-bindgen wasm-bindgen-test-runner node sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -d node_modules/playwright-core ]] || missing+=("node_modules/playwright-core (npm ci)")
[[ -x node_modules/.bin/tsc ]] || missing+=("node_modules/typescript (npm ci)")
if ((${#missing[@]})); then
  echo "test-web: missing ${missing[*]}: run 'bash scripts/setup.sh web' first" >&2
  exit 1
fi

# The page stays plain ES modules: JSDoc types, checked here and never compiled. A type error fails the run.
step "the page's modules type-check (tsc --noEmit: web/ strict, tests/web/ loosely)"
node_modules/.bin/tsc --noEmit -p web/jsconfig.json
node_modules/.bin/tsc --noEmit -p tests/web/jsconfig.json

step "web/pkg is a fresh build of crates/wasm, within the size budget"
bash scripts/build-wasm.sh --check

step "wasm-bindgen tests of the rules module in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p tokenbatch-wasm --target wasm32-unknown-unknown --locked

step "the page end to end in Chromium against the real server"
cargo build -p tokenbatch --locked
# The timed tests (scale.test.mjs: 3 000 and 100 000 tokens, each step under 2 s) run the optimized build, as an
# operator does; the others the debug build. Built with the benchmarks' package: alone, the binary's dependencies
# resolve with other features than tokenbatch-bench's, and CI's benchmark step (.ci/run) compiled the whole tree
# a second time; together, that step finds everything built.
cargo build --release -p tokenbatch -p tokenbatch-bench --locked
TOKENBATCH_BIN="${CARGO_TARGET_DIR:-target}/debug/tokenbatch" \
  TOKENBATCH_RELEASE_BIN="${CARGO_TARGET_DIR:-target}/release/tokenbatch" \
  node --test --test-concurrency=1 tests/web/
echo "screenshots: target/web-artifacts/ (page tests), target/web-screenshots/ (every screen at 1366x900 and 390x844, a11y.test.mjs)"
