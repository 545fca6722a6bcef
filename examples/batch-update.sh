#!/usr/bin/env bash
# PUT /api/token/batch with a body file, by default the documented example (JSON with // comments and CRLF
# line ends, sent byte for byte): first as a dry run (?validate_only=true: every check, nothing written,
# the would-be changes per token), then for real.
#   examples/batch-update.sh [BODY_FILE]          env: TOKENBATCH_URL, USER_ID, ACCESS_TOKEN
source "$(dirname "$0")/common.sh"
body=${1:-"$(dirname "$0")/../tests/fixtures/example-request.jsonc"}

echo "# dry run"
call PUT "/api/token/batch?validate_only=true" -H 'Content-Type: application/json' --data-binary "@$body"
echo
echo "# for real"
call PUT "/api/token/batch" -H 'Content-Type: application/json' --data-binary "@$body"
echo
