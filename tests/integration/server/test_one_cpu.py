"""``concord serve --cpu N``: the whole process, every thread it runs, on one CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.server.serving import serve_demo

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="CPU affinity is only available on Linux"
)


def _cpus_of_each_thread(pid: int) -> dict[int, str]:
    """Each thread's allowed CPUs as the kernel lists them (e.g. "1" or "0-1")."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("Cpus_allowed_list"))
        found[int(task.name)] = line.split(":", 1)[1].strip()
    return found


def test_every_thread_of_the_server_runs_on_the_cpu_asked_for(tmp_path: Path) -> None:
    cpu = max(os.sched_getaffinity(0))
    with serve_demo(tmp_path, options=["--cpu", str(cpu)]) as server:
        with httpx.Client(base_url=server.base) as client:
            signed_in = client.post(
                "/api/session", json={"username": "sam", "password": server.passwords["sam"]}
            )
            assert signed_in.status_code == 200
            assert client.get("/api/trials/asthma-301/protocol").status_code == 200
        threads = _cpus_of_each_thread(server.pid)
    # the event loop, the event store's writer and readers, the accounts' threads
    assert len(threads) >= 3
    assert set(threads.values()) == {str(cpu)}


def test_a_cpu_the_process_may_not_use_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    cpu = max(os.sched_getaffinity(0)) + 1000
    finished = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--cpu", str(cpu)],
        env={**os.environ, "CONCORD_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert f"--cpu: CPU {cpu} is not one this process may use" in finished.stderr
    assert not (tmp_path / "concord.sqlite").exists()
