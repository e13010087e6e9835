"""``concord serve`` probed from outside: whom the sign-in throttle believes, clients
that send half a body (slowly, or then leave), and who may read the database's files."""

from __future__ import annotations

import asyncio
import logging
import socket
import stat
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from server.cli import main
from server.http import body_deadline
from server.services import Services
from tests.integration.server.live.conftest import TIMEOUT, serving
from tests.integration.server.serving import serve_demo


@pytest.fixture
def url(sqlite_url: str) -> str:
    """The in-process server's database: SQLite (the subprocesses make their own)."""
    return sqlite_url


HALF_A_BODY = (
    b"POST /api/session HTTP/1.1\r\nHost: concord.test\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"username": "iv'
)
"""A sign-in whose headers promise 100 bytes of body, of which 16 are sent."""


def failed_sign_ins(base: str, count: int) -> list[int]:
    """The statuses of ``count`` wrong sign-ins, each naming another user and claiming
    (X-Forwarded-For) to come from another client."""
    statuses = []
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        for n in range(count):
            answer = client.post(
                "/api/session",
                json={"username": f"nobody-{n}", "password": "not the password"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            statuses.append(answer.status_code)
    return statuses


def test_the_throttle_ignores_forwarded_addresses_by_default(tmp_path: Path) -> None:
    with serve_demo(tmp_path) as server:
        statuses = failed_sign_ins(server.base, 25)
    # the connection's own address is the client: 20 failures allowed, then 429
    assert statuses == [401] * 20 + [429] * 5


def test_a_named_proxy_is_believed(tmp_path: Path) -> None:
    with serve_demo(tmp_path, options=["--forwarded-allow-ips", "127.0.0.1"]) as server:
        statuses = failed_sign_ins(server.base, 25)
    assert statuses == [401] * 25  # 25 clients behind the proxy, one failure each


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--forwarded-allow-ips", "10.0.0.1,proxy.example", "is not an IP address or network"),
        ("--forwarded-allow-ips", "10.0.0.1/8", "is not an IP address or network"),
        ("--body-timeout", "0", "is not a positive number of seconds"),
    ],
)
def test_a_meaningless_option_is_refused_at_start(
    option: str, value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", option, value])
    assert said in capsys.readouterr().err


def half_bodies_answered(base: str, count: int) -> list[bytes]:
    """What the server sends back to ``count`` sign-ins at once that each send half their
    body and wait, each read until the server closes the connection (a socket waiting
    longer than TIMEOUT fails the test)."""
    host, port = base.removeprefix("http://").split(":")
    with ExitStack() as stack:
        clients = [
            stack.enter_context(socket.create_connection((host, int(port)), timeout=TIMEOUT))
            for _ in range(count)
        ]
        for client in clients:
            client.sendall(HALF_A_BODY)
        answers = []
        for client in clients:
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
            answers.append(answer)
    return answers


def test_a_body_that_does_not_arrive_in_time_is_answered_408_and_closed(
    tmp_path: Path,
) -> None:
    with serve_demo(tmp_path, options=["--body-timeout", "1"]) as server:
        answers = half_bodies_answered(server.base, 50)
        with httpx.Client(base_url=server.base, timeout=TIMEOUT) as client:
            assert client.get("/").status_code == 200  # and it still serves
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), answer
        assert b"connection: close" in head.lower()
        assert b"content-type: application/problem+json" in head.lower()
        assert b'"type": "https://concord.example/problems/body-timeout"' in body
    assert "Traceback" not in server.output


class _Noticed(logging.Handler):
    """Set once a record arrives."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()


async def test_a_client_leaving_mid_body_is_not_an_error(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=body_deadline.__name__)
    left = _Noticed()
    body_deadline.logger.addHandler(left)
    async with serving(services) as served:
        host, port = served.http.removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(HALF_A_BODY)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        async with asyncio.timeout(TIMEOUT):  # until the server has seen it leave
            await left.wait()
    body_deadline.logger.removeHandler(left)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_database_and_its_folder_are_private_from_the_start(tmp_path: Path) -> None:
    data = tmp_path / "data"  # missing: concord serve makes it
    with serve_demo(data):
        files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in data.iterdir()}
        folder = stat.S_IMODE(data.stat().st_mode)
    assert folder == 0o700
    assert {files[name] for name in files if name.startswith("concord.sqlite")} == {0o600}
    assert {"concord.sqlite", "concord.sqlite-wal", "concord.sqlite-shm"} <= set(files)


def test_db_upgrade_creates_a_private_database(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "concord.sqlite"
    assert main(["--db", f"sqlite:///{database}", "db", "upgrade"]) == 0
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
