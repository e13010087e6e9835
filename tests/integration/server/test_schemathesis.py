"""Schemathesis against ``concord serve --demo``: no request it generates gets a 5xx."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.server.serving import Served, serve_demo

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_demo(tmp_path / "data") as server:
        yield server


def bearer_token(served: Served) -> str:
    """An API token of the demo's sam, issued on a signed-in session."""
    with httpx.Client(base_url=served.base) as client:
        signed_in = client.post(
            "/api/session", json={"username": "sam", "password": served.passwords["sam"]}
        )
        assert signed_in.status_code == 200, signed_in.text
        issued = client.post(
            "/api/tokens",
            json={"name": "schemathesis"},
            headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        )
        assert issued.status_code == 201, issued.text
        token: str = issued.json()["token"]
        return token


def test_no_generated_request_gets_a_server_error(served: Served, tmp_path: Path) -> None:
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: install the `test` extra"
    token = bearer_token(served)
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{served.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "10",
            "--max-time",
            "90",
            "--request-timeout",
            "10",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--report-dir",
            str(tmp_path / "report"),
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, (
        f"schemathesis exited with {run.returncode}:\n{run.stdout}\n{run.stderr}\n"
        f"--- server output ---\n{served.output}"
    )
