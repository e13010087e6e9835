"""``concord serve --demo`` as a newcomer runs it: a real process on a free port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's base URL and the demo passwords it printed."""
    port = free_port()
    env = {**os.environ, "CONCORD_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("CONCORD_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        passwords: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:  # blocks until the server says it is up
            if match := re.match(r"\s+(\w+)\s+(\S+)\s+.+, \w+$", line):
                passwords[match[1]] = match[2]
            if line.startswith("Concord is running on"):
                break
        else:
            pytest.fail(f"concord serve exited with {process.wait()} before it was up")
        yield f"http://127.0.0.1:{port}", passwords
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def test_a_newcomer_starts_the_demo_and_signs_in(served: tuple[str, dict[str, str]]) -> None:
    base, passwords = served
    assert set(passwords) >= {"alex", "sam", "ivy", "omar", "pat", "elena", "aud"}
    with httpx.Client(base_url=base) as client:
        landing = client.get("/")
        assert landing.status_code == 200
        assert "/api/session" in landing.text
        signed_in = client.post(
            "/api/session", json={"username": "sam", "password": passwords["sam"]}
        )
        assert signed_in.status_code == 200
        trials = client.get("/api/trials").json()
        assert [t["trial_id"] for t in trials] == ["asthma-301"]
        protocol = client.get("/api/trials/asthma-301/protocol").json()
        assert protocol["current_version"] == 1
