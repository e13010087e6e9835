"""``concord serve --demo`` as a real process on a free loopback port, for tests over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    """The server's base URL, the demo passwords it printed, and everything it has printed."""

    base: str
    pid: int
    passwords: dict[str, str] = field(repr=False)
    lines: list[str] = field(default_factory=list, repr=False)

    @property
    def output(self) -> str:
        return "".join(self.lines)


def _until_listening(port: int, process: subprocess.Popen[str], within: float = 30.0) -> None:
    """The banner is printed as the app starts, just before uvicorn binds its port: wait
    (at most ``within`` seconds) until the port takes connections."""
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=within).close()
            return
        except ConnectionRefusedError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"concord serve never listened on port {port}") from None
            time.sleep(0.01)


@contextmanager
def serve_demo(
    data_dir: Path,
    *,
    database_url: str | None = None,
    demo: bool = True,
    options: Sequence[str] = (),
) -> Iterator[Served]:
    """Start ``concord serve --demo`` on the embedded SQLite database in ``data_dir`` (or
    on ``database_url``; without ``demo``, on whatever that database holds), with any other
    ``options`` of ``concord serve``.

    Its output is read to the end on a thread, so the server never blocks on a full pipe.
    """
    port = free_port()
    env = {**os.environ, "CONCORD_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("CONCORD_DATABASE_URL", None)
    if database_url is not None:
        env["CONCORD_DATABASE_URL"] = database_url
    arguments = ["serve", "--port", str(port), *options] + (["--demo"] if demo else [])
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    stdout = process.stdout
    served = Served(base=f"http://127.0.0.1:{port}", pid=process.pid, passwords={})
    drain: threading.Thread | None = None
    try:
        for line in stdout:  # blocks until the server says it is up
            served.lines.append(line)
            if match := re.match(r"\s+(\w+)\s+(\S+)\s+.+, \w+$", line):
                served.passwords[match[1]] = match[2]
            if line.startswith("Concord is running on"):
                break
        else:
            raise RuntimeError(
                f"concord serve exited with {process.wait()} before it was up:\n{served.output}"
            )
        drain = threading.Thread(target=lambda: served.lines.extend(stdout), daemon=True)
        drain.start()
        _until_listening(port, process)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)
        if drain is not None:
            drain.join(timeout=10)
        stdout.close()
