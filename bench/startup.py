"""Start-up on a large log, without and with projection snapshots, side by side.

    python -m bench.startup --db /tmp/r100k.sqlite [/tmp/r1m.sqlite ...]

Each log (written by ``python -m bench.replay --events N --db PATH``) is copied first (the
SQLite backup API), so the file named is never changed. On the copy it times:

- ``open_services`` (the whole composition root ``concord serve`` runs before it
  answers): the first time on the copy (no snapshot: the directory and the policy fold
  the log, and save one at the head) and again (they start from those snapshots);
- the directory's and the policy's catch-up from position 0, and from their snapshot;
- encoding the directory's snapshot (what runs on the event loop when one is taken), and
  its size. (The policy's, at 500,000 grants: ``python -m bench.authorization``.)
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from events import open_store
from events.snapshots import ProjectionSnapshots
from rbac import Authorizer
from server.bootstrap import open_services
from server.commands.directory import Directory
from server.database import create_engine_for
from server.services import Settings


def copy_log(source: Path, folder: Path) -> str:
    target = folder / source.name
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    return f"sqlite:///{target}"


def timed(figures: dict[str, float], name: str, start: float) -> None:
    figures[name] = time.perf_counter() - start


async def measure_services(url: str, figures: dict[str, float]) -> None:
    settings = Settings(signing_key=Path(url.removeprefix("sqlite:///")).with_suffix(".pem"))
    for name in ("open_services, no snapshot yet (s)", "open_services from snapshots (s)"):
        start = time.perf_counter()
        async with open_services(url, settings=settings):
            timed(figures, name, start)


async def measure_projections(url: str, figures: dict[str, float]) -> None:
    """After :func:`measure_services`: the snapshots it saved are in the database."""
    store = await open_store(url)
    engine = create_engine_for(url)
    snapshots = ProjectionSnapshots(engine)
    try:
        head = await store.head_position()
        figures["events in the log"] = head
        for name, folded, restarted in (
            ("directory", Directory(store), Directory(store, snapshots=snapshots)),
            ("policy", Authorizer(store), Authorizer(store, snapshots=snapshots)),
        ):
            start = time.perf_counter()
            await folded.catch_up(head)
            timed(figures, f"{name} from position 0 (s)", start)
            start = time.perf_counter()
            await restarted.catch_up(head)
            timed(figures, f"{name} from its snapshot (s)", start)
        directory = Directory(store)
        await directory.catch_up(head)
        start = time.perf_counter()
        encoded = directory.snapshot()
        figures["directory snapshot: encoding (ms)"] = (time.perf_counter() - start) * 1000
        figures["directory snapshot: size (kB)"] = len(encoded) / 1000
    finally:
        await snapshots.close()
        await engine.dispose()
        await store.close()


async def run(logs: list[Path]) -> list[dict[str, float]]:
    results = []
    for log in logs:
        with tempfile.TemporaryDirectory(prefix="concord-bench-startup-") as tmp:
            url = copy_log(log, Path(tmp))
            figures: dict[str, float] = {}
            await measure_services(url, figures)
            await measure_projections(url, figures)
            results.append(figures)
    return results


def report(logs: list[Path], results: list[dict[str, float]]) -> None:
    print(f"{'Start-up':<42}" + "".join(f"{log.name:>18}" for log in logs))
    for name in results[0]:
        cells = "".join(f"{figures[name]:>18,.2f}" for figures in results)
        print(f"{name:<42}{cells}")
    print("target: start-up <= 2 s at 1M events once snapshots exist")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, nargs="+", required=True, help="logs from bench.replay")
    args = parser.parse_args()
    report(args.db, asyncio.run(run(args.db)))


if __name__ == "__main__":
    main()
