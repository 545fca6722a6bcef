#!/usr/bin/env bash
# docs/SPEC.md §8, validation in the browser: the rules' WebAssembly module (the committed web/pkg/) on the
# 10 000-id body with every field in headless Chromium, against the same code natively, measured in the
# same run. Prints both and the ratio (target ≤ 3×); exits 1 past twice the target.
# Needs what scripts/test-web.sh needs (bash scripts/setup.sh web: chromium, npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --release --locked -q -p tokenbatch-bench -- --native-validation-json "$work/native.json"
node scripts/bench-wasm.mjs "$work/native.json"
