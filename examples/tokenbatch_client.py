#!/usr/bin/env python3
"""A new-api client for tokenbatch's HTTP routes, with nothing but Python's standard library.

    examples/tokenbatch_client.py list [--page P] [--size S]
    examples/tokenbatch_client.py search [--keyword PATTERN] [--token PATTERN]
    examples/tokenbatch_client.py get ID
    examples/tokenbatch_client.py batch [BODY_FILE] [--dry-run] [--details]
    examples/tokenbatch_client.py set-group GROUP ID [ID ...] [--dry-run]
    examples/tokenbatch_client.py adjust --filter JSON [--add-quota N | --subtract-quota N]
        [--extend-days D] [--add-models M,M] [--remove-models M,M] [--enable | --disable] [--dry-run]

`adjust` changes every token a filter selects relative to what it holds (docs/SPEC.md §9, §11): it previews
first, then applies with the count the preview saw as `expected_count`, so that a filter that selects more
than it did a moment ago changes nothing (`filter.count_mismatch`).

Environment: TOKENBATCH_URL (default http://127.0.0.1:3000), USER_ID and ACCESS_TOKEN (printed by
`tokenbatch demo` or `tokenbatch user add`). BODY_FILE defaults to the documented example request and is
sent byte for byte (JSON with // comments is accepted). Prints the JSON answer; exits 1 when the server
refuses (`"success": false`, which new-api sends with HTTP 200 too) and 2 on a usage or connection problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

EXAMPLE_BODY = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "example-request.jsonc"


class Client:
    def __init__(self, base_url: str, user_id: str, access_token: str):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {access_token}", "New-Api-User": user_id}

    def request(self, method: str, path: str, query: dict | None = None, body: bytes | None = None) -> tuple[int, dict]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            # 401, 413 and 503 still carry new-api's envelope.
            return error.code, json.load(error)

    def list_tokens(self, page: int = 1, size: int = 10):
        return self.request("GET", "/api/token/", {"p": page, "size": size})

    def search(self, keyword: str | None = None, token: str | None = None):
        return self.request("GET", "/api/token/search", {"keyword": keyword, "token": token})

    def get(self, token_id: int):
        return self.request("GET", f"/api/token/{token_id}")

    def batch(self, body: bytes, dry_run: bool = False, details: bool = False):
        query = {"validate_only": "true" if dry_run else None, "details": "true" if details else None}
        return self.request("PUT", "/api/token/batch", query, body)


def adjustment(args: argparse.Namespace) -> dict:
    """The body of `adjust` without its selection count: the operations the flags ask for."""
    body: dict = {"filter": json.loads(args.filter), "update_fields": []}

    def write(field: str, value) -> None:
        body["update_fields"].append(field)
        body[field] = value

    if args.add_quota is not None:
        write("remain_quota", {"add": args.add_quota})
    elif args.subtract_quota is not None:
        write("remain_quota", {"subtract": args.subtract_quota})
    if args.extend_days is not None:
        write("expired_time", {"extend": args.extend_days * 86_400})
    models = {key: value for key, value in (("add", args.add_models), ("remove", args.remove_models)) if value}
    if models:
        write("model_limits", models)
    if args.enable or args.disable:
        write("status", "enabled" if args.enable else "disabled")
    return body


def adjust(client: Client, args: argparse.Namespace) -> tuple[int, dict]:
    body = adjustment(args)
    status, preview = client.batch(json.dumps(body).encode(), dry_run=True)
    if args.dry_run or not preview.get("success"):
        return status, preview
    # The preview's `data` counts the tokens that would change and `unchanged` the others: together, what
    # the filter selects now.
    body["expected_count"] = preview["data"] + preview["unchanged"]
    return client.batch(json.dumps(body).encode())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--size", type=int, default=10)
    search = commands.add_parser("search")
    search.add_argument("--keyword")
    search.add_argument("--token")
    get = commands.add_parser("get")
    get.add_argument("id", type=int)
    batch = commands.add_parser("batch")
    batch.add_argument("body", nargs="?", type=Path, default=EXAMPLE_BODY)
    batch.add_argument("--dry-run", action="store_true")
    batch.add_argument("--details", action="store_true")
    set_group = commands.add_parser("set-group")
    set_group.add_argument("group")
    set_group.add_argument("ids", type=int, nargs="+")
    set_group.add_argument("--dry-run", action="store_true")
    adjust_parser = commands.add_parser("adjust")
    adjust_parser.add_argument("--filter", required=True, help='e.g. \'{"group": "vip", "status": ["enabled"]}\'')
    quota = adjust_parser.add_mutually_exclusive_group()
    quota.add_argument("--add-quota", type=int)
    quota.add_argument("--subtract-quota", type=int)
    adjust_parser.add_argument("--extend-days", type=int)
    adjust_parser.add_argument("--add-models")
    adjust_parser.add_argument("--remove-models")
    status = adjust_parser.add_mutually_exclusive_group()
    status.add_argument("--enable", action="store_true")
    status.add_argument("--disable", action="store_true")
    adjust_parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)

    user_id, access_token = os.environ.get("USER_ID"), os.environ.get("ACCESS_TOKEN")
    if not user_id or not access_token:
        print("set USER_ID and ACCESS_TOKEN (printed by `tokenbatch demo` or `tokenbatch user add`)", file=sys.stderr)
        return 2
    client = Client(os.environ.get("TOKENBATCH_URL", "http://127.0.0.1:3000"), user_id, access_token)
    try:
        if args.command == "list":
            status, answer = client.list_tokens(args.page, args.size)
        elif args.command == "search":
            status, answer = client.search(args.keyword, args.token)
        elif args.command == "get":
            status, answer = client.get(args.id)
        elif args.command == "adjust":
            status, answer = adjust(client, args)
        elif args.command == "batch":
            status, answer = client.batch(args.body.read_bytes(), args.dry_run, args.details)
        else:
            body = json.dumps({"ids": args.ids, "group": args.group, "update_fields": ["group"]}).encode()
            status, answer = client.batch(body, args.dry_run, details=True)
    except (OSError, ValueError) as error:
        print(f"cannot reach {client.base_url}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    if not answer.get("success"):
        print(f"refused (HTTP {status}): {answer.get('code')}: {answer.get('message')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
