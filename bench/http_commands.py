"""Commands over HTTP: ``concord serve`` beside a bare Starlette endpoint under the same server.

    python -m bench.http_commands [--seconds 30] [--clients 32] [--trials 1] [--db URL]
                                  [--profile FILE]

Each of ``--clients`` concurrent HTTP clients on 127.0.0.1 revises its own sections of one
trial's drafted (unpublished) protocol with ``PUT /api/trials/{t}/protocol/sections/{n}``
as its own sponsor-lead user (an API token each), always sending the ``base_revision`` the
last answer gave, so every command should succeed with 200. The same clients then send
the same requests for the same time to a bare Starlette app with one PUT endpoint that
reads the JSON body and answers a small JSON document, served by uvicorn with the flags
``concord serve`` uses: the framework's limit here. Each server runs in its own process
and the load generator in another (a minimal keep-alive HTTP/1.1 client on asyncio
streams), so on a small machine the load generator competes with the server for the CPU:
the table shows both processes' CPU use.

The database is a fresh SQLite file (WAL, synchronous=FULL) in a temporary folder unless
``--db`` names another; the trial and its users get fresh names, so a reused database
works. ``--trials K`` spreads the clients over K trials (K protocol streams instead of
one), which shows what the one stream's serialization costs. ``--profile FILE`` runs the
Concord server under cProfile and prints where its event-loop thread spends its time.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import multiprocessing
import os
import pstats
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain import m11, protocol, workspace
from domain.actor import Actor
from domain.charter import GCP_TRAINING
from domain.event import Command
from domain.roles import OrganizationKind, Role
from domain.streams import protocol_stream, trial_stream
from domain.workspace import TrainingRecord
from server.aggregates import PROTOCOL, WORKSPACE
from server.bootstrap import open_services
from server.commanding import Target

CLIENTS = 32
SECONDS = 30.0
WARMUP = 2.0
TIMEOUT = 10.0
"""Seconds one request may take before the client counts it as an error."""
MAX_PER_CLIENT = 200_000
"""Requests one client sends at most, whatever the time left."""
START_TIMEOUT = 60.0
TARGET_RATE = 1_000.0
TARGET_P99_MS = 50.0
HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
SECTION_PATH = "/api/trials/{trial_id}/protocol/sections/{number}"


# --- the bare endpoint: the framework's limit ---------------------------------------------


async def _bare_revise(request: Request) -> Response:
    body = await request.json()
    revision = int(body["base_revision"]) + 1
    number = request.path_params["number"]
    data = {"number": number, "revision": revision, "based_on": revision - 1}
    return JSONResponse(
        {"position": None, "version": revision, "events": [{"type": "Revised", "data": data}]}
    )


async def _bare_ready(request: Request) -> Response:
    return JSONResponse({})


bare_app = Starlette(
    routes=[
        Route("/openapi.json", _bare_ready, methods=["GET"]),
        Route(SECTION_PATH, _bare_revise, methods=["PUT"]),
    ]
)


def _serve_bare(port: int) -> None:
    import uvicorn

    # The same call as ``concord serve`` (server/cli.py) makes.
    uvicorn.run(bare_app, host=HOST, port=port, log_level="warning")


# --- setup: a trial with a drafted protocol and one editor per client ------------------------


C = TypeVar("C", bound=Command)


def _acting(command: C) -> Callable[[Actor], C]:
    """Builds ``command`` for whichever actor the command service resolves."""
    return lambda actor: dataclasses.replace(command, actor=actor)


@dataclass(frozen=True, slots=True)
class ClientWork:
    """What one client does: who it is and which sections it revises from which revision."""

    token: str
    trial_id: str
    sections: tuple[tuple[str, int], ...]


async def prepare(url: str, clients: int, trials: int = 1) -> list[ClientWork]:
    """Create the trials, one editor per client and their tokens in ``url``; client ``k``
    edits trial ``k % trials`` and shares its sections with that trial's other clients."""
    suffix = secrets.token_hex(3)
    numbers = [s.number for s in m11.OUTLINE if s.number != m11.LAY_SUMMARY]
    texts = {number: f"Section {number} as first drafted." for number in numbers}
    meta = {"via": "bench"}
    async with open_services(url) as services:
        trained = services.clock().date() - timedelta(days=30)
        training = TrainingRecord(course=GCP_TRAINING, completed_on=trained)

        async def user(name: str) -> str:
            password = secrets.token_urlsafe(16)
            created = await services.accounts.create_user(f"{name}-{suffix}", name, password)
            return created.user_id

        admin = await user("admin")
        founder = Actor(
            user_id=admin,
            printed_name="admin",
            organization_id="bench-sponsor",
            organization_kind=OrganizationKind.SPONSOR,
        )
        editors = [await user(f"editor{k}") for k in range(clients)]
        work: list[ClientWork] = []
        for t in range(trials):
            trial_id = f"bench-{suffix}-{t}"
            found = workspace.CreateTrial(
                actor=founder,
                trial_id=trial_id,
                title="Benchmark trial",
                organization_name="Bench Sponsor",
                founder_training=(training,),
            )
            await services.commands.create_trial(trial_id, founder, _acting(found), meta)
            trial = Target(WORKSPACE, trial_id, trial_stream(trial_id))
            mine = [k for k in range(clients) if k % trials == t]
            for k in mine:
                editor = editors[k]
                commands: list[Command] = [
                    workspace.AddMember(
                        actor=founder,
                        user_id=editor,
                        printed_name=f"editor{k}",
                        organization_id="bench-sponsor",
                    ),
                    workspace.AttestTraining(actor=founder, user_id=editor, training=training),
                    workspace.GrantRole(
                        actor=founder,
                        user_id=editor,
                        role=Role.SPONSOR_LEAD,
                        reason="edits the benchmark",
                    ),
                ]
                for command in commands:
                    await services.commands.execute(trial, admin, _acting(command), meta=meta)
            draft = Target(PROTOCOL, trial_id, protocol_stream(trial_id))
            drafted = protocol.DraftProtocol(
                actor=founder, trial_id=trial_id, title="Benchmark protocol", texts=texts
            )
            await services.commands.execute(draft, editors[mine[0]], _acting(drafted), meta=meta)
            state = (await services.states.load(PROTOCOL, draft.stream_id)).state
            for i, k in enumerate(mine):
                token = await services.tokens.issue(editors[k], "http benchmark")
                owned = numbers[i :: len(mine)] or [numbers[i % len(numbers)]]
                sections = tuple((n, state.sections[n].head.revision) for n in owned)
                work.append(ClientWork(token.token, trial_id, sections))
    return work


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


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) process ``pid`` used so far (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        cpu["client"], cpu["server"] = time.process_time(), _process_cpu(server_pid)
        await asyncio.sleep(seconds)
        client, server = time.process_time(), _process_cpu(server_pid)
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


# --- servers ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _server(command: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` (a server on ``port``), wait until it answers, stop it after."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}:\n{_tail(log)}")
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


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def measure(
    command: list[str], port: int, log: Path, work: list[ClientWork], seconds: float
) -> LoadResult:
    """Start the server, run the load against it from a separate process, stop it."""
    with _server(command, port, log) as process:
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
            future = pool.submit(run_load, port, work, seconds, WARMUP, process.pid)
            return future.result(timeout=WARMUP + seconds + 2 * TIMEOUT + 60)


# --- report -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu: float | None
    client_cpu: float


def figures(result: LoadResult) -> Figures:
    latencies = sorted(result.latencies)
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    else:
        p50 = p99 = latencies[0] if latencies else float("nan")
    return Figures(
        rate=len(latencies) / result.seconds,
        p50_ms=p50 * 1000,
        p99_ms=p99 * 1000,
        errors=sum(result.errors.values()),
        server_cpu=None if result.server_cpu is None else result.server_cpu / result.seconds,
        client_cpu=result.client_cpu / result.seconds,
    )


def _row(name: str, f: Figures) -> str:
    server = f"{f.server_cpu:>12.0%}" if f.server_cpu is not None else f"{'-':>12}"
    return (f"{name:<28}{f.rate:>12,.0f}{f.p50_ms:>9.1f}{f.p99_ms:>9.1f}{f.errors:>8}"
            f"{server}{f.client_cpu:>12.0%}")  # fmt: skip


def report(args: argparse.Namespace, database: str, bare: LoadResult, concord: LoadResult) -> None:
    b, c = figures(bare), figures(concord)
    cores = os.cpu_count() or 1
    trials = "one trial's protocol" if args.trials == 1 else f"{args.trials} trials' protocols"
    print(
        f"{args.clients} HTTP client{'s' * (args.clients != 1)} on {HOST} revising sections"
        f" of {trials},"
        f" {args.seconds:g} s per server after a {WARMUP:g} s warm-up"
    )
    print(f"PUT {SECTION_PATH} (revise_section); Concord's database: {database}")
    print(
        f"load generator: its own process (asyncio streams, keep-alive HTTP/1.1), sharing"
        f" this machine's {cores} cores with the server (load average before the run"
        f" {args.load_before:.2f}); CPU columns: share of one core"
    )
    print()
    print(f"{'server':<28}{'commands/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'server CPU':>12}{'client CPU':>12}")  # fmt: skip
    print(_row("bare Starlette (uvicorn)", b))
    print(_row("Concord (concord serve)", c))
    ratio = c.rate / b.rate if b.rate else float("nan")
    print(f"{'Concord / bare':<28}{ratio:>11.2f}x")
    for name, result in (("bare", bare), ("Concord", concord)):
        if result.errors:
            print(f"{name}: non-200 or failed requests by kind: {dict(result.errors)}")
            for sample in result.error_samples:
                print(f"  {sample}")
    print()
    rate_met = "met" if c.rate >= TARGET_RATE else "MISSED"
    p99_met = "met" if c.p99_ms <= TARGET_P99_MS else "MISSED"
    print(
        f"targets (set for SQLite): >= {TARGET_RATE:,.0f} commands/s ({rate_met});"
        f" p99 <= {TARGET_P99_MS:.0f} ms ({p99_met})"
    )


def print_profile(path: Path, limit: int = 40) -> None:
    print()
    print(
        f"Concord server profile, event-loop thread only, saved in {path}. By own time:"
        " cumulative times are distorted by SQLAlchemy's greenlet switches."
    )
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="measured time per server")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument(
        "--trials", type=int, default=1, help="spread the clients over this many trials"
    )
    parser.add_argument("--db", help="Concord's database URL (default: a fresh SQLite file)")
    parser.add_argument("--profile", type=Path, help="run Concord under cProfile, save here")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        _serve_bare(args.serve_bare)
        return
    if args.clients < 1 or args.seconds <= 0 or not 1 <= args.trials <= args.clients:
        parser.error("--clients and --seconds must be positive, --trials 1 to --clients")
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="concord-http-bench-") as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'concord.sqlite'}"
        work = asyncio.run(prepare(url, args.clients, args.trials))
        port = _free_port()
        bare_command = [sys.executable, "-m", "bench.http_commands", "--serve-bare", str(port)]
        bare = measure(bare_command, port, folder / "bare.log", work, args.seconds)
        port = _free_port()
        profiler: list[str] = []
        if args.profile:
            profiler = ["-m", "cProfile", "-o", str(args.profile.resolve())]
        concord_command = [sys.executable, *profiler, "-m", "server.cli", "--db", url]
        concord_command += ["serve", "--host", HOST, "--port", str(port)]
        concord = measure(concord_command, port, folder / "concord.log", work, args.seconds)
        shown = url if args.db else "a fresh SQLite file (WAL, synchronous=FULL)"
        report(args, shown, bare, concord)
        if concord.errors:
            print(f"\nthe Concord server's log ends:\n{_tail(folder / 'concord.log')}")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
