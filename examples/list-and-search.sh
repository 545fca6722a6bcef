#!/usr/bin/env bash
# new-api's routes for finding token ids before a batch: the first page of the caller's tokens (newest
# first), a name search with a LIKE pattern, a key search, and one token by id.
#   examples/list-and-search.sh [NAME_PATTERN] [TOKEN_ID]   env: TOKENBATCH_URL, USER_ID, ACCESS_TOKEN
source "$(dirname "$0")/common.sh"
pattern=${1:-"web%"}
token_id=${2:-873}

echo "# GET /api/token/?p=1&size=5"
call GET "/api/token/?p=1&size=5"
echo
echo "# GET /api/token/search?keyword=$pattern"
call GET "/api/token/search" -G --data-urlencode "keyword=$pattern"
echo
echo "# GET /api/token/$token_id"
call GET "/api/token/$token_id"
echo
