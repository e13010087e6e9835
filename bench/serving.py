"""Running a server under a benchmark: in its own process on a free loopback port, its
CPU time, its log's tail, and its cProfile output."""

from __future__ import annotations

import contextlib
import os
import pstats
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(command: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` (a server on ``port``), wait until it answers, stop it after."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}:\n{tail(log)}")
            try:
                if httpx.get(f"http://{HOST}:{port}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not answer in {START_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield process
    finally:
        # uvicorn shuts down gracefully, then raises the signal again: SIGINT becomes a
        # KeyboardInterrupt, on which cProfile still writes its file (SIGTERM would not).
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) process ``pid`` used so far (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_profile(path: Path, limit: int = 40) -> None:
    print()
    print(
        f"Concord server profile, event-loop thread only, saved in {path}. By own time:"
        " cumulative times are distorted by SQLAlchemy's greenlet switches."
    )
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(limit)
