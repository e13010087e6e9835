"""What the event store is measured against (bench/event_store.py): raw ``sqlite3`` doing
the same inserts with the same hashing (the practical limit), and the eventsourcing library
9.5 with SQLite persistence. Each subject answers the workloads it can run with a rate."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.workload import BATCH, CALLERS, PAYLOAD, rate
from events.canonical import GENESIS_HASH, canonical_json, envelope_hash, format_timestamp

# --- raw sqlite3: the practical limit ----------------------------------------------------

RAW_SCHEMA = """CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, type TEXT NOT NULL,
    schema_version INTEGER NOT NULL, data TEXT NOT NULL, meta TEXT NOT NULL,
    recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    UNIQUE (stream_id, stream_version))"""


class RawSubject:
    """Inserts with the same hashing as Concord, head kept in memory, nothing else."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(RAW_SCHEMA)
        self.position, self.prev, self.versions = 0, GENESIS_HASH, dict[str, int]()
        self.data = canonical_json(PAYLOAD)
        self._rounds = 0

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

    def single(self, appends: int) -> float:
        start = time.perf_counter()
        for i in range(appends):
            self.append(f"single-{i % 50}", 1)
        return rate(appends, time.perf_counter() - start)

    def batch(self, batches: int) -> float:
        self._rounds += 1
        start = time.perf_counter()
        for i in range(batches):
            self.append(f"round-{self._rounds}-batch-{i}", BATCH)
        return rate(batches, time.perf_counter() - start)

    def read(self) -> float:
        start = time.perf_counter()
        rows = self.db.execute("SELECT * FROM events ORDER BY position").fetchall()
        for row in rows:
            json.loads(row[5])
            json.loads(row[6])
        return rate(len(rows), time.perf_counter() - start)

    def close(self) -> None:
        self.db.close()


# --- the eventsourcing library ------------------------------------------------------------


class LibrarySubject:
    """The eventsourcing library's application with SQLite persistence: one aggregate
    event per save, concurrent saves from threads."""

    def __init__(self, path: Path) -> None:
        from eventsourcing.application import Application
        from eventsourcing.domain import Aggregate, event

        class Section(Aggregate):  # type: ignore[misc]
            @event("Created")  # type: ignore[untyped-decorator]
            def __init__(self) -> None:
                self.text = ""

            @event("Revised")  # type: ignore[untyped-decorator]
            def revise(self, section: str, text: str) -> None:
                self.text = text

        self._section = Section
        self.app = Application(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        )
        self._sections = [Section() for _ in range(50)]
        self.app.save(*self._sections)

    def single(self, appends: int) -> float:
        start = time.perf_counter()
        for i in range(appends):
            aggregate = self._sections[i % 50]
            aggregate.revise(**PAYLOAD)
            self.app.save(aggregate)
        return rate(appends, time.perf_counter() - start)

    def concurrent(self, per_caller: int) -> float:
        def caller() -> None:
            aggregate = self._section()
            self.app.save(aggregate)
            for _ in range(per_caller):
                aggregate.revise(**PAYLOAD)
                self.app.save(aggregate)

        threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return rate(per_caller * CALLERS, time.perf_counter() - start)

    def batch(self, batches: int) -> float:
        start = time.perf_counter()
        for _ in range(batches):
            aggregate = self._section()
            for _ in range(BATCH - 1):
                aggregate.revise(**PAYLOAD)
            self.app.save(aggregate)
        return rate(batches, time.perf_counter() - start)

    def read(self) -> float:
        start, count, position = time.perf_counter(), 0, 1
        while notifications := self.app.recorder.select_notifications(start=position, limit=5000):
            for notification in notifications:
                self.app.mapper.to_domain_event(notification)
            count += len(notifications)
            position = notifications[-1].id + 1
        return rate(count, time.perf_counter() - start)

    def close(self) -> None:
        self.app.close()
