#!/usr/bin/env bash
# The project's test command (README "Test"): every test of every crate, against real servers started on
# port 0 with fresh SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
bash scripts/test-web.sh
bash scripts/test-clients.sh
