"""The audit report (PDF) of a big trial, over HTTP, at 100k and 1M events (issue 15).

    python -m bench.audit_report [--events 100000 1000000] [--db-dir DIR] [--timeout 600]

On ``bench.scale``'s logs (written there once and reused; see bench/scale_logs.py), a
real ``concord serve`` on a copy of each, read with an API token of the log's account:

- the first ``GET .../audit/export.pdf`` of the big trial (asked again after each 503:
  its audit history is built first, once, and saved beside the log), then a second one
  (the history kept), each with the unrelated reads meanwhile (``bench.scale``'s: the
  small trial's protocol every 50 ms), the server's RSS after and at most meanwhile, and
  that of the process laying the report out (none when the server lays it out itself);
- after a restart, the report again (the history read back from its saved checkpoints).

Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from bench.live_fanout import rss_kib
from bench.scale import (
    EVENTS,
    Server,
    Timed,
    _figure,
    issue_token,
    serving,
    timed_get,
    trial_span,
    unrelated_reads,
    until_answered,
    working_copy,
)
from bench.scale_logs import BIG_TRIAL, SMALL, big_log

TIMEOUT = 600.0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _peak_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@contextlib.asynccontextmanager
async def peaks(server: Server) -> AsyncIterator[dict[str, float]]:
    """The server's highest RSS and its children's (the report's layout process) while
    the block runs, sampled every 50 ms, in MB."""
    found = {"server": 0.0, "child": 0.0}
    stop = asyncio.Event()

    async def sample() -> None:
        pid = server.process.pid
        while not stop.is_set():
            found["server"] = max(found["server"], rss_kib(pid) / 1024)
            for child in _children(pid):
                found["child"] = max(found["child"], _peak_kib(child) / 1024)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)

    sampling = asyncio.create_task(sample())
    try:
        yield found
    finally:
        stop.set()
        await sampling


async def _report(server: Server, path: str, figures: dict[str, float | None], name: str) -> None:
    async with unrelated_reads(server) as meanwhile, peaks(server) as peak:
        answered: Timed = await timed_get(server, path)
    figures[name] = answered.seconds
    figures[f"  503s before it ({name})"] = float(answered.refusals)
    figures[f"  PDF size (KB) ({name})"] = answered.size / 1024
    figures[f"  unrelated read meanwhile: max ({name})"] = meanwhile.worst
    figures[f"  unrelated read meanwhile: p99 ({name})"] = meanwhile.p99
    figures[f"  RSS after (MB) ({name})"] = server.rss_mb
    figures[f"  server's RSS at most (MB) ({name})"] = peak["server"]
    figures[f"  layout process's RSS at most (MB) ({name})"] = peak["child"] or None


async def measure(log: Path, folder: Path, patience: float) -> dict[str, float | None]:
    url = working_copy(log, folder)
    _, head = trial_span(url)
    token = await issue_token(url)
    figures: dict[str, float | None] = {"log positions": float(head)}
    path = f"/api/trials/{BIG_TRIAL}/audit/export.pdf"
    for run in ("first start", "restart"):
        with serving(url, folder, token, patience) as server:
            await until_answered(server, f"/api/trials/{SMALL}/protocol", auth=True)
            await timed_get(server, f"/api/trials/{SMALL}/protocol")  # its own warm-up
            await _report(server, path, figures, f"report, {run}")
            if run == "first start":
                await _report(server, path, figures, "report again")
    return figures


def _shown(name: str, value: float | None, timeout: float) -> str:
    if value is None:
        return f">{timeout:.0f} s"
    if "503s" in name or "positions" in name:
        return f"{value:,.0f}"
    if "KB" in name or "MB" in name:
        return f"{value:,.0f}"
    return _figure(value, name, timeout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=list(EVENTS))
    parser.add_argument(
        "--db-dir", type=Path, default=Path(tempfile.gettempdir()) / "concord-scale"
    )
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per request")
    args = parser.parse_args()
    runs: list[tuple[int, dict[str, float | None]]] = []
    with tempfile.TemporaryDirectory(prefix="concord-report-") as work:
        for size in args.events:
            log = big_log(args.db_dir, size)
            print(f"serving {size:,} events ...", flush=True)
            runs.append((size, asyncio.run(measure(log, Path(work), args.timeout))))
    names = list(dict.fromkeys(name for _, figures in runs for name in figures))
    print(f"{'':<60}" + "".join(f"{f'{size:,} events':>18}" for size, _ in runs))
    for name in names:
        values = "".join(f"{_shown(name, f.get(name), args.timeout):>18}" for _, f in runs)
        print(f"{name:<60}{values}")


if __name__ == "__main__":
    main()
