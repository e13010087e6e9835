"""Restarts of ``concord serve`` on a large log whose snapshots exist (issue 15's
"start-up <= 2 s at 1M").

    python -m bench.restart [--events 1000000] [--restarts 5] [--db-dir /tmp/concord-scale]

The log (``bench.scale``'s, written there if missing) is copied first, so the file named is
never changed. The copy is served once until the big trial reads (the projections save
their snapshots at the head), the server stopped, then started again ``--restarts`` times.
Each restart is timed from the process's start until ``GET /`` answers 200 and until an
authenticated ``GET /api/trials/big-301`` does; the server's CPU time (user + system) is
read when the trial has answered. Printed: each run, then the median, min and max.

``--keep DIR`` works in DIR and leaves the copy there; with ``--reuse`` a later run restarts
on that copy at once (its snapshots saved by the first run), so that runs of two versions
can alternate. ``--importtime`` runs the restarts with ``python -X importtime`` (the
server's standard error, in ``serve.log`` of the ``--keep`` folder, lists every import).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.scale import issue_token, serving, until_answered, working_copy
from bench.scale_logs import BIG_TRIAL, big_log
from bench.serving import process_cpu


@dataclass(frozen=True)
class Restart:
    root: float | None
    """Seconds from the process's start until ``/`` answered."""
    read: float | None
    """... until the big trial's authenticated read answered."""
    cpu: float | None
    """The server's CPU seconds by then."""


async def restart(url: str, folder: Path, token: str, patience: float) -> Restart:
    with serving(url, folder, token, patience) as server:
        root = await until_answered(server, "/", auth=False)
        read = await until_answered(server, f"/api/trials/{BIG_TRIAL}", auth=True)
        return Restart(root.seconds, read.seconds, process_cpu(server.process.pid))


async def run(
    log: Path, folder: Path, restarts: int, patience: float, *, reuse: bool = False
) -> list[Restart]:
    copy = folder / "served.sqlite"
    if reuse and copy.exists():  # served before by this bench: its snapshots are saved
        url = f"sqlite:///{copy}"
        token = await issue_token(url)
    else:
        url = working_copy(log, folder)
        token = await issue_token(url)
        first = await restart(url, folder, token, patience)  # builds and saves the snapshots
        print(f"first start (snapshots saved): / {_s(first.root)}, big trial {_s(first.read)}")
    runs = []
    for number in range(1, restarts + 1):
        runs.append(await restart(url, folder, token, patience))
        done = runs[-1]
        print(f"restart {number}: / {_s(done.root)}, big trial {_s(done.read)}, CPU {_s(done.cpu)}")
    return runs


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def summary(runs: list[Restart]) -> None:
    print(f"{'restart, from the process start':<36}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in (
        ("until / answers", [r.root for r in runs]),
        ("until the big trial reads", [r.read for r in runs]),
        ("server CPU time by then", [r.cpu for r in runs]),
    ):
        known = [value for value in values if value is not None]
        if not known:
            print(f"{name:<36}{'-':>10}")
            continue
        cells = (statistics.median(known), min(known), max(known))
        print(f"{name:<36}" + "".join(f"{cell:>9.2f}s" for cell in cells))
    print("target: <= 2 s at 1M events once snapshots exist")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--db-dir", type=Path, default=Path("/tmp/concord-scale"))
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per start")
    parser.add_argument("--importtime", action="store_true", help="python -X importtime")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="restart on the copy kept in --keep by an earlier run"
    )
    args = parser.parse_args()
    log = big_log(args.db_dir, args.events)
    if args.importtime:
        os.environ["PYTHONPROFILEIMPORTTIME"] = "1"
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        runs = asyncio.run(run(log, args.keep, args.restarts, args.timeout, reuse=args.reuse))
    else:
        with tempfile.TemporaryDirectory(prefix="concord-bench-restart-") as tmp:
            runs = asyncio.run(run(log, Path(tmp), args.restarts, args.timeout))
    summary(runs)


if __name__ == "__main__":
    main()
