#!/usr/bin/env bash
# Kept for existing instructions and jobs: the set-up lives in scripts/setup.sh (which scripts/test.sh runs).
exec bash "$(dirname "$0")/../scripts/setup.sh" clients
