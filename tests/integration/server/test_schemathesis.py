"""Schemathesis against ``concord serve --demo``: no request it generates gets a 5xx.

The first run generates every path parameter, so most requests end at 404 (no such
trial) or 401/403. The second pins the demo's trial, amendment, motion and dispute and
signs in as people who may act there, so generated bodies, headers and numbers reach
the handlers, the domain and the log.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from tests.integration.server.serving import Served, serve_demo

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_demo(tmp_path / "data") as server:
        yield server


def bearer_token(served: Served, username: str = "sam") -> str:
    """An API token of a demo person (sam unless named), issued on a signed-in session."""
    with httpx.Client(base_url=served.base) as client:
        signed_in = client.post(
            "/api/session", json={"username": username, "password": served.passwords[username]}
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


def schemathesis(
    served: Served, token: str, workdir: Path, *options: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run schemathesis's ``not_a_server_error`` check against the served document."""
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: install the `test` extra"
    workdir.mkdir(parents=True, exist_ok=True)
    configured: Sequence[str] = ("--config-file", str(config)) if config else ()
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            *configured,
            "run",
            f"{served.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            *options,
            "--request-timeout",
            "10",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--report-dir",
            str(workdir / "report"),
            "--no-color",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def assert_passed(run: subprocess.CompletedProcess[str], served: Served) -> None:
    assert run.returncode == 0, (
        f"schemathesis exited with {run.returncode}:\n{run.stdout}\n{run.stderr}\n"
        f"--- server output ---\n{served.output}"
    )


def test_no_generated_request_gets_a_server_error(served: Served, tmp_path: Path) -> None:
    run = schemathesis(
        served,
        bearer_token(served),
        tmp_path,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "10",
        "--max-time",
        "90",
    )
    assert_passed(run, served)


PINNED_RUNS = (
    # sam leads the sponsor's side of asthma-301 (published protocol, amendment A-1 under
    # review, motion M-1, dispute D-1): every route but administering and exporting
    ("sam", "asthma-301", ()),
    # alex administers it: organizations, members, roles, the charter
    ("alex", "asthma-301", ("--include-path-regex", "/(organizations|members|users|charter)")),
    # ivy edits copd-202's draft protocol: sections, conflicts, publishing
    ("ivy", "copd-202", ("--include-path-regex", "/protocol")),
)


def test_no_request_into_a_real_trial_gets_a_server_error(served: Served, tmp_path: Path) -> None:
    """Each generated request names a trial and records that exist, as someone who may act
    there; coverage (boundary and malformed values of every parameter) and a few fuzzed
    cases per operation, a few thousand requests in all."""
    failures = []
    for username, trial_id, narrowed in PINNED_RUNS:
        workdir = tmp_path / username
        workdir.mkdir()
        config = workdir / "schemathesis.toml"
        config.write_text(
            "[parameters]\n"
            f'"path.trial_id" = "{trial_id}"\n'
            '"path.amendment_id" = "A-1"\n'
            '"path.motion_id" = "M-1"\n'
            '"path.dispute_id" = "D-1"\n'
            '"path.subject_kind" = "amendment"\n'
            '"path.subject_id" = "A-1"\n'
            '"path.site_id" = "st-marys"\n'
        )
        run = schemathesis(
            served,
            bearer_token(served, username),
            workdir,
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            "5",
            *narrowed,
            config=config,
        )
        if run.returncode != 0:
            failures.append(f"--- as {username} in {trial_id} ---\n{run.stdout}\n{run.stderr}")
    assert not failures, "\n".join(failures) + f"\n--- server output ---\n{served.output}"
