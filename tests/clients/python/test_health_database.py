"""The health service and /readyz follow the database: tokenbatch on PostgreSQL reached through a TCP proxy
that the test cuts and restores, observed by grpcio-health-checking, plain HTTP and the metrics."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import TOKEN_SERVICE, http_request, seed_demo, start_server

POSTGRES = ("127.0.0.1", 5432)


def psql(sql: str, database: str = "test") -> None:
    if shutil.which("psql") is None:
        pytest.fail("psql is missing: install PostgreSQL's client (bash .ci/setup-services.sh)")
    result = subprocess.run(
        ["psql", "-h", POSTGRES[0], "-p", str(POSTGRES[1]), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"psql {sql!r}: {result.stderr}"


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut; restore listens on the same port again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open = True
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if not self.open:  # accepted just as the proxy was cut
                    client.close()
                    upstream.close()
                    continue
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            self.open = False
        # shutdown wakes the thread blocked in accept(); close alone would leave it accepting.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for end in self.sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()
            self.sockets.clear()

    def restore(self) -> None:
        with self.lock:
            self.open = True
        self.listener = self._listen(self.port)


def wait_for(health, expected: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    statuses: list[int] = []
    while time.monotonic() < deadline:
        statuses = [
            health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
            for service in ("", TOKEN_SERVICE)
        ]
        if statuses == [expected, expected]:
            return
        time.sleep(0.2)
    pytest.fail(f"health stayed {statuses}, expected {expected}")


def db_up_gauge(base_url: str) -> float:
    _, body, _ = http_request("GET", base_url + "/metrics")
    found = re.search(r"^tokenbatch_db_up (\S+)$", body.decode(), re.M)
    assert found, body.decode()
    return float(found.group(1))


@pytest.fixture
def postgres_database():
    name = f"tb_py_{secrets.token_hex(6)}"
    psql(f"CREATE DATABASE {name}")
    yield name
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_health_and_readiness_follow_the_database(postgres_database):
    proxy = CuttableProxy(POSTGRES)
    dsn = f"postgres://postgres@127.0.0.1:{proxy.port}/{postgres_database}"
    user = seed_demo("--sql-dsn", dsn)
    server = start_server(user, ["--sql-dsn", dsn], None)
    try:
        with grpc.insecure_channel(server.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            wait_for(health, health_pb2.HealthCheckResponse.SERVING)
            status, ready = server.get_json("/readyz")
            assert (status, ready["data"]["engine"]) == (200, "postgres")
            watch = health.Watch(health_pb2.HealthCheckRequest(service=TOKEN_SERVICE), timeout=60)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING

            proxy.cut()
            wait_for(health, health_pb2.HealthCheckResponse.NOT_SERVING)
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
            status, ready = server.get_json("/readyz")
            assert status == 503
            assert (ready["success"], ready["code"], ready["data"]["database"]) == (False, "database.unavailable", "down")
            status, alive = server.get_json("/healthz")
            assert status == 200, "liveness does not depend on the database"
            assert db_up_gauge(server.base_url) == 0

            proxy.restore()
            wait_for(health, health_pb2.HealthCheckResponse.SERVING)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
            watch.cancel()
            status, _ = server.get_json("/readyz")
            assert status == 200
            assert db_up_gauge(server.base_url) == 1
    finally:
        server.stop()
        proxy.cut()
