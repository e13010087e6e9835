"""Cost that does not grow with the log: a real ``concord serve`` on 100k and 1M events.

    python -m bench.scale [--events 100000 1000000] [--db-dir DIR] [--skip-comments]
                          [--comments 10000 40000 100000] [--samples 100] [--timeout 180]

For each ``--events`` size, a log of one big trial in a realistic mix (``bench.scale_logs``:
``bench.replay``'s mix of revisions, comments and votes, plus 30% real co-editing updates)
is written once into ``--db-dir`` and reused by later runs (1M takes minutes). Each run
serves a copy of it, so every run starts from a log without the server's snapshots or
tables of its own. ``concord serve`` runs as a subprocess on 127.0.0.1 and a free port;
an API token of the log's account (trial admin and auditor) reads through HTTP:

- start-up: from the process's start until ``/`` answers, and until an authenticated
  ``GET /api/trials/{big}`` answers; the server's RSS then;
- the first ``GET .../protocol`` of the big trial, then its first audit answer
  (``GET .../audit/replay?at=HEAD``, asked again on each 503 until it answers), then the
  first open of a co-edited section's shared text (``GET .../sections/N/text``);
- then the account's inbox (``GET /api/inbox``: what waits for it in every trial), first
  and again;
- meanwhile, every 50 ms, a read of another, small trial's protocol: the slowest and
  p99 of these unrelated requests (does anything wait for the big trial's warm-up?);
- ``--samples`` audit replays at random positions: p50, p99, worst; the RSS after them;
- a restart (snapshots, where the server keeps any, exist now): until ``/``, until the
  authenticated read, the first protocol read again, and the first audit answer (from
  the audit checkpoints saved by the first run), and the inbox.

Then, unless ``--skip-comments``, per ``--comments`` size a log whose trial holds one
comment thread that long: the thread's first read, its history (``.../history``: the
comments' times, which its page reads beside it) and the audit trail's CSV export
(``.../audit/export.csv``, read to its end), each with the unrelated reads meanwhile.

Every request gives up after ``--timeout`` seconds (printed as ``>T s``); the random
positions stop when they have taken that long in all. The issue's targets are printed
beside the figures, and the ratio of the largest size to the smallest for each. Figures
only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.live_fanout import rss_kib
from bench.scale_logs import (
    BIG_TRIAL,
    SMALL,
    TEXT_SECTIONS,
    THREAD_SECTION,
    USERNAME,
    big_log,
    thread_log,
    thread_trial,
)
from bench.serving import HOST, ROOT, free_port, tail
from domain.streams import trial_stream
from server.accounts.tokens import ApiTokens
from server.bootstrap_accounts import open_accounts
from server.database import create_engine_for

EVENTS = (100_000, 1_000_000)
COMMENTS = (10_000, 40_000, 100_000)
SAMPLES = 100
TIMEOUT = 180.0
PROBE_EVERY = 0.05
"""Seconds between two unrelated reads while the big trial warms up."""
POLL_EVERY = 0.02
"""Seconds between two tries while the server starts."""
RETRY_EVERY = 0.05
"""Seconds before asking again after a 503 (its Retry-After is meant for people)."""
SEED = 7


# --- one server ----------------------------------------------------------------------------


@dataclass
class Server:
    """``concord serve`` on a copy of a log: its process, base URL and the bearer token."""

    process: subprocess.Popen[bytes]
    base: str
    headers: dict[str, str]
    log: Path
    started: float
    patience: float
    """Seconds one request may take (then it is given up)."""

    @property
    def rss_mb(self) -> float:
        return rss_kib(self.process.pid) / 1024

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=self.patience)

    def alive(self) -> None:
        if self.process.poll() is not None:
            status = self.process.returncode
            raise RuntimeError(f"concord serve exited with {status}:\n{tail(self.log)}")


def working_copy(log: Path, folder: Path) -> str:
    """The URL of a fresh copy of ``log`` in ``folder`` (the last one's is replaced)."""
    copy = folder / "served.sqlite"
    for old in folder.glob("served.sqlite*"):
        old.unlink()
    shutil.copyfile(log, copy)
    return f"sqlite:///{copy}"


async def issue_token(url: str) -> str:
    """A new API token of the log's account."""
    async with open_accounts(url) as tools:
        user = await tools.accounts.by_username(USERNAME)
    assert user is not None, f"{url} has no account {USERNAME}"
    engine = create_engine_for(url)
    try:
        return (await ApiTokens(engine).issue(user.user_id, "bench.scale")).token
    finally:
        await engine.dispose()


@contextlib.contextmanager
def serving(url: str, folder: Path, token: str, patience: float) -> Iterator[Server]:
    """Start ``concord serve`` on ``url`` (its output in ``folder``), stop it after."""
    port = free_port()
    log = folder / "serve.log"
    env = {
        **os.environ,
        "CONCORD_DATA_DIR": str(folder),
        "CONCORD_SIGNING_KEY": str(folder / "signing-key.pem"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "server.cli", "--db", url, "serve", "--port", str(port)]
    started = time.monotonic()
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        yield Server(process, f"http://{HOST}:{port}", headers, log, started, patience)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # busy on its event loop: it cannot stop itself
            process.kill()
            process.wait(timeout=10)


# --- timing requests --------------------------------------------------------------------------


@dataclass
class Timed:
    """How long until an answer came (None: not within the timeout), and the 503s first."""

    seconds: float | None
    refusals: int = 0
    size: int = 0


async def until_answered(server: Server, path: str, *, auth: bool) -> Timed:
    """Seconds since the server's process started until ``GET path`` answers 200."""
    headers = server.headers if auth else {}
    deadline = server.started + server.patience
    refusals = 0
    async with httpx.AsyncClient(base_url=server.base, headers=headers) as http:
        while time.monotonic() < deadline:
            server.alive()
            with contextlib.suppress(httpx.TransportError):
                answer = await http.get(path, timeout=max(0.1, deadline - time.monotonic()))
                if answer.status_code == 200:
                    return Timed(time.monotonic() - server.started, refusals)
                refusals += 1
            await asyncio.sleep(POLL_EVERY)
    return Timed(None, refusals)


async def timed_get(server: Server, path: str, within: float | None = None) -> Timed:
    """``GET path`` read to its end, asked again ``RETRY_EVERY`` after each 503 (so the
    figure is close to when the first answer could be had)."""
    refusals, started = 0, time.monotonic()
    within = server.patience if within is None else within
    async with server.client() as http:
        while (left := within - (time.monotonic() - started)) > 0:
            size = 0
            try:
                async with http.stream("GET", path, timeout=left) as answer:
                    async for chunk in answer.aiter_bytes():
                        size += len(chunk)
            except httpx.TimeoutException:
                break
            if answer.status_code == 200:
                return Timed(time.monotonic() - started, refusals, size)
            if answer.status_code != 503:
                raise RuntimeError(f"GET {path}: {answer.status_code}")
            refusals += 1
            await asyncio.sleep(RETRY_EVERY)
    return Timed(None, refusals)


def p99(seconds: list[float]) -> float:
    """The 99th percentile (interpolated between the two nearest; the one value of one)."""
    if len(seconds) < 2:
        return seconds[0]
    return statistics.quantiles(seconds, n=100, method="inclusive")[98]


@dataclass
class Meanwhile:
    """Latencies of the unrelated reads sent while something else ran."""

    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    """Answers other than 200 (a 503: the small trial was not served either)."""

    @property
    def worst(self) -> float | None:
        return max(self.latencies) if self.latencies else None

    @property
    def p99(self) -> float | None:
        return p99(self.latencies) if self.latencies else None


@contextlib.asynccontextmanager
async def unrelated_reads(server: Server) -> AsyncIterator[Meanwhile]:
    """Read the small trial's protocol every ``PROBE_EVERY`` seconds until the block ends
    (the read in flight then is waited for: its latency is the one that matters)."""
    meanwhile, stop = Meanwhile(), asyncio.Event()

    async def probe() -> None:
        async with server.client() as http:
            while not stop.is_set():
                asked = time.monotonic()
                try:
                    answer = await http.get(f"/api/trials/{SMALL}/protocol")
                    meanwhile.refused += answer.status_code != 200
                except httpx.TimeoutException:  # its latency is the patience
                    meanwhile.refused += 1
                meanwhile.latencies.append(time.monotonic() - asked)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PROBE_EVERY)

    probing = asyncio.create_task(probe())
    try:
        yield meanwhile
    finally:
        stop.set()
        await probing


# --- the big trial ----------------------------------------------------------------------------

RSS_START = "RSS after start (MB)"
FIRST_PROTOCOL = "first protocol read"
FIRST_AUDIT = "first audit answer"
REFUSED = "  503s before it"
FIRST_TEXT = "first open of a section's shared text"
FIRST_INBOX = "first inbox read (GET /api/inbox)"
INBOX_AGAIN = "inbox read again"
UNRELATED_MAX = "unrelated read during warm-up: max"
UNRELATED_P99 = "unrelated read during warm-up: p99"
UNRELATED_REFUSED = "  of them not answered 200"
AUDIT_P50 = "audit state at random positions: p50"
AUDIT_P99 = "audit state at random positions: p99"
AUDIT_WORST = "audit state at random positions: worst"
RSS_AUDITED = "RSS after the audit requests (MB)"
RESTART_PROTOCOL = "first protocol read after restart"
RESTART_AUDIT = "first audit answer after restart"
RESTART_REFUSED = "  503s before it, after restart"
RESTART_INBOX = "first inbox read after restart"
COUNTS = (REFUSED, UNRELATED_REFUSED, RESTART_REFUSED)


@dataclass
class BigRun:
    """The figures of one log size."""

    events: int
    figures: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def trial_span(url: str) -> tuple[int, int]:
    """The big trial's first position and the log's head."""
    query = (
        "SELECT MIN(position), (SELECT MAX(position) FROM events) FROM events WHERE stream_id = ?"
    )
    with sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True) as db:
        first, head = db.execute(query, (trial_stream(BIG_TRIAL),)).fetchone()
    return int(first), int(head)


async def measure_big(log: Path, folder: Path, args: argparse.Namespace) -> BigRun:
    url = working_copy(log, folder)
    first, head = trial_span(url)
    token = await issue_token(url)
    run, patience = BigRun(head), args.timeout
    figures = run.figures
    trial = f"/api/trials/{BIG_TRIAL}"
    with serving(url, folder, token, patience) as server:
        await start_up(server, trial, figures, "start")
        figures[RSS_START] = server.rss_mb
        await timed_get(server, f"/api/trials/{SMALL}/protocol")  # its own warm-up
        async with unrelated_reads(server) as meanwhile:
            protocol = await timed_get(server, f"{trial}/protocol")
            audit = await timed_get(server, f"{trial}/audit/replay?at={head}")
            text = await timed_get(server, f"{trial}/protocol/sections/{TEXT_SECTIONS[0]}/text")
            inbox = await timed_get(server, "/api/inbox")
        figures[FIRST_PROTOCOL] = protocol.seconds
        figures[FIRST_AUDIT] = audit.seconds
        figures[REFUSED] = float(audit.refusals)
        figures[FIRST_TEXT] = text.seconds
        figures[FIRST_INBOX] = inbox.seconds
        figures[INBOX_AGAIN] = (await timed_get(server, "/api/inbox")).seconds
        figures[UNRELATED_MAX] = meanwhile.worst
        figures[UNRELATED_P99] = meanwhile.p99
        figures[UNRELATED_REFUSED] = float(meanwhile.refused)
        replays = await random_replays(server, trial, (first, head), args.samples)
        if replays:
            figures[AUDIT_P50] = statistics.median(replays)
            figures[AUDIT_P99] = p99(replays)
            figures[AUDIT_WORST] = max(replays)
        if len(replays) < args.samples:
            run.notes.append(f"{len(replays)} of {args.samples} audit replays in {patience:.0f} s")
        figures[RSS_AUDITED] = server.rss_mb
    with serving(url, folder, token, patience) as server:
        await start_up(server, trial, figures, "restart")
        figures[RESTART_PROTOCOL] = (await timed_get(server, f"{trial}/protocol")).seconds
        audit = await timed_get(server, f"{trial}/audit/replay?at={head}")  # saved checkpoints
        figures[RESTART_AUDIT] = audit.seconds
        figures[RESTART_REFUSED] = float(audit.refusals)
        figures[RESTART_INBOX] = (await timed_get(server, "/api/inbox")).seconds
    return run


async def start_up(server: Server, trial: str, figures: dict[str, float | None], name: str) -> None:
    """Until ``/`` answers, then until an authenticated read of ``trial`` does."""
    root = await until_answered(server, "/", auth=False)
    figures[f"{name} until / answers"] = root.seconds
    read = await until_answered(server, trial, auth=True)
    figures[f"{name} until the big trial reads"] = read.seconds


async def random_replays(
    server: Server, trial: str, span: tuple[int, int], samples: int
) -> list[float]:
    """Seconds of each audit replay at a random position, until ``samples`` of them or
    the server's patience in all."""
    rng, started = random.Random(SEED), time.monotonic()
    seconds: list[float] = []
    for _ in range(samples):
        left = server.patience - (time.monotonic() - started)
        if left <= 0:
            break
        at = rng.randint(*span)
        answered = await timed_get(server, f"{trial}/audit/replay?at={at}", left)
        if answered.seconds is None:
            break
        seconds.append(answered.seconds)
    return seconds


# --- comment threads -------------------------------------------------------------------------


@dataclass
class ThreadRun:
    comments: int
    first_read: Timed
    read_meanwhile: Meanwhile
    export: Timed
    export_meanwhile: Meanwhile
    history: Timed
    history_meanwhile: Meanwhile


async def measure_thread(log: Path, folder: Path, comments: int, patience: float) -> ThreadRun:
    url = working_copy(log, folder)
    token = await issue_token(url)
    trial = f"/api/trials/{thread_trial(comments)}"
    with serving(url, folder, token, patience) as server:
        await until_answered(server, f"/api/trials/{SMALL}/protocol", auth=True)
        async with unrelated_reads(server) as read_meanwhile:
            first = await timed_get(server, f"{trial}/comments/section/{THREAD_SECTION}")
        async with unrelated_reads(server) as history_meanwhile:
            history = await timed_get(server, f"{trial}/comments/section/{THREAD_SECTION}/history")
        async with unrelated_reads(server) as export_meanwhile:
            export = await timed_get(server, f"{trial}/audit/export.csv")
    return ThreadRun(
        comments, first, read_meanwhile, export, export_meanwhile, history, history_meanwhile
    )


# --- printing --------------------------------------------------------------------------------

TARGETS = {
    "restart until / answers": "<= 2 s",
    "restart until the big trial reads": "<= 2 s",
    FIRST_PROTOCOL: "<= 200 ms",
    FIRST_TEXT: "<= 200 ms",
    RESTART_PROTOCOL: "<= 200 ms",
    AUDIT_P99: "<= 200 ms",
    UNRELATED_MAX: "<= 100 ms",
    UNRELATED_P99: "<= 100 ms",
    RSS_START: "<= 300",
    RSS_AUDITED: "<= 300",
}


def _figure(value: float | None, name: str, timeout: float) -> str:
    if value is None:
        return f">{timeout:.0f} s"
    if "MB" in name:
        return f"{value:,.0f}"
    if name in COUNTS:
        return f"{value:.0f}"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def print_big(runs: list[BigRun], timeout: float) -> None:
    names = list(dict.fromkeys(name for run in runs for name in run.figures))
    sizes = [f"{run.events:,} events" for run in runs]
    ratio = len(runs) > 1
    header = f"{'':<42}{'target':>10}" + "".join(f"{size:>18}" for size in sizes)
    print(header + (f"{'ratio':>8}" if ratio else ""))
    for name in names:
        values = [run.figures.get(name) for run in runs]
        shown = "".join(f"{_figure(value, name, timeout):>18}" for value in values)
        line = f"{name:<42}{TARGETS.get(name, ''):>10}{shown}"
        first, last = values[0], values[-1]
        if ratio and first and last and name not in COUNTS:
            line += f"{last / first:>8.1f}"
        print(line)
    for run in runs:
        for note in run.notes:
            print(f"  {run.events:,} events: {note}")
    print("targets (issue 15): start-up <= 2 s at 1M once snapshots exist; no request waits")
    print("> 100 ms for another's warm-up; RSS <= 300 MB at 1M; each ratio (largest size over")
    print("smallest) <= 2, but for the one-off snapshot build")


def print_threads(runs: list[ThreadRun], timeout: float) -> None:
    def shown(value: float | None) -> str:
        return _figure(value, "", timeout)

    def duo(meanwhile: Meanwhile) -> str:
        return f"{shown(meanwhile.worst)} / {shown(meanwhile.p99)}"

    meanwhile = "unrelated max / p99"
    print(f"{'comment thread':<20}{'first read':>12}{meanwhile:>24}{'its history':>12}"
          f"{meanwhile:>24}{'CSV export':>12}{'CSV bytes':>14}{meanwhile:>24}")  # fmt: skip
    for run in runs:
        read, export = shown(run.first_read.seconds), shown(run.export.seconds)
        history = shown(run.history.seconds)
        print(f"{f'{run.comments:,} comments':<20}{read:>12}{duo(run.read_meanwhile):>24}"
              f"{history:>12}{duo(run.history_meanwhile):>24}"
              f"{export:>12}{run.export.size:>14,}{duo(run.export_meanwhile):>24}")  # fmt: skip
    for run in runs:
        meanwhiles = (run.read_meanwhile, run.history_meanwhile, run.export_meanwhile)
        refused = sum(meanwhile.refused for meanwhile in meanwhiles)
        if refused:
            print(f"  {run.comments:,} comments: {refused} unrelated reads not answered 200")
    print("targets: no request waits > 100 ms for another's; folds and exports linear in size")


# --- main ------------------------------------------------------------------------------------


def _each(sizes: list[int], step: Callable[[int], Path], what: str) -> list[tuple[int, Path]]:
    logs = []
    for size in sizes:
        started = time.monotonic()
        log = step(size)
        print(f"log of {size:,} {what}: {log} ({time.monotonic() - started:.0f} s)", flush=True)
        logs.append((size, log))
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=list(EVENTS))
    parser.add_argument("--comments", type=int, nargs="+", default=list(COMMENTS))
    parser.add_argument("--skip-comments", action="store_true")
    parser.add_argument(
        "--db-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "concord-scale",
        help="where the generated logs are kept and reused (default: %(default)s)",
    )
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per request")
    args = parser.parse_args()
    big = _each(args.events, lambda n: big_log(args.db_dir, n), "events")
    threads = [] if args.skip_comments else _each(
        args.comments, lambda n: thread_log(args.db_dir, n), "comments"
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="concord-scale-") as work:
        folder = Path(work)
        runs = []
        for size, log in big:
            print(f"serving {size:,} events ...", flush=True)
            runs.append(asyncio.run(measure_big(log, folder, args)))
        print()
        print_big(runs, args.timeout)
        if threads:
            thread_runs = []
            for size, log in threads:
                print(f"serving a thread of {size:,} comments ...", flush=True)
                thread_runs.append(asyncio.run(measure_thread(log, folder, size, args.timeout)))
            print()
            print_threads(thread_runs, args.timeout)


if __name__ == "__main__":
    main()
