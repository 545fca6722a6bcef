#!/usr/bin/env bash
# Dependency hygiene (deny.toml): banned crates, licenses and sources of every dependency, for the workspace
# and for the fuzz crate (a workspace of its own). Installs cargo-deny from crates.io when missing.
#
# The `advisories` check is not run here: it needs the RustSec advisory database from GitHub, which these
# machines cannot reach. Where it can be fetched, an operator runs
#   cargo deny check advisories && cargo deny --manifest-path fuzz/Cargo.toml check advisories
# (see docs/RELIABILITY.md, "Dependency hygiene").
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-deny >/dev/null 2>&1; then
    echo "installing cargo-deny (cargo install cargo-deny --locked)"
    cargo install cargo-deny --locked
fi
cargo deny --version

for manifest in Cargo.toml fuzz/Cargo.toml; do
    echo "cargo deny --manifest-path $manifest check bans licenses sources"
    cargo deny --color never --manifest-path "$manifest" check --hide-inclusion-graph \
        bans licenses sources
done
