"""``concord serve --cpu auto|all|N``: where the process and every thread it runs may go.

By default (``auto``) a server on SQLite keeps itself on one CPU and a server on
PostgreSQL uses every CPU (server/affinity.py says why)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.accounts.passwords import HASHING_THREADS
from server.affinity import ALL, AUTO, cpu_for, current_cpu, parse_cpu_choice
from tests.integration.server.serving import Served, serve_demo

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="CPU affinity is only available on Linux"
)

ALLOWED = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
several_cpus = pytest.mark.skipif(
    len(ALLOWED) < 2, reason="this process may use one CPU only: nothing to choose between"
)


HASHING = HASHING_THREADS
"""The password-hashing threads' name: they may use every CPU (server/accounts/passwords.py)."""


def _cpus_of_each_thread(pid: int) -> dict[int, str]:
    """Each thread's allowed CPUs as the kernel lists them (e.g. "1" or "0-1"), but the
    password-hashing threads'."""
    return {
        tid: cpus for tid, (name, cpus) in _threads(pid).items() if not name.startswith(HASHING)
    }


def _threads(pid: int) -> dict[int, tuple[str, str]]:
    """Each thread's name and allowed CPUs."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("Cpus_allowed_list"))
        found[int(task.name)] = ((task / "comm").read_text().strip(), line.split(":", 1)[1].strip())
    return found


def _cpus_after_some_work(server: Served) -> dict[int, str]:
    """Sign in and read a protocol (so the store's writer and readers have run), then
    each thread's allowed CPUs (the password-hashing threads left out)."""
    with httpx.Client(base_url=server.base) as client:
        signed_in = client.post(
            "/api/session", json={"username": "sam", "password": server.passwords["sam"]}
        )
        assert signed_in.status_code == 200
        assert client.get("/api/trials/asthma-301/protocol").status_code == 200
    threads = _cpus_of_each_thread(server.pid)
    # the event loop, the event store's writer and readers, the accounts' threads
    assert len(threads) >= 3
    return threads


def _listed(cpus: set[int]) -> set[str]:
    """The kernel's ways of listing ``cpus`` that these tests can meet: "3" or "0-1"."""
    ordered = sorted(cpus)
    ranges = {",".join(map(str, ordered))}
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        ranges.add(f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 1 else str(ordered[0]))
    return ranges


def test_every_thread_of_the_server_runs_on_the_cpu_asked_for(tmp_path: Path) -> None:
    cpu = max(ALLOWED)
    with serve_demo(tmp_path, options=["--cpu", str(cpu)]) as server:
        threads = _cpus_after_some_work(server)
    assert set(threads.values()) == {str(cpu)}


@several_cpus
def test_on_sqlite_the_server_keeps_every_thread_on_one_cpu_by_default(tmp_path: Path) -> None:
    with serve_demo(tmp_path) as server:
        threads = _cpus_after_some_work(server)
    (only,) = set(threads.values())
    assert int(only) in ALLOWED


@several_cpus
def test_passwords_are_hashed_on_every_cpu_while_the_rest_keeps_to_one(tmp_path: Path) -> None:
    with serve_demo(tmp_path) as server:
        _cpus_after_some_work(server)  # a sign-in: a password verified
        threads = _threads(server.pid).values()
    hashing = {cpus for name, cpus in threads if name.startswith(HASHING)}
    others = {cpus for name, cpus in threads if not name.startswith(HASHING)}
    assert hashing, "the sign-in verified its password on a hashing thread"
    (listed,) = hashing
    assert listed in _listed(ALLOWED)
    (only,) = others
    assert int(only) in ALLOWED


@several_cpus
def test_all_keeps_every_cpu_on_sqlite(tmp_path: Path) -> None:
    with serve_demo(tmp_path, options=["--cpu", "all"]) as server:
        threads = _cpus_after_some_work(server)
    (listed,) = set(threads.values())
    assert listed in _listed(ALLOWED)


@several_cpus
def test_on_postgresql_the_server_uses_every_cpu_by_default(
    tmp_path: Path, postgres_url: str
) -> None:
    with serve_demo(tmp_path, database_url=postgres_url) as server:
        threads = _cpus_after_some_work(server)
    (listed,) = set(threads.values())
    assert listed in _listed(ALLOWED)


@pytest.mark.parametrize(
    ("choice", "refusal"),
    [
        (str(max(ALLOWED, default=0) + 1000), "is not one this process may use"),
        ("most", "expected auto, all or a CPU number, got 'most'"),
        ("-1", "a CPU number is 0 or more, got -1"),
    ],
)
def test_a_cpu_choice_that_cannot_be_met_is_refused_before_anything_starts(
    tmp_path: Path, choice: str, refusal: str
) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--cpu", choice],
        env={**os.environ, "CONCORD_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "--cpu" in finished.stderr
    assert refusal in finished.stderr
    assert not (tmp_path / "concord.sqlite").exists()


def test_the_cpu_choices_mean_what_the_help_says() -> None:
    assert parse_cpu_choice("auto") == AUTO
    assert parse_cpu_choice("all") == ALL
    assert parse_cpu_choice("3") == 3
    assert cpu_for(ALL, on_sqlite=True) is None
    assert cpu_for(AUTO, on_sqlite=False) is None
    assert cpu_for(5, on_sqlite=False) == 5
    assert current_cpu() in ALLOWED
    if len(ALLOWED) > 1:
        assert cpu_for(AUTO, on_sqlite=True) in ALLOWED
    else:
        assert cpu_for(AUTO, on_sqlite=True) is None
