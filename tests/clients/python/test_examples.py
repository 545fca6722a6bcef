"""The operator's examples in examples/ (curl scripts and the standard-library Python client) against the
real binary: they run, say what the server answered, and their writes land in the database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, binary_path

EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def curl_present():
    if shutil.which("curl") is None:
        pytest.fail("curl is missing: the shell examples need it (bash .ci/setup-clients.sh installs it)")


def run(server, *command: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TOKENBATCH_URL": server.base_url,
        "USER_ID": str(server.user.user_id),
        "ACCESS_TOKEN": server.user.access_token,
    }
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def answers(output: str) -> list[dict]:
    """The JSON answers printed by a shell example (one per line, between comment lines)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_batch_update_script_sends_the_documented_example(server):
    result = run(server, "bash", str(EXAMPLES / "batch-update.sh"))
    assert result.returncode == 0, result.stdout + result.stderr
    dry, real = answers(result.stdout)
    assert dry["validate_only"] is True and len(dry["results"]) == 2
    assert real["success"] is True and real["data"] == 2
    row = server.token_row(873)
    assert (row["model_limits"], row["allow_ips"], row["mj_image_mode"]) == (
        "gpt-4o,gpt-4o-2024-11-20",
        "192.168.1.1",
        "origin",
    )


def test_list_and_search_script(server):
    result = run(server, "bash", str(EXAMPLES / "list-and-search.sh"), "research%", "869")
    assert result.returncode == 0, result.stdout + result.stderr
    listing, search, token = answers(result.stdout)
    assert [item["id"] for item in listing["data"]["items"]] == [889, 888, 887, 886, 885]
    assert search["data"]["total"] == 8
    assert token["data"]["id"] == 869


def test_shell_example_fails_on_a_refusal(server, tmp_path):
    bad_body = tmp_path / "refused.json"
    bad_body.write_text('{"ids": [], "update_fields": ["group"]}')
    before = server.token_rows()
    result = run(server, "bash", str(EXAMPLES / "batch-update.sh"), str(bad_body))
    assert result.returncode != 0
    assert '"code":"ids.empty"' in result.stdout
    assert server.token_rows() == before


def test_python_client(server):
    client = [sys.executable, str(EXAMPLES / "tokenbatch_client.py")]
    result = run(server, *client, "list", "--size", "3")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["data"]["items"]) == 3

    result = run(server, *client, "search", "--keyword", "web%")
    assert json.loads(result.stdout)["data"]["total"] == 9

    result = run(server, *client, "set-group", "vip", "840", "841")
    assert result.returncode == 0, result.stderr
    assert [r["after"]["group"] for r in json.loads(result.stdout)["results"]] == ["vip", "vip"]
    assert server.token_row(840)["group"] == "vip"

    before = server.token_rows()
    result = run(server, *client, "set-group", "no-such-group", "840")
    assert result.returncode == 1
    assert "group" in result.stderr
    assert server.token_rows() == before

    result = run(server, *client, "batch", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["validate_only"] is True


def test_python_client_adjusts_by_filter_relative_to_each_token(server):
    client = [sys.executable, str(EXAMPLES / "tokenbatch_client.py"), "adjust"]
    selection = ["--filter", '{"name": "web%"}']
    found = run(server, sys.executable, str(EXAMPLES / "tokenbatch_client.py"), "search", "--keyword", "web%")
    web = [item["id"] for item in json.loads(found.stdout)["data"]["items"]]
    before = {token_id: server.token_row(token_id) for token_id in web}
    assert len(before) == 9
    result = run(server, *client, *selection, "--add-quota", "1000", "--add-models", "gpt-4.1", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["validate_only"] is True
    assert server.token_row(web[0]) == before[web[0]], "a dry run writes nothing"

    result = run(server, *client, *selection, "--add-quota", "1000", "--add-models", "gpt-4.1")
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["success"] is True and answer["data"] + answer["unchanged"] == 9
    for token_id, row in before.items():
        after = server.token_row(token_id)
        assert after["remain_quota"] == row["remain_quota"] + 1000
        assert after["model_limits"].split(",")[-1] == "gpt-4.1"

    # Subtracting more than a token holds refuses the whole batch, naming how many tokens.
    result = run(server, *client, *selection, "--subtract-quota", str(10**14))
    assert result.returncode == 1
    assert "remain_quota.below_zero" in result.stderr
    assert server.token_row(web[0])["remain_quota"] == before[web[0]]["remain_quota"] + 1000


def test_try_it_runs_every_example_on_a_throwaway_server():
    result = subprocess.run(
        ["bash", str(EXAMPLES / "try-it.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "TOKENBATCH_BIN": str(binary_path())},
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "== all examples passed" in result.stdout
