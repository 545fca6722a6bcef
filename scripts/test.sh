#!/usr/bin/env bash
# The project's test command (README "Test"): installs and starts what this machine lacks (scripts/setup.sh,
# about a second when all is there), then every test of every crate against real servers started on port 0
# with fresh databases, the browser side (scripts/test-web.sh) and the independent clients
# (scripts/test-clients.sh). Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
bash scripts/setup.sh
cargo test --workspace --locked "$@"
bash scripts/test-web.sh
bash scripts/test-clients.sh
