"""Shared fixtures: the real tokenbatch binary on 127.0.0.1 port 0 with a fresh SQLite file seeded by
`tokenbatch demo`, gRPC stubs generated from proto/ at test time, and an independent view of the database."""

from __future__ import annotations

import importlib
import importlib.resources
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PROTO_DIR = REPO / "proto"
EXAMPLE_BODY = (REPO / "tests" / "fixtures" / "example-request.jsonc").read_bytes()
TOKEN_SERVICE = "newapi.token.v1.TokenService"

# Variables the binary reads that a developer's shell may carry; the tests decide the database themselves.
_SERVER_ENV_DROPPED = (
    "SQL_DSN",
    "SQLITE_PATH",
    "PORT",
    "REDIS_CONN_STRING",
    "CRYPTO_SECRET",
    "SESSION_SECRET",
    "CORS_ALLOW_ORIGINS",
)


def binary_path() -> Path:
    path = Path(os.environ.get("TOKENBATCH_BIN", REPO / "target" / "debug" / "tokenbatch"))
    if not path.is_file():
        pytest.fail(f"tokenbatch binary not found at {path}: build it (cargo build -p tokenbatch) or set TOKENBATCH_BIN")
    return path


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ENV_DROPPED}
    env["RUST_LOG"] = "info"
    return env


def run_binary(*args: str) -> str:
    result = subprocess.run(
        [str(binary_path()), *args], capture_output=True, text=True, env=server_env(), timeout=60
    )
    assert result.returncode == 0, f"tokenbatch {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass
class Identity:
    user_id: int
    access_token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "New-Api-User": str(self.user_id)}

    def metadata(self, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.access_token}"), ("new-api-user", str(self.user_id)), *extra)


def seed_demo(*database_args: str) -> Identity:
    """`tokenbatch demo`: the demo user and its 50 tokens (ids 840-889); returns what it prints."""
    output = run_binary("demo", *database_args)
    user_id = re.search(r"^user id:\s+(\d+)$", output, re.M)
    token = re.search(r"^access token:\s+(\S+)$", output, re.M)
    assert user_id and token, f"demo output without identity:\n{output}"
    return Identity(int(user_id.group(1)), token.group(1))


@dataclass
class RunningServer:
    """A `tokenbatch serve` child process and what the tests need to talk to it."""

    process: subprocess.Popen
    address: str
    user: Identity
    db_path: Path | None
    log: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.address}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def token_rows(self) -> list[tuple]:
        """Every token row, read with Python's own sqlite3 (not through tokenbatch)."""
        assert self.db_path is not None
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT * FROM tokens ORDER BY id").fetchall()
        finally:
            connection.close()

    def token_row(self, token_id: int) -> dict:
        assert self.db_path is not None
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            row = connection.execute("SELECT * FROM tokens WHERE id = ?", (token_id,)).fetchone()
            return dict(row)
        finally:
            connection.close()

    def get_json(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, object]:
        status, body, _ = http_request("GET", self.base_url + path, headers=headers)
        return status, json.loads(body)


def start_server(user: Identity, database_args: list[str], db_path: Path | None, *extra: str) -> RunningServer:
    process = subprocess.Popen(
        [str(binary_path()), "serve", *database_args, "--listen", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=server_env(),
    )
    log: list[str] = []
    ready = threading.Event()
    address: list[str] = []

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line.rstrip("\n"))
            found = re.search(r"ready on http://(\S+)", line)
            if found and not address:
                address.append(found.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    if not ready.wait(timeout=60) or not address:
        process.kill()
        pytest.fail("tokenbatch serve did not report ready:\n" + "\n".join(log))
    return RunningServer(process, address[0], user, db_path, log)


@pytest.fixture
def server(tmp_path: Path):
    """A fresh SQLite file seeded by `tokenbatch demo`, served by the real binary."""
    db_path = tmp_path / "tokenbatch.db"
    user = seed_demo("--sqlite", str(db_path))
    running = start_server(user, ["--sqlite", str(db_path)], db_path)
    yield running
    running.stop()


def http_request(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """One HTTP request with the standard library; error statuses are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


@pytest.fixture(scope="session")
def stubs(tmp_path_factory):
    """Python modules generated from proto/ by grpcio-tools now, not checked in: (token_pb2, token_pb2_grpc)."""
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("stubs")
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    # Only token.proto is generated: google/api/annotations.proto resolves at run time to
    # googleapis-common-protos, which checks that the vendored copy in proto/ matches the published one.
    arguments = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "newapi/token/v1/token.proto",
    ]
    assert protoc.main(arguments) == 0, "grpc_tools.protoc failed"
    sys.path.insert(0, str(out))
    token_pb2 = importlib.import_module("newapi.token.v1.token_pb2")
    token_pb2_grpc = importlib.import_module("newapi.token.v1.token_pb2_grpc")
    return token_pb2, token_pb2_grpc


def openapi_document(running: RunningServer) -> dict:
    status, document = running.get_json("/openapi.json")
    assert status == 200
    return document
