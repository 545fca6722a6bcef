#!/usr/bin/env bash
# Builds the rules' browser module (crates/wasm) into web/pkg/ with wasm-bindgen --target web, prints the
# size of the .wasm raw and gzipped, and fails above docs/SPEC.md §8's budget (150 KiB raw, 60 KiB gzipped). The
# .d.ts files wasm-bindgen writes beside the JS glue are kept: the page's type check (tsc, scripts/test-web.sh)
# reads the module's exports from them; the server does not serve them. The module then goes through
# binaryen's wasm-opt -Oz --converge (npm `binaryen`, pinned in package.json: `npm ci` installs it), which takes
# about 8 % off: part two's operations put the plain build just over the budget, and root scope's rules put -Os
# itself 36 bytes over it (gzipped, 2026-12-07); --converge repeats the passes until the module stops shrinking.
#
#   bash scripts/build-wasm.sh            rebuild web/pkg/ (commit the result: the server binary embeds it)
#   bash scripts/build-wasm.sh --check    rebuild into a temporary directory and fail if the committed
#                                         web/pkg/ differs from it byte for byte (a stale copy)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly MAX_RAW_BYTES=$((150 * 1024))
readonly MAX_GZIP_BYTES=$((60 * 1024))
readonly COMMITTED_DIR=web/pkg

mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# The JS glue wasm-bindgen writes must match the crate version the module links: read the pin, never guess.
pinned=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' crates/wasm/Cargo.toml)
if [[ -z "$pinned" ]]; then
  echo "build-wasm: cannot read the pinned wasm-bindgen version from crates/wasm/Cargo.toml" >&2
  exit 1
fi
installed=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$installed" != "$pinned" ]]; then
  echo "build-wasm: wasm-bindgen ${pinned} is required, found '${installed:-none}'." >&2
  echo "  install it: cargo install wasm-bindgen-cli --version ${pinned} --locked (or bash scripts/setup.sh web)" >&2
  exit 1
fi

cargo build -p tokenbatch-wasm --target wasm32-unknown-unknown --profile wasm-release --locked
target_dir=${CARGO_TARGET_DIR:-target}
module="$target_dir/wasm32-unknown-unknown/wasm-release/tokenbatch_wasm.wasm"

if [[ $mode == check ]]; then
  out_dir=$(mktemp -d)
  trap 'rm -rf "$out_dir"' EXIT
else
  out_dir=$COMMITTED_DIR
  rm -rf "$out_dir"
  mkdir -p "$out_dir"
fi
wasm-bindgen --target web --out-dir "$out_dir" "$module"

wasm_opt=node_modules/.bin/wasm-opt
if [[ ! -x $wasm_opt ]]; then
  echo "build-wasm: $wasm_opt is missing: run 'npm ci' (or bash scripts/setup.sh web)" >&2
  exit 1
fi
# The features Rust's wasm32-unknown-unknown target emits by default; wasm-opt refuses anything else.
"$wasm_opt" -Oz --converge --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
  "$out_dir/tokenbatch_wasm_bg.wasm" -o "$out_dir/tokenbatch_wasm_bg.wasm"

wasm_file="$out_dir/tokenbatch_wasm_bg.wasm"
raw_bytes=$(stat -c %s "$wasm_file")
gzip_bytes=$(gzip -9 -c "$wasm_file" | wc -c)
awk -v raw="$raw_bytes" -v gz="$gzip_bytes" 'BEGIN {
  printf "build-wasm: tokenbatch_wasm_bg.wasm %d bytes (%.1f KiB, budget 150 KiB), gzipped %d bytes (%.1f KiB, budget 60 KiB)\n",
    raw, raw / 1024, gz, gz / 1024 }'
if ((raw_bytes > MAX_RAW_BYTES || gzip_bytes > MAX_GZIP_BYTES)); then
  echo "build-wasm: over the size budget" >&2
  exit 1
fi

if [[ $mode == check ]]; then
  if ! diff -r "$out_dir" "$COMMITTED_DIR" >/dev/null; then
    diff -rq "$out_dir" "$COMMITTED_DIR" >&2 || true
    echo "build-wasm: the committed $COMMITTED_DIR/ is stale (it differs from a fresh build of crates/wasm" >&2
    echo "  and crates/rules). Run 'bash scripts/build-wasm.sh' and commit $COMMITTED_DIR/." >&2
    exit 1
  fi
  echo "build-wasm: the committed $COMMITTED_DIR/ matches a fresh build"
fi
