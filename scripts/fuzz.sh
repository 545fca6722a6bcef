#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a while each (docs/RELIABILITY.md, "Fuzzing").
#
#   bash scripts/fuzz.sh [--ci] [TARGET...]        targets: rules_body rules_field http_handler (default: all)
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 60; 20 with --ci)
#   FUZZ_SANITIZER   none (default) or address
#   FUZZ_PROFILE     release (default: optimized, debug assertions on, 16 codegen units) or dev (opt-level 1,
#                    builds in about half the time; the default with --ci)
#   FUZZ_TARGET_DIR  cargo's target directory (default fuzz/target; with --ci a cache outside the checkout,
#                    ~/.cache/tokenbatch-fuzz-target, so later CI runs only rebuild the workspace's crates)
#
# A long run, e.g. overnight on one target with both cores:
#   FUZZ_SECONDS=28800 bash scripts/fuzz.sh http_handler
#   FUZZ_SANITIZER=address FUZZ_SECONDS=3600 bash scripts/fuzz.sh rules_body
#
# Toolchain: the machines have the stable toolchain only, while cargo-fuzz needs nightly-only compiler
# flags (-Zsanitizer, and the sanitizer-coverage passes libFuzzer feeds on). RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them; stable's rust-std ships the sanitizer runtimes, so FUZZ_SANITIZER=address
# works too. It is off by default: the code under test forbids `unsafe`, and without it the targets run
# about three times faster.
#
# Inputs that find new coverage go to fuzz/work/corpus/<target>/ (not committed); the committed seeds in
# fuzz/corpus/<target>/ (written by fuzz/seed-corpus.py from the test bodies) are only read. A crash stops
# the script with the input saved in fuzz/artifacts/<target>/ and the command that replays it; every crash
# becomes a regression test of the normal suite (tests/tests/fuzz_regressions.rs, crates/rules/src/tests).
set -euo pipefail
cd "$(dirname "$0")/.."

ci=false
targets=()
for arg in "$@"; do
    case "$arg" in
        --ci) ci=true ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "unknown option $arg" >&2
            exit 2
            ;;
        *) targets+=("$arg") ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    targets=(rules_body rules_field http_handler)
fi

if $ci; then
    seconds=${FUZZ_SECONDS:-20}
    profile=${FUZZ_PROFILE:-dev}
    target_dir=${FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tokenbatch-fuzz-target}
else
    seconds=${FUZZ_SECONDS:-60}
    profile=${FUZZ_PROFILE:-release}
    target_dir=${FUZZ_TARGET_DIR:-$PWD/fuzz/target}
fi
sanitizer=${FUZZ_SANITIZER:-none}
case "$profile" in
    release) build_flags=(--release --debug-assertions --codegen-units 16) ;;
    dev) build_flags=(--dev) ;;
    *)
        echo "FUZZ_PROFILE must be release or dev" >&2
        exit 2
        ;;
esac
flags=("${build_flags[@]}" --sanitizer "$sanitizer" --target-dir "$target_dir")

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

cd fuzz
echo "==> building the fuzz targets (profile $profile, sanitizer $sanitizer, target dir $target_dir)"
build_start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "built in $((SECONDS - build_start)) s"

mkdir -p work
cat dict/json.dict dict/http.dict >work/http_handler.dict
status=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "work/corpus/$target"
    dict=dict/json.dict
    [ "$target" = http_handler ] && dict=work/http_handler.dict
    log="work/$target.log"
    echo "==> fuzzing $target for $seconds s"
    if cargo fuzz run "${flags[@]}" "$target" "work/corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -dict="$dict" \
        -print_final_stats=1 >"$log" 2>&1; then
        stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
        line=$(printf '%-13s %10s runs  %8s exec/s  %5s new inputs  corpus %s files  peak RSS %s MB' \
            "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
            "$(stat new_units_added)" "$(find "work/corpus/$target" -type f | wc -l)" "$(stat peak_rss_mb)")
        echo "$line"
        summary+=("$line")
    else
        status=1
        echo "!! $target FAILED; the end of its log ($PWD/$log):"
        grep -v '^#[0-9]' "$log" | tail -40
        summary+=("$target: FAILED (see fuzz/$log and fuzz/artifacts/$target/)")
    fi
done

echo
echo "==> fuzzing summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
exit $status
