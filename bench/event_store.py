"""Event store throughput, side by side with raw sqlite3 and the eventsourcing library.

    python -m bench.event_store [--appends N] [--postgres URL | --no-postgres]

All three write durably to SQLite in WAL mode with synchronous=FULL. Raw sqlite3 does the
same inserts with the same hashing and nothing else: the practical limit. The library
(eventsourcing 9.5, SQLite persistence) saves one aggregate event per save; its
concurrent figure uses threads, Concord's uses asyncio tasks. Prints figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events import EventStore, NewEvent, StreamAppend, open_store
from events.canonical import GENESIS_HASH, canonical_json, envelope_hash, format_timestamp

CALLERS = 16
BATCH = 100
PAYLOAD = {"section": "5.2", "text": "Participants aged 18 to 65 with a confirmed diagnosis."}


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


# --- Concord ---------------------------------------------------------------------------


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def concord_figures(url: str, appends: int) -> dict[str, float]:
    store = await open_store(url)
    event = NewEvent("SectionRevised", PAYLOAD)
    try:

        async def single() -> None:
            for i in range(appends):
                await store.append(StreamAppend(f"single-{i % 50}", [event]))

        async def concurrent() -> None:
            async def caller(k: int) -> None:
                for _ in range(appends // CALLERS * 4):
                    await store.append(StreamAppend(f"caller-{k}", [event]))

            await asyncio.gather(*(caller(k) for k in range(CALLERS)))

        batches = max(appends // 30, 10)

        async def batched() -> None:
            for i in range(batches):
                await store.append(StreamAppend(f"batch-{i}", [event] * BATCH))

        figures = {
            "single": _rate(appends, await _timed(single)),
            "concurrent": _rate(appends // CALLERS * 4 * CALLERS, await _timed(concurrent)),
            "batch": _rate(batches, await _timed(batched)),
        }
        figures["read"] = await _read_rate(store)
        return figures
    finally:
        await store.close()


async def _read_rate(store: EventStore) -> float:
    start, after, count = time.perf_counter(), 0, 0
    while page := await store.read_all(after=after, limit=5000):
        count += len(page)
        after = page[-1].position
    return _rate(count, time.perf_counter() - start)


# --- raw sqlite3: the practical limit ----------------------------------------------------

RAW_SCHEMA = """CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, type TEXT NOT NULL,
    schema_version INTEGER NOT NULL, data TEXT NOT NULL, meta TEXT NOT NULL,
    recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    UNIQUE (stream_id, stream_version))"""


class RawLog:
    """Inserts with the same hashing as Concord, head kept in memory, nothing else."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(RAW_SCHEMA)
        self.position, self.prev, self.versions = 0, GENESIS_HASH, dict[str, int]()
        self.data = canonical_json(PAYLOAD)

    def append(self, stream_id: str, count: int) -> None:
        at = format_timestamp(datetime.now(UTC))
        rows = []
        version = self.versions.get(stream_id, 0)
        for _ in range(count):
            self.position += 1
            version += 1
            digest = envelope_hash(position=self.position, stream_id=stream_id,
                                   stream_version=version, type="SectionRevised",
                                   schema_version=1, data_json=self.data, meta_json="{}",
                                   recorded_at=at, prev_hash=self.prev)  # fmt: skip
            rows.append((self.position, stream_id, version, "SectionRevised", 1, self.data, "{}",
                         at, self.prev, digest))  # fmt: skip
            self.prev = digest
        self.versions[stream_id] = version
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        self.db.execute("COMMIT")


def raw_figures(folder: Path, appends: int) -> dict[str, float]:
    import json

    log = RawLog(folder / "raw.sqlite")
    start = time.perf_counter()
    for i in range(appends):
        log.append(f"single-{i % 50}", 1)
    single = _rate(appends, time.perf_counter() - start)
    batches = max(appends // 30, 10)
    start = time.perf_counter()
    for i in range(batches):
        log.append(f"batch-{i}", BATCH)
    batch = _rate(batches, time.perf_counter() - start)
    start = time.perf_counter()
    rows = log.db.execute("SELECT * FROM events ORDER BY position").fetchall()
    for row in rows:
        json.loads(row[5])
        json.loads(row[6])
    read = _rate(len(rows), time.perf_counter() - start)
    return {"single": single, "batch": batch, "read": read}


# --- the eventsourcing library ------------------------------------------------------------


def library_figures(folder: Path, appends: int) -> dict[str, float]:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Section(Aggregate):  # type: ignore[misc]
        @event("Created")  # type: ignore[untyped-decorator]
        def __init__(self) -> None:
            self.text = ""

        @event("Revised")  # type: ignore[untyped-decorator]
        def revise(self, section: str, text: str) -> None:
            self.text = text

    app = Application(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(folder / "library.sqlite"),
        }
    )
    sections = [Section() for _ in range(50)]
    app.save(*sections)
    start = time.perf_counter()
    for i in range(appends):
        aggregate = sections[i % 50]
        aggregate.revise(**PAYLOAD)
        app.save(aggregate)
    single = _rate(appends, time.perf_counter() - start)

    per_thread = appends // CALLERS * 4

    def caller() -> None:
        aggregate = Section()
        app.save(aggregate)
        for _ in range(per_thread):
            aggregate.revise(**PAYLOAD)
            app.save(aggregate)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = _rate(per_thread * CALLERS, time.perf_counter() - start)

    batches = max(appends // 30, 10)
    start = time.perf_counter()
    for _ in range(batches):
        aggregate = Section()
        for _ in range(BATCH - 1):
            aggregate.revise(**PAYLOAD)
        app.save(aggregate)
    batch = _rate(batches, time.perf_counter() - start)

    start, count, position = time.perf_counter(), 0, 1
    while notifications := app.recorder.select_notifications(start=position, limit=5000):
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id + 1
    read = _rate(count, time.perf_counter() - start)
    app.close()
    return {"single": single, "concurrent": concurrent, "batch": batch, "read": read}


# --- report ---------------------------------------------------------------------------------


def _row(name: str, unit: str, concord: float, raw: float | None, library: float | None) -> str:
    def cell(value: float | None) -> str:
        return f"{value:>12,.0f}" if value is not None else f"{'-':>12}"

    def ratio(value: float | None) -> str:
        return f"{concord / value:>7.2f}x" if value else f"{'-':>8}"

    return (f"{name:<34}{unit:<10}{cell(concord)}{cell(raw)}{cell(library)}"
            f"  {ratio(library)}  {ratio(raw)}")  # fmt: skip


def report(
    concord: dict[str, float], raw: dict[str, float], library: dict[str, float] | None
) -> None:
    lib = library or {}
    print(f"{'SQLite, durable (WAL, synchronous=FULL)':<44}{'Concord':>12}{'raw sqlite3':>12}"
          f"{'library':>12}  {'vs lib':>8}  {'vs raw':>8}")  # fmt: skip
    print(_row("single-event appends, 1 caller", "events/s", concord["single"], raw["single"],
               lib.get("single")))  # fmt: skip
    print(_row(f"single-event appends, {CALLERS} callers", "events/s", concord["concurrent"],
               None, lib.get("concurrent")))  # fmt: skip
    print(_row(f"{BATCH}-event batch appends", "batches/s", concord["batch"], raw["batch"],
               lib.get("batch")))  # fmt: skip
    print(_row(f"{BATCH}-event batch appends", "events/s", concord["batch"] * BATCH,
               raw["batch"] * BATCH, lib["batch"] * BATCH if library else None))  # fmt: skip
    print(_row("full-log read and decode", "events/s", concord["read"], raw["read"],
               lib.get("read")))  # fmt: skip
    if library:
        print()
        print(
            "targets: 1 caller >= library "
            f"({'met' if concord['single'] >= library['single'] else 'MISSED'}); "
            f"{CALLERS} callers >= 3x library's {CALLERS} threads "
            f"({'met' if concord['concurrent'] >= 3 * library['concurrent'] else 'MISSED'}); "
            f"read >= 150,000/s ({'met' if concord['read'] >= 150_000 else 'MISSED'})"
        )


async def _postgres_url(admin_url: str) -> str | None:
    try:
        import asyncpg
        from sqlalchemy.engine import make_url

        dsn = make_url(admin_url).set(drivername="postgresql")
        connection = await asyncpg.connect(dsn.render_as_string(False), timeout=3)
        await connection.execute("DROP DATABASE IF EXISTS concord_bench WITH (FORCE)")
        await connection.execute("CREATE DATABASE concord_bench")
        await connection.close()
        return dsn.set(database="concord_bench").render_as_string(False)
    except (OSError, TimeoutError, ImportError) as error:
        print(f"PostgreSQL not reachable ({error}); skipping its figures")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=3000, help="single-caller appends")
    parser.add_argument("--postgres", default=os.environ.get(
        "CONCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as tmp:
        folder = Path(tmp)
        concord = asyncio.run(
            concord_figures(f"sqlite:///{folder / 'concord.sqlite'}", args.appends)
        )
        raw = raw_figures(folder, args.appends)
        try:
            library: dict[str, float] | None = library_figures(folder, args.appends)
        except ImportError:
            print("eventsourcing is not installed (pip install -e '.[bench]'); no library column")
            library = None
        report(concord, raw, library)
    if not args.no_postgres and (url := asyncio.run(_postgres_url(args.postgres))):
        figures = asyncio.run(concord_figures(url, args.appends // 3))
        print()
        print("PostgreSQL (Concord only; same workload, a third of the single-caller appends)")
        print(f"  single-event appends, 1 caller   {figures['single']:>10,.0f} events/s")
        print(f"  single-event appends, {CALLERS} callers {figures['concurrent']:>10,.0f} events/s")
        print(f"  {BATCH}-event batch appends        {figures['batch'] * BATCH:>10,.0f} events/s")
        print(f"  full-log read and decode         {figures['read']:>10,.0f} events/s")


if __name__ == "__main__":
    main()
