"""Live fan-out: many websocket listeners on one trial while commands arrive at a steady rate.

    python -m bench.live_fanout [--listeners 1000] [--rate 50] [--seconds 30]
                                [--client-processes 1] [--db URL]

``concord serve`` runs in its own process on a fresh SQLite file (unless ``--db``) holding
the demo trial. ``--listeners`` websocket clients, spread over ``--client-processes``
processes, open ``/api/live?trial=asthma-301`` with API tokens of the demo's people. Once
all are live, this process posts comments (``POST .../comments/section/5.2``) at
``--rate`` per second for ``--seconds``. Every listener must receive every comment once and
in order; the report gives commit-to-receipt latency (receipt clock minus the event's
``recorded_at``, the server's clock at commit: one machine, one clock) at p50/p99/max over
all deliveries, events lost or repeated, listeners closed, and the server's resident memory
per connection (RSS with listeners minus RSS before, divided by their number).

The listeners use a minimal websocket client on asyncio's Protocol over uvloop (no
compression offered, pings answered): the stock client costs more CPU per message than the
server, and on a two-core machine the load generator competes with the server for the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import functools
import json
import multiprocessing
import os
import resource
import struct
import sys
import tempfile
import time
import typing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop

from bench.serving import HOST, free_port, print_profile, process_cpu, running_server
from server.bootstrap import open_services
from server.demo import DEMO_TRIAL, load_demo

LISTENERS = 1_000
RATE = 50.0
SECONDS = 30.0
TARGET_P99_MS = 100.0
CONNECT_TIMEOUT = 120.0
DRAIN_TIMEOUT = 30.0
"""Longest the listeners wait, after the last comment, for it to reach them all."""


async def prepare(url: str) -> tuple[list[str], str]:
    """The demo trial in ``url``; tokens for the listeners and one for the writer."""
    async with open_services(url) as services:
        people = await load_demo(services)
        tokens = [(await services.tokens.issue(p.user_id, "live bench")).token for p in people]
        writer = next(p for p in people if p.username == "omar")
        return tokens, (await services.tokens.issue(writer.user_id, "live bench writer")).token


# --- the listeners (their own processes) ------------------------------------------------------


@dataclass
class ListenerStats:
    """What one client process saw over all its listeners."""

    ready: int = 0
    latencies: list[float] = field(default_factory=list)
    received: list[int] = field(default_factory=list)
    """Events each listener received."""
    out_of_order: int = 0
    closed: dict[int, int] = field(default_factory=dict)
    """Close codes the server sent, and how often."""


class Listener(asyncio.Protocol):
    """One websocket client: handshake, then reads frames and times every event."""

    def __init__(self, path: str, token: str, stats: ListenerStats, ready: asyncio.Event) -> None:
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        self._stats = stats
        self._ready = ready
        self._buffer = bytearray()
        self._upgraded = False
        self._transport: asyncio.Transport | None = None
        self.count = 0
        self.last = 0
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.arrived: asyncio.Future[None] = loop.create_future()
        self.awaited = 2**62
        """The position whose arrival (or a later one's) completes ``arrived``."""

    def expect(self, position: int) -> None:
        self.awaited = position
        if self.last >= position and not self.arrived.done():
            self.arrived.set_result(None)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = typing.cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.closed, self.arrived):
            if not future.done():
                future.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"handshake refused: {bytes(buffer[:200])!r}")
            del buffer[: end + 4]
            self._upgraded = True
        while len(buffer) >= 2:
            opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < offset + length:
                return
            payload = bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            self._frame(opcode, payload, now)

    def _frame(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 0x1:
            self._message(json.loads(payload), now)
        elif opcode == 0x9:  # ping: answer with a masked pong
            self._send(0xA, payload)
        elif opcode == 0x8:
            code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
            self._stats.closed[code] = self._stats.closed.get(code, 0) + 1
            if self._transport is not None:
                self._transport.close()

    def _message(self, message: dict[str, Any], now: float) -> None:
        kind = message["type"]
        if kind == "events":
            for event in message["events"]:
                recorded = datetime.fromisoformat(event["recorded_at"]).timestamp()
                self._stats.latencies.append(now - recorded)
                if event["position"] <= self.last:
                    self._stats.out_of_order += 1
                self.last = event["position"]
                self.count += 1
            if self.last >= self.awaited and not self.arrived.done():
                self.arrived.set_result(None)
        elif kind == "ready":
            self._stats.ready += 1
            self._ready.set()

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header = bytes([0x80 | opcode, 0x80 | len(payload)])
        if self._transport is not None:
            self._transport.write(header + mask + masked)


def listen(
    port: int, tokens: list[str], count: int, go: Any, done: Any, last: Any
) -> ListenerStats:
    """Open ``count`` listeners, report ready, and listen until every one has the event
    at position ``last.value`` (set when the writer is done) or the drain timeout."""
    return uvloop.run(_listen(port, tokens, count, go, done, last))


async def _listen(
    port: int, tokens: list[str], count: int, go: Any, done: Any, last: Any
) -> ListenerStats:
    loop = asyncio.get_running_loop()
    stats = ListenerStats()
    path = f"/api/live?trial={DEMO_TRIAL}"
    listeners: list[Listener] = []
    for k in range(count):
        ready = asyncio.Event()
        token = tokens[k % len(tokens)]
        _, listener = await loop.create_connection(
            functools.partial(Listener, path, token, stats, ready), HOST, port
        )
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await ready.wait()
        listeners.append(listener)
    go.release()
    await asyncio.to_thread(done.wait)
    for listener in listeners:
        listener.expect(last.value)
    await asyncio.wait([lst.arrived for lst in listeners], timeout=DRAIN_TIMEOUT)
    stats.received = [lst.count for lst in listeners]
    for listener in listeners:
        if listener._transport is not None:
            listener._transport.close()
    return stats


# --- the writer and the report ------------------------------------------------------------------


async def write(port: int, token: str, rate: float, seconds: float) -> tuple[list[int], int]:
    """Post comments at ``rate`` per second; their positions and the errors."""
    positions: list[int] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/trials/{DEMO_TRIAL}/comments/section/5.2"
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers) as client:
        start = time.monotonic()
        for k in range(int(rate * seconds)):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body = {"comment_id": f"fanout-{k}", "text": f"Comment {k}: " + "x" * 200}
            response = await client.post(path, json=body)
            if response.status_code == 201:
                positions.append(response.json()["position"])
            else:
                errors += 1
    return positions, errors


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listeners", type=int, default=LISTENERS)
    parser.add_argument("--rate", type=float, default=RATE, help="comments per second")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--db", help="Concord's database URL (default: a fresh SQLite file)")
    parser.add_argument("--profile", type=Path, help="run the server under cProfile, save here")
    args = parser.parse_args()
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))  # inherited by the processes
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="concord-live-bench-") as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'concord.sqlite'}"
        tokens, writer_token = asyncio.run(prepare(url))
        port = free_port()
        profiler = ["-m", "cProfile", "-o", str(args.profile.resolve())] if args.profile else []
        command = [sys.executable, *profiler, "-m", "server.cli", "--db", url]
        command += ["serve", "--host", HOST, "--port", str(port)]
        with running_server(command, port, folder / "concord.log") as server:
            rss_before = rss_kib(server.pid)
            spawn = multiprocessing.get_context("spawn")
            manager = spawn.Manager()
            go, done = manager.Semaphore(0), manager.Event()
            last = manager.Value("q", 2**62)
            shares = [args.listeners // args.client_processes] * args.client_processes
            shares[0] += args.listeners - sum(shares)
            with concurrent.futures.ProcessPoolExecutor(len(shares), mp_context=spawn) as pool:
                futures = [
                    pool.submit(listen, port, tokens, share, go, done, last) for share in shares
                ]
                connect_started = time.monotonic()
                for _ in shares:
                    if not go.acquire(timeout=CONNECT_TIMEOUT):
                        failed = [f.exception() for f in futures if f.done()]
                        raise RuntimeError(f"the listeners did not connect: {failed}")
                connect_seconds = time.monotonic() - connect_started
                rss_with = rss_kib(server.pid)
                cpu_before = process_cpu(server.pid) or 0.0
                positions, errors = uvloop.run(write(port, writer_token, args.rate, args.seconds))
                server_cpu = ((process_cpu(server.pid) or 0.0) - cpu_before) / args.seconds
                last.value = positions[-1] if positions else 0
                done.set()
                results = [f.result(timeout=DRAIN_TIMEOUT + 60) for f in futures]
    report(args, url if args.db else "a fresh SQLite file", load_before, results, positions)
    print(f"writer errors: {errors}; connecting the listeners took {connect_seconds:.1f} s")
    print(f"server CPU while writing: {server_cpu:.0%} of one core")
    per_connection = (rss_with - rss_before) / max(1, args.listeners)
    print(
        f"server RSS: {rss_before / 1024:.0f} MiB before, {rss_with / 1024:.0f} MiB with"
        f" {args.listeners} listeners: {per_connection:.1f} KiB per connection"
    )
    if args.profile:
        print_profile(args.profile)


def report(
    args: argparse.Namespace,
    database: str,
    load_before: float,
    results: list[ListenerStats],
    positions: list[int],
) -> None:
    latencies = [x for r in results for x in r.latencies]
    received = [n for r in results for n in r.received]
    expected = len(positions)
    lost = sum(max(0, expected - n) for n in received)
    extra = sum(max(0, n - expected) for n in received)
    closed: dict[int, int] = {}
    for r in results:
        for code, n in r.closed.items():
            closed[code] = closed.get(code, 0) + n
    print(
        f"Live fan-out: {args.listeners} listeners on one trial, {args.rate:g} comments/s for"
        f" {args.seconds:g} s on {database}; load average before {load_before:.2f}"
    )
    print(f"comments: {expected}; deliveries: {len(latencies)} of {expected * len(received)}")
    if latencies:
        p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
        print(
            f"commit-to-receipt latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms,"
            f" max {max(latencies) * 1000:.1f} ms (target p99 <= {TARGET_P99_MS:g} ms:"
            f" {'met' if p99 <= TARGET_P99_MS else 'NOT met'})"
        )
    print(
        f"events lost: {lost}; repeated: {extra}; out of order:"
        f" {sum(r.out_of_order for r in results)}; listeners closed by the server: {closed or 0}"
    )


if __name__ == "__main__":
    main()
