"""The HTTP load generator of ``bench.http_commands``, run in its own process: a minimal
keep-alive HTTP/1.1 client on asyncio streams per simulated user, timing each command."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.serving import HOST, process_cpu

TIMEOUT = 10.0
"""Seconds one request may take before the client counts it as an error."""
MAX_PER_CLIENT = 200_000
"""Requests one client sends at most, whatever the time left."""
SECTION_PATH = "/api/trials/{trial_id}/protocol/sections/{number}"


@dataclass(frozen=True, slots=True)
class ClientWork:
    """What one client does: who it is and which sections it revises from which revision."""

    token: str
    trial_id: str
    sections: tuple[tuple[str, int], ...]


# --- the load generator (its own process) ------------------------------------------------------


@dataclass(slots=True)
class LoadResult:
    """What the clients saw in the measured window (after the warm-up)."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float | None = None


def run_load(
    port: int, work: list[ClientWork], seconds: float, warmup: float, server_pid: int
) -> LoadResult:
    """Entry point of the load generator's process."""
    return asyncio.run(_load(HOST, port, work, seconds, warmup, server_pid))


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a JSON body and reads the whole answer.

    Deliberately minimal, so that the load generator spends little of the CPU it shares
    with the server: httpx 0.28's AsyncClient managed 190 requests/s on 32 connections
    against the bare endpoint here, using 75% of a core; this one 2,500/s on 20%.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def put_json(
        self, path: str, body: object, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        """The status and body of ``PUT path`` with ``body`` as JSON (raises on I/O errors)."""
        try:
            async with asyncio.timeout(TIMEOUT):
                return await self._exchange(path, body, headers)
        except BaseException:
            self.close()  # an answer half read would garble the next one
            raise

    async def _exchange(
        self, path: str, body: object, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        payload = json.dumps(body).encode()
        lines = [f"PUT {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1") + payload)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "transfer-encoding" in fields:
            raise ValueError(f"unexpected Transfer-Encoding {fields['transfer-encoding']}")
        answer = await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _load(
    host: str,
    port: int,
    work: list[ClientWork],
    seconds: float,
    warmup: float,
    server_pid: int,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + warmup, start + warmup + seconds
    result = LoadResult(seconds)
    cpu: dict[str, float | None] = {}

    async def meter() -> None:
        await asyncio.sleep(warmup)
        cpu["client"], cpu["server"] = time.process_time(), process_cpu(server_pid)
        await asyncio.sleep(seconds)
        client, server = time.process_time(), process_cpu(server_pid)
        result.client_cpu = client - (cpu["client"] or 0.0)
        before = cpu["server"]
        result.server_cpu = None if server is None or before is None else server - before

    async def client(mine: ClientWork) -> None:
        connection = Connection(host, port)
        headers = {"Authorization": f"Bearer {mine.token}"}
        revisions = dict(mine.sections)
        numbers = list(revisions)
        try:
            for i in range(MAX_PER_CLIENT):
                began = loop.time()
                if began >= window_end:
                    return
                number = numbers[i % len(numbers)]
                path = SECTION_PATH.format(trial_id=mine.trial_id, number=number)
                body = {
                    "base_revision": revisions[number],
                    "text": f"Section {number}, revision {revisions[number] + 1}: the text as"
                    f" revised by this benchmark's client, sent at {began:.6f}.",
                    "heading": None,
                    "reason": "Load test",
                }
                problem = None
                try:
                    status, answer = await connection.put_json(path, body, headers)
                    if status == 200:
                        events = json.loads(answer)["events"]
                        revisions[number] = events[-1]["data"]["revision"]
                    else:
                        problem = (f"HTTP {status}", answer[:300].decode(errors="replace"))
                except (
                    OSError,
                    EOFError,
                    TimeoutError,
                    ValueError,
                    LookupError,
                    asyncio.LimitOverrunError,
                ) as error:
                    problem = (type(error).__name__, str(error)[:300])
                    await asyncio.sleep(0.01)  # no busy loop on a server that went away
                ended = loop.time()
                if not window_start <= ended <= window_end:
                    continue
                if problem is None:
                    result.latencies.append(ended - began)
                else:
                    result.errors[problem[0]] += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{problem[0]} on {path}: {problem[1]}")
        finally:
            connection.close()

    await asyncio.gather(meter(), *(client(mine) for mine in work))
    return result
