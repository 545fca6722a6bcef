# Shared by the example scripts: where the server is and who is calling.
#   TOKENBATCH_URL  base URL of the server (default http://127.0.0.1:3000)
#   USER_ID         the caller's user id (New-Api-User)
#   ACCESS_TOKEN    the caller's system access token (Authorization)
# `tokenbatch demo` (or `tokenbatch user add`) prints the last two.
set -euo pipefail

TOKENBATCH_URL="${TOKENBATCH_URL:-http://127.0.0.1:3000}"
: "${USER_ID:?set USER_ID to the caller's user id (printed by tokenbatch demo / user add)}"
: "${ACCESS_TOKEN:?set ACCESS_TOKEN to the caller's system access token (printed by tokenbatch demo / user add)}"
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

# call METHOD PATH [curl args...]: prints the JSON answer; fails unless the HTTP status is 2xx and the
# answer says "success":true (new-api reports refusals as HTTP 200 with "success":false).
call() {
  local method=$1 path=$2
  shift 2
  local answer
  answer=$(curl -sS --fail-with-body -X "$method" "$TOKENBATCH_URL$path" \
    -H "Authorization: Bearer $ACCESS_TOKEN" -H "New-Api-User: $USER_ID" "$@") || {
    echo "$answer"
    return 1
  }
  echo "$answer"
  [[ "$answer" == *'"success":true'* ]]
}
