"""Event store throughput, side by side with raw sqlite3 and the eventsourcing library.

    python -m bench.event_store [--appends N] [--rounds R] [--postgres URL | --no-postgres]
        [--postgres-only] [--cpu auto|all|N]

All three write durably to SQLite in WAL mode with synchronous=FULL. Raw sqlite3 does the
same inserts with the same hashing and nothing else: the practical limit. The library
(eventsourcing 9.5, SQLite persistence) saves one aggregate event per save; its
concurrent figure uses threads, Concord's uses asyncio tasks on uvloop, the loop
``concord serve`` runs on. Each workload runs in R rounds with the three taking turns,
and each figure is a median round (see :func:`measure`). The process's garbage collector
is tuned as ``concord serve`` tunes it (server/collector.py), for all three alike, and
the process runs on the CPUs ``concord serve --cpu`` would choose (server/affinity.py):
by default all three on one CPU for SQLite, every CPU for PostgreSQL; ``--cpu all`` runs
both on every CPU. Prints figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.baselines import LibrarySubject, RawSubject
from bench.workload import BATCH, CALLERS, PAYLOAD, fresh_postgres_database, rate
from events import EventStore, NewEvent, StreamAppend, open_store
from server.affinity import AUTO, CpuChoice, cpu_for, parse_cpu_choice, pin_to_cpu, unpin
from server.collector import YOUNG_THRESHOLD, tune_for_serving

# --- Concord ---------------------------------------------------------------------------


class ConcordSubject:
    """Concord's store on the event loop ``concord serve`` runs on (uvloop), kept open
    between rounds so that the library's and raw sqlite3's rounds can run in between."""

    def __init__(self, url: str) -> None:
        self._runner = asyncio.Runner(loop_factory=_loop_factory())
        self._store: EventStore = self._runner.run(open_store(url))
        self._event = NewEvent("SectionRevised", PAYLOAD)
        self._rounds = 0

    def single(self, appends: int) -> float:
        async def work() -> None:
            for i in range(appends):
                await self._store.append(StreamAppend(f"single-{i % 50}", [self._event]))

        return rate(appends, self._runner.run(_timed(work)))

    def concurrent(self, per_caller: int) -> float:
        self._rounds += 1
        prefix = f"round-{self._rounds}-caller"

        async def work() -> None:
            async def caller(k: int) -> None:
                for _ in range(per_caller):
                    await self._store.append(StreamAppend(f"{prefix}-{k}", [self._event]))

            await asyncio.gather(*(caller(k) for k in range(CALLERS)))

        return rate(per_caller * CALLERS, self._runner.run(_timed(work)))

    def batch(self, batches: int) -> float:
        self._rounds += 1
        prefix = f"round-{self._rounds}-batch"

        async def work() -> None:
            for i in range(batches):
                await self._store.append(StreamAppend(f"{prefix}-{i}", [self._event] * BATCH))

        return rate(batches, self._runner.run(_timed(work)))

    def read(self) -> float:
        async def work() -> float:
            start, count = time.perf_counter(), 0
            async for page in self._store.pages(page_size=5000):
                count += len(page)
            return rate(count, time.perf_counter() - start)

        return self._runner.run(work())

    def close(self) -> None:
        self._runner.run(self._store.close())
        self._runner.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvicorn falls back to asyncio's own loop too
        return None
    return uvloop.new_event_loop


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


# --- rounds -----------------------------------------------------------------------------------

Subject = ConcordSubject | RawSubject | LibrarySubject


Samples = dict[str, dict[str, list[float]]]
"""Per subject, per workload: its rate in each round, in round order."""


def measure(subjects: dict[str, Subject], appends: int, rounds: int) -> Samples:
    """Each workload in ``rounds`` rounds, the subjects taking turns within a round (each
    round starting with the next subject): a machine whose speed drifts during the run (a
    virtual disk's fsync time does) then weighs on every subject alike, and each round
    compares them at one moment."""
    per_round = max(appends // rounds, 1)
    workloads: dict[str, tuple[str, int | None]] = {
        "single": ("single", per_round),
        "concurrent": ("concurrent", per_round // CALLERS * 4),
        "batch": ("batch", max(per_round // 30, 4)),
        "read": ("read", None),  # the whole log, as the appends above left it
    }
    samples: Samples = {name: {} for name in subjects}
    for workload, (method, amount) in workloads.items():
        for round_number in range(rounds):
            # Each round starts with another subject, so none always follows the same one.
            turn = round_number % len(subjects)
            order = list(subjects.items())[turn:] + list(subjects.items())[:turn]
            for name, subject in order:
                if hasattr(subject, method):
                    run = getattr(subject, method)
                    rate = run() if amount is None else run(amount)
                    samples[name].setdefault(workload, []).append(rate)
    return samples


def figure(rounds: list[float]) -> float:
    """A subject's figure for a workload: its median round."""
    return statistics.median(rounds)


def ratio(concord: list[float], other: list[float]) -> float:
    """Concord's rate over another subject's: the median of the rounds' ratios, each
    taken between two runs that followed each other (paired, so drift cancels)."""
    return statistics.median(c / o for c, o in zip(concord, other, strict=True))


# --- report ---------------------------------------------------------------------------------


def _row(
    name: str, unit: str, concord: list[float], raw: list[float] | None,
    library: list[float] | None, scale: int = 1,
) -> str:  # fmt: skip
    def cell(rounds: list[float] | None) -> str:
        return f"{figure(rounds) * scale:>12,.0f}" if rounds else f"{'-':>12}"

    def versus(rounds: list[float] | None) -> str:
        return f"{ratio(concord, rounds):>7.2f}x" if rounds else f"{'-':>8}"

    return (f"{name:<34}{unit:<10}{cell(concord)}{cell(raw)}{cell(library)}"
            f"  {versus(library)}  {versus(raw)}")  # fmt: skip


def report(samples: Samples) -> None:
    concord, raw, lib = samples["concord"], samples["raw"], samples.get("library", {})
    print(f"{'SQLite, durable (WAL, synchronous=FULL)':<44}{'Concord':>12}{'raw sqlite3':>12}"
          f"{'library':>12}  {'vs lib':>8}  {'vs raw':>8}")  # fmt: skip
    print(_row("single-event appends, 1 caller", "events/s", concord["single"], raw["single"],
               lib.get("single")))  # fmt: skip
    print(_row(f"single-event appends, {CALLERS} callers", "events/s", concord["concurrent"],
               None, lib.get("concurrent")))  # fmt: skip
    print(_row(f"{BATCH}-event batch appends", "batches/s", concord["batch"], raw["batch"],
               lib.get("batch")))  # fmt: skip
    print(_row(f"{BATCH}-event batch appends", "events/s", concord["batch"], raw["batch"],
               lib.get("batch"), scale=BATCH))  # fmt: skip
    print(_row("full-log read and decode", "events/s", concord["read"], raw["read"],
               lib.get("read")))  # fmt: skip
    print(f"(figures: each subject's median round; ratios: the median of the rounds' ratios,"
          f" {len(concord['single'])} rounds)")  # fmt: skip
    if lib:
        single = ratio(concord["single"], lib["single"])
        concurrent = ratio(concord["concurrent"], lib["concurrent"])
        read = figure(concord["read"])
        print()
        print(
            f"targets: 1 caller >= library ({'met' if single >= 1 else 'MISSED'}); "
            f"{CALLERS} callers >= 3x library's {CALLERS} threads "
            f"({'met' if concurrent >= 3 else 'MISSED'}); "
            f"read >= 150,000/s ({'met' if read >= 150_000 else 'MISSED'})"
        )


def postgres_figures(admin_url: str, appends: int, rounds: int, cpus: CpuChoice) -> None:
    """Concord alone on PostgreSQL (a database ``concord_bench`` made afresh)."""
    if (url := asyncio.run(fresh_postgres_database(admin_url, "concord_bench"))) is None:
        return
    where = run_on_cpus(cpus, on_sqlite=False)
    postgres = ConcordSubject(url)
    try:
        on_postgres = measure({"concord": postgres}, appends // 3, rounds)["concord"]
    finally:
        postgres.close()
    print()
    print(
        f"PostgreSQL (Concord only, on {where}; same workload, a third of the single-caller"
        " appends)"
    )
    for label, rate_per_second in (
        ("single-event appends, 1 caller", figure(on_postgres["single"])),
        (f"single-event appends, {CALLERS} callers", figure(on_postgres["concurrent"])),
        (f"{BATCH}-event batch appends", figure(on_postgres["batch"]) * BATCH),
        ("full-log read and decode", figure(on_postgres["read"])),
    ):
        print(f"  {label:<33}{rate_per_second:>10,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=9000, help="single-caller appends")
    parser.add_argument("--rounds", type=int, default=9, help="rounds per workload")
    parser.add_argument("--postgres", default=os.environ.get(
        "CONCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-only", action="store_true", help="skip the SQLite figures")
    parser.add_argument(
        "--cpu",
        type=parse_cpu_choice,
        default=AUTO,
        metavar="auto|all|N",
        help="the CPUs to run on, as concord serve --cpu (default auto: one on SQLite)",
    )
    args = parser.parse_args()
    tune_for_serving()
    if not args.postgres_only:
        sqlite_figures(args)
    if not args.no_postgres:
        postgres_figures(args.postgres, args.appends, args.rounds, args.cpu)


def run_on_cpus(choice: CpuChoice, *, on_sqlite: bool) -> str:
    """Keep the whole process where ``concord serve --cpu choice`` would run; say where."""
    cpu = cpu_for(choice, on_sqlite=on_sqlite)
    if cpu is None:
        unpin()
    else:
        pin_to_cpu(cpu)
    return "every CPU" if cpu is None else f"CPU {cpu} only"


def sqlite_figures(args: argparse.Namespace) -> None:
    where = run_on_cpus(args.cpu, on_sqlite=True)
    print(
        f"CPU: all three on {where} (--cpu {args.cpu}, as concord serve on SQLite); "
        f"garbage collector as concord serve sets it (young threshold {YOUNG_THRESHOLD:,})"
    )
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as tmp:
        folder = Path(tmp)
        subjects: dict[str, Subject] = {
            "concord": ConcordSubject(f"sqlite:///{folder / 'concord.sqlite'}"),
            "raw": RawSubject(folder / "raw.sqlite"),
        }
        try:
            subjects["library"] = LibrarySubject(folder / "library.sqlite")
        except ImportError:
            print("eventsourcing is not installed (pip install -e '.[bench]'); no library column")
        try:
            figures = measure(subjects, args.appends, args.rounds)
        finally:
            for subject in subjects.values():
                subject.close()
        report(figures)


if __name__ == "__main__":
    main()
